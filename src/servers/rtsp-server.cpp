#include "servers/rtsp-server.h"
#include "servers/listener-settings.h"

#include <gst/rtsp-server/rtsp-server.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "common/gref.h"
#include "servers/rtsp-admission.h"
#include "servers/rtsp-debug.h"
#include "servers/rtsp-factory.h"
#include "servers/rtsp-state.h"
#include "servers/server-thread.h"

GST_DEBUG_CATEGORY(estuary_rtsp_debug);
#define GST_CAT_DEFAULT estuary_rtsp_debug

namespace estuary {

void rtsp_debug_init() {
  static gsize once = 0;
  if (g_once_init_enter(&once)) {
    GST_DEBUG_CATEGORY_INIT(estuary_rtsp_debug, "estuary-rtsp", 0, "RTSP server");
    g_once_init_leave(&once, 1);
  }
}

namespace {

// Client threads: each connection is served on one of these (round robin beyond the limit).
constexpr gint kClientThreads = 16;

std::string interface_setting(JsonObject *settings) {
  JsonNode *n = settings ? json_object_get_member(settings, "interface") : nullptr;
  if (n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING &&
      *json_node_get_string(n)) {
    return json_node_get_string(n);
  }
  return "0.0.0.0";
}

// Per connection: the viewer sessions it opened, closed with it. Object data of the client.
struct ClientInfo {
  std::shared_ptr<RtspServerState> state;
  std::string address;
  std::mutex lock;  // guards sessions
  std::vector<std::shared_ptr<guint64>> sessions;

  void close_all() {
    std::vector<std::shared_ptr<guint64>> gone;
    {
      std::lock_guard<std::mutex> guard(lock);
      gone.swap(sessions);
    }
    for (auto &id : gone) state->streams.session_close(id);
  }
  ~ClientInfo() { close_all(); }
};

void on_play_request(GstRTSPClient *client, GstRTSPContext *ctx, gpointer) {
  auto *info =
      static_cast<ClientInfo *>(g_object_get_data(G_OBJECT(client), "estuary-rtsp-client"));
  if (!info || !ctx || !ctx->uri) return;
  std::string name = rtsp_stream_from_path(ctx->uri->abspath);
  auto id = info->state->streams.session_open(ViewerReport{info->address, name, "RTSP"});
  GST_INFO("%s: RTSP viewer %s plays", name.c_str(), info->address.c_str());
  std::lock_guard<std::mutex> guard(info->lock);
  info->sessions.push_back(std::move(id));
}

void on_closed(GstRTSPClient *client, gpointer) {
  auto *info =
      static_cast<ClientInfo *>(g_object_get_data(G_OBJECT(client), "estuary-rtsp-client"));
  if (!info) return;
  info->close_all();
  std::shared_ptr<PushFeed> orphan;
  {
    std::lock_guard<std::mutex> guard(info->state->lock);
    auto it = info->state->admitted.find(client);
    if (it != info->state->admitted.end()) {
      orphan = std::move(it->second);
      info->state->admitted.erase(it);
    }
  }
  // Admitted at ANNOUNCE but its media was never built (bad SDP, connection lost).
  if (orphan) orphan->end();
}

void on_client_connected(GstRTSPServer *, GstRTSPClient *client, gpointer data) {
  auto *state = static_cast<std::shared_ptr<RtspServerState> *>(data);
  auto *info = new ClientInfo;
  info->state = *state;
  GstRTSPConnection *conn = gst_rtsp_client_get_connection(client);
  const gchar *ip = conn ? gst_rtsp_connection_get_ip(conn) : nullptr;
  info->address = ip ? ip : "";
  g_object_set_data_full(G_OBJECT(client), "estuary-rtsp-client", info,
                         [](gpointer p) { delete static_cast<ClientInfo *>(p); });
  g_signal_connect(client, "play-request", G_CALLBACK(on_play_request), nullptr);
  g_signal_connect(client, "closed", G_CALLBACK(on_closed), nullptr);
}

GstRTSPFilterResult remove_client(GstRTSPServer *, GstRTSPClient *, gpointer) {
  return GST_RTSP_FILTER_REMOVE;
}

GstRTSPFilterResult remove_session(GstRTSPSessionPool *, GstRTSPSession *, gpointer) {
  return GST_RTSP_FILTER_REMOVE;
}

}  // namespace

struct RtspServer::Thread {
  std::shared_ptr<RtspServerState> state;
  std::string interface;
  guint requested_port = 0;
  GRef<GMainContext> context;
  GRef<GMainLoop> loop;
  GThread *thread = nullptr;

  std::mutex lock;  // guards the three start-up results below
  std::condition_variable cond;
  bool started = false;
  GError *error = nullptr;  // transfer: to make_rtsp_listener
  guint port = 0;

  std::atomic<bool> running{false};

  static gpointer run(gpointer data);
  void report_start(GError *err, guint bound) {
    std::lock_guard<std::mutex> guard(lock);
    started = true;
    error = err;
    port = bound;
    cond.notify_all();
  }
};

gpointer RtspServer::Thread::run(gpointer data) {
  auto *t = static_cast<Thread *>(data);
  g_main_context_push_thread_default(t->context.get());
  GRef<GstRTSPServer> server = GRef<GstRTSPServer>::adopt(gst_rtsp_server_new());
  std::string service = std::to_string(t->requested_port);
  gst_rtsp_server_set_address(server.get(), t->interface.c_str());
  gst_rtsp_server_set_service(server.get(), service.c_str());
  GRef<GstRTSPThreadPool> pool =
      GRef<GstRTSPThreadPool>::adopt(gst_rtsp_server_get_thread_pool(server.get()));
  gst_rtsp_thread_pool_set_max_threads(pool.get(), kClientThreads);
  t->state->server = server;

  GRef<EstRtspFactory> factory = GRef<EstRtspFactory>::adopt(rtsp_factory_new(t->state));
  GRef<GstRTSPAuth> auth = GRef<GstRTSPAuth>::adopt(rtsp_admission_new(t->state, factory.get()));
  gst_rtsp_server_set_auth(server.get(), auth.get());
  auto *signal_state = new std::shared_ptr<RtspServerState>(t->state);
  g_signal_connect_data(
      server.get(), "client-connected", G_CALLBACK(on_client_connected), signal_state,
      [](gpointer p, GClosure *) { delete static_cast<std::shared_ptr<RtspServerState> *>(p); },
      static_cast<GConnectFlags>(0));

  GError *err = nullptr;
  GRef<GSource> source =
      GRef<GSource>::adopt(gst_rtsp_server_create_source(server.get(), nullptr, &err));
  if (!source) {
    g_prefix_error(&err, "RTSP server on %s:%u: ", t->interface.c_str(), t->requested_port);
    t->state->server.reset();
    gst_rtsp_server_set_auth(server.get(), nullptr);
    server.reset();
    g_main_context_pop_thread_default(t->context.get());
    t->report_start(err, 0);
    return nullptr;
  }
  g_source_attach(source.get(), t->context.get());
  guint bound = static_cast<guint>(gst_rtsp_server_get_bound_port(server.get()));
  t->running = true;
  GST_INFO("RTSP server listening on %s port %u", t->interface.c_str(), bound);
  t->report_start(nullptr, bound);

  g_main_loop_run(t->loop.get());

  // Shutdown, still on this thread: no new connections, every client and session goes (their
  // medias stop, publishers' feeds end), then the references that tie the parts together.
  t->running = false;
  g_source_destroy(source.get());
  gst_rtsp_server_client_filter(server.get(), remove_client, nullptr);
  GRef<GstRTSPSessionPool> sessions =
      GRef<GstRTSPSessionPool>::adopt(gst_rtsp_server_get_session_pool(server.get()));
  gst_rtsp_session_pool_filter(sessions.get(), remove_session, nullptr);
  GRef<GstRTSPMountPoints> mounts =
      GRef<GstRTSPMountPoints>::adopt(gst_rtsp_server_get_mount_points(server.get()));
  std::set<std::string> mounted;
  {
    std::lock_guard<std::mutex> guard(t->state->lock);
    mounted.swap(t->state->mounted);
  }
  for (const std::string &path : mounted)
    gst_rtsp_mount_points_remove_factory(mounts.get(), path.c_str());
  gst_rtsp_server_set_auth(server.get(), nullptr);
  t->state->server.reset();
  for (int i = 0; i < 100 && g_main_context_iteration(t->context.get(), FALSE); i++) {
  }
  server.reset();
  g_main_context_pop_thread_default(t->context.get());
  GST_INFO("RTSP server stopped");
  return nullptr;
}

RtspServer::RtspServer() = default;

RtspServer::~RtspServer() {
  if (!thread_ || !thread_->thread) return;
  stop_server_thread(thread_->context.get(), thread_->loop.get(), thread_->thread);
  thread_->thread = nullptr;
}

bool RtspServer::running() const { return thread_ && thread_->running.load(); }

guint RtspServer::port() const { return thread_ ? thread_->port : 0; }

std::unique_ptr<Listener> make_rtsp_listener(StreamDirectory &streams, JsonObject *settings,
                                             GError **error) {
  rtsp_debug_init();
  auto t = std::make_unique<RtspServer::Thread>();
  t->state = std::make_shared<RtspServerState>(streams);
  t->interface = interface_setting(settings);
  t->requested_port = port_setting(settings, 5554);
  t->context = GRef<GMainContext>::adopt(g_main_context_new());
  t->loop = GRef<GMainLoop>::adopt(g_main_loop_new(t->context.get(), FALSE));
  t->thread = g_thread_new("estuary-rtsp", RtspServer::Thread::run, t.get());
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
  auto out = std::make_unique<RtspServer>();
  out->thread_ = std::move(t);
  return out;
}

}  // namespace estuary
