#include "protocols/srt/streamid.h"

namespace estuary {

std::optional<SrtStreamId> parse_srt_streamid(std::string_view id) {
  if (id.empty() || id.size() > kMaxSrtStreamIdBytes) return std::nullopt;
  SrtStreamId out;
  constexpr std::string_view kPrefix = "#!::";
  if (id.substr(0, kPrefix.size()) != kPrefix) {
    out.resource = std::string(id);
    return out;
  }
  std::string_view rest = id.substr(kPrefix.size());
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view pair = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (pair.empty()) continue;  // tolerate "a=b,,c=d" and a trailing comma
    size_t eq = pair.find('=');
    if (eq == std::string_view::npos || eq == 0) return std::nullopt;
    std::string_view key = pair.substr(0, eq);
    std::string_view value = pair.substr(eq + 1);
    if (key == "r") {
      out.resource = std::string(value);
    } else if (key == "m") {
      if (value == "request")
        out.mode = SrtStreamId::Mode::kRequest;
      else if (value == "publish")
        out.mode = SrtStreamId::Mode::kPublish;
      else if (value == "bidirectional")
        out.mode = SrtStreamId::Mode::kBidirectional;
      else
        return std::nullopt;
    } else if (key == "u") {
      out.user = std::string(value);
    } else if (key == "s") {
      out.session = std::string(value);
    }
  }
  if (out.resource.empty()) return std::nullopt;
  return out;
}

}  // namespace estuary
