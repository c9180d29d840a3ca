// The two things a TS-carrying connection (SRT, TS over TCP) can do with a stream: push MPEG-TS
// into it, or play its shared TS fan-out (the same muxed buffers HTTP-TS viewers get). Runs on the
// connection's own thread and blocks until the connection or the stream ends, or `stopping` is
// set (checked at least every 200 ms).
#pragma once

#include <gst/gst.h>

#include <atomic>
#include <string>
#include <vector>

#include "pipelines/live-stream.h"
#include "servers/ts-transport.h"

namespace estuary {

// The container caps of a TS push.
constexpr const char *kTsPushCaps = "video/mpegts, systemstream=(boolean)true";

struct TsSessionContext {
  StreamDirectory &streams;
  ByteTransport &transport;
  std::string protocol;     // "TSSRT", "TS": sessions, push requests and logs
  GstDebugCategory *debug;  // the server's category (estuary-tssrt, estuary-ts)
  const std::atomic<bool> &stopping;
};

// Asks the control thread to accept a push into `stream` (push:// rules apply: the peer's
// address and `passphrase`), then writes every byte the peer sends, `first` (already read, may
// be empty) first, until the peer leaves (the feed ends: the stream may resume) or the stream
// closes the feed (the peer is dropped). A refused push is logged with its reason, never the
// passphrase. Returns false when the push was refused.
bool ts_publish(TsSessionContext &ctx, const std::string &stream, const std::string &passphrase,
                const std::vector<guint8> &first);

// Waits for `stream` (starting it when it is configured and not running; up to 20 s), then sends
// its live TS fan-out, from the headers and the latest keyframe on, until either side ends.
// VoD streams are refused (nothing to fan out). Returns false when the stream was unavailable.
bool ts_play(TsSessionContext &ctx, const std::string &stream);

// A connection that did not say whether it pushes or plays: a publisher sends TS at once. Waits
// up to `sniff_ms` for data: data → ts_publish; none → ts_play; a stream that cannot be played
// (e.g. a push stream with no publisher yet, when an encoder is slow to start) → waits up to
// `late_ms` more for data and publishes if it comes.
void ts_serve_undecided(TsSessionContext &ctx, const std::string &stream,
                        const std::string &passphrase, int sniff_ms, int late_ms);

}  // namespace estuary
