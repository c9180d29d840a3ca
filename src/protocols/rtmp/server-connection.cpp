#include "protocols/rtmp/server-connection.h"

#include "protocols/rtmp/flv-chunks.h"

namespace estuary::rtmp {

ServerConnection::ServerConnection(ServerConnectionConfig config)
    : handshake_(std::move(config.handshake_random), config.handshake_epoch_ms),
      reader_(config.limits),
      session_(std::move(config.session)) {}

void ServerConnection::fail(std::string why) {
  failed_ = true;
  error_ = std::move(why);
}

bool ServerConnection::feed(const uint8_t *data, size_t len) {
  if (failed_) return false;
  if (!handshake_.done()) {
    size_t used = handshake_.feed(data, len, &out_);
    if (handshake_.failed()) {
      fail("handshake: unsupported RTMP version");
      return false;
    }
    data += used;
    len -= used;
    if (len == 0) return true;
  }

  std::vector<Message> messages;
  ChunkError err = reader_.feed(data, len, &messages);
  // Messages completed before an error are still processed: they were well formed.
  for (Message &m : messages) {
    switch (m.type) {
      case kMsgWindowAckSize:
        if (auto v = parse_u32_control(m)) ack_.set_window(*v);
        break;
      case kMsgAck:
        if (auto v = parse_u32_control(m)) peer_acked_ = *v;
        break;
      case kMsgSetChunkSize:
      case kMsgAbort:
      case kMsgSetPeerBandwidth:
        break;  // applied by the reader, or about our sending rate which we do not shape
      default:
        session_.on_message(std::move(m));
    }
  }
  if (auto ack = ack_.on_received(reader_.bytes_received())) writer_.write(*ack, &out_);
  if (err != ChunkError::kNone) {
    fail(std::string("chunk stream: ") + chunk_error_message(err));
    return false;
  }
  return true;
}

void ServerConnection::flush_session() {
  for (const Message &m : session_.take_outgoing()) writer_.write(m, &out_);
}

std::vector<uint8_t> ServerConnection::take_output() {
  flush_session();
  return std::exchange(out_, {});
}

bool ServerConnection::takes_shared_media() const {
  return !failed_ && writer_.chunk_size() == kSharedChunkSize &&
         session_.takes_media_unfiltered(kSharedStreamId);
}

std::vector<uint8_t> ServerConnection::take_output_then_shared(size_t shared_bytes) {
  std::vector<uint8_t> out = take_output();
  // Shared chunks only ever use the media chunk streams (flv-chunks.h).
  writer_.sent_elsewhere(shared_bytes, {kCsidAudio, kCsidVideo, kCsidData});
  return out;
}

}  // namespace estuary::rtmp
