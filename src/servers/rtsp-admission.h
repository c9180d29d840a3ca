// EstRtspAdmission: decides, before gst-rtsp-server looks for a media, whether a request may go
// on. A DESCRIBE names a stream that must exist (it is started on demand; unknown -> 404); an
// ANNOUNCE is a publisher that the stream's push:// rules must accept (manual 3.3.1, the
// passphrase in `?pass=`; refused -> 403, unknown stream -> 404). Either way the factory is
// mounted at the request's path. Implemented as the server's GstRTSPAuth, whose URL check runs
// first for every request on the client's own thread; that thread waits for the control thread's
// answer, so other connections are not held up.
#pragma once

#include <gst/rtsp-server/rtsp-server.h>

#include <memory>

#include "servers/rtsp-factory.h"

namespace estuary {
struct RtspServerState;

// A new admission object (transfer full) for `state`, mounting `factory` (transfer none).
GstRTSPAuth *rtsp_admission_new(std::shared_ptr<RtspServerState> state, EstRtspFactory *factory);
}  // namespace estuary
