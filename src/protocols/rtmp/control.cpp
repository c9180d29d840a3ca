#include "protocols/rtmp/control.h"

#include "protocols/rtmp/byte-io.h"

namespace estuary::rtmp {

static Message control_message(uint8_t type) {
  Message m;
  m.csid = kCsidControl;
  m.type = type;
  return m;
}

static Message u32_message(uint8_t type, uint32_t v) {
  Message m = control_message(type);
  put_be32(&m.payload, v);
  return m;
}

Message make_set_chunk_size(uint32_t size) {
  return u32_message(kMsgSetChunkSize, size & 0x7FFFFFFF);
}
Message make_abort(uint32_t csid) { return u32_message(kMsgAbort, csid); }
Message make_ack(uint32_t sequence) { return u32_message(kMsgAck, sequence); }
Message make_window_ack_size(uint32_t size) { return u32_message(kMsgWindowAckSize, size); }

Message make_set_peer_bandwidth(uint32_t size, PeerBandwidthLimit limit) {
  Message m = u32_message(kMsgSetPeerBandwidth, size);
  m.payload.push_back(limit);
  return m;
}

Message make_user_control(UserControlEvent event, uint32_t value) {
  Message m = control_message(kMsgUserControl);
  put_be16(&m.payload, event);
  put_be32(&m.payload, value);
  return m;
}

std::optional<uint32_t> parse_u32_control(const Message &m) {
  ByteReader r(m.payload.data(), m.payload.size());
  uint32_t v;
  if (!r.be32(&v)) return std::nullopt;
  return v;
}

std::optional<UserControl> parse_user_control(const Message &m) {
  ByteReader r(m.payload.data(), m.payload.size());
  UserControl uc;
  if (!r.be16(&uc.event) || !r.be32(&uc.value)) return std::nullopt;
  if (uc.event == kUcSetBufferLength && !r.be32(&uc.value2)) return std::nullopt;
  return uc;
}

std::optional<Message> AckWindow::on_received(uint64_t total_bytes) {
  if (window_ == 0 || total_bytes - last_acked_ < window_) return std::nullopt;
  last_acked_ = total_bytes;
  // The sequence number is the byte count modulo 2^32.
  return make_ack(static_cast<uint32_t>(total_bytes));
}

}  // namespace estuary::rtmp
