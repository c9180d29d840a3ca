// One RTMP message: what the chunk stream carries once reassembled, and what the writer splits.
#pragma once

#include <cstdint>
#include <vector>

namespace estuary::rtmp {

// Message type ids (RTMP 1.0 spec 5.4, 7.1).
enum MessageType : uint8_t {
  kMsgSetChunkSize = 1,
  kMsgAbort = 2,
  kMsgAck = 3,
  kMsgUserControl = 4,
  kMsgWindowAckSize = 5,
  kMsgSetPeerBandwidth = 6,
  kMsgAudio = 8,
  kMsgVideo = 9,
  kMsgDataAmf3 = 15,
  kMsgSharedObjectAmf3 = 16,
  kMsgCommandAmf3 = 17,
  kMsgDataAmf0 = 18,
  kMsgSharedObjectAmf0 = 19,
  kMsgCommandAmf0 = 20,
  kMsgAggregate = 22,
};

// Chunk stream ids this code sends on. 2 is reserved by the spec for protocol control; the
// others follow the convention of common clients so captures look familiar.
constexpr uint32_t kCsidControl = 2;
constexpr uint32_t kCsidCommand = 3;
constexpr uint32_t kCsidAudio = 4;
constexpr uint32_t kCsidData = 5;
constexpr uint32_t kCsidVideo = 6;

struct Message {
  uint32_t csid = kCsidCommand;  // chunk stream it came on / goes out on
  uint8_t type = 0;              // MessageType
  uint32_t timestamp = 0;        // absolute milliseconds, wraps at 2^32
  uint32_t stream_id = 0;        // message stream id (0 for control and NetConnection)
  std::vector<uint8_t> payload;
};

}  // namespace estuary::rtmp
