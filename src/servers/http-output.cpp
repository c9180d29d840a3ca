#include "servers/http-output.h"

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
#include "servers/http1-server.h"
#include "servers/listener-settings.h"
#include "servers/server-thread.h"

#define GST_CAT_DEFAULT estuary_http_debug

namespace estuary {

namespace {

// The core hands handlers the percent-decoded path, while route_http_path() decodes each part
// of the path itself (so that an encoded '/' could stay inside a stream name): escape '%' again
// so that nothing is decoded twice.
std::string reencode_percent(const std::string &path) {
  std::string out;
  out.reserve(path.size());
  for (char c : path) {
    if (c == '%')
      out += "%25";
    else
      out += c;
  }
  return out;
}

void handle_request(HttpServerState &state, const http::Exchange &ex) {
  const std::string &method = ex->method();
  if (method == "OPTIONS") {
    http::respond(*ex, 204, "text/plain", "", nullptr);
    return;
  }
  if (method != "GET" && method != "HEAD") {
    ex->add_header("Allow", "GET, HEAD, OPTIONS");
    http::respond(*ex, 405, "text/plain", "method not allowed\n", nullptr);
    return;
  }
  HttpRoute route = route_http_path(reencode_percent(ex->path()).c_str());
  GST_CAT_LOG(estuary_http_debug, "%s %s -> route %d stream '%s'", method.c_str(),
              ex->path().c_str(), static_cast<int>(route.kind), route.stream.c_str());
  // A connector left out of the configuration's protocols serves nothing, as in MistServer;
  // only the HTTP listener's own pages (info handler, player) need no connector entry.
  const std::string disabled = state.catalog->snapshot()->disabled_connector(route);
  if (!disabled.empty()) {
    http::respond_json_error(*ex, 404, "the " + disabled + " connector is not enabled");
    return;
  }
  switch (route.kind) {
    case HttpRoute::Kind::kNotFound:
      http::respond_json_error(*ex, 404, "not found");
      return;
    case HttpRoute::Kind::kHlsMaster:
    case HttpRoute::Kind::kHlsMedia:
    case HttpRoute::Kind::kHlsSegment:
      hls_handler::serve(state, ex, route);
      return;
    case HttpRoute::Kind::kProgressive: {
      const std::string *v = ex->query("video");
      const std::string *a = ex->query("audio");
      TrackRequest tracks = TrackRequest::parse(v ? v->c_str() : nullptr, a ? a->c_str() : nullptr);
      HttpServerState *st = &state;
      OutputFormat format = route.format;
      http::with_stream(
          state, ex, route.stream,
          [st, ex, format, tracks](std::shared_ptr<LiveStream> stream) {
            // Live: the shared byte stream from the latest keyframe. VoD: the whole file.
            if (stream->live()) {
              ProgressiveViewer::serve(*st, ex, std::move(stream), format, tracks);
            } else {
              VodDownload::serve(*st, ex, std::move(stream), format, tracks);
            }
          },
          [ex](guint status, const std::string &error) {
            http::respond_json_error(*ex, status, error);
          });
      return;
    }
    default:
      info_handler::serve(state, ex, route);
      return;
  }
}

void on_request(HttpServerState &state, const http::Exchange &ex) {
  // No exception may cross into the server's callbacks.
  try {
    handle_request(state, ex);
  } catch (const std::exception &e) {
    GST_CAT_ERROR(estuary_http_debug, "%s: %s", ex->path().c_str(), e.what());
    http::respond(*ex, 500, "text/plain", "internal error\n");
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
  bool listen(Http1Server &server, GError **error);
  void report_start(GError *err, guint bound);
};

bool HttpOutput::Thread::listen(Http1Server &server, GError **error) {
  const HttpSettings &s = state->settings;
  if (s.interface.empty() || s.interface == "0.0.0.0" || s.interface == "::") {
    GRef<GInetAddress> v4 = GRef<GInetAddress>::adopt(g_inet_address_new_any(G_SOCKET_FAMILY_IPV4));
    if (!server.listen(context.get(), v4.get(), s.port, error)) return false;
    // IPv6 on the same port when the host has it; a host without IPv6 still serves IPv4.
    GRef<GInetAddress> v6 = GRef<GInetAddress>::adopt(g_inet_address_new_any(G_SOCKET_FAMILY_IPV6));
    GError *v6_error = nullptr;
    if (!server.listen(context.get(), v6.get(), server.port(), &v6_error)) {
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
  return server.listen(context.get(), addr.get(), s.port, error);
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
  HttpServerState *st = t->state.get();
  // Media requests carry no body; playlists and segments are answered within the send timeout.
  Http1Limits limits;
  auto server = std::make_unique<Http1Server>(
      "estuary/" ESTUARY_VERSION, limits,
      [st](const std::shared_ptr<HttpExchange> &ex) { on_request(*st, ex); },
      [](HttpExchange &ex, guint status, const std::string &reason) {
        http::respond(ex, status, "text/plain", reason + "\n");
      });
  GError *err = nullptr;
  if (!t->listen(*server, &err)) {
    g_prefix_error(&err, "HTTP output on %s:%u: ", t->state->settings.interface.c_str(),
                   t->state->settings.port);
    server.reset();
    g_main_context_pop_thread_default(t->context.get());
    t->report_start(err, 0);
    return nullptr;
  }
  guint bound = server->port();
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
  server.reset();
  // Let pending callbacks (VoD downloads' session ends, viewers' removals) run.
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
