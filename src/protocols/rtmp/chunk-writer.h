// Splits outgoing RTMP messages into chunks, compressing headers against the previous message
// on the same chunk stream (fmt 0 for the first or a backwards timestamp, 1 when length or type
// changed, 2 when only the delta changed, 3 when nothing changed).
#pragma once

#include <cstdint>
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

}  // namespace estuary::rtmp
