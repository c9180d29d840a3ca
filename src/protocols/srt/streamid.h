// The SRT `streamid` a caller sends in its handshake (SRT access control: "#!::r=name,m=publish"
// or a plain stream name), and what it asks of us. Pure logic: no I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace estuary {

// Longest streamid libsrt accepts for SRTO_STREAMID, in bytes.
constexpr size_t kMaxSrtStreamIdBytes = 512;

struct SrtStreamId {
  enum class Mode {
    kUnspecified,  // plain id, or no "m" key: the server decides (see srt-listener.h)
    kRequest,      // m=request: the caller plays
    kPublish,      // m=publish: the caller pushes
    kBidirectional,
  };
  std::string resource;  // "r": the stream name, not yet sanitised
  Mode mode = Mode::kUnspecified;
  std::string user;     // "u", may be empty
  std::string session;  // "s", may be empty
};

// Parses `id`. A "#!::" id is a comma-separated list of key=value pairs (keys r, m, u, s, h, t
// are understood; others are ignored as the access control spec allows); anything else is the
// stream name as a whole. std::nullopt when the id is empty, too long, has no stream name, a
// pair without '=', or an unknown mode.
std::optional<SrtStreamId> parse_srt_streamid(std::string_view id);

}  // namespace estuary
