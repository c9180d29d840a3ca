#include "protocols/push-rule.h"

#include <gio/gio.h>

#include <cstring>

#include "common/gref.h"

namespace estuary {

namespace {

// Address bytes in IPv6 form (IPv4 becomes ::ffff:a.b.c.d) so both families compare alike.
bool to_v6_bytes(std::string_view text, guint8 out[16], bool *was_v4) {
  std::string s(text);
  if (s == "localhost") s = "127.0.0.1";
  GRef<GInetAddress> addr = GRef<GInetAddress>::adopt(g_inet_address_new_from_string(s.c_str()));
  if (!addr) return false;
  const guint8 *b = g_inet_address_to_bytes(addr.get());
  if (g_inet_address_get_family(addr.get()) == G_SOCKET_FAMILY_IPV4) {
    memset(out, 0, 10);
    out[10] = out[11] = 0xff;
    memcpy(out + 12, b, 4);
    *was_v4 = true;
  } else {
    memcpy(out, b, 16);
    *was_v4 = false;
  }
  return true;
}

bool is_loopback(const guint8 a[16]) {
  static const guint8 v6_loopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  static const guint8 mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return memcmp(a, v6_loopback, 16) == 0 || (memcmp(a, mapped, 12) == 0 && a[12] == 127);
}

}  // namespace

std::optional<PushRule> PushRule::parse(std::string_view source) {
  constexpr std::string_view kScheme = "push://";
  if (source.substr(0, kScheme.size()) != kScheme) return std::nullopt;
  std::string_view rest = source.substr(kScheme.size());
  PushRule rule;
  size_t at = rest.find('@');
  if (at != std::string_view::npos) {
    rule.passphrase_ = std::string(rest.substr(at + 1));
    rest = rest.substr(0, at);
  }
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.empty()) return rule;
  size_t slash = rest.find('/');
  std::string_view host = rest.substr(0, slash);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  guint8 bytes[16];
  bool v4 = false;
  if (!to_v6_bytes(host, bytes, &v4)) return std::nullopt;
  rule.host_ = std::string(host);
  if (slash != std::string_view::npos) {
    std::string bits(rest.substr(slash + 1));
    char *end = nullptr;
    long n = strtol(bits.c_str(), &end, 10);
    int max = v4 ? 32 : 128;
    if (bits.empty() || *end || n < 0 || n > max) return std::nullopt;
    rule.prefix_bits_ = static_cast<int>(v4 ? n + 96 : n);
  }
  return rule;
}

bool PushRule::host_matches(std::string_view address) const {
  guint8 want[16], got[16];
  bool v4a = false, v4b = false;
  if (!to_v6_bytes(host_, want, &v4a) || !to_v6_bytes(address, got, &v4b)) return false;
  if (host_ == "localhost" && is_loopback(got)) return true;
  int bits = prefix_bits_ < 0 ? 128 : prefix_bits_;
  for (int i = 0; i < 16 && bits > 0; i++, bits -= 8) {
    guint8 mask = bits >= 8 ? 0xff : static_cast<guint8>(0xff << (8 - bits));
    if ((want[i] & mask) != (got[i] & mask)) return false;
  }
  return true;
}

bool PushRule::allows(std::string_view address, std::string_view passphrase) const {
  if (!has_host() && !has_passphrase()) return true;
  if (has_host() && host_matches(address)) return true;
  return has_passphrase() && passphrase == passphrase_;
}

}  // namespace estuary
