#include "protocols/http/byte-range.h"

namespace estuary::http {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Strict decimal, at most 19 digits so it cannot overflow.
bool number(std::string_view s, guint64 *out) {
  if (s.empty() || s.size() > 19) return false;
  guint64 v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<guint64>(c - '0');
  }
  *out = v;
  return true;
}

}  // namespace

ByteRange parse_byte_range(std::string_view value, guint64 size) {
  ByteRange r;
  value = trim(value);
  if (value.size() < 6 || g_ascii_strncasecmp(value.data(), "bytes=", 6) != 0) return r;
  std::string_view spec = trim(value.substr(6));
  if (spec.find(',') != std::string_view::npos) {
    // Several ranges, unless the others are empty list elements ("bytes=0-1,").
    std::string_view rest = spec;
    int count = 0;
    while (!rest.empty()) {
      gsize comma = rest.find(',');
      if (!trim(rest.substr(0, comma)).empty()) count++;
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    if (count > 1) {
      r.kind = RangeKind::kMultiple;
      return r;
    }
    gsize comma = spec.find(',');
    while (trim(spec.substr(0, comma)).empty()) {
      spec.remove_prefix(comma + 1);
      comma = spec.find(',');
    }
    spec = trim(spec.substr(0, comma));
  }
  gsize dash = spec.find('-');
  if (dash == std::string_view::npos) return r;
  std::string_view a = trim(spec.substr(0, dash)), b = trim(spec.substr(dash + 1));
  guint64 first = 0, last = 0;
  if (a.empty()) {
    // Suffix: the last n bytes.
    if (!number(b, &last)) return r;
    if (last == 0 || size == 0) {
      r.kind = RangeKind::kUnsatisfiable;
      return r;
    }
    r.kind = RangeKind::kOne;
    r.first = last >= size ? 0 : size - last;
    r.last = size - 1;
    return r;
  }
  if (!number(a, &first)) return r;
  if (b.empty()) {
    last = G_MAXUINT64;
  } else if (!number(b, &last) || last < first) {
    return r;  // invalid syntax: the header is ignored (RFC 9110 14.2)
  }
  if (first >= size) {
    r.kind = RangeKind::kUnsatisfiable;
    return r;
  }
  r.kind = RangeKind::kOne;
  r.first = first;
  r.last = last >= size ? size - 1 : last;
  return r;
}

}  // namespace estuary::http
