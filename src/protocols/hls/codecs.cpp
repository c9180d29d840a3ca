#include "protocols/hls/codecs.h"

#include <cstdio>

namespace estuary::hls {

std::string avc_codec_string(const uint8_t *avcc, size_t size) {
  // configurationVersion(1) AVCProfileIndication profile_compatibility AVCLevelIndication ...
  if (!avcc || size < 4 || avcc[0] != 1) return "";
  char buf[16];
  std::snprintf(buf, sizeof buf, "avc1.%02x%02x%02x", avcc[1], avcc[2], avcc[3]);
  return buf;
}

std::string hevc_codec_string(const uint8_t *h, size_t size) {
  // ISO/IEC 14496-15 8.3.3.1: version, profile_space(2) tier(1) profile_idc(5),
  // compatibility flags (32), constraint flags (48), level_idc (8).
  if (!h || size < 13 || h[0] != 1) return "";
  static const char *kSpace[] = {"", "A", "B", "C"};
  unsigned space = h[1] >> 6, tier = (h[1] >> 5) & 1, profile = h[1] & 0x1f;
  uint32_t compat = (uint32_t(h[2]) << 24) | (uint32_t(h[3]) << 16) | (uint32_t(h[4]) << 8) | h[5];
  // The compatibility flags are written bit-reversed, in hex without leading zeros.
  uint32_t reversed = 0;
  for (int i = 0; i < 32; i++) reversed |= ((compat >> i) & 1u) << (31 - i);
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "hvc1.%s%u.%X.%c%u", kSpace[space], profile, reversed,
                        tier ? 'H' : 'L', h[12]);
  std::string out(buf, n > 0 ? size_t(n) : 0);
  // Constraint bytes, trailing zero bytes omitted.
  int last = -1;
  for (int i = 0; i < 6; i++)
    if (h[6 + i]) last = i;
  for (int i = 0; i <= last; i++) {
    std::snprintf(buf, sizeof buf, ".%X", h[6 + i]);
    out += buf;
  }
  return out;
}

std::string aac_codec_string(const uint8_t *asc, size_t size) {
  if (!asc || size < 1) return "mp4a.40.2";
  unsigned aot = asc[0] >> 3;
  if (aot == 31) {  // escape: 6 more bits follow
    if (size < 2) return "mp4a.40.2";
    aot = 32 + (((asc[0] & 0x07) << 3) | (asc[1] >> 5));
  }
  if (aot == 0) return "mp4a.40.2";
  return "mp4a.40." + std::to_string(aot);
}

}  // namespace estuary::hls
