#include "servers/rtmp-server.h"
#include "servers/listener-settings.h"

#include <atomic>
#include <condition_variable>
#include <mutex>

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

}  // namespace

struct RtmpServer::Thread {
  std::shared_ptr<RtmpServerState> state;
  GRef<GMainContext> context;
  GRef<GMainLoop> loop;
  GThread *thread = nullptr;

  std::mutex lock;  // guards the three start-up results below
  std::condition_variable cond;
  bool started = false;
  GError *error = nullptr;  // transfer: to make_rtmp_listener
  guint port = 0;

  std::atomic<bool> running{false};

  static gpointer run(gpointer data);
  guint listen(GSocketListener *listener, GError **error);
  void report_start(GError *err, guint bound);
};

// Returns the bound port, 0 with `error` set on failure.
guint RtmpServer::Thread::listen(GSocketListener *listener, GError **error) {
  const RtmpSettings &s = state->settings;
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

void RtmpServer::Thread::report_start(GError *err, guint bound) {
  std::lock_guard<std::mutex> guard(lock);
  started = true;
  error = err;
  port = bound;
  cond.notify_all();
}

gpointer RtmpServer::Thread::run(gpointer data) {
  auto *t = static_cast<Thread *>(data);
  RtmpServerState &state = *t->state;
  // The service starts accepting on the thread-default context when a port is added.
  g_main_context_push_thread_default(t->context.get());
  GRef<GSocketService> service = GRef<GSocketService>::adopt(g_socket_service_new());
  GError *err = nullptr;
  guint bound = t->listen(G_SOCKET_LISTENER(service.get()), &err);
  if (bound == 0) {
    g_prefix_error(&err, "RTMP on %s:%u: ", state.settings.interface.c_str(), state.settings.port);
    g_socket_listener_close(G_SOCKET_LISTENER(service.get()));
    service.reset();
    g_main_context_pop_thread_default(t->context.get());
    t->report_start(err, 0);
    return nullptr;
  }
  g_signal_connect(service.get(), "incoming", G_CALLBACK(on_incoming), &state);
  g_socket_service_start(service.get());
  GSource *tick = g_timeout_source_new_seconds(1);
  g_source_set_callback(tick, on_tick, &state, nullptr);
  g_source_attach(tick, t->context.get());
  t->running = true;
  GST_INFO("RTMP listening on %s port %u", state.settings.interface.c_str(), bound);
  t->report_start(nullptr, bound);

  g_main_loop_run(t->loop.get());

  // Shutdown, still on this thread: publishers end their feeds and viewers leave their fanouts.
  t->running = false;
  state.stopping = true;
  g_source_destroy(tick);
  g_source_unref(tick);
  g_socket_service_stop(service.get());
  g_socket_listener_close(G_SOCKET_LISTENER(service.get()));
  std::vector<std::shared_ptr<RtmpConnection>> all(state.connections.begin(),
                                                   state.connections.end());
  for (auto &c : all) c->close("server stopping");
  // Runs the removals close() posted, and any decision callbacks already queued.
  for (int i = 0; i < 100 && g_main_context_iteration(t->context.get(), FALSE); i++) {
  }
  state.connections.clear();
  service.reset();
  g_main_context_pop_thread_default(t->context.get());
  GST_INFO("RTMP server stopped");
  return nullptr;
}

RtmpServer::RtmpServer() = default;

RtmpServer::~RtmpServer() {
  if (!thread_ || !thread_->thread) return;
  stop_server_thread(thread_->context.get(), thread_->loop.get(), thread_->thread);
  thread_->thread = nullptr;
}

bool RtmpServer::running() const { return thread_ && thread_->running.load(); }

std::unique_ptr<Listener> make_rtmp_listener(StreamDirectory &streams, JsonObject *settings,
                                             GError **error) {
  static gsize debug_once = 0;
  if (g_once_init_enter(&debug_once)) {
    GST_DEBUG_CATEGORY_INIT(estuary_rtmp_debug, "estuary-rtmp", 0, "RTMP server");
    g_once_init_leave(&debug_once, 1);
  }
  auto t = std::make_unique<RtmpServer::Thread>();
  t->state = std::make_shared<RtmpServerState>(streams);
  t->state->settings.port = port_setting(settings, 1935);
  t->state->settings.interface = string_setting(settings, "interface", "0.0.0.0");
  t->context = GRef<GMainContext>::adopt(g_main_context_new());
  t->state->context = t->context;
  t->loop = GRef<GMainLoop>::adopt(g_main_loop_new(t->context.get(), FALSE));
  t->thread = g_thread_new("estuary-rtmp", RtmpServer::Thread::run, t.get());
  {
    std::unique_lock<std::mutex> guard(t->lock);
    t->cond.wait(guard, [&] { return t->started; });
  }
  if (t->error) {
    g_thread_join(t->thread);
    t->thread = nullptr;
    g_propagate_error(error, t->error);
    t->error = nullptr;
    return nullptr;
  }
  auto out = std::make_unique<RtmpServer>();
  out->bound_port_ = t->port;
  out->thread_ = std::move(t);
  return out;
}

}  // namespace estuary
