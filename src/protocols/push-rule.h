// The `push://[host][@passphrase]` source of a push-input stream (manual 3.3.1): who may push.
// Pure logic: no name resolution, no I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace estuary {

class PushRule {
 public:
  // Parses a source; std::nullopt when it is not a push:// source or the host part is not an
  // IP address, a CIDR range (IPv4 or IPv6) or "localhost".
  static std::optional<PushRule> parse(std::string_view source);

  // Manual 3.3.1: with neither a host nor a passphrase anyone may push; with one of them the
  // pusher must match it; with both, matching either is enough. `address` is the pusher's IP as
  // text ("192.0.2.7", "::1", "::ffff:192.0.2.7").
  bool allows(std::string_view address, std::string_view passphrase) const;

  bool has_host() const { return !host_.empty(); }
  bool has_passphrase() const { return !passphrase_.empty(); }

 private:
  bool host_matches(std::string_view address) const;
  std::string host_;        // address part, without the prefix length
  int prefix_bits_ = -1;    // -1: the whole address must match
  std::string passphrase_;
};

}  // namespace estuary
