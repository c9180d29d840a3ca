// AMF0 (+AMF3 primitives) decoder on arbitrary bytes; what decodes must re-encode stably.
#include <cstdlib>

#include "protocols/rtmp/amf0.h"

using namespace estuary::rtmp;

static std::vector<uint8_t> encode_all(const std::vector<AmfValue> &values) {
  std::vector<uint8_t> out;
  for (const AmfValue &v : values) amf0_encode(v, &out);
  return out;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  auto values = amf0_decode_all(data, size);
  size_t pos = 0;
  amf0_decode(data, size, &pos);
  if (!values) return 0;
  std::vector<uint8_t> once = encode_all(*values);
  auto again = amf0_decode_all(once.data(), once.size());
  if (!again) abort();  // our own encoding must always decode
  if (encode_all(*again) != once) abort();
  return 0;
}
