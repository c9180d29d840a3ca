// EstRtspFactory: the one media factory of the RTSP server, mounted at every stream path in use.
// It makes a PLAY media (shared by every viewer of the same running stream, rtsp-play.h) or, in
// the context of an ANNOUNCE, a RECORD media built from the announced SDP (rtsp-record.h) that
// writes into the feed the admission check obtained for that connection.
#pragma once

#include <gst/rtsp-server/rtsp-server.h>

#include <memory>

namespace estuary {
struct RtspServerState;
}

G_BEGIN_DECLS
#define EST_TYPE_RTSP_FACTORY (est_rtsp_factory_get_type())
G_DECLARE_FINAL_TYPE(EstRtspFactory, est_rtsp_factory, EST, RTSP_FACTORY, GstRTSPMediaFactory)
G_END_DECLS

namespace estuary {
// A new factory (transfer full) serving `state`'s streams; `state` must outlive its medias.
EstRtspFactory *rtsp_factory_new(std::shared_ptr<RtspServerState> state);
}  // namespace estuary
