// Helpers shared by the RTMP unit tests: hex literals and byte-exact comparison.
#pragma once

#include <glib.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

using Bytes = std::vector<uint8_t>;

// "02 00 03" -> {2, 0, 3}; spaces ignored, anything in 'quotes' taken as ASCII.
inline Bytes hex(std::string_view s) {
  Bytes out;
  for (size_t i = 0; i < s.size(); i++) {
    char c = s[i];
    if (c == ' ' || c == '\n') continue;
    if (c == '\'') {
      size_t end = s.find('\'', i + 1);
      g_assert(end != std::string_view::npos);
      out.insert(out.end(), s.begin() + i + 1, s.begin() + end);
      i = end;
      continue;
    }
    g_assert(i + 1 < s.size());
    out.push_back(static_cast<uint8_t>(std::stoi(std::string(s.substr(i, 2)), nullptr, 16)));
    i++;
  }
  return out;
}

inline Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes &p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

inline Bytes pattern(size_t n, uint8_t seed) {
  Bytes b(n);
  for (size_t i = 0; i < n; i++) b[i] = static_cast<uint8_t>(seed + i * 7);
  return b;
}

inline std::string to_hex(const uint8_t *p, size_t n) {
  std::string s;
  char tmp[4];
  for (size_t i = 0; i < n; i++) {
    g_snprintf(tmp, sizeof tmp, "%02x ", p[i]);
    s += tmp;
  }
  return s;
}

#define assert_bytes(got, want)                                              \
  do {                                                                       \
    const Bytes &g_ = (got);                                                 \
    const Bytes &w_ = (want);                                                \
    if (g_ != w_) {                                                          \
      g_printerr("got  %s\nwant %s\n", to_hex(g_.data(), g_.size()).c_str(), \
                 to_hex(w_.data(), w_.size()).c_str());                      \
      g_assert_not_reached();                                                \
    }                                                                        \
  } while (0)

// String comparison that keeps temporaries alive (g_assert_cmpstr on a temporary's c_str()
// would read freed memory).
#define assert_str(got, want)                                        \
  do {                                                               \
    std::string gs_ = (got);                                         \
    std::string ws_ = (want);                                        \
    if (gs_ != ws_) {                                                \
      g_printerr("got '%s'\nwant '%s'\n", gs_.c_str(), ws_.c_str()); \
      g_assert_not_reached();                                        \
    }                                                                \
  } while (0)
