// DirectMux: a muxer that runs on the caller's thread, one access unit in, one buffer out, for
// the common cases where a GStreamer muxer pipeline (appsrc per track, aggregator thread, one
// buffer per packet) costs more than the muxing itself. FormatBranch picks one at start() when
// every track qualifies (TsDirectMux, FlvDirectMux), else it runs the muxer pipeline.
#pragma once

#include <gst/gst.h>

#include <cstdint>
#include <utility>
#include <vector>

namespace estuary {

class DirectMux {
 public:
  virtual ~DirectMux() = default;
  // What a viewer or a segment needs first. Transfer full.
  virtual GstBuffer *headers() = 0;
  // One access unit of `track_id` muxed, with the input's timestamps and DELTA_UNIT cleared
  // where a viewer may start; null for an unknown track or a malformed unit. `in` transfer none,
  // result transfer full.
  virtual GstBuffer *mux(uint32_t track_id, GstBuffer *in) = 0;
  // New caps for a track (a publisher that resumed with other encoder settings): later units
  // and headers() follow them. False, changing nothing, when this muxer cannot carry them (an
  // unknown track, another codec or stream-format, a malformed configuration record). `caps`
  // transfer none.
  virtual bool update_track(uint32_t track_id, GstCaps *caps) = 0;
};

// A read-only GstBuffer that takes `bytes` over (no copy), for what a DirectMux writes.
inline GstBuffer *direct_mux_buffer(std::vector<uint8_t> &&bytes) {
  auto *owned = new std::vector<uint8_t>(std::move(bytes));
  return gst_buffer_new_wrapped_full(
      GST_MEMORY_FLAG_READONLY, owned->data(), owned->size(), 0, owned->size(), owned,
      [](gpointer p) { delete static_cast<std::vector<uint8_t> *>(p); });
}

}  // namespace estuary
