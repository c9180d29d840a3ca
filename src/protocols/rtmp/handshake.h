// Server side of the RTMP handshake: C0+C1 in, S0+S1+S2 out, C2 in.
//
// Clients that send a plain C1 (ffmpeg, OBS, GStreamer rtmp2sink) get the simple echo handshake.
// Clients that put an HMAC-SHA256 digest into C1 (Flash Player style, version field non-zero)
// get the digest form: S1 carries our digest and S2 is keyed from theirs, which such clients
// check before going on.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

namespace estuary::rtmp {

constexpr size_t kHandshakeSize = 1536;  // size of C1/C2/S1/S2

class ServerHandshake {
 public:
  enum class State { kWaitC0C1, kWaitC2, kDone, kFailed };
  enum class Scheme { kSimple, kDigestFirst, kKeyFirst };

  // `fill_random` fills its buffer with random bytes; tests inject a fixed pattern. The default
  // uses GLib's g_random. `epoch_ms` is the time field written into S1.
  explicit ServerHandshake(std::function<void(uint8_t *, size_t)> fill_random = {},
                           uint32_t epoch_ms = 0);

  // Consumes handshake bytes from the front of data[0..len) and returns how many it used; bytes
  // after C2 belong to the chunk stream and are left for the caller. Replies are appended to
  // *out. After an error state() is kFailed and nothing more is consumed.
  size_t feed(const uint8_t *data, size_t len, std::vector<uint8_t> *out);

  State state() const { return state_; }
  bool done() const { return state_ == State::kDone; }
  bool failed() const { return state_ == State::kFailed; }
  // Which form the client used (known once C1 arrived).
  Scheme scheme() const { return scheme_; }

 private:
  void reply(std::vector<uint8_t> *out);

  std::function<void(uint8_t *, size_t)> fill_random_;
  uint32_t epoch_ms_;
  State state_ = State::kWaitC0C1;
  Scheme scheme_ = Scheme::kSimple;
  std::vector<uint8_t> pending_;  // partial C0+C1 or C2
  std::array<uint8_t, kHandshakeSize> c1_{};
};

// Digest helpers, public so tests (and a future client) can build and check digest handshakes.
// Offset of the 32-byte digest inside a 1536-byte C1/S1 for the given scheme.
size_t handshake_digest_offset(const uint8_t *packet, ServerHandshake::Scheme scheme);
// HMAC-SHA256 over the packet with the 32 digest bytes at `offset` left out.
std::array<uint8_t, 32> handshake_digest(const uint8_t *packet, size_t offset, const uint8_t *key,
                                         size_t key_len);
// The public Flash Player / Flash Media Server keys (first 30 / 36 bytes are the text part).
extern const uint8_t kGenuineFpKey[62];
extern const uint8_t kGenuineFmsKey[68];

}  // namespace estuary::rtmp
