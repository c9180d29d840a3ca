#include "protocols/http/byte-range.h"

#include "protocols/text-fields.h"

namespace estuary::http {

ByteRange parse_byte_range(std::string_view value, guint64 size) {
  ByteRange r;
  value = trim_ows(value);
  if (value.size() < 6 || g_ascii_strncasecmp(value.data(), "bytes=", 6) != 0) return r;
  std::string_view spec = trim_ows(value.substr(6));
  if (spec.find(',') != std::string_view::npos) {
    // Several ranges, unless the others are empty list elements ("bytes=0-1,").
    std::string_view rest = spec;
    int count = 0;
    while (!rest.empty()) {
      gsize comma = rest.find(',');
      if (!trim_ows(rest.substr(0, comma)).empty()) count++;
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    if (count > 1) {
      r.kind = RangeKind::kMultiple;
      return r;
    }
    gsize comma = spec.find(',');
    while (trim_ows(spec.substr(0, comma)).empty()) {
      spec.remove_prefix(comma + 1);
      comma = spec.find(',');
    }
    spec = trim_ows(spec.substr(0, comma));
  }
  gsize dash = spec.find('-');
  if (dash == std::string_view::npos) return r;
  std::string_view a = trim_ows(spec.substr(0, dash)), b = trim_ows(spec.substr(dash + 1));
  guint64 first = 0, last = 0;
  if (a.empty()) {
    // Suffix: the last n bytes.
    if (!parse_decimal(b, &last)) return r;
    if (last == 0 || size == 0) {
      r.kind = RangeKind::kUnsatisfiable;
      return r;
    }
    r.kind = RangeKind::kOne;
    r.first = last >= size ? 0 : size - last;
    r.last = size - 1;
    return r;
  }
  if (!parse_decimal(a, &first)) return r;
  if (b.empty()) {
    last = G_MAXUINT64;
  } else if (!parse_decimal(b, &last) || last < first) {
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
