// RTMP URLs and the names inside them: rtmp://host[:port]/app[/stream][?query].
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace estuary::rtmp {

struct RtmpUrl {
  std::string scheme;  // "rtmp", "rtmps", ...
  std::string host;
  uint16_t port = 1935;
  std::string app;     // first path segment (the passphrase in publish URLs)
  std::string stream;  // rest of the path, "" when absent
  std::string query;   // after '?', without it
};

// Splits "name?query" into its parts; the query is "" when there is no '?'.
struct NameQuery {
  std::string name;
  std::string query;
};
NameQuery split_name_query(std::string_view s);

// Parses rtmp://, rtmps://, rtmpt:// style URLs. nullopt when there is no "scheme://host" or
// the port is not a number in 1..65535.
std::optional<RtmpUrl> parse_rtmp_url(std::string_view url);

}  // namespace estuary::rtmp
