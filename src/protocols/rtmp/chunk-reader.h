// Reassembles RTMP messages from the chunk stream a peer sends (after the handshake).
//
// Set Chunk Size and Abort take effect inside the reader the moment they complete, because they
// change how the very next chunk is parsed; they are still handed out so the caller sees them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

#include "protocols/rtmp/message.h"

namespace estuary::rtmp {

enum class ChunkError {
  kNone,
  kMessageTooLarge,      // message length above ChunkReaderLimits::max_message_size
  kBadChunkSize,         // Set Chunk Size of 0 or above 0x7FFFFFFF
  kTooManyChunkStreams,  // more distinct chunk stream ids than allowed
  kNoPreviousHeader,     // fmt 1..3 on a chunk stream that never had a fmt 0 header
  kHeaderInsideMessage,  // fmt 0..2 while a message on that chunk stream was half read
  kBadControlMessage,    // Set Chunk Size / Abort with a short payload
  kTooMuchBuffered,      // half-read messages together above max_pending_bytes
};

// English description for logs.
const char *chunk_error_message(ChunkError e);

struct ChunkReaderLimits {
  uint32_t max_message_size = 16 * 1024 * 1024;
  size_t max_chunk_streams = 64;
  // Sum of all half-read messages; bounds memory when many chunk streams each start a big one.
  size_t max_pending_bytes = 32 * 1024 * 1024;
};

class ChunkReader {
 public:
  explicit ChunkReader(ChunkReaderLimits limits = {});

  // Consumes all of data[0..len), appending every message completed by it to *out (in the order
  // their last chunk arrived). Incomplete chunks are kept for the next call. Once an error is
  // returned the reader stays failed and returns the same error for every later call.
  ChunkError feed(const uint8_t *data, size_t len, std::vector<Message> *out);

  ChunkError error() const { return error_; }
  uint32_t chunk_size() const { return chunk_size_; }
  // All bytes ever given to feed(), for Acknowledgement sequence numbers.
  uint64_t bytes_received() const { return bytes_received_; }

 private:
  struct StreamState {
    uint32_t timestamp = 0;        // of the current (or last) message
    uint32_t timestamp_field = 0;  // last timestamp/delta field, the delta a fmt 3 start reuses
    uint32_t length = 0;
    uint32_t stream_id = 0;
    uint8_t type = 0;
    bool extended = false;  // last header carried a 4-byte extended timestamp
    bool in_message = false;
    std::vector<uint8_t> partial;
  };

  // Parses one chunk at buf_[pos_]. Returns false when more bytes are needed (nothing consumed)
  // or on error (error_ set).
  bool parse_chunk(std::vector<Message> *out);
  void apply_control(const Message &m);

  ChunkReaderLimits limits_;
  ChunkError error_ = ChunkError::kNone;
  uint32_t chunk_size_ = 128;  // the spec's initial value
  uint64_t bytes_received_ = 0;
  size_t pending_bytes_ = 0;  // payload bytes held in StreamState::partial
  std::map<uint32_t, StreamState> streams_;
  std::vector<uint8_t> buf_;
  size_t pos_ = 0;
};

}  // namespace estuary::rtmp
