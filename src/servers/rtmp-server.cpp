#include "servers/rtmp-server.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

#include "servers/listener-settings.h"
#include "servers/rtmp-connection.h"
#include "servers/server-thread.h"

GST_DEBUG_CATEGORY(estuary_rtmp_debug);
#define GST_CAT_DEFAULT estuary_rtmp_debug

namespace estuary {

namespace {

// Beyond this many clients new ones are turned away at once, bounding memory and fds.
constexpr size_t kMaxConnections = 4096;
// Enough for a thousand players connecting at once; GLib's default backlog (10) makes the kernel
// drop SYNs in such a burst and the clients wait for their retransmission (1 s, 3 s...).
constexpr int kListenBacklog = 1024;
// Accepts per wakeup of a listening socket, so a connection burst still lets clients be served.
constexpr int kAcceptsPerWake = 64;
// Poller keys: a listening socket's is this bit with its fd; a connection's is its id (from 1).
constexpr guint64 kListenerKey = guint64{1} << 63;

void accept_from(RtmpServerState &state, int listen_fd) {
  accept_pending(listen_fd, kAcceptsPerWake, [&state](GRef<GSocket> socket) {
    if (state.connections.size() >= kMaxConnections) {
      GST_WARNING("refusing an RTMP client: %zu connections already", state.connections.size());
      return;  // dropping the socket closes it
    }
    const guint64 id = state.next_id++;
    auto conn = std::make_shared<RtmpConnection>(state, id, std::move(socket));
    state.connections.emplace(id, conn);
    conn->start();
  });
}

// The poller's report: a listening socket to accept from, or a connection's socket.
void on_ready(gpointer data, guint64 key, guint events) {
  auto &state = *static_cast<RtmpServerState *>(data);
  if (state.stopping) return;
  if (key & kListenerKey) {
    accept_from(state, static_cast<int>(key & ~kListenerKey));
    return;
  }
  auto it = state.connections.find(key);
  if (it == state.connections.end()) return;  // ended earlier in this wakeup
  std::shared_ptr<RtmpConnection> conn = it->second;
  conn->on_ready(events);
}

gboolean on_tick(gpointer data) {
  auto &state = *static_cast<RtmpServerState *>(data);
  gint64 now = g_get_monotonic_time();
  // A copy: tick() may close a connection, which removes it from the map later.
  std::vector<std::shared_ptr<RtmpConnection>> all;
  all.reserve(state.connections.size());
  for (auto &kv : state.connections) all.push_back(kv.second);
  for (auto &c : all) c->tick(now);
  return G_SOURCE_CONTINUE;
}

// GSocketListener binds (IPv4 and IPv6 for the wildcard, as the host allows); its "event"
// signal hands over each socket it listens on, which the poller then watches. The listener never
// accepts itself: its accept GSources would be one more source per socket.
void on_listener_event(GSocketListener *, GSocketListenerEvent event, GSocket *socket,
                       gpointer data) {
  if (event == G_SOCKET_LISTENER_LISTENED)
    static_cast<std::vector<GRef<GSocket>> *>(data)->push_back(GRef<GSocket>::ref(socket));
}

// Listening sockets and connections on one EpollPoller on a ServerThread; the state is touched
// only on that thread once it runs.
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

// Starts the poller and adds the listening sockets to it.
bool watch_listeners(RtmpServerState &state, GMainContext *context,
                     const std::vector<GRef<GSocket>> &sockets, GError **error) {
  if (!state.poller.start(context, "estuary-rtmp-sockets", on_ready, &state, error)) return false;
  for (auto &s : sockets) {
    const int fd = g_socket_get_fd(s.get());
    if (!state.poller.add(fd, kListenerKey | static_cast<guint64>(fd), G_IO_IN)) {
      const int e = errno;
      g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "epoll: %s", g_strerror(e));
      return false;
    }
  }
  return true;
}

// The server thread's body.
void RtmpServer::serve(ServerThread &thread, RtmpServerState &state) {
  GRef<GSocketListener> listener = GRef<GSocketListener>::adopt(g_socket_listener_new());
  std::vector<GRef<GSocket>> sockets;
  g_signal_connect(listener.get(), "event", G_CALLBACK(on_listener_event), &sockets);
  GError *err = nullptr;
  guint bound = listen(listener.get(), state.settings, &err);
  if (bound == 0 || !watch_listeners(state, thread.context(), sockets, &err)) {
    g_prefix_error(&err, "RTMP on %s:%u: ", state.settings.interface.c_str(), state.settings.port);
    for (auto &s : sockets) state.poller.remove(g_socket_get_fd(s.get()));
    g_socket_listener_close(listener.get());
    thread.fail(err);
    return;
  }
  GRef<GSource> tick = GRef<GSource>::adopt(g_timeout_source_new_seconds(1));
  g_source_set_callback(tick.get(), on_tick, &state, nullptr);
  g_source_attach(tick.get(), thread.context());
  GST_INFO("RTMP listening on %s port %u", state.settings.interface.c_str(), bound);

  thread.serve(bound);

  // Shutdown, still on this thread: publishers end their feeds and viewers leave their fanouts.
  state.stopping = true;
  g_source_destroy(tick.get());
  for (auto &s : sockets) state.poller.remove(g_socket_get_fd(s.get()));
  g_socket_listener_close(listener.get());
  std::vector<std::shared_ptr<RtmpConnection>> all;
  for (auto &kv : state.connections) all.push_back(kv.second);
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
