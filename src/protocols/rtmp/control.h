// Protocol control messages (types 1..6) and User Control events: builders and parsers.
// All of them travel on chunk stream 2, message stream 0.
#pragma once

#include <cstdint>
#include <optional>

#include "protocols/rtmp/message.h"

namespace estuary::rtmp {

enum UserControlEvent : uint16_t {
  kUcStreamBegin = 0,
  kUcStreamEof = 1,
  kUcStreamDry = 2,
  kUcSetBufferLength = 3,
  kUcStreamIsRecorded = 4,
  kUcPingRequest = 6,
  kUcPingResponse = 7,
};

// Set Peer Bandwidth limit types.
enum PeerBandwidthLimit : uint8_t { kLimitHard = 0, kLimitSoft = 1, kLimitDynamic = 2 };

Message make_set_chunk_size(uint32_t size);
Message make_abort(uint32_t csid);
Message make_ack(uint32_t sequence);
Message make_window_ack_size(uint32_t size);
Message make_set_peer_bandwidth(uint32_t size, PeerBandwidthLimit limit);
// User Control with one 32-bit argument (stream id or timestamp).
Message make_user_control(UserControlEvent event, uint32_t value);
inline Message make_stream_begin(uint32_t stream_id) {
  return make_user_control(kUcStreamBegin, stream_id);
}
inline Message make_ping_request(uint32_t timestamp) {
  return make_user_control(kUcPingRequest, timestamp);
}

// The single 32-bit value of a Set Chunk Size/Abort/Ack/Window Ack Size message.
std::optional<uint32_t> parse_u32_control(const Message &m);

struct UserControl {
  uint16_t event = 0;
  uint32_t value = 0;   // stream id or timestamp
  uint32_t value2 = 0;  // buffer length in ms for kUcSetBufferLength
};
std::optional<UserControl> parse_user_control(const Message &m);

// Tracks bytes received against the window the peer announced with Window Acknowledgement
// Size, and says when an Acknowledgement is due.
class AckWindow {
 public:
  void set_window(uint32_t size) { window_ = size; }
  uint32_t window() const { return window_; }
  // Given the running byte count, returns the Ack to send when a window has been crossed.
  std::optional<Message> on_received(uint64_t total_bytes);

 private:
  uint32_t window_ = 0;  // 0: peer never asked for acks
  uint64_t last_acked_ = 0;
};

}  // namespace estuary::rtmp
