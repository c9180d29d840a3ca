#include "controller/udp-api.h"

#include <json-glib/json-glib.h>

#include "controller/api-call.h"
#include "controller/controller.h"
#include "controller/log.h"

namespace estuary {

UdpApi::~UdpApi() {
  if (source_) g_source_destroy(source_.get());
}

bool UdpApi::listen(guint16 port, GError **error) {
  socket_ = GRef<GSocket>::adopt(
      g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, error));
  if (!socket_) return false;
  GRef<GInetAddress> lo = GRef<GInetAddress>::adopt(g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4));
  GRef<GSocketAddress> addr = GRef<GSocketAddress>::adopt(g_inet_socket_address_new(lo.get(), port));
  if (!g_socket_bind(socket_.get(), addr.get(), TRUE, error)) {
    g_prefix_error(error, "UDP API on 127.0.0.1:%u: ", port);
    return false;
  }
  g_socket_set_blocking(socket_.get(), FALSE);
  source_ = GRef<GSource>::adopt(g_socket_create_source(socket_.get(), G_IO_IN, nullptr));
  g_source_set_callback(source_.get(), G_SOURCE_FUNC(on_readable), this, nullptr);
  g_source_attach(source_.get(), g_main_context_get_thread_default());
  return true;
}

gboolean UdpApi::on_readable(GSocket *socket, GIOCondition, gpointer self_ptr) {
  auto *self = static_cast<UdpApi *>(self_ptr);
  static char buffer[65536];
  // Drain what is queued, a bounded number per wakeup so the control loop stays responsive.
  for (int i = 0; i < 64; i++) {
    gssize n = g_socket_receive(socket, buffer, sizeof buffer - 1, nullptr, nullptr);
    if (n <= 0) break;
    if (!json_depth_within(std::string_view(buffer, n))) {
      GST_CAT_WARNING(log::cat_api, "UDP API: ignoring a datagram nested too deeply");
      continue;
    }
    GRef<JsonParser> parser = GRef<JsonParser>::adopt(json_parser_new());
    GError *error = nullptr;
    if (!json_parser_load_from_data(parser.get(), buffer, n, &error)) {
      GST_CAT_WARNING(log::cat_api, "UDP API: ignoring a datagram that is not JSON: %s", error->message);
      g_error_free(error);
      continue;
    }
    JsonNode *root = json_parser_get_root(parser.get());
    if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
      GST_CAT_WARNING(log::cat_api, "UDP API: ignoring a datagram that is not a JSON object");
      continue;
    }
    GRef<JsonObject> answer = GRef<JsonObject>::adopt(json_object_new());
    api_run(self->ctl_, json_node_get_object(root), answer.get(), true);
    if (const char *err = json_string_or(answer.get(), "error", nullptr))
      GST_CAT_WARNING(log::cat_api, "UDP API: %s", err);
  }
  return G_SOURCE_CONTINUE;
}

}  // namespace estuary
