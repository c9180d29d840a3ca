#include <glib.h>

#include <cstring>

#include "protocols/rtmp/handshake.h"
#include "test-rtmp-util.h"

using namespace estuary::rtmp;

static void fixed_random(uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++) p[i] = static_cast<uint8_t>(0xA0 + i);
}

// HMAC-SHA256 written out here with GHmac, independent of the code under test.
static Bytes hmac(const uint8_t *key, size_t key_len, const Bytes &msg) {
  GHmac *h = g_hmac_new(G_CHECKSUM_SHA256, key, key_len);
  g_hmac_update(h, msg.data(), msg.size());
  Bytes d(32);
  gsize n = 32;
  g_hmac_get_digest(h, d.data(), &n);
  g_hmac_unref(h);
  return d;
}

static Bytes without(const uint8_t *p, size_t off) {
  Bytes b(p, p + off);
  b.insert(b.end(), p + off + 32, p + kHandshakeSize);
  return b;
}

static void test_simple() {
  ServerHandshake hs(fixed_random, 0x01020304);
  Bytes c0c1 = cat({hex("03"), hex("00 00 00 10 00 00 00 00"), pattern(kHandshakeSize - 8, 1)});
  Bytes out;
  g_assert_cmpuint(hs.feed(c0c1.data(), c0c1.size(), &out), ==, c0c1.size());
  g_assert_cmpint(static_cast<int>(hs.state()), ==,
                  static_cast<int>(ServerHandshake::State::kWaitC2));
  g_assert_true(hs.scheme() == ServerHandshake::Scheme::kSimple);
  g_assert_cmpuint(out.size(), ==, 1 + 2 * kHandshakeSize);

  Bytes s1_want = hex("01 02 03 04 00 00 00 00");
  Bytes rnd(kHandshakeSize - 8);
  fixed_random(rnd.data(), rnd.size());
  s1_want = cat({s1_want, rnd});
  assert_bytes(Bytes(out.begin(), out.begin() + 1), hex("03"));
  assert_bytes(Bytes(out.begin() + 1, out.begin() + 1 + kHandshakeSize), s1_want);
  // S2 echoes C1.
  assert_bytes(Bytes(out.begin() + 1 + kHandshakeSize, out.end()),
               Bytes(c0c1.begin() + 1, c0c1.end()));

  // C2 arrives with the first chunk bytes behind it: only C2 is consumed.
  Bytes c2_and_more =
      cat({Bytes(out.begin() + 1, out.begin() + 1 + kHandshakeSize), hex("02 00 00")});
  Bytes more;
  g_assert_cmpuint(hs.feed(c2_and_more.data(), c2_and_more.size(), &more), ==, kHandshakeSize);
  g_assert_true(hs.done());
  g_assert_true(more.empty());
}

static void test_byte_at_a_time() {
  ServerHandshake hs(fixed_random);
  Bytes c = cat({hex("03"), pattern(2 * kHandshakeSize, 9)});
  c[5] = c[6] = c[7] = c[8] = 0;  // zero version: simple handshake
  Bytes out;
  for (size_t i = 0; i < c.size(); i++) g_assert_cmpuint(hs.feed(&c[i], 1, &out), ==, 1);
  g_assert_true(hs.done());
  g_assert_cmpuint(out.size(), ==, 1 + 2 * kHandshakeSize);
  Bytes extra = hex("00");
  g_assert_cmpuint(hs.feed(extra.data(), 1, &out), ==, 0);
}

static void test_bad_version() {
  ServerHandshake hs(fixed_random);
  Bytes c = cat({hex("06"), pattern(kHandshakeSize, 0)});
  Bytes out;
  hs.feed(c.data(), c.size(), &out);
  g_assert_true(hs.failed());
  g_assert_true(out.empty());
}

static void check_digest(ServerHandshake::Scheme scheme) {
  // A Flash-Player-style C1: non-zero version and a digest keyed with the player key.
  Bytes c1 = cat({hex("00 00 00 00 80 00 07 02"), pattern(kHandshakeSize - 8, 3)});
  size_t off = handshake_digest_offset(c1.data(), scheme);
  size_t base = scheme == ServerHandshake::Scheme::kKeyFirst ? 772 : 8;
  g_assert_cmpuint(off, ==,
                   (c1[base] + c1[base + 1] + c1[base + 2] + c1[base + 3]) % 728 + base + 4);
  Bytes d = hmac(kGenuineFpKey, 30, without(c1.data(), off));
  std::memcpy(c1.data() + off, d.data(), 32);

  ServerHandshake hs(fixed_random);
  Bytes in = cat({hex("03"), c1});
  Bytes out;
  hs.feed(in.data(), in.size(), &out);
  g_assert_true(hs.scheme() == scheme);
  const uint8_t *s1 = out.data() + 1;
  const uint8_t *s2 = s1 + kHandshakeSize;
  g_assert_cmpuint(s1[4], !=, 0);  // digest S1 announces a server version
  size_t s1_off = handshake_digest_offset(s1, scheme);
  Bytes s1_digest = hmac(kGenuineFmsKey, 36, without(s1, s1_off));
  g_assert_true(std::memcmp(s1 + s1_off, s1_digest.data(), 32) == 0);
  Bytes key = hmac(kGenuineFmsKey, 68, Bytes(c1.begin() + off, c1.begin() + off + 32));
  Bytes s2_digest = hmac(key.data(), 32, Bytes(s2, s2 + kHandshakeSize - 32));
  g_assert_true(std::memcmp(s2 + kHandshakeSize - 32, s2_digest.data(), 32) == 0);
}

static void test_digest() {
  check_digest(ServerHandshake::Scheme::kDigestFirst);
  check_digest(ServerHandshake::Scheme::kKeyFirst);
  // A non-zero version with a wrong digest falls back to the echo.
  ServerHandshake hs(fixed_random);
  Bytes in = cat({hex("03 00 00 00 00 0A 00 00 01"), pattern(kHandshakeSize - 8, 5)});
  Bytes out;
  hs.feed(in.data(), in.size(), &out);
  g_assert_true(hs.scheme() == ServerHandshake::Scheme::kSimple);
  assert_bytes(Bytes(out.begin() + 1 + kHandshakeSize, out.end()), Bytes(in.begin() + 1, in.end()));
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, nullptr);
  g_test_add_func("/rtmp/handshake/simple", test_simple);
  g_test_add_func("/rtmp/handshake/byte-at-a-time", test_byte_at_a_time);
  g_test_add_func("/rtmp/handshake/bad-version", test_bad_version);
  g_test_add_func("/rtmp/handshake/digest", test_digest);
  return g_test_run();
}
