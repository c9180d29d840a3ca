#include "protocols/rtmp/media-header.h"

#include "protocols/rtmp/byte-io.h"

namespace estuary::rtmp {

constexpr uint8_t kFlvCodecAvc = 7;
constexpr uint8_t kFlvCodecHevcLegacy = 12;  // the pre-Enhanced-RTMP Chinese CDN convention
constexpr uint8_t kFlvSoundAac = 10;
constexpr uint8_t kFlvSoundExHeader = 9;

static int32_t si24(uint32_t v) { return (v & 0x800000) ? int32_t(v) - 0x1000000 : int32_t(v); }

std::optional<VideoHeader> parse_video_header(const uint8_t *body, size_t len) {
  ByteReader r(body, len);
  uint8_t b0;
  if (!r.u8(&b0)) return std::nullopt;
  VideoHeader h;
  if (b0 & 0x80) {
    // Enhanced RTMP: IsExHeader | FrameType(3) | PacketType(4), then a FourCC.
    h.enhanced = true;
    h.frame_type = (b0 >> 4) & 0x07;
    uint8_t packet_type = b0 & 0x0F;
    uint32_t cc;
    if (!r.be32(&cc)) return std::nullopt;
    h.codec_fourcc = cc;
    switch (packet_type) {
      case 0:  // SequenceStart
        h.kind = PacketKind::kSequenceHeader;
        break;
      case 1: {  // CodedFrames: AVC/HEVC carry a composition time, others do not
        h.kind = PacketKind::kCodedFrames;
        if (cc == fourcc('a', 'v', 'c', '1') || cc == fourcc('h', 'v', 'c', '1')) {
          uint32_t ct;
          if (!r.be24(&ct)) return std::nullopt;
          h.composition_time = si24(ct);
        }
        break;
      }
      case 2:  // SequenceEnd
        h.kind = PacketKind::kSequenceEnd;
        break;
      case 3:  // CodedFramesX: composition time implied 0
        h.kind = PacketKind::kCodedFrames;
        break;
      case 4:
        h.kind = PacketKind::kMetadata;
        break;
      default:  // MPEG2TSSequenceStart, multitrack and future types
        h.kind = PacketKind::kOther;
    }
    h.data_offset = r.position();
    return h;
  }
  h.frame_type = b0 >> 4;
  h.codec_id = b0 & 0x0F;
  if (h.codec_id == kFlvCodecAvc || h.codec_id == kFlvCodecHevcLegacy) {
    h.codec_fourcc =
        h.codec_id == kFlvCodecAvc ? fourcc('a', 'v', 'c', '1') : fourcc('h', 'v', 'c', '1');
    uint8_t packet_type;
    uint32_t ct;
    if (!r.u8(&packet_type) || !r.be24(&ct)) return std::nullopt;
    h.kind = packet_type == 0   ? PacketKind::kSequenceHeader
             : packet_type == 1 ? PacketKind::kCodedFrames
             : packet_type == 2 ? PacketKind::kSequenceEnd
                                : PacketKind::kOther;
    h.composition_time = si24(ct);
  }
  h.data_offset = r.position();
  return h;
}

std::optional<AudioHeader> parse_audio_header(const uint8_t *body, size_t len) {
  ByteReader r(body, len);
  uint8_t b0;
  if (!r.u8(&b0)) return std::nullopt;
  AudioHeader h;
  h.sound_format = b0 >> 4;
  if (h.sound_format == kFlvSoundExHeader) {
    // Enhanced RTMP audio: SoundFormat 9 | AudioPacketType(4), then a FourCC.
    h.enhanced = true;
    uint8_t packet_type = b0 & 0x0F;
    uint32_t cc;
    if (!r.be32(&cc)) return std::nullopt;
    h.codec_fourcc = cc;
    h.kind = packet_type == 0   ? PacketKind::kSequenceHeader
             : packet_type == 1 ? PacketKind::kCodedFrames
             : packet_type == 2 ? PacketKind::kSequenceEnd
                                : PacketKind::kOther;
    h.data_offset = r.position();
    return h;
  }
  h.rate_index = (b0 >> 2) & 0x03;
  h.sixteen_bit = b0 & 0x02;
  h.stereo = b0 & 0x01;
  if (h.sound_format == kFlvSoundAac) {
    h.codec_fourcc = fourcc('m', 'p', '4', 'a');
    uint8_t packet_type;
    if (!r.u8(&packet_type)) return std::nullopt;
    h.kind = packet_type == 0 ? PacketKind::kSequenceHeader : PacketKind::kCodedFrames;
  }
  h.data_offset = r.position();
  return h;
}

}  // namespace estuary::rtmp
