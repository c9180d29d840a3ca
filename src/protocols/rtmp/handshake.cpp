#include "protocols/rtmp/handshake.h"

#include <glib.h>

#include <algorithm>
#include <cstring>
#include <memory>

namespace estuary::rtmp {

#define ESTUARY_HANDSHAKE_KEY_TAIL                                                                \
  0xF0, 0xEE, 0xC2, 0x4A, 0x80, 0x68, 0xBE, 0xE8, 0x2E, 0x00, 0xD0, 0xD1, 0x02, 0x9E, 0x7E, 0x57, \
      0x6E, 0xEC, 0x5D, 0x2D, 0x29, 0x80, 0x6F, 0xAB, 0x93, 0xB8, 0xE6, 0x36, 0xCF, 0xEB, 0x31,   \
      0xAE

const uint8_t kGenuineFpKey[62] = {'G',
                                   'e',
                                   'n',
                                   'u',
                                   'i',
                                   'n',
                                   'e',
                                   ' ',
                                   'A',
                                   'd',
                                   'o',
                                   'b',
                                   'e',
                                   ' ',
                                   'F',
                                   'l',
                                   'a',
                                   's',
                                   'h',
                                   ' ',
                                   'P',
                                   'l',
                                   'a',
                                   'y',
                                   'e',
                                   'r',
                                   ' ',
                                   '0',
                                   '0',
                                   '1',
                                   ESTUARY_HANDSHAKE_KEY_TAIL};
const uint8_t kGenuineFmsKey[68] = {'G',
                                    'e',
                                    'n',
                                    'u',
                                    'i',
                                    'n',
                                    'e',
                                    ' ',
                                    'A',
                                    'd',
                                    'o',
                                    'b',
                                    'e',
                                    ' ',
                                    'F',
                                    'l',
                                    'a',
                                    's',
                                    'h',
                                    ' ',
                                    'M',
                                    'e',
                                    'd',
                                    'i',
                                    'a',
                                    ' ',
                                    'S',
                                    'e',
                                    'r',
                                    'v',
                                    'e',
                                    'r',
                                    ' ',
                                    '0',
                                    '0',
                                    '1',
                                    ESTUARY_HANDSHAKE_KEY_TAIL};
#undef ESTUARY_HANDSHAKE_KEY_TAIL

constexpr size_t kFpKeyTextLen = 30;
constexpr size_t kFmsKeyTextLen = 36;
constexpr size_t kDigestLen = 32;
// Version field we advertise in a digest S1 (a Flash Media Server 3.5 era value).
constexpr uint8_t kServerVersion[4] = {0x03, 0x05, 0x01, 0x01};

static void hmac_sha256(const uint8_t *key, size_t key_len, const uint8_t *a, size_t a_len,
                        const uint8_t *b, size_t b_len, uint8_t out[kDigestLen]) {
  std::unique_ptr<GHmac, decltype(&g_hmac_unref)> h(g_hmac_new(G_CHECKSUM_SHA256, key, key_len),
                                                    g_hmac_unref);
  g_hmac_update(h.get(), a, a_len);
  if (b_len) g_hmac_update(h.get(), b, b_len);
  gsize n = kDigestLen;
  g_hmac_get_digest(h.get(), out, &n);
}

size_t handshake_digest_offset(const uint8_t *p, ServerHandshake::Scheme scheme) {
  // Digest-first: the digest block starts at byte 8 and its offset bytes are 8..11. Key-first:
  // the digest block starts at byte 772 with offset bytes 772..775. 728 = 764 - 32 - 4.
  size_t base = scheme == ServerHandshake::Scheme::kKeyFirst ? 772 : 8;
  size_t sum = p[base] + p[base + 1] + p[base + 2] + p[base + 3];
  return sum % 728 + base + 4;
}

std::array<uint8_t, 32> handshake_digest(const uint8_t *p, size_t offset, const uint8_t *key,
                                         size_t key_len) {
  std::array<uint8_t, 32> d{};
  hmac_sha256(key, key_len, p, offset, p + offset + kDigestLen,
              kHandshakeSize - offset - kDigestLen, d.data());
  return d;
}

static void default_random(uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i += 4) {
    guint32 r = g_random_int();
    std::memcpy(p + i, &r, std::min<size_t>(4, n - i));
  }
}

ServerHandshake::ServerHandshake(std::function<void(uint8_t *, size_t)> fill_random,
                                 uint32_t epoch_ms)
    : fill_random_(fill_random ? std::move(fill_random) : default_random), epoch_ms_(epoch_ms) {}

size_t ServerHandshake::feed(const uint8_t *data, size_t len, std::vector<uint8_t> *out) {
  size_t used = 0;
  while (used < len && (state_ == State::kWaitC0C1 || state_ == State::kWaitC2)) {
    size_t want = (state_ == State::kWaitC0C1 ? 1 + kHandshakeSize : kHandshakeSize);
    size_t take = std::min(want - pending_.size(), len - used);
    pending_.insert(pending_.end(), data + used, data + used + take);
    used += take;
    if (pending_.size() < want) break;
    if (state_ == State::kWaitC0C1) {
      // Version 3 is plain RTMP; 6 and 8 are RTMPE, which we do not speak.
      if (pending_[0] != 3) {
        state_ = State::kFailed;
        return used;
      }
      std::memcpy(c1_.data(), pending_.data() + 1, kHandshakeSize);
      reply(out);
      state_ = State::kWaitC2;
    } else {
      // C2 is not checked: clients disagree on what they echo and nothing depends on it.
      state_ = State::kDone;
    }
    pending_.clear();
  }
  return used;
}

void ServerHandshake::reply(std::vector<uint8_t> *out) {
  const uint8_t *c1 = c1_.data();
  scheme_ = Scheme::kSimple;
  // A zero version field means the client does not expect digests.
  if (c1[4] | c1[5] | c1[6] | c1[7]) {
    for (Scheme s : {Scheme::kDigestFirst, Scheme::kKeyFirst}) {
      size_t off = handshake_digest_offset(c1, s);
      auto d = handshake_digest(c1, off, kGenuineFpKey, kFpKeyTextLen);
      if (std::memcmp(d.data(), c1 + off, kDigestLen) == 0) {
        scheme_ = s;
        break;
      }
    }
  }

  size_t base = out->size();
  out->resize(base + 1 + 2 * kHandshakeSize);
  uint8_t *s0 = out->data() + base;
  uint8_t *s1 = s0 + 1;
  uint8_t *s2 = s1 + kHandshakeSize;
  s0[0] = 3;
  s1[0] = static_cast<uint8_t>(epoch_ms_ >> 24);
  s1[1] = static_cast<uint8_t>(epoch_ms_ >> 16);
  s1[2] = static_cast<uint8_t>(epoch_ms_ >> 8);
  s1[3] = static_cast<uint8_t>(epoch_ms_);
  fill_random_(s1 + 8, kHandshakeSize - 8);

  if (scheme_ == Scheme::kSimple) {
    std::memset(s1 + 4, 0, 4);
    std::memcpy(s2, c1, kHandshakeSize);  // echo
    return;
  }

  std::memcpy(s1 + 4, kServerVersion, 4);
  size_t s1_off = handshake_digest_offset(s1, scheme_);
  auto s1_digest = handshake_digest(s1, s1_off, kGenuineFmsKey, kFmsKeyTextLen);
  std::memcpy(s1 + s1_off, s1_digest.data(), kDigestLen);

  // S2: random bytes whose last 32 bytes are an HMAC keyed by HMAC(full FMS key, C1 digest).
  const uint8_t *c1_digest = c1 + handshake_digest_offset(c1, scheme_);
  uint8_t temp_key[kDigestLen];
  hmac_sha256(kGenuineFmsKey, sizeof kGenuineFmsKey, c1_digest, kDigestLen, nullptr, 0, temp_key);
  fill_random_(s2, kHandshakeSize - kDigestLen);
  hmac_sha256(temp_key, kDigestLen, s2, kHandshakeSize - kDigestLen, nullptr, 0,
              s2 + kHandshakeSize - kDigestLen);
}

}  // namespace estuary::rtmp
