// An RTMP player reduced to what a load test needs: simple handshake, connect, createStream, play,
// then chunk demuxing that counts audio/video payload bytes, answers pings and acknowledges
// windows.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "session.h"

namespace bench {

class RtmpPlay : public Session {
 public:
  RtmpPlay(std::string tc_url, std::string app, std::string stream);
  std::string Greeting() override;
  size_t Feed(const uint8_t *data, size_t len, std::string *out) override;
  const char *Phase() const override;

 private:
  struct ChunkStream {
    uint32_t timestamp = 0;
    uint32_t length = 0;
    uint8_t type = 0;
    uint32_t stream_id = 0;
    bool extended = false;
    uint32_t received = 0;  // of the current message
    std::string payload;    // kept only for control and command messages
  };
  enum class State { kHandshake, kConnecting, kCreatingStream, kPlaying };

  // Parses one complete chunk at buf_[pos]; returns bytes used, 0 if it is not complete yet.
  size_t ParseChunkAt(size_t pos, std::string *out, size_t *media);
  void OnMessage(ChunkStream &cs, std::string *out);
  void OnCommand(const uint8_t *data, size_t len, std::string *out);
  void SendCommand(const std::string &amf, uint32_t csid, uint32_t stream_id, std::string *out);
  void SendControl(uint8_t type, const std::string &payload, std::string *out);

  std::string tc_url_, app_, stream_;
  State state_ = State::kHandshake;
  std::string buf_;  // unparsed received bytes
  std::map<uint32_t, ChunkStream> streams_;
  uint32_t in_chunk_size_ = 128;
  uint32_t window_ack_ = 0;
  uint64_t total_in_ = 0;
  uint64_t last_ack_ = 0;
};

}  // namespace bench
