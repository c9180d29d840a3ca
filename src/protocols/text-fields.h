// Small parsers for fields of protocol text (HTTP heads, URLs), shared so each rule is written
// once.
#pragma once

#include <cstdint>
#include <string_view>

namespace estuary {

// Strict unsigned decimal (Content-Length, byte ranges, segment numbers): digits only, no sign,
// no blanks, at most 19 digits so the value always fits.
inline bool parse_decimal(std::string_view s, uint64_t *out) {
  if (s.empty() || s.size() > 19) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *out = v;
  return true;
}

// `s` without leading and trailing spaces and tabs (HTTP's optional whitespace, RFC 9110 5.6.3).
inline std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace estuary
