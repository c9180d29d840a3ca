#include "servers/http-output.h"

#include <exception>

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

// An Http1Server on a ServerThread; the state is touched only on that thread once it runs.
class HttpOutput : public Listener {
 public:
  HttpOutput(StreamDirectory &streams, std::shared_ptr<OutputCatalog> catalog,
             const HttpSettings &settings)
      : state_(std::make_shared<HttpServerState>(streams, std::move(catalog), settings)) {
    state_->context = GRef<GMainContext>::ref(thread_.context());
  }
  bool start(GError **error) {
    std::shared_ptr<HttpServerState> state = state_;
    return thread_.start(
               "estuary-http", [state](ServerThread &t) { serve(t, *state); }, error) != 0;
  }
  bool running() const override { return thread_.running(); }

 private:
  static void serve(ServerThread &thread, HttpServerState &state);

  std::shared_ptr<HttpServerState> state_;
  ServerThread thread_;  // last: stopped and joined first
};

bool listen(Http1Server &server, GMainContext *context, const HttpSettings &s, GError **error) {
  if (s.interface.empty() || s.interface == "0.0.0.0" || s.interface == "::") {
    GRef<GInetAddress> v4 = GRef<GInetAddress>::adopt(g_inet_address_new_any(G_SOCKET_FAMILY_IPV4));
    if (!server.listen(context, v4.get(), s.port, error)) return false;
    // IPv6 on the same port when the host has it; a host without IPv6 still serves IPv4.
    GRef<GInetAddress> v6 = GRef<GInetAddress>::adopt(g_inet_address_new_any(G_SOCKET_FAMILY_IPV6));
    GError *v6_error = nullptr;
    if (!server.listen(context, v6.get(), server.port(), &v6_error)) {
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
  return server.listen(context, addr.get(), s.port, error);
}

// The server thread's body.
void HttpOutput::serve(ServerThread &thread, HttpServerState &state) {
  HttpServerState *st = &state;
  // Media requests carry no body; playlists and segments are answered within the send timeout.
  Http1Limits limits;
  auto server = std::make_unique<Http1Server>(
      "estuary/" ESTUARY_VERSION, limits,
      [st](const std::shared_ptr<HttpExchange> &ex) { on_request(*st, ex); },
      [](HttpExchange &ex, guint status, const std::string &reason) {
        http::respond(ex, status, "text/plain", reason + "\n");
      });
  GError *err = nullptr;
  if (!listen(*server, thread.context(), state.settings, &err)) {
    g_prefix_error(&err, "HTTP output on %s:%u: ", state.settings.interface.c_str(),
                   state.settings.port);
    server.reset();
    thread.fail(err);
    return;
  }
  guint bound = server->port();
  state.hls_sessions = std::make_unique<HlsSessions>(state);
  GST_CAT_INFO(estuary_http_debug, "HTTP output listening on %s port %u",
               state.settings.interface.c_str(), bound);

  thread.serve(bound);

  // Shutdown, still on this thread: viewers leave their fanouts and sessions close before the
  // connections go.
  state.stopping = true;
  for (const auto &viewer : state.viewers) viewer->stop();
  state.hls_sessions.reset();
  server.reset();
  // Let pending callbacks (VoD downloads' session ends, viewers' removals) run.
  thread.drain();
  state.viewers.clear();
  GST_CAT_INFO(estuary_http_debug, "HTTP output stopped");
}

}  // namespace

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

  auto output = std::make_unique<HttpOutput>(streams, std::move(catalog), s);
  if (!output->start(error)) return nullptr;
  return output;
}

}  // namespace estuary
