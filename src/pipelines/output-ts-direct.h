// TsDirectMux: the TS branch without a muxer pipeline, for the common H.264 (AVC) + AAC case.
//
// mpegtsmux costs one GstBuffer per 188-byte packet and, with its per-track appsrc feeders, three
// thread hand-offs per frame; for a 2.7 Mbit/s RTMP ingest with HLS that was about half the
// server's CPU. Here the caller's thread (the branch's pump) turns each access unit into its TS
// packets with mpegts::TsWriter and gets one GstBuffer back. FormatBranch uses it for
// OutputFormat::kTS whenever every track qualifies (create() returns null otherwise), unless the
// environment sets ESTUARY_TS_MUXER=mpegtsmux.
//
// Not thread-safe: one caller at a time (FormatBranch serialises pushes).
#pragma once

#include <gst/gst.h>

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "pipelines/output-direct-mux.h"
#include "protocols/mpegts/ts-writer.h"

namespace estuary {

class TsDirectMux : public DirectMux {
 public:
  // `tracks`: (track id, caps) in the order the branch added them; caps transfer none. Null when
  // a track is not H.264 stream-format=avc with its avcC, or AAC (raw with codec_data, or ADTS).
  static std::unique_ptr<TsDirectMux> create(
      const std::vector<std::pair<uint32_t, GstCaps *>> &tracks);

  // PAT+PMT, for viewers and segments that start between keyframes. Transfer full.
  GstBuffer *headers() override;

  // The TS packets of one access unit, with the input's timestamps; DELTA_UNIT is cleared where
  // a viewer may start (video keyframes, or every unit without video). Null for an unknown track
  // or a malformed unit. `in` transfer none; result transfer full.
  GstBuffer *mux(uint32_t track_id, GstBuffer *in) override;
  // New SPS/PPS (at the next keyframe) or a new AudioSpecificConfig (the next ADTS header).
  bool update_track(uint32_t track_id, GstCaps *caps) override;

  // Whether the environment asks for mpegtsmux instead.
  static bool disabled();

 private:
  TsDirectMux() = default;
  int stream_of(uint32_t track_id) const;  // the writer stream, or -1
  mpegts::TsWriter writer_;
  std::vector<std::pair<uint32_t, int>> streams_;  // track id -> writer stream
  std::vector<bool> is_video_;                     // by writer stream
  GstClockTime last_time_ = 0;
};

}  // namespace estuary
