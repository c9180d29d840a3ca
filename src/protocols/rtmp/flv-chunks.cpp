#include "protocols/rtmp/flv-chunks.h"

#include "protocols/rtmp/byte-io.h"
#include "protocols/rtmp/chunk-writer.h"
#include "protocols/rtmp/flv-tag.h"

namespace estuary::rtmp {

namespace {

// The FLV file header's length field is 9 for every FLV version so far; FlvTagReader accepts up
// to this much, and so do we.
constexpr uint32_t kMaxFlvHeaderSize = 1024;

// Skips an FLV file header and PreviousTagSize0 at the start of `r`, if there is one.
bool skip_file_header(ByteReader &r) {
  if (r.remaining() < 3 || r.current()[0] != 'F' || r.current()[1] != 'L' || r.current()[2] != 'V')
    return true;
  uint32_t header_len;
  if (!r.skip(5) || !r.be32(&header_len)) return false;
  if (header_len < kFlvHeaderSize || header_len > kMaxFlvHeaderSize) return false;
  return r.skip(header_len - kFlvHeaderSize + 4);
}

uint32_t csid_of(uint8_t type) {
  return type == kFlvAudio ? kCsidAudio : type == kFlvVideo ? kCsidVideo : kCsidData;
}

}  // namespace

std::optional<ChunkedFlv> chunk_flv_tags(const uint8_t *data, size_t len, uint32_t chunk_size,
                                         uint32_t stream_id) {
  ByteReader r(data, len);
  if (!skip_file_header(r)) return std::nullopt;
  ChunkedFlv out;
  // Headers add 12 bytes per message and 1 per further chunk: room for the common case at once.
  out.bytes.reserve(r.remaining() + 64 + r.remaining() / (chunk_size ? chunk_size : 1));
  while (r.remaining() > 0) {
    uint8_t type_byte, ts_ext;
    uint32_t size, ts, tag_stream_id;
    const uint8_t *body;
    if (!r.u8(&type_byte) || !r.be24(&size) || !r.be24(&ts) || !r.u8(&ts_ext) ||
        !r.be24(&tag_stream_id) || !r.bytes(size, &body) || !r.skip(4))
      return std::nullopt;
    const uint8_t type = type_byte & 0x1F;
    if (type != kFlvAudio && type != kFlvVideo && type != kFlvScript) continue;
    const uint32_t timestamp = ts | (uint32_t{ts_ext} << 24);
    if (!write_fmt0_chunks(csid_of(type), type, timestamp, stream_id, body, size, chunk_size,
                           &out.bytes))
      return std::nullopt;
    out.messages++;
    if (type != kFlvScript) {
      out.has_media = true;
      out.last_media_timestamp = timestamp;
    }
  }
  return out;
}

}  // namespace estuary::rtmp
