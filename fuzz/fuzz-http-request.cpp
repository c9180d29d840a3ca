// HTTP/1.x request heads, form decoding and byte ranges on arbitrary bytes: no crash, and what
// parses keeps its invariants (consumed within the input, decoded path without NUL).
#include <cstdlib>
#include <cstring>

#include "protocols/http/byte-range.h"
#include "protocols/http/request-head.h"

using namespace estuary::http;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view in(reinterpret_cast<const char *>(data), size);
  HeadLimits limits;
  limits.max_bytes = 4096;
  RequestHead head;
  ParseResult r = parse_request_head(in, limits, &head);
  if (r.state == ParseState::kDone) {
    if (r.consumed > size || r.consumed > limits.max_bytes) abort();
    if (head.path.find('\0') != std::string::npos) abort();
    for (auto &kv : decode_form(head.query))
      if (kv.first.find('\0') != std::string::npos) abort();
    if (const std::string *range = head.header("Range")) {
      ByteRange br = parse_byte_range(*range, 1000);
      if (br.kind == RangeKind::kOne && (br.first > br.last || br.last >= 1000)) abort();
    }
  } else if (r.state == ParseState::kError && r.status == 0) {
    abort();
  }
  ByteRange br = parse_byte_range(in, size);
  if (br.kind == RangeKind::kOne && (br.first > br.last || br.last >= size)) abort();
  return 0;
}
