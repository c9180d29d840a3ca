// FlvDirectMux: the FLV branch without flvmux, for one H.264 (AVC) and/or one raw AAC track.
//
// An FLV tag body is the codec's own bytes behind a few header bytes, so muxing is cheap; flvmux
// took an appsrc thread per track and an aggregator thread (three hand-offs per frame), and held
// each video frame until audio caught up. Headers: the FLV file header, then the AVC and AAC
// sequence headers (from the caps' codec_data). Tags carry the decoding time in milliseconds and
// the composition offset for video. ESTUARY_FLV_MUXER=flvmux forces the pipeline.
//
// Not thread-safe: one caller at a time (FormatBranch serialises pushes).
#pragma once

#include <gst/gst.h>

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "pipelines/output-direct-mux.h"

namespace estuary {

class FlvDirectMux : public DirectMux {
 public:
  // `tracks`: (track id, caps), caps transfer none. Null unless there is at most one H.264
  // stream-format=avc track with codec_data and at most one raw AAC track with codec_data.
  static std::unique_ptr<FlvDirectMux> create(
      const std::vector<std::pair<uint32_t, GstCaps *>> &tracks);

  GstBuffer *headers() override;
  GstBuffer *mux(uint32_t track_id, GstBuffer *in) override;
  // A new avcC or AudioSpecificConfig: headers() gives it to new viewers, and viewers already
  // playing get it in band, as a sequence header tag in front of the next video keyframe (the
  // next audio frame), which is how an RTMP publisher announces it.
  bool update_track(uint32_t track_id, GstCaps *caps) override;

 private:
  FlvDirectMux() = default;
  void append_video_header(uint32_t ms, std::vector<uint8_t> *out) const;
  void append_audio_header(uint32_t ms, std::vector<uint8_t> *out) const;
  bool pending_video_header_ = false, pending_audio_header_ = false;
  uint32_t video_id_ = 0, audio_id_ = 0;
  bool has_video_ = false, has_audio_ = false;
  std::vector<uint8_t> avcc_, asc_;
  uint8_t audio_flags_ = 0xaf;  // AAC, "44 kHz", 16-bit, stereo: what FLV says for any AAC
};

}  // namespace estuary
