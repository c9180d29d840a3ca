#include "servers/http-output.h"
#include "servers/listener-settings.h"

#include <libsoup/soup.h>
#include <netinet/in.h>

#include <condition_variable>
#include <exception>
#include <mutex>

#include "estuary-config.h"
#include "servers/http-exchange.h"
#include "servers/http-hls.h"
#include "servers/http-info.h"
#include "servers/http-progressive.h"
#include "servers/http-routes.h"
#include "servers/http-vod-file.h"
#include "servers/server-thread.h"

#define GST_CAT_DEFAULT estuary_http_debug

namespace estuary {

namespace {

void handle_request(HttpServerState &state, SoupServerMessage *msg, const char *path,
                    GHashTable *query) {
  const char *method = soup_server_message_get_method(msg);
  if (strcmp(method, "OPTIONS") == 0) {
    http::add_cors(msg);
    soup_server_message_set_status(msg, SOUP_STATUS_NO_CONTENT, nullptr);
    return;
  }
  if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
    http::add_cors(msg);
    soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Allow",
                                 "GET, HEAD, OPTIONS");
    soup_server_message_set_status(msg, SOUP_STATUS_METHOD_NOT_ALLOWED, nullptr);
    return;
  }
  HttpRoute route = route_http_path(path);
  GST_CAT_LOG(estuary_http_debug, "%s %s -> route %d stream '%s'", method, path,
              static_cast<int>(route.kind), route.stream.c_str());
  // A connector left out of the configuration's protocols serves nothing, as in MistServer;
  // only the HTTP listener's own pages (info handler, player) need no connector entry.
  const std::string disabled = state.catalog->snapshot()->disabled_connector(route);
  if (!disabled.empty()) {
    http::respond_json_error(msg, SOUP_STATUS_NOT_FOUND,
                             "the " + disabled + " connector is not enabled");
    return;
  }
  switch (route.kind) {
    case HttpRoute::Kind::kNotFound:
      http::respond_json_error(msg, SOUP_STATUS_NOT_FOUND, "not found");
      return;
    case HttpRoute::Kind::kHlsMaster:
    case HttpRoute::Kind::kHlsMedia:
    case HttpRoute::Kind::kHlsSegment:
      hls_handler::serve(state, msg, route, query);
      return;
    case HttpRoute::Kind::kProgressive: {
      const char *v =
          query ? static_cast<const char *>(g_hash_table_lookup(query, "video")) : nullptr;
      const char *a =
          query ? static_cast<const char *>(g_hash_table_lookup(query, "audio")) : nullptr;
      TrackRequest tracks = TrackRequest::parse(v, a);
      GRef<SoupServerMessage> ref = GRef<SoupServerMessage>::ref(msg);
      HttpServerState *st = &state;
      OutputFormat format = route.format;
      http::with_stream(
          state, msg, route.stream,
          [st, ref, format, tracks](std::shared_ptr<LiveStream> stream) {
            // Live: the shared byte stream from the latest keyframe. VoD: the whole file.
            if (stream->live()) {
              ProgressiveViewer::serve(*st, ref.get(), std::move(stream), format, tracks);
            } else {
              VodDownload::serve(*st, ref.get(), std::move(stream), format, tracks);
            }
          },
          [ref](guint status, const std::string &error) {
            http::respond_json_error(ref.get(), status, error);
          });
      return;
    }
    default:
      info_handler::serve(state, msg, route);
      return;
  }
}

void on_request(SoupServer *, SoupServerMessage *msg, const char *path, GHashTable *query,
                gpointer data) {
  auto &state = *static_cast<HttpServerState *>(data);
  http::track(msg);
  // No exception may cross into libsoup.
  try {
    handle_request(state, msg, path, query);
  } catch (const std::exception &e) {
    GST_CAT_ERROR(estuary_http_debug, "%s: %s", path, e.what());
    if (http::alive(msg)) {
      http::respond(msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "text/plain", "internal error\n");
      http::resume(msg);
    }
  }
}

}  // namespace

struct HttpOutput::Thread {
  std::shared_ptr<HttpServerState> state;
  GRef<GMainContext> context;
  GRef<GMainLoop> loop;
  GThread *thread = nullptr;

  std::mutex lock;  // guards the three start-up results below
  std::condition_variable cond;
  bool started = false;
  GError *error = nullptr;  // transfer: to make_http_listener
  guint port = 0;

  std::atomic<bool> running{false};

  static gpointer run(gpointer data);
  bool listen(SoupServer *server, GError **error);
  void report_start(GError *err, guint bound);
};

namespace {

// Enough for a thousand viewers connecting at once; GLib's default backlog (10) makes the
// kernel drop SYNs in such a burst and the clients wait for their retransmission (1 s, 3 s...).
constexpr int kListenBacklog = 1024;

// Binds and listens on `address` with our backlog and hands the socket to `server`; returns the
// bound port, 0 with `error` set.
guint listen_on(SoupServer *server, GInetAddress *address, guint port, GError **error) {
  GRef<GSocket> socket = GRef<GSocket>::adopt(g_socket_new(
      g_inet_address_get_family(address), G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error));
  if (!socket) return 0;
  // The IPv6 wildcard listens beside an IPv4 one, as soup_server_listen_all() does.
  if (g_inet_address_get_family(address) == G_SOCKET_FAMILY_IPV6)
    g_socket_set_option(socket.get(), IPPROTO_IPV6, IPV6_V6ONLY, 1, nullptr);
  g_socket_set_listen_backlog(socket.get(), kListenBacklog);
  GRef<GSocketAddress> sa =
      GRef<GSocketAddress>::adopt(g_inet_socket_address_new(address, static_cast<guint16>(port)));
  if (!g_socket_bind(socket.get(), sa.get(), TRUE, error) ||
      !g_socket_listen(socket.get(), error) ||
      !soup_server_listen_socket(server, socket.get(), static_cast<SoupServerListenOptions>(0),
                                 error))
    return 0;
  GRef<GSocketAddress> local =
      GRef<GSocketAddress>::adopt(g_socket_get_local_address(socket.get(), error));
  return local ? g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(local.get())) : 0;
}

}  // namespace

bool HttpOutput::Thread::listen(SoupServer *server, GError **error) {
  const HttpSettings &s = state->settings;
  if (s.interface.empty() || s.interface == "0.0.0.0" || s.interface == "::") {
    GRef<GInetAddress> v4 = GRef<GInetAddress>::adopt(g_inet_address_new_any(G_SOCKET_FAMILY_IPV4));
    guint bound = listen_on(server, v4.get(), s.port, error);
    if (!bound) return false;
    // IPv6 on the same port when the host has it; a host without IPv6 still serves IPv4.
    GRef<GInetAddress> v6 = GRef<GInetAddress>::adopt(g_inet_address_new_any(G_SOCKET_FAMILY_IPV6));
    GError *v6_error = nullptr;
    if (!listen_on(server, v6.get(), bound, &v6_error)) {
      GST_CAT_INFO(estuary_http_debug, "no IPv6 listener: %s", v6_error->message);
      g_error_free(v6_error);
    }
    return true;
  }
  GRef<GInetAddress> addr =
      GRef<GInetAddress>::adopt(g_inet_address_new_from_string(s.interface.c_str()));
  if (!addr) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "bad interface address '%s'",
                s.interface.c_str());
    return false;
  }
  return listen_on(server, addr.get(), s.port, error) != 0;
}

void HttpOutput::Thread::report_start(GError *err, guint bound) {
  std::lock_guard<std::mutex> guard(lock);
  started = true;
  error = err;
  port = bound;
  cond.notify_all();
}

gpointer HttpOutput::Thread::run(gpointer data) {
  auto *t = static_cast<Thread *>(data);
  g_main_context_push_thread_default(t->context.get());
  GRef<SoupServer> server = GRef<SoupServer>::adopt(
      soup_server_new("server-header", "estuary/" ESTUARY_VERSION " ", nullptr));
  soup_server_add_handler(server.get(), nullptr, on_request, t->state.get(), nullptr);
  GError *err = nullptr;
  if (!t->listen(server.get(), &err)) {
    g_prefix_error(&err, "HTTP output on %s:%u: ", t->state->settings.interface.c_str(),
                   t->state->settings.port);
    server.reset();
    g_main_context_pop_thread_default(t->context.get());
    t->report_start(err, 0);
    return nullptr;
  }
  guint bound = 0;
  GSList *listeners = soup_server_get_listeners(server.get());
  if (listeners) {
    GRef<GSocketAddress> local =
        GRef<GSocketAddress>::adopt(g_socket_get_local_address(G_SOCKET(listeners->data), nullptr));
    if (local && G_IS_INET_SOCKET_ADDRESS(local.get())) {
      bound = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(local.get()));
    }
  }
  g_slist_free(listeners);
  t->state->hls_sessions = std::make_unique<HlsSessions>(*t->state);
  t->running = true;
  GST_CAT_INFO(estuary_http_debug, "HTTP output listening on %s port %u",
               t->state->settings.interface.c_str(), bound);
  t->report_start(nullptr, bound);

  g_main_loop_run(t->loop.get());

  // Shutdown, still on this thread: viewers leave their fanouts and sessions close before the
  // connections go.
  t->running = false;
  t->state->stopping = true;
  for (const auto &viewer : t->state->viewers) viewer->stop();
  t->state->hls_sessions.reset();
  soup_server_disconnect(server.get());
  server.reset();
  // Let libsoup finish the messages it just aborted (their "finished" handlers run here).
  for (int i = 0; i < 100 && g_main_context_iteration(t->context.get(), FALSE); i++) {
  }
  t->state->viewers.clear();
  g_main_context_pop_thread_default(t->context.get());
  GST_CAT_INFO(estuary_http_debug, "HTTP output stopped");
  return nullptr;
}

HttpOutput::HttpOutput() = default;

HttpOutput::~HttpOutput() {
  if (!thread_ || !thread_->thread) return;
  stop_server_thread(thread_->context.get(), thread_->loop.get(), thread_->thread);
  thread_->thread = nullptr;
}

bool HttpOutput::running() const { return thread_ && thread_->running.load(); }

std::unique_ptr<Listener> make_http_listener(StreamDirectory &streams,
                                             std::shared_ptr<OutputCatalog> catalog,
                                             JsonObject *settings, GError **error) {
  static gsize debug_once = 0;
  if (g_once_init_enter(&debug_once)) {
    GST_DEBUG_CATEGORY_INIT(estuary_http_debug, "estuary-http", 0, "HTTP output");
    g_once_init_leave(&debug_once, 1);
  }
  HttpSettings s;
  s.port = port_setting(settings, 8080);
  s.interface = string_setting(settings, "interface", "0.0.0.0");
  s.pubaddr = string_setting(settings, "pubaddr", "");
  if (!catalog) catalog = std::make_shared<OutputCatalog>(nullptr);

  auto t = std::make_unique<HttpOutput::Thread>();
  t->state = std::make_shared<HttpServerState>(streams, std::move(catalog), s);
  t->context = GRef<GMainContext>::adopt(g_main_context_new());
  t->state->context = t->context;
  t->loop = GRef<GMainLoop>::adopt(g_main_loop_new(t->context.get(), FALSE));
  t->thread = g_thread_new("estuary-http", HttpOutput::Thread::run, t.get());
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
  auto out = std::make_unique<HttpOutput>();
  out->bound_port_ = t->port;
  out->thread_ = std::move(t);
  return out;
}

}  // namespace estuary
