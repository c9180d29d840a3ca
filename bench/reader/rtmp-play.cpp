#include "rtmp-play.h"

#include <algorithm>
#include <cstdlib>

#include "amf0.h"

namespace bench {

namespace {

constexpr size_t kHandshakeSize = 1536;
constexpr uint32_t kOutChunkSize = 4096;  // all our commands fit in one chunk at this size
constexpr uint32_t kMaxInChunkSize = 16u << 20;
constexpr uint32_t kControlCsid = 2;
constexpr uint32_t kCommandCsid = 3;
constexpr uint32_t kPlayCsid = 8;

enum MessageType : uint8_t {
  kSetChunkSize = 1,
  kUserControl = 4,
  kWindowAckSize = 5,
  kAudio = 8,
  kVideo = 9,
  kAmf3Command = 17,
  kAmf0Command = 20,
  kAggregate = 22,
  kAcknowledgement = 3,
};

bool IsMedia(uint8_t type) { return type == kAudio || type == kVideo || type == kAggregate; }

uint32_t Be24(const uint8_t *p) { return (uint32_t(p[0]) << 16) | (uint32_t(p[1]) << 8) | p[2]; }
uint32_t Be32(const uint8_t *p) { return (uint32_t(p[0]) << 24) | Be24(p + 1); }
uint32_t Le32(const uint8_t *p) {
  return p[0] | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24);
}
void PutBe(std::string *s, uint32_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) s->push_back(char((v >> (8 * i)) & 0xff));
}

}  // namespace

RtmpPlay::RtmpPlay(std::string tc_url, std::string app, std::string stream)
    : tc_url_(std::move(tc_url)), app_(std::move(app)), stream_(std::move(stream)) {}

const char *RtmpPlay::Phase() const {
  switch (state_) {
    case State::kHandshake:
      return "waiting for the handshake reply";
    case State::kConnecting:
      return "waiting for the connect result";
    case State::kCreatingStream:
      return "waiting for the createStream result";
    case State::kPlaying:
      return "play sent, no media yet";
  }
  return "";
}

std::string RtmpPlay::Greeting() {
  std::string c0c1(1 + kHandshakeSize, '\0');
  c0c1[0] = 3;  // RTMP version
  // C1: time and zero, then filler. Zero version bytes ask for the plain (unsigned) handshake.
  for (size_t i = 9; i < c0c1.size(); ++i) c0c1[i] = char(std::rand() & 0xff);
  return c0c1;
}

void RtmpPlay::SendControl(uint8_t type, const std::string &payload, std::string *out) {
  out->push_back(char(kControlCsid));  // fmt 0
  PutBe(out, 0, 3);
  PutBe(out, uint32_t(payload.size()), 3);
  out->push_back(char(type));
  PutBe(out, 0, 4);
  *out += payload;
}

void RtmpPlay::SendCommand(const std::string &amf, uint32_t csid, uint32_t stream_id,
                           std::string *out) {
  out->push_back(char(csid));  // fmt 0, csid < 64
  PutBe(out, 0, 3);
  PutBe(out, uint32_t(amf.size()), 3);
  out->push_back(char(kAmf0Command));
  for (int i = 0; i < 4; ++i) out->push_back(char((stream_id >> (8 * i)) & 0xff));  // little endian
  *out += amf;
}

size_t RtmpPlay::Feed(const uint8_t *data, size_t len, std::string *out) {
  buf_.append(reinterpret_cast<const char *>(data), len);
  total_in_ += len;
  size_t media = 0;
  size_t pos = 0;
  if (state_ == State::kHandshake) {
    if (buf_.size() < 1 + 2 * kHandshakeSize) return 0;
    if (buf_[0] != 3) {
      Fail("handshake: server version " + std::to_string(uint8_t(buf_[0])));
      return 0;
    }
    out->append(buf_, 1, kHandshakeSize);  // C2 echoes S1
    std::string size;
    PutBe(&size, kOutChunkSize, 4);
    SendControl(kSetChunkSize, size, out);
    Amf0Writer w;
    w.String("connect");
    w.Number(1);
    w.ObjectBegin();
    w.Key("app");
    w.String(app_);
    w.Key("flashVer");
    w.String("LNX 9,0,124,2");
    w.Key("tcUrl");
    w.String(tc_url_);
    w.Key("fpad");
    w.Boolean(false);
    w.Key("capabilities");
    w.Number(15);
    w.Key("audioCodecs");
    w.Number(4071);
    w.Key("videoCodecs");
    w.Number(252);
    w.Key("videoFunction");
    w.Number(1);
    w.ObjectEnd();
    SendCommand(w.bytes(), kCommandCsid, 0, out);
    state_ = State::kConnecting;
    pos = 1 + 2 * kHandshakeSize;
  }
  while (!failed()) {
    if (pos == buf_.size()) break;
    size_t used = ParseChunkAt(pos, out, &media);
    if (used == 0) break;
    pos += used;
  }
  buf_.erase(0, pos);
  if (window_ack_ && total_in_ - last_ack_ >= window_ack_) {
    std::string seq;
    PutBe(&seq, uint32_t(total_in_ & 0xffffffffu), 4);
    SendControl(kAcknowledgement, seq, out);
    last_ack_ = total_in_;
  }
  return media;
}

size_t RtmpPlay::ParseChunkAt(size_t pos, std::string *out, size_t *media) {
  const uint8_t *p = reinterpret_cast<const uint8_t *>(buf_.data()) + pos;
  const size_t n = buf_.size() - pos;
  size_t i = 1;
  uint8_t fmt = p[0] >> 6;
  uint32_t csid = p[0] & 0x3f;
  if (csid == 0) {
    if (n < 2) return 0;
    csid = 64 + p[1];
    i = 2;
  } else if (csid == 1) {
    if (n < 3) return 0;
    csid = 64 + p[1] + 256u * p[2];
    i = 3;
  }
  static const size_t kHeader[4] = {11, 7, 3, 0};
  if (n < i + kHeader[fmt]) return 0;
  ChunkStream &cs = streams_[csid];
  uint32_t ts_field = fmt <= 2 ? Be24(p + i) : 0;
  uint32_t length = fmt <= 1 ? Be24(p + i + 3) : cs.length;
  uint8_t type = fmt <= 1 ? p[i + 6] : cs.type;
  uint32_t stream_id = fmt == 0 ? Le32(p + i + 7) : cs.stream_id;
  bool extended = fmt <= 2 ? ts_field == 0xffffff : cs.extended;
  i += kHeader[fmt];
  if (extended) {
    if (n < i + 4) return 0;
    ts_field = Be32(p + i);
    i += 4;
  }
  // A header of type 0-2 starts a new message; type 3 continues the current one or repeats the
  // last.
  uint32_t received = fmt <= 2 ? 0 : cs.received;
  if (received > length) received = 0;
  size_t body = std::min<size_t>(in_chunk_size_, length - received);
  if (n < i + body) return 0;

  cs.timestamp = fmt == 0 ? ts_field : cs.timestamp + ts_field;
  cs.length = length;
  cs.type = type;
  cs.stream_id = stream_id;
  cs.extended = extended;
  if (received == 0) cs.payload.clear();
  if (IsMedia(type)) {
    *media += body;
  } else {
    cs.payload.append(reinterpret_cast<const char *>(p + i), body);
  }
  cs.received = received + uint32_t(body);
  if (cs.received == cs.length) {
    OnMessage(cs, out);
    cs.received = 0;
    cs.payload.clear();
  }
  return i + body;
}

void RtmpPlay::OnMessage(ChunkStream &cs, std::string *out) {
  const uint8_t *p = reinterpret_cast<const uint8_t *>(cs.payload.data());
  const size_t n = cs.payload.size();
  switch (cs.type) {
    case kSetChunkSize:
      if (n < 4) return Fail("short SetChunkSize");
      in_chunk_size_ = Be32(p) & 0x7fffffffu;
      if (in_chunk_size_ == 0 || in_chunk_size_ > kMaxInChunkSize) {
        return Fail("bad chunk size " + std::to_string(in_chunk_size_));
      }
      break;
    case kWindowAckSize:
      if (n >= 4) window_ack_ = Be32(p);
      break;
    case kUserControl:
      if (n >= 6 && p[0] == 0 && p[1] == 6) {  // PingRequest: answer PingResponse (7)
        std::string pong("\x00\x07", 2);
        pong.append(cs.payload, 2, 4);
        SendControl(kUserControl, pong, out);
      }
      break;
    case kAmf3Command:
      if (n >= 1) OnCommand(p + 1, n - 1, out);
      break;
    case kAmf0Command:
      OnCommand(p, n, out);
      break;
    default:
      break;
  }
}

void RtmpPlay::OnCommand(const uint8_t *data, size_t len, std::string *out) {
  auto values = ReadAmf0(data, len);
  if (!values || values->empty() || values->at(0).kind != Amf0Value::Kind::kString) {
    return Fail("malformed command message");
  }
  const std::string &name = values->at(0).string;
  double tx = values->size() > 1 ? values->at(1).number : -1;
  std::string code, description;
  for (const auto &v : *values) {
    auto it = v.properties.find("code");
    if (it != v.properties.end()) code = it->second;
    it = v.properties.find("description");
    if (it != v.properties.end()) description = it->second;
  }
  if (name == "_error") return Fail("_error " + code + " " + description);
  if (name == "onStatus") {
    if (code.find("Failed") != std::string::npos || code.find("NotFound") != std::string::npos ||
        code.find("Rejected") != std::string::npos) {
      Fail("onStatus " + code);
    }
    return;
  }
  if (name != "_result") return;
  if (state_ == State::kConnecting && tx == 1) {
    Amf0Writer w;
    w.String("createStream");
    w.Number(2);
    w.Null();
    SendCommand(w.bytes(), kCommandCsid, 0, out);
    state_ = State::kCreatingStream;
  } else if (state_ == State::kCreatingStream && tx == 2) {
    if (values->size() < 4 || values->at(3).kind != Amf0Value::Kind::kNumber) {
      return Fail("createStream result without a stream id");
    }
    uint32_t sid = uint32_t(values->at(3).number);
    std::string buffer_len("\x00\x03", 2);  // SetBufferLength: stream id, 3000 ms
    PutBe(&buffer_len, sid, 4);
    PutBe(&buffer_len, 3000, 4);
    SendControl(kUserControl, buffer_len, out);
    Amf0Writer w;
    w.String("play");
    w.Number(0);
    w.Null();
    w.String(stream_);
    w.Number(-2);
    SendCommand(w.bytes(), kPlayCsid, sid, out);
    state_ = State::kPlaying;
  }
}

}  // namespace bench
