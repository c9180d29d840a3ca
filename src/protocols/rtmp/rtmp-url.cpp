#include "protocols/rtmp/rtmp-url.h"

namespace estuary::rtmp {

NameQuery split_name_query(std::string_view s) {
  size_t q = s.find('?');
  if (q == std::string_view::npos) return {std::string(s), {}};
  return {std::string(s.substr(0, q)), std::string(s.substr(q + 1))};
}

std::optional<RtmpUrl> parse_rtmp_url(std::string_view url) {
  size_t sep = url.find("://");
  if (sep == std::string_view::npos || sep == 0) return std::nullopt;
  RtmpUrl u;
  u.scheme = std::string(url.substr(0, sep));
  std::string_view rest = url.substr(sep + 3);
  NameQuery nq = split_name_query(rest);
  u.query = nq.query;
  std::string_view path = nq.name;
  size_t slash = path.find('/');
  std::string_view authority = path.substr(0, slash);
  path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);

  size_t colon = authority.rfind(':');
  // A ':' inside brackets belongs to an IPv6 literal, not to a port.
  if (colon != std::string_view::npos && authority.find(']', colon) == std::string_view::npos) {
    std::string_view port = authority.substr(colon + 1);
    if (port.empty() || port.size() > 5) return std::nullopt;
    uint32_t v = 0;
    for (char c : port) {
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + static_cast<uint32_t>(c - '0');
    }
    if (v == 0 || v > 65535) return std::nullopt;
    u.port = static_cast<uint16_t>(v);
    authority = authority.substr(0, colon);
  }
  if (authority.size() >= 2 && authority.front() == '[' && authority.back() == ']')
    authority = authority.substr(1, authority.size() - 2);
  if (authority.empty()) return std::nullopt;
  u.host = std::string(authority);

  size_t app_end = path.find('/');
  u.app = std::string(path.substr(0, app_end));
  if (app_end != std::string_view::npos) u.stream = std::string(path.substr(app_end + 1));
  return u;
}

}  // namespace estuary::rtmp
