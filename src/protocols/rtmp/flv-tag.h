// FLV framing for RTMP media: an RTMP audio/video/data message body is exactly an FLV tag body,
// so converting is adding or removing the 11-byte tag header and the 4-byte previous-tag-size.
// Lets published RTMP feed flvdemux and an flvmux's output feed RTMP players.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "protocols/rtmp/message.h"

namespace estuary::rtmp {

enum FlvTagType : uint8_t { kFlvAudio = 8, kFlvVideo = 9, kFlvScript = 18 };

constexpr size_t kFlvHeaderSize = 9;
constexpr size_t kFlvTagHeaderSize = 11;

// "FLV" header with the audio/video flags, followed by PreviousTagSize0 (13 bytes in all).
std::vector<uint8_t> flv_file_header(bool has_audio, bool has_video);

// Appends one FLV tag (header, body, previous-tag-size). Timestamps use the 24+8 bit split.
void flv_append_tag(uint8_t type, uint32_t timestamp, const uint8_t *body, size_t len,
                    std::vector<uint8_t> *out);
// The FLV tag for an RTMP audio (8), video (9) or data (18) message; false for other types.
bool flv_append_message(const Message &m, std::vector<uint8_t> *out);

struct FlvTag {
  uint8_t type = 0;
  uint32_t timestamp = 0;
  std::vector<uint8_t> body;
  bool filtered = false;  // the tag header's encryption/filter bit
};

// Incremental FLV stream parser (for flvmux output): feed bytes, collect tags. The file
// header is optional, so a stream cut at a tag boundary also works.
class FlvTagReader {
 public:
  enum class Error { kNone, kBadHeader, kTagTooLarge };

  explicit FlvTagReader(uint32_t max_tag_size = 16 * 1024 * 1024) : max_tag_size_(max_tag_size) {}
  // Appends every complete tag to *out; keeps partial data for the next call.
  Error feed(const uint8_t *data, size_t len, std::vector<FlvTag> *out);
  // Bytes of an incomplete tag (or file header) kept from earlier feeds; 0 at a tag boundary.
  size_t buffered() const { return buf_.size(); }
  // The media message carrying `tag` on message stream `stream_id`.
  static Message to_message(const FlvTag &tag, uint32_t stream_id);

 private:
  uint32_t max_tag_size_;
  Error error_ = Error::kNone;
  bool header_checked_ = false;
  std::vector<uint8_t> buf_;
};

}  // namespace estuary::rtmp
