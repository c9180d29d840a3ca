// SrtListener: the `TSSRT` protocol (default port 8889/udp): MPEG-TS over SRT, ingest and play on
// one UDP port, several streams at once. The caller's `streamid` names the stream
// ("live", "#!::r=live,m=publish", "#!::r=live,m=request"; see srt-connection.h for how pushes
// and plays are told apart).
//
// libsrt directly (GStreamer's srtsrc/srtsink listeners serve one caller at a time): one thread
// accepts (epoll with a short timeout, so stopping is prompt), one thread per connection blocks
// on its socket. The listen callback refuses a malformed streamid in the handshake.
//
// Settings (protocol entry, transfer none): `port` (default 8889; 0 picks a free one),
// `interface` (default 0.0.0.0; "::" for IPv6 and IPv4), `passphrase` (SRT encryption, 10 to 79
// characters; callers must use it, and it is also the push passphrase checked against the
// stream's push://[host][@passphrase] rule).
#pragma once

#include <json-glib/json-glib.h>

#include <memory>

#include "controller/protocol-supervisor.h"
#include "pipelines/live-stream.h"

namespace estuary {

// Control thread. `streams` must outlive the listener. nullptr with `error` set when the socket
// cannot be bound or a setting is invalid.
std::unique_ptr<Listener> make_srt_listener(StreamDirectory &streams, JsonObject *settings,
                                            GError **error);

}  // namespace estuary
