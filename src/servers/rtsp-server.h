// RtspServer: the RTSP media server (the `RTSP` protocol, port 5554): plays every stream over
// RTP (UDP or TCP interleaved) and takes RECORD pushes (manual 3.3.1:
// rtsp://host:port/stream?pass=passphrase). A GstRTSPServer on its own thread and GMainContext;
// clients are spread over a small pool of threads so a slow stream start or a blocked client
// never stalls the others or the control thread (DESCRIBE waits for its stream on its client's
// thread).
//
// The controller registers it with ProtocolSupervisor:
//
//   protocols.register_factory("RTSP", [this](JsonObject *s, GError **e) {
//     return make_rtsp_listener(media.directory(), s, e);
//   });
//
// Parts: rtsp-admission (who may DESCRIBE/ANNOUNCE, mounts), rtsp-factory (medias),
// rtsp-play (stream buffer -> RTP payloaders), rtsp-record (SDP -> depayloaders -> push feed).
#pragma once

#include <json-glib/json-glib.h>

#include <memory>

#include "controller/protocol-supervisor.h"
#include "pipelines/live-stream.h"

namespace estuary {

// Starts an RTSP server from a protocol entry's `settings` (transfer none): `port` (default 5554;
// 0 picks a free one), `interface` (default 0.0.0.0). `streams` must outlive the listener.
// Control thread. nullptr with `error` set when the address cannot be bound.
std::unique_ptr<Listener> make_rtsp_listener(StreamDirectory &streams, JsonObject *settings,
                                             GError **error);

}  // namespace estuary
