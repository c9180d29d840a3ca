// The address a listener binds, from a protocol entry's `interface` and `port` settings.
#pragma once

#include <gio/gio.h>

#include <string>

#include "common/gref.h"

namespace estuary {

// `interface` empty means 0.0.0.0. Returns null with `error` set for a port outside 0..65535 or
// an interface that is not an IP address.
inline GRef<GSocketAddress> listen_address(const std::string &interface, gint64 port,
                                           GError **error) {
  if (port < 0 || port > 65535) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "bad port %" G_GINT64_FORMAT, port);
    return {};
  }
  GRef<GInetAddress> ip = GRef<GInetAddress>::adopt(
      g_inet_address_new_from_string(interface.empty() ? "0.0.0.0" : interface.c_str()));
  if (!ip) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "bad interface address '%s'",
                interface.c_str());
    return {};
  }
  return GRef<GSocketAddress>::adopt(
      g_inet_socket_address_new(ip.get(), static_cast<guint16>(port)));
}

}  // namespace estuary
