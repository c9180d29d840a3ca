// FLV bytes turned into the RTMP chunks of their media messages, with no per-player state: every
// message gets a fmt 0 header (write_fmt0_chunks), so the same bytes are correct for any player
// of the stream whatever it received before. The RTMP server makes them once per FLV fanout
// buffer and every player that can take them writes that one copy (servers/rtmp-play.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "protocols/rtmp/message.h"

namespace estuary::rtmp {

// What every player of our server gets: SessionConfig's default chunk size (announced right
// after connect) and the first message stream id createStream hands out.
constexpr uint32_t kSharedChunkSize = 4096;
constexpr uint32_t kSharedStreamId = 1;

struct ChunkedFlv {
  // The chunks of every audio (csid kCsidAudio), video (kCsidVideo) and script data (type 18,
  // kCsidData) tag, in order; other tag types are left out, as a player is never sent them.
  std::vector<uint8_t> bytes;
  size_t messages = 0;
  bool has_media = false;             // an audio or video tag was among them
  uint32_t last_media_timestamp = 0;  // of the last audio or video tag (the play position)
};

// `data` must be whole FLV tags, optionally behind the FLV file header and its
// PreviousTagSize0. nullopt otherwise (a tag cut at either end, a bad header): such bytes can
// only be followed by a player's own FlvTagReader. Every read is bounds-checked.
std::optional<ChunkedFlv> chunk_flv_tags(const uint8_t *data, size_t len, uint32_t chunk_size,
                                         uint32_t stream_id);

}  // namespace estuary::rtmp
