// RtmpServer: the RTMP media server (the `RTMP` protocol, port 1935). Takes pushes
// (rtmp://host:port/passphrase/stream, manual 3.3.1) into push:// streams and plays every live
// stream from its shared FLV branch (rtmp://host:port/app/stream). Runs on its own thread and
// GMainContext, one RtmpConnection per client (rtmp-connection.h), so a slow or hostile client
// never stalls the others or the control thread. The listening sockets and every client's socket
// share one EpollPoller (epoll-poller.h): a wakeup costs the ready sockets, not all of them.
//
// The controller registers it with ProtocolSupervisor:
//
//   protocols.register_factory("RTMP", [this](JsonObject *s, GError **e) {
//     return make_rtmp_listener(media.directory(), s, e);
//   });
//
// Parts: rtmp-connection (socket, output queue, protocol events), rtmp-publish (RTMP media ->
// FLV -> PushFeed), rtmp-play (FLV fanout -> RTMP media messages).
#pragma once

#include <json-glib/json-glib.h>

#include <memory>

#include "controller/protocol-supervisor.h"
#include "pipelines/live-stream.h"

namespace estuary {

// Starts an RTMP server from a protocol entry's `settings` (transfer none): `port` (default 1935;
// 0 picks a free one), `interface` (default 0.0.0.0 = every address, IPv4 and IPv6). `streams`
// must outlive the listener. Control thread. nullptr with `error` set when the address cannot
// be bound.
std::unique_ptr<Listener> make_rtmp_listener(StreamDirectory &streams, JsonObject *settings,
                                             GError **error);

}  // namespace estuary
