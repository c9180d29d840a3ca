#include "servers/rtsp-server.h"
#include "servers/listener-settings.h"

#include <gst/rtsp-server/rtsp-server.h>

#include <mutex>
#include <set>
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

// A GstRTSPServer on a ServerThread.
class RtspServer : public Listener {
 public:
  explicit RtspServer(StreamDirectory &streams)
      : state_(std::make_shared<RtspServerState>(streams)) {}
  bool start(JsonObject *settings, GError **error) {
    std::shared_ptr<RtspServerState> state = state_;
    std::string interface = interface_setting(settings);
    guint port = port_setting(settings, 5554);
    return thread_.start(
               "estuary-rtsp",
               [state, interface, port](ServerThread &t) { serve(t, state, interface, port); },
               error) != 0;
  }
  bool running() const override { return thread_.running(); }

 private:
  static void serve(ServerThread &thread, const std::shared_ptr<RtspServerState> &state,
                    const std::string &interface, guint port);

  std::shared_ptr<RtspServerState> state_;
  ServerThread thread_;  // last: stopped and joined first
};

// The server thread's body.
void RtspServer::serve(ServerThread &thread, const std::shared_ptr<RtspServerState> &state,
                       const std::string &interface, guint port) {
  GRef<GstRTSPServer> server = GRef<GstRTSPServer>::adopt(gst_rtsp_server_new());
  std::string service = std::to_string(port);
  gst_rtsp_server_set_address(server.get(), interface.c_str());
  gst_rtsp_server_set_service(server.get(), service.c_str());
  GRef<GstRTSPThreadPool> pool =
      GRef<GstRTSPThreadPool>::adopt(gst_rtsp_server_get_thread_pool(server.get()));
  gst_rtsp_thread_pool_set_max_threads(pool.get(), kClientThreads);
  state->server = server;

  GRef<EstRtspFactory> factory = GRef<EstRtspFactory>::adopt(rtsp_factory_new(state));
  GRef<GstRTSPAuth> auth = GRef<GstRTSPAuth>::adopt(rtsp_admission_new(state, factory.get()));
  gst_rtsp_server_set_auth(server.get(), auth.get());
  auto *signal_state = new std::shared_ptr<RtspServerState>(state);
  g_signal_connect_data(
      server.get(), "client-connected", G_CALLBACK(on_client_connected), signal_state,
      [](gpointer p, GClosure *) { delete static_cast<std::shared_ptr<RtspServerState> *>(p); },
      static_cast<GConnectFlags>(0));

  GError *err = nullptr;
  GRef<GSource> source =
      GRef<GSource>::adopt(gst_rtsp_server_create_source(server.get(), nullptr, &err));
  if (!source) {
    g_prefix_error(&err, "RTSP server on %s:%u: ", interface.c_str(), port);
    state->server.reset();
    gst_rtsp_server_set_auth(server.get(), nullptr);
    server.reset();
    thread.fail(err);
    return;
  }
  g_source_attach(source.get(), thread.context());
  guint bound = static_cast<guint>(gst_rtsp_server_get_bound_port(server.get()));
  GST_INFO("RTSP server listening on %s port %u", interface.c_str(), bound);

  thread.serve(bound);

  // Shutdown, still on this thread: no new connections, every client and session goes (their
  // medias stop, publishers' feeds end), then the references that tie the parts together.
  g_source_destroy(source.get());
  gst_rtsp_server_client_filter(server.get(), remove_client, nullptr);
  GRef<GstRTSPSessionPool> sessions =
      GRef<GstRTSPSessionPool>::adopt(gst_rtsp_server_get_session_pool(server.get()));
  gst_rtsp_session_pool_filter(sessions.get(), remove_session, nullptr);
  GRef<GstRTSPMountPoints> mounts =
      GRef<GstRTSPMountPoints>::adopt(gst_rtsp_server_get_mount_points(server.get()));
  std::set<std::string> mounted;
  {
    std::lock_guard<std::mutex> guard(state->lock);
    mounted.swap(state->mounted);
  }
  for (const std::string &path : mounted)
    gst_rtsp_mount_points_remove_factory(mounts.get(), path.c_str());
  gst_rtsp_server_set_auth(server.get(), nullptr);
  state->server.reset();
  thread.drain();
  server.reset();
  GST_INFO("RTSP server stopped");
}

}  // namespace

std::unique_ptr<Listener> make_rtsp_listener(StreamDirectory &streams, JsonObject *settings,
                                             GError **error) {
  rtsp_debug_init();
  auto server = std::make_unique<RtspServer>(streams);
  if (!server->start(settings, error)) return nullptr;
  return server;
}

}  // namespace estuary
