#include "protocols/rtmp/chunk-writer.h"

#include <algorithm>

#include "protocols/rtmp/byte-io.h"

namespace estuary::rtmp {

static void put_basic_header(std::vector<uint8_t> *out, uint8_t fmt, uint32_t csid) {
  if (csid < 64) {
    out->push_back(static_cast<uint8_t>(fmt << 6 | csid));
  } else if (csid < 320) {
    out->push_back(static_cast<uint8_t>(fmt << 6));
    out->push_back(static_cast<uint8_t>(csid - 64));
  } else {
    out->push_back(static_cast<uint8_t>(fmt << 6 | 1));
    out->push_back(static_cast<uint8_t>((csid - 64) & 0xFF));
    out->push_back(static_cast<uint8_t>((csid - 64) >> 8));
  }
}

// The payload after a message's first header, split into chunks with fmt 3 headers between.
static void put_payload_chunks(uint32_t csid, bool extended, uint32_t field, const uint8_t *payload,
                               size_t length, uint32_t chunk_size, std::vector<uint8_t> *out) {
  size_t off = 0;
  for (;;) {
    size_t n = std::min<size_t>(chunk_size, length - off);
    out->insert(out->end(), payload + off, payload + off + n);
    off += n;
    if (off >= length) break;
    put_basic_header(out, 3, csid);
    if (extended) put_be32(out, field);  // continuation chunks repeat it (spec 5.3.1.3)
  }
}

bool ChunkWriter::write(const Message &m, std::vector<uint8_t> *out) {
  if (m.csid < 2 || m.csid > 65599 || m.payload.size() > 0xFFFFFF) return false;
  size_t start = out->size();
  uint32_t length = static_cast<uint32_t>(m.payload.size());

  auto it = last_.find(m.csid);
  uint8_t fmt;
  uint32_t field;
  if (it == last_.end() || it->second.stream_id != m.stream_id ||
      m.timestamp < it->second.timestamp) {
    fmt = 0;
    field = m.timestamp;
  } else {
    const Last &l = it->second;
    field = m.timestamp - l.timestamp;
    if (l.length != length || l.type != m.type)
      fmt = 1;
    else if (l.delta_valid && l.delta == field)
      fmt = 3;
    else
      fmt = 2;
  }
  Last &l = last_[m.csid];
  l.timestamp = m.timestamp;
  l.delta = field;
  l.delta_valid = fmt != 0;
  l.length = length;
  l.stream_id = m.stream_id;
  l.type = m.type;

  bool extended = field >= 0xFFFFFF;
  put_basic_header(out, fmt, m.csid);
  if (fmt <= 2) {
    put_be24(out, extended ? 0xFFFFFF : field);
    if (fmt <= 1) {
      put_be24(out, length);
      out->push_back(m.type);
      if (fmt == 0) put_le32(out, m.stream_id);
    }
  }
  if (extended) put_be32(out, field);

  put_payload_chunks(m.csid, extended, field, m.payload.data(), length, chunk_size_, out);
  bytes_sent_ += out->size() - start;

  if (m.type == kMsgSetChunkSize && m.payload.size() >= 4) {
    uint32_t v =
        (uint32_t{m.payload[0]} << 24 | m.payload[1] << 16 | m.payload[2] << 8 | m.payload[3]) &
        0x7FFFFFFF;
    if (v > 0) chunk_size_ = v;
  }
  return true;
}

void ChunkWriter::sent_elsewhere(uint64_t bytes, std::initializer_list<uint32_t> csids) {
  bytes_sent_ += bytes;
  for (uint32_t csid : csids) last_.erase(csid);
}

bool write_fmt0_chunks(uint32_t csid, uint8_t type, uint32_t timestamp, uint32_t stream_id,
                       const uint8_t *payload, size_t len, uint32_t chunk_size,
                       std::vector<uint8_t> *out) {
  if (csid < 2 || csid > 65599 || len > 0xFFFFFF || chunk_size == 0) return false;
  const bool extended = timestamp >= 0xFFFFFF;
  put_basic_header(out, 0, csid);
  put_be24(out, extended ? 0xFFFFFF : timestamp);
  put_be24(out, static_cast<uint32_t>(len));
  out->push_back(type);
  put_le32(out, stream_id);
  if (extended) put_be32(out, timestamp);
  put_payload_chunks(csid, extended, timestamp, payload, len, chunk_size, out);
  return true;
}

}  // namespace estuary::rtmp
