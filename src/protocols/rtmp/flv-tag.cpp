#include "protocols/rtmp/flv-tag.h"

#include "protocols/rtmp/byte-io.h"

namespace estuary::rtmp {

std::vector<uint8_t> flv_file_header(bool has_audio, bool has_video) {
  std::vector<uint8_t> h = {'F', 'L', 'V', 1,
                            static_cast<uint8_t>((has_audio ? 0x04 : 0) | (has_video ? 0x01 : 0))};
  put_be32(&h, kFlvHeaderSize);
  put_be32(&h, 0);  // PreviousTagSize0
  return h;
}

void flv_append_tag(uint8_t type, uint32_t timestamp, const uint8_t *body, size_t len,
                    std::vector<uint8_t> *out) {
  out->push_back(type & 0x1F);
  put_be24(out, static_cast<uint32_t>(len));
  put_be24(out, timestamp & 0xFFFFFF);
  out->push_back(static_cast<uint8_t>(timestamp >> 24));  // TimestampExtended
  put_be24(out, 0);                                       // StreamID, always 0
  out->insert(out->end(), body, body + len);
  put_be32(out, static_cast<uint32_t>(kFlvTagHeaderSize + len));
}

bool flv_append_message(const Message &m, std::vector<uint8_t> *out) {
  if (m.type != kMsgAudio && m.type != kMsgVideo && m.type != kMsgDataAmf0) return false;
  // FLV data sizes are 24-bit; the chunk reader's default limit keeps messages below that.
  if (m.payload.size() > 0xFFFFFF) return false;
  flv_append_tag(m.type, m.timestamp, m.payload.data(), m.payload.size(), out);
  return true;
}

FlvTagReader::Error FlvTagReader::feed(const uint8_t *data, size_t len, std::vector<FlvTag> *out) {
  if (error_ != Error::kNone) return error_;
  buf_.insert(buf_.end(), data, data + len);
  size_t pos = 0;
  if (!header_checked_) {
    if (buf_.size() < 3) return error_;
    if (buf_[0] == 'F' && buf_[1] == 'L' && buf_[2] == 'V') {
      ByteReader r(buf_.data(), buf_.size());
      uint32_t header_len;
      if (!r.skip(5) || !r.be32(&header_len)) return error_;
      if (header_len < kFlvHeaderSize || header_len > 1024) return error_ = Error::kBadHeader;
      pos = header_len + 4;  // header, then PreviousTagSize0
      if (buf_.size() < pos) return error_;
    }
    header_checked_ = true;
  }
  for (;;) {
    ByteReader r(buf_.data() + pos, buf_.size() - pos);
    uint8_t type, ts_ext;
    uint32_t size, ts, stream_id;
    if (!r.u8(&type) || !r.be24(&size) || !r.be24(&ts) || !r.u8(&ts_ext) || !r.be24(&stream_id))
      break;
    if (size > max_tag_size_) {
      error_ = Error::kTagTooLarge;
      break;
    }
    const uint8_t *body;
    if (!r.bytes(size, &body) || !r.skip(4)) break;
    FlvTag tag;
    tag.type = type & 0x1F;
    tag.filtered = type & 0x20;
    tag.timestamp = ts | (uint32_t{ts_ext} << 24);
    tag.body.assign(body, body + size);
    out->push_back(std::move(tag));
    pos += r.position();
  }
  buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(pos));
  return error_;
}

Message FlvTagReader::to_message(const FlvTag &tag, uint32_t stream_id) {
  Message m;
  m.type = tag.type;
  m.csid = tag.type == kFlvAudio ? kCsidAudio : tag.type == kFlvVideo ? kCsidVideo : kCsidData;
  m.timestamp = tag.timestamp;
  m.stream_id = stream_id;
  m.payload = tag.body;
  return m;
}

}  // namespace estuary::rtmp
