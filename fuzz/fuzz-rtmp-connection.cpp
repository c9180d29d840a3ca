// A whole server connection: a valid handshake, then arbitrary chunk bytes. Every decision is
// accepted (or, by a bit of the input, rejected) so the session reaches publish and play.
#include <cstring>

#include "protocols/rtmp/server-connection.h"

using namespace estuary::rtmp;

static void zero_random(uint8_t *p, size_t n) { memset(p, 0, n); }

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  bool reject = data[0] & 1;
  size_t step = 1 + data[1] % 128;
  data += 2;
  size -= 2;
  ServerConnectionConfig cfg;
  cfg.limits = ChunkReaderLimits{1 << 20, 16};
  cfg.handshake_random = zero_random;
  ServerConnection conn(std::move(cfg));
  std::vector<uint8_t> hs(1 + 2 * kHandshakeSize, 0);
  hs[0] = 3;
  conn.feed(hs.data(), hs.size());
  for (size_t pos = 0; pos < size && !conn.wants_close(); pos += step) {
    size_t n = size - pos < step ? size - pos : step;
    conn.feed(data + pos, n);
    for (Event &e : conn.take_events()) {
      Session &s = conn.session();
      switch (e.type) {
        case EventType::kConnect:
          reject ? s.reject_connect("no") : s.accept_connect();
          break;
        case EventType::kPublish:
          reject ? s.reject_publish("NetStream.Publish.BadName", "no") : s.accept_publish();
          break;
        case EventType::kPlay:
          reject ? s.reject_play("NetStream.Play.StreamNotFound", "no") : s.accept_play();
          s.send_media(kMsgVideo, 0, {0x17, 0, 0, 0, 0});
          break;
        default:
          break;
      }
    }
    conn.take_output();
  }
  return 0;
}
