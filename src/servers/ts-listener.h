// TsListener: the `TS` protocol (default port 8888): MPEG-TS over raw TCP for the one stream the
// entry's `streamname` setting names. A client that connects and reads gets the stream's live TS
// fan-out; a client that starts by sending TS within a second (or within 10 s when the stream
// cannot be played yet) pushes into it instead, when the stream's push:// rule allows the
// client's address. One thread accepts, one per connection.
//
// Settings (transfer none): `port` (default 8888; 0 picks a free one), `interface` (default
// 0.0.0.0), `streamname` (required for anything to be served; connections are closed otherwise).
#pragma once

#include <json-glib/json-glib.h>

#include <memory>

#include "controller/protocol-supervisor.h"
#include "pipelines/live-stream.h"

namespace estuary {

// Control thread. `streams` must outlive the listener. nullptr with `error` when the address
// cannot be bound.
std::unique_ptr<Listener> make_ts_listener(StreamDirectory &streams, JsonObject *settings,
                                           GError **error);

}  // namespace estuary
