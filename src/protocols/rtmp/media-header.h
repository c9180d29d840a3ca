// The first bytes of an RTMP/FLV audio or video body: codec, frame kind and where the codec
// data starts. Covers legacy FLV codec ids and Enhanced RTMP (FourCC: avc1, hvc1, av01, vp09;
// audio Opus, fLaC, ac-3, ec-3, mp4a, .mp3).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace estuary::rtmp {

constexpr uint32_t fourcc(char a, char b, char c, char d) {
  return uint32_t(uint8_t(a)) << 24 | uint32_t(uint8_t(b)) << 16 | uint32_t(uint8_t(c)) << 8 |
         uint8_t(d);
}

enum class PacketKind {
  kSequenceHeader,  // codec configuration (AVCDecoderConfigurationRecord, AudioSpecificConfig...)
  kCodedFrames,
  kSequenceEnd,
  kMetadata,  // Enhanced RTMP video metadata (HDR colour info)
  kOther,
};

struct VideoHeader {
  bool enhanced = false;
  uint8_t frame_type = 0;     // 1 key frame, 2 inter frame, 5 video info/command
  uint8_t codec_id = 0;       // legacy FLV codec id (7 = AVC), 0 when enhanced
  uint32_t codec_fourcc = 0;  // enhanced FourCC, or avc1 for legacy AVC; 0 otherwise
  PacketKind kind = PacketKind::kCodedFrames;
  int32_t composition_time = 0;  // ms, for AVC/HEVC coded frames
  size_t data_offset = 0;        // where the codec payload starts in the body
  bool keyframe() const { return frame_type == 1; }
};

struct AudioHeader {
  bool enhanced = false;
  uint8_t sound_format = 0;   // legacy FLV SoundFormat (10 = AAC, 2 = MP3), 9 when enhanced
  uint32_t codec_fourcc = 0;  // enhanced FourCC, or mp4a for legacy AAC; 0 otherwise
  uint8_t rate_index = 0;     // legacy SoundRate bits (0..3)
  bool sixteen_bit = false;
  bool stereo = false;
  PacketKind kind = PacketKind::kCodedFrames;
  size_t data_offset = 0;
};

// nullopt when the body is too short for the header it announces.
std::optional<VideoHeader> parse_video_header(const uint8_t *body, size_t len);
std::optional<AudioHeader> parse_audio_header(const uint8_t *body, size_t len);

// True for the tag a new player must get before any frame: an AVC/HEVC/AV1/VP9 sequence header
// or an AAC/Opus one.
inline bool is_sequence_header(const std::optional<VideoHeader> &h) {
  return h && h->kind == PacketKind::kSequenceHeader;
}

}  // namespace estuary::rtmp
