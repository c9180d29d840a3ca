#include "servers/http-exchange.h"

#include "protocols/stream-info.h"
#include "servers/http-hls.h"
#include "servers/http-progressive.h"
#include "servers/http-routes.h"

GST_DEBUG_CATEGORY(estuary_http_debug);
#define GST_CAT_DEFAULT estuary_http_debug

namespace estuary {

HttpServerState::HttpServerState(StreamDirectory &d, std::shared_ptr<OutputCatalog> c,
                                 HttpSettings s)
    : streams(d), catalog(std::move(c)), settings(std::move(s)) {}
HttpServerState::~HttpServerState() = default;

namespace http {

namespace {

std::string json_error_text(const std::string &message) {
  GRef<JsonBuilder> b = GRef<JsonBuilder>::adopt(json_builder_new());
  json_builder_begin_object(b.get());
  json_builder_set_member_name(b.get(), "error");
  json_builder_add_string_value(b.get(), message.c_str());
  json_builder_end_object(b.get());
  GRef<JsonNode> root = GRef<JsonNode>::adopt(json_builder_get_root(b.get()));
  GCharPtr text(json_to_string(root.get(), FALSE));
  return text.get();
}

void add_common(HttpExchange &ex, const char *cache_control) {
  add_cors(ex);
  if (cache_control) ex.add_header("Cache-Control", cache_control);
}

}  // namespace

void add_cors(HttpExchange &ex) {
  ex.add_header("Access-Control-Allow-Origin", "*");
  ex.add_header("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS");
  ex.add_header("Access-Control-Allow-Headers", "*");
  ex.add_header("Access-Control-Expose-Headers", "*");
}

void respond(HttpExchange &ex, guint status, const char *content_type, std::string_view body,
             const char *cache_control) {
  if (!ex.alive()) return;
  add_common(ex, cache_control);
  ex.respond(status, content_type, body);
}

void respond_bytes(HttpExchange &ex, guint status, const char *content_type, GBytes *bytes,
                   const char *cache_control) {
  if (!ex.alive()) return;
  add_common(ex, cache_control);
  // The core derives Content-Length, answers a Range request with 206 from the shared bytes and
  // sends no body for HEAD.
  ex.respond_bytes(status, content_type, bytes);
}

void respond_json_error(HttpExchange &ex, guint status, const std::string &message) {
  respond(ex, status, "application/json", json_error_text(message));
}

void with_stream(HttpServerState &state, const Exchange &ex, const std::string &name,
                 std::function<void(std::shared_ptr<LiveStream>)> ready,
                 std::function<void(guint status, const std::string &error)> failed) {
  if (auto stream = state.streams.find(name)) {
    ready(std::move(stream));
    return;
  }
  GST_CAT_DEBUG(estuary_http_debug, "%s: waiting for the stream to start", name.c_str());
  // The request callback holds the exchange until the stream is up or the wait ends; if the
  // client leaves meanwhile, alive() turns false and nothing is answered.
  state.streams.request(
      name, state.context.get(), kStreamWaitMs,
      [ex, name, ready = std::move(ready), failed = std::move(failed)](
          std::shared_ptr<LiveStream> stream, const std::string &error) {
        if (!ex->alive()) return;  // the viewer left meanwhile
        if (stream) {
          ready(std::move(stream));
        } else {
          GST_CAT_INFO(estuary_http_debug, "%s: not available: %s", name.c_str(), error.c_str());
          bool unknown = error.find("no stream") != std::string::npos || error.empty();
          failed(unknown ? 404 : 503, unknown ? "Stream not found" : error);
        }
      });
}

void request_base(const HttpServerState &state, const HttpExchange &ex, std::string *http_base,
                  std::string *host) {
  const std::string &pub = state.settings.pubaddr;
  if (!pub.empty()) {
    std::string base = pub;
    while (!base.empty() && base.back() == '/') base.pop_back();
    if (base.find("://") == std::string::npos) base = "http://" + base;
    *http_base = base;
    std::string authority = base.substr(base.find("://") + 3);
    authority = authority.substr(0, authority.find('/'));
    *host = host_without_port(authority);
    return;
  }
  const std::string *host_header = ex.header("Host");
  auto header = valid_host_header(host_header ? host_header->c_str() : nullptr);
  std::string authority;
  if (header) {
    authority = *header;
  } else {
    GSocketAddress *local = ex.local_address();
    if (local && G_IS_INET_SOCKET_ADDRESS(local)) {
      GInetSocketAddress *inet = G_INET_SOCKET_ADDRESS(local);
      GCharPtr ip(g_inet_address_to_string(g_inet_socket_address_get_address(inet)));
      bool v6 = g_inet_address_get_family(g_inet_socket_address_get_address(inet)) ==
                G_SOCKET_FAMILY_IPV6;
      authority = (v6 ? "[" + std::string(ip.get()) + "]" : std::string(ip.get())) + ":" +
                  std::to_string(g_inet_socket_address_get_port(inet));
    } else {
      authority = "localhost:" + std::to_string(state.settings.port);
    }
  }
  *http_base = "http://" + authority;
  *host = host_without_port(authority);
}

}  // namespace http
}  // namespace estuary
