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

// How a connection that did not say whether it pushes or plays is told apart: a publisher sends
// TS at once. Reads for up to `wait_ms`; the bytes read (empty for a player) go to `first`.
// Returns false when the peer left meanwhile.
bool ts_sniff_publisher(TsSessionContext &ctx, int wait_ms, std::vector<guint8> *first);

}  // namespace estuary
