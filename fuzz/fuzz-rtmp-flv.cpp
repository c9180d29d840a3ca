// FLV tag reader, the shared-chunk maker and the audio/video body header parsers on arbitrary
// bytes.
#include "protocols/rtmp/chunk-reader.h"
#include "protocols/rtmp/flv-chunks.h"
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
  // Whole tags become chunks a reader at our chunk size takes back as the same number of
  // messages, each at most as long as the input.
  if (auto chunked = chunk_flv_tags(data, size, kSharedChunkSize, kSharedStreamId)) {
    ChunkReader chunks;
    const uint8_t set_size[] = {0x02, 0, 0, 0, 0, 0, 4, 0x01, 0, 0, 0, 0, 0, 0, 0x10, 0};
    std::vector<Message> messages;
    if (chunks.feed(set_size, sizeof set_size, &messages) != ChunkError::kNone) __builtin_trap();
    messages.clear();
    if (chunks.feed(chunked->bytes.data(), chunked->bytes.size(), &messages) != ChunkError::kNone ||
        messages.size() != chunked->messages)
      __builtin_trap();
    for (const Message &m : messages)
      if (m.payload.size() > size) __builtin_trap();
  }
  return 0;
}
