// Splits outgoing RTMP messages into chunks, compressing headers against the previous message
// on the same chunk stream (fmt 0 for the first or a backwards timestamp, 1 when length or type
// changed, 2 when only the delta changed, 3 when nothing changed).
//
// write_fmt0_chunks() writes a message the way ChunkWriter writes one on a fresh chunk stream,
// without any per-peer state: the same bytes are correct for every peer whatever it received
// before (chunk_flv_tags() builds the media every RTMP player of a stream shares with it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <vector>

#include "protocols/rtmp/message.h"

namespace estuary::rtmp {

class ChunkWriter {
 public:
  // Appends the chunks of `m` to *out. Writing a Set Chunk Size message switches this writer to
  // the new size right after that message, as the peer will expect. Chunk stream ids must be in
  // 2..65599 and payloads at most 0xFFFFFF bytes (24-bit length field); other messages are not
  // written and false is returned.
  bool write(const Message &m, std::vector<uint8_t> *out);

  uint32_t chunk_size() const { return chunk_size_; }
  uint64_t bytes_sent() const { return bytes_sent_; }

  // `bytes` of chunks on `csids` went to the peer by another way (write_fmt0_chunks): they count
  // in bytes_sent(), and the next message on each of those chunk streams gets a fmt 0 header,
  // since a compressed one would be relative to a message the peer did not get last.
  void sent_elsewhere(uint64_t bytes, std::initializer_list<uint32_t> csids);

 private:
  struct Last {
    uint32_t timestamp = 0;
    uint32_t delta = 0;
    uint32_t length = 0;
    uint32_t stream_id = 0;
    uint8_t type = 0;
    bool delta_valid = false;  // last header was fmt 1..3, so a fmt 3 start repeats `delta`
  };

  uint32_t chunk_size_ = 128;
  uint64_t bytes_sent_ = 0;
  std::map<uint32_t, Last> last_;
};

// Appends the chunks of one message at `chunk_size`: a fmt 0 header (absolute timestamp; the
// extended timestamp field when it is >= 0xFFFFFF, repeated after every fmt 3 continuation
// header), then the payload split every `chunk_size` bytes. Same limits as ChunkWriter::write;
// false (nothing appended) outside them or for a chunk size of 0.
bool write_fmt0_chunks(uint32_t csid, uint8_t type, uint32_t timestamp, uint32_t stream_id,
                       const uint8_t *payload, size_t len, uint32_t chunk_size,
                       std::vector<uint8_t> *out);

}  // namespace estuary::rtmp
