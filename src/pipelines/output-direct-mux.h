// DirectMux: a muxer that runs on the caller's thread, one access unit in, one buffer out, for
// the common cases where a GStreamer muxer pipeline (appsrc per track, aggregator thread, one
// buffer per packet) costs more than the muxing itself. FormatBranch picks one at start() when
// every track qualifies (TsDirectMux, FlvDirectMux), else it runs the muxer pipeline.
#pragma once

#include <gst/gst.h>

#include <cstdint>

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
};

}  // namespace estuary
