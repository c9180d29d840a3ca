// FLV tag reader and the audio/video body header parsers on arbitrary bytes.
#include "protocols/rtmp/flv-tag.h"
#include "protocols/rtmp/media-header.h"

using namespace estuary::rtmp;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  parse_video_header(data, size);
  parse_audio_header(data, size);
  FlvTagReader reader(1 << 20);
  std::vector<FlvTag> tags;
  size_t half = size / 2;
  reader.feed(data, half, &tags);
  reader.feed(data + half, size - half, &tags);
  for (const FlvTag &t : tags) {
    auto v = parse_video_header(t.body.data(), t.body.size());
    if (v && v->data_offset > t.body.size()) __builtin_trap();
    auto a = parse_audio_header(t.body.data(), t.body.size());
    if (a && a->data_offset > t.body.size()) __builtin_trap();
    std::vector<uint8_t> out;
    flv_append_message(FlvTagReader::to_message(t, 1), &out);
  }
  return 0;
}
