#include "servers/rtmp-server.h"
#include "servers/listener-settings.h"

#include <vector>

#include "servers/rtmp-connection.h"
#include "servers/server-thread.h"

GST_DEBUG_CATEGORY(estuary_rtmp_debug);
#define GST_CAT_DEFAULT estuary_rtmp_debug

namespace estuary {

namespace {

// Beyond this many clients new ones are turned away at once, bounding memory and sources.
constexpr size_t kMaxConnections = 4096;
// Enough for a thousand players connecting at once; GLib's default backlog (10) makes the kernel
// drop SYNs in such a burst and the clients wait for their retransmission (1 s, 3 s...).
constexpr int kListenBacklog = 1024;

gboolean on_incoming(GSocketService *, GSocketConnection *connection, GObject *, gpointer data) {
  auto &state = *static_cast<RtmpServerState *>(data);
  if (state.stopping) return FALSE;
  if (state.connections.size() >= kMaxConnections) {
    GST_WARNING("refusing an RTMP client: %zu connections already", state.connections.size());
    return FALSE;  // the service closes it
  }
  auto conn = std::make_shared<RtmpConnection>(state, connection);
  state.connections.insert(conn);
  conn->start();
  return TRUE;
}

gboolean on_tick(gpointer data) {
  auto &state = *static_cast<RtmpServerState *>(data);
  gint64 now = g_get_monotonic_time();
  // A copy: tick() may close a connection, which removes it from the set later.
  std::vector<std::shared_ptr<RtmpConnection>> all(state.connections.begin(),
                                                   state.connections.end());
  for (auto &c : all) c->tick(now);
  return G_SOURCE_CONTINUE;
}

// A GSocketService on a ServerThread; the state is touched only on that thread once it runs.
class RtmpServer : public Listener {
 public:
  explicit RtmpServer(StreamDirectory &streams)
      : state_(std::make_shared<RtmpServerState>(streams)) {
    state_->context = GRef<GMainContext>::ref(thread_.context());
  }
  bool start(JsonObject *settings, GError **error);
  bool running() const override { return thread_.running(); }

 private:
  static void serve(ServerThread &thread, RtmpServerState &state);

  std::shared_ptr<RtmpServerState> state_;
  ServerThread thread_;  // last: stopped and joined first
};

// Returns the bound port, 0 with `error` set on failure.
guint listen(GSocketListener *listener, const RtmpSettings &s, GError **error) {
  g_socket_listener_set_backlog(listener, kListenBacklog);
  if (s.interface.empty() || s.interface == "0.0.0.0" || s.interface == "::") {
    if (s.port == 0) return g_socket_listener_add_any_inet_port(listener, nullptr, error);
    return g_socket_listener_add_inet_port(listener, static_cast<guint16>(s.port), nullptr, error)
               ? s.port
               : 0;
  }
  GRef<GInetAddress> addr =
      GRef<GInetAddress>::adopt(g_inet_address_new_from_string(s.interface.c_str()));
  if (!addr) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "bad interface address '%s'",
                s.interface.c_str());
    return 0;
  }
  GRef<GSocketAddress> sa = GRef<GSocketAddress>::adopt(
      g_inet_socket_address_new(addr.get(), static_cast<guint16>(s.port)));
  GSocketAddress *effective = nullptr;
  if (!g_socket_listener_add_address(listener, sa.get(), G_SOCKET_TYPE_STREAM,
                                     G_SOCKET_PROTOCOL_TCP, nullptr, &effective, error))
    return 0;
  GRef<GSocketAddress> eff = GRef<GSocketAddress>::adopt(effective);
  return g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(eff.get()));
}

// The server thread's body.
void RtmpServer::serve(ServerThread &thread, RtmpServerState &state) {
  // The service starts accepting on the thread-default context when a port is added.
  GRef<GSocketService> service = GRef<GSocketService>::adopt(g_socket_service_new());
  GError *err = nullptr;
  guint bound = listen(G_SOCKET_LISTENER(service.get()), state.settings, &err);
  if (bound == 0) {
    g_prefix_error(&err, "RTMP on %s:%u: ", state.settings.interface.c_str(), state.settings.port);
    g_socket_listener_close(G_SOCKET_LISTENER(service.get()));
    thread.fail(err);
    return;
  }
  g_signal_connect(service.get(), "incoming", G_CALLBACK(on_incoming), &state);
  g_socket_service_start(service.get());
  GRef<GSource> tick = GRef<GSource>::adopt(g_timeout_source_new_seconds(1));
  g_source_set_callback(tick.get(), on_tick, &state, nullptr);
  g_source_attach(tick.get(), thread.context());
  GST_INFO("RTMP listening on %s port %u", state.settings.interface.c_str(), bound);

  thread.serve(bound);

  // Shutdown, still on this thread: publishers end their feeds and viewers leave their fanouts.
  state.stopping = true;
  g_source_destroy(tick.get());
  g_socket_service_stop(service.get());
  g_socket_listener_close(G_SOCKET_LISTENER(service.get()));
  std::vector<std::shared_ptr<RtmpConnection>> all(state.connections.begin(),
                                                   state.connections.end());
  for (auto &c : all) c->close("server stopping");
  // Runs the removals close() posted, and any decision callbacks already queued.
  thread.drain();
  state.connections.clear();
  GST_INFO("RTMP server stopped");
}

bool RtmpServer::start(JsonObject *settings, GError **error) {
  state_->settings.port = port_setting(settings, 1935);
  state_->settings.interface = string_setting(settings, "interface", "0.0.0.0");
  std::shared_ptr<RtmpServerState> state = state_;
  return thread_.start(
             "estuary-rtmp", [state](ServerThread &t) { serve(t, *state); }, error) != 0;
}

}  // namespace

std::unique_ptr<Listener> make_rtmp_listener(StreamDirectory &streams, JsonObject *settings,
                                             GError **error) {
  static gsize debug_once = 0;
  if (g_once_init_enter(&debug_once)) {
    GST_DEBUG_CATEGORY_INIT(estuary_rtmp_debug, "estuary-rtmp", 0, "RTMP server");
    g_once_init_leave(&debug_once, 1);
  }
  auto server = std::make_unique<RtmpServer>(streams);
  if (!server->start(settings, error)) return nullptr;
  return server;
}

}  // namespace estuary
