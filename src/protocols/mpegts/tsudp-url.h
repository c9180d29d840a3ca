// The `tsudp://[host]:port[/interface[,interface...]]` source (manual 3.3.4): where to listen for
// MPEG-TS over UDP, unicast or multicast. Pure logic: no name resolution, no I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace estuary {

struct TsUdpUrl {
  std::string host;  // address to listen on or multicast group; "" = every local address
  int port = 0;      // 1..65535
  std::vector<std::string> interfaces;  // IP addresses of the interfaces to join through
  // Whether `host` is an IPv4 (224.0.0.0/4) or IPv6 (ff00::/8) multicast address.
  bool multicast() const;
};

// Parses a tsudp:// source. An IPv6 host is written in brackets ("tsudp://[ff02::1]:9000").
// std::nullopt when the scheme, port (missing, not a number, 0 or > 65535) or brackets are wrong.
std::optional<TsUdpUrl> parse_tsudp_url(std::string_view source);

}  // namespace estuary
