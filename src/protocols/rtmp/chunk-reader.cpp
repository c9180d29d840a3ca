#include "protocols/rtmp/chunk-reader.h"

#include <algorithm>

#include "protocols/rtmp/byte-io.h"

namespace estuary::rtmp {

const char *chunk_error_message(ChunkError e) {
  switch (e) {
    case ChunkError::kNone:
      return "no error";
    case ChunkError::kMessageTooLarge:
      return "message length over the limit";
    case ChunkError::kBadChunkSize:
      return "invalid chunk size";
    case ChunkError::kTooManyChunkStreams:
      return "too many chunk streams";
    case ChunkError::kNoPreviousHeader:
      return "compressed chunk header on a new chunk stream";
    case ChunkError::kHeaderInsideMessage:
      return "new message header before the previous message ended";
    case ChunkError::kBadControlMessage:
      return "malformed protocol control message";
    case ChunkError::kTooMuchBuffered:
      return "too many bytes in unfinished messages";
  }
  return "unknown error";
}

ChunkReader::ChunkReader(ChunkReaderLimits limits) : limits_(limits) {}

ChunkError ChunkReader::feed(const uint8_t *data, size_t len, std::vector<Message> *out) {
  if (error_ != ChunkError::kNone) return error_;
  bytes_received_ += len;
  buf_.insert(buf_.end(), data, data + len);
  while (parse_chunk(out)) {
  }
  buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(pos_));
  pos_ = 0;
  return error_;
}

bool ChunkReader::parse_chunk(std::vector<Message> *out) {
  if (error_ != ChunkError::kNone) return false;
  ByteReader r(buf_.data() + pos_, buf_.size() - pos_);

  uint8_t b0;
  if (!r.u8(&b0)) return false;
  uint8_t fmt = b0 >> 6;
  uint32_t csid = b0 & 0x3F;
  if (csid == 0) {
    uint8_t b1;
    if (!r.u8(&b1)) return false;
    csid = 64 + b1;
  } else if (csid == 1) {
    uint8_t b1, b2;
    if (!r.u8(&b1) || !r.u8(&b2)) return false;
    csid = 64 + b1 + 256u * b2;
  }

  auto it = streams_.find(csid);
  if (it == streams_.end()) {
    if (fmt != 0) {
      error_ = ChunkError::kNoPreviousHeader;
      return false;
    }
    if (streams_.size() >= limits_.max_chunk_streams) {
      error_ = ChunkError::kTooManyChunkStreams;
      return false;
    }
  }
  // Work on a copy of the header fields; the state is committed only once the whole chunk is
  // buffered, so a chunk split across feed() calls is simply parsed again.
  StreamState fresh;
  const StreamState &prev = it == streams_.end() ? fresh : it->second;
  if (fmt != 3 && prev.in_message) {
    error_ = ChunkError::kHeaderInsideMessage;
    return false;
  }

  uint32_t field = prev.timestamp_field, length = prev.length, stream_id = prev.stream_id;
  uint8_t type = prev.type;
  bool extended = prev.extended;
  if (fmt <= 2) {
    if (!r.be24(&field)) return false;
    if (fmt <= 1) {
      if (!r.be24(&length) || !r.u8(&type)) return false;
      if (fmt == 0 && !r.le32(&stream_id)) return false;
    }
    extended = field == 0xFFFFFF;
    if (extended && !r.be32(&field)) return false;
  } else if (extended) {
    if (!prev.in_message) {
      if (!r.be32(&field)) return false;
    } else {
      // Continuation chunks repeat the extended field (spec 5.3.1.3), but some encoders leave it
      // out; it is skipped only when the next four bytes equal the value we already have.
      uint32_t again;
      ByteReader peek = r;
      if (!peek.be32(&again)) return false;
      if (again == prev.timestamp_field) r.skip(4);
    }
  }
  if (length > limits_.max_message_size) {
    error_ = ChunkError::kMessageTooLarge;
    return false;
  }

  size_t have = prev.in_message ? prev.partial.size() : 0;
  size_t take = std::min<size_t>(chunk_size_, length - have);
  const uint8_t *payload;
  if (!r.bytes(take, &payload)) return false;

  if (pending_bytes_ + take > limits_.max_pending_bytes) {
    error_ = ChunkError::kTooMuchBuffered;
    return false;
  }

  // The chunk is complete: commit.
  StreamState &s = streams_[csid];
  if (!s.in_message) {
    if (fmt == 0)
      s.timestamp = field;
    else
      s.timestamp += field;  // fmt 1..3: a delta (fmt 3 reuses the previous one)
    s.in_message = true;
    s.partial.clear();
  }
  s.timestamp_field = field;
  s.length = length;
  s.type = type;
  s.stream_id = stream_id;
  s.extended = extended;
  s.partial.insert(s.partial.end(), payload, payload + take);
  pending_bytes_ += take;
  pos_ += r.position();

  if (s.partial.size() == s.length) {
    pending_bytes_ -= s.partial.size();
    Message m;
    m.csid = csid;
    m.type = s.type;
    m.timestamp = s.timestamp;
    m.stream_id = s.stream_id;
    m.payload.swap(s.partial);
    s.in_message = false;
    apply_control(m);
    out->push_back(std::move(m));
  }
  return error_ == ChunkError::kNone;
}

void ChunkReader::apply_control(const Message &m) {
  if (m.type != kMsgSetChunkSize && m.type != kMsgAbort) return;
  ByteReader r(m.payload.data(), m.payload.size());
  uint32_t v;
  if (!r.be32(&v)) {
    error_ = ChunkError::kBadControlMessage;
    return;
  }
  if (m.type == kMsgSetChunkSize) {
    if (v == 0 || v > 0x7FFFFFFF) {
      error_ = ChunkError::kBadChunkSize;
      return;
    }
    chunk_size_ = v;
  } else {
    auto it = streams_.find(v);
    if (it != streams_.end() && it->second.in_message) {
      pending_bytes_ -= it->second.partial.size();
      it->second.in_message = false;
      it->second.partial.clear();
    }
  }
}

}  // namespace estuary::rtmp
