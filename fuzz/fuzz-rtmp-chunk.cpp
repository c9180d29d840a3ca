// Chunk reader on arbitrary bytes, fed in pieces; every message it yields is decoded as a
// command/data/control message and must survive a writer → reader round trip unchanged.
#include <cstdlib>

#include "protocols/rtmp/chunk-reader.h"
#include "protocols/rtmp/chunk-writer.h"
#include "protocols/rtmp/command.h"
#include "protocols/rtmp/control.h"

using namespace estuary::rtmp;

static void check_round_trip(const Message &m) {
  ChunkWriter w;
  std::vector<uint8_t> wire;
  w.write(m, &wire);
  ChunkReader r;
  std::vector<Message> back;
  if (r.feed(wire.data(), wire.size(), &back) != ChunkError::kNone) {
    // Only a Set Chunk Size/Abort with a bad value may fail when read back.
    if (m.type != kMsgSetChunkSize && m.type != kMsgAbort) abort();
    return;
  }
  if (back.size() != 1 || back[0].payload != m.payload || back[0].timestamp != m.timestamp ||
      back[0].type != m.type || back[0].stream_id != m.stream_id || back[0].csid != m.csid)
    abort();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  // First byte picks the read size, so chunk boundaries fall everywhere.
  size_t step = 1 + data[0] % 64;
  data++;
  size--;
  ChunkReader reader(ChunkReaderLimits{1 << 20, 16});
  std::vector<Message> msgs;
  for (size_t pos = 0; pos < size; pos += step) {
    size_t n = size - pos < step ? size - pos : step;
    if (reader.feed(data + pos, n, &msgs) != ChunkError::kNone) break;
  }
  for (const Message &m : msgs) {
    parse_command(m);
    parse_data(m);
    parse_user_control(m);
    parse_u32_control(m);
    strip_set_data_frame(m.payload);
    check_round_trip(m);
  }
  return 0;
}
