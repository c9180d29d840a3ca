// HttpOutput: the HTTP media server (the `HTTP` protocol, port 8080): HLS, progressive formats and
// the info handler (manual 4.3). An Http1Server (http1-server.h) on its own thread and
// GMainContext, so slow viewers or request floods never stall the control thread (DESIGN.md).
// HLS segments leave with sendfile() from their memfds (segment-store.h).
//
// The controller registers it with ProtocolSupervisor:
//
//   auto catalog = std::make_shared<OutputCatalog>(connectors());   // once
//   protocols.register_factory("HTTP", [this, catalog](JsonObject *s, GError **e) {
//     return make_http_listener(streams, catalog, s, e);
//   });
//   catalog->set_protocols(config.protocols());                     // after every config change
//
// Starting, stopping and moving the listener is done by recreating it.
#pragma once

#include <json-glib/json-glib.h>

#include <memory>

#include "controller/protocol-supervisor.h"
#include "pipelines/live-stream.h"
#include "servers/output-catalog.h"

namespace estuary {

// Starts an HTTP output from a protocol entry's `settings` (transfer none): `port` (default
// 8080; 0 picks a free one), `interface` (default 0.0.0.0 = every address, IPv4 and IPv6),
// `pubaddr` (public base URL used in the info handler's absolute URLs; default: the request's
// Host). `streams` must outlive the listener. Control thread. nullptr with `error` set when the
// address cannot be bound.
std::unique_ptr<Listener> make_http_listener(StreamDirectory &streams,
                                             std::shared_ptr<OutputCatalog> catalog,
                                             JsonObject *settings, GError **error);

}  // namespace estuary
