// The `Range: bytes=` request header (RFC 9110 14.2): which part of a representation of a known
// size the client wants. Pure.
#pragma once

#include <glib.h>

#include <string_view>

namespace estuary::http {

enum class RangeKind {
  kIgnore,         // absent, another unit, or malformed: answer the whole thing (200)
  kOne,            // one satisfiable range in `first..last` (inclusive): answer 206
  kUnsatisfiable,  // no byte of it exists: answer 416 with "Content-Range: bytes */size"
  kMultiple,       // several ranges: this server answers 416 (it sends no multipart bodies)
};

struct ByteRange {
  RangeKind kind = RangeKind::kIgnore;
  guint64 first = 0;
  guint64 last = 0;  // inclusive
};

// `value` is the header's value ("bytes=0-99", "bytes=100-", "bytes=-500"); `size` the length of
// the whole answer. A last position past the end is clamped to it; "-0" is unsatisfiable.
ByteRange parse_byte_range(std::string_view value, guint64 size);

}  // namespace estuary::http
