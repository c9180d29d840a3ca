#include "protocols/mpegts/tsudp-url.h"

#include <glib.h>

namespace estuary {

namespace {

std::optional<int> parse_port(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  int port = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    port = port * 10 + (c - '0');
  }
  if (port < 1 || port > 65535) return std::nullopt;
  return port;
}

}  // namespace

bool TsUdpUrl::multicast() const {
  if (host.find(':') != std::string::npos) {
    return host.size() >= 2 && g_ascii_tolower(host[0]) == 'f' && g_ascii_tolower(host[1]) == 'f';
  }
  int first = 0;
  size_t i = 0;
  for (; i < host.size() && i < 3 && g_ascii_isdigit(host[i]); i++)
    first = first * 10 + (host[i] - '0');
  return i > 0 && i < host.size() && host[i] == '.' && first >= 224 && first <= 239;
}

std::optional<TsUdpUrl> parse_tsudp_url(std::string_view source) {
  constexpr std::string_view kScheme = "tsudp://";
  if (source.size() < kScheme.size() ||
      g_ascii_strncasecmp(source.data(), kScheme.data(), kScheme.size()) != 0) {
    return std::nullopt;
  }
  std::string_view rest = source.substr(kScheme.size());
  std::string_view authority = rest.substr(0, rest.find('/'));
  std::string_view ifaces =
      authority.size() < rest.size() ? rest.substr(authority.size() + 1) : std::string_view();

  TsUdpUrl url;
  std::string_view port_text;
  if (!authority.empty() && authority[0] == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos || close + 1 >= authority.size() ||
        authority[close + 1] != ':') {
      return std::nullopt;
    }
    url.host = std::string(authority.substr(1, close - 1));
    port_text = authority.substr(close + 2);
  } else {
    size_t colon = authority.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    url.host = std::string(authority.substr(0, colon));
    if (url.host.find(':') != std::string::npos) return std::nullopt;  // IPv6 needs brackets
    port_text = authority.substr(colon + 1);
  }
  std::optional<int> port = parse_port(port_text);
  if (!port) return std::nullopt;
  url.port = *port;
  while (!ifaces.empty()) {
    size_t comma = ifaces.find(',');
    std::string_view one = ifaces.substr(0, comma);
    ifaces = comma == std::string_view::npos ? std::string_view() : ifaces.substr(comma + 1);
    if (!one.empty()) url.interfaces.emplace_back(one);
  }
  return url;
}

}  // namespace estuary
