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

constexpr const char *kFinishedKey = "estuary-finished";
constexpr const char *kPausedKey = "estuary-paused";

void on_finished(SoupServerMessage *msg, gpointer) {
  g_object_set_data(G_OBJECT(msg), kFinishedKey, GINT_TO_POINTER(1));
}

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

}  // namespace

bool alive(SoupServerMessage *msg) {
  return g_object_get_data(G_OBJECT(msg), kFinishedKey) == nullptr;
}

void track(SoupServerMessage *msg) {
  g_signal_connect(msg, "finished", G_CALLBACK(on_finished), nullptr);
}

void add_cors(SoupServerMessage *msg) {
  SoupMessageHeaders *h = soup_server_message_get_response_headers(msg);
  soup_message_headers_replace(h, "Access-Control-Allow-Origin", "*");
  soup_message_headers_replace(h, "Access-Control-Allow-Methods", "GET, HEAD, OPTIONS");
  soup_message_headers_replace(h, "Access-Control-Allow-Headers", "*");
  soup_message_headers_replace(h, "Access-Control-Expose-Headers", "*");
}

void respond(SoupServerMessage *msg, guint status, const char *content_type,
             const std::string &body, const char *cache_control) {
  GRef<GBytes> bytes = GRef<GBytes>::adopt(g_bytes_new(body.data(), body.size()));
  respond_bytes(msg, status, content_type, bytes.get(), cache_control);
}

void respond_bytes(SoupServerMessage *msg, guint status, const char *content_type, GBytes *bytes,
                   const char *cache_control) {
  add_cors(msg);
  SoupMessageHeaders *h = soup_server_message_get_response_headers(msg);
  if (cache_control) soup_message_headers_replace(h, "Cache-Control", cache_control);
  soup_server_message_set_status(msg, status, nullptr);
  soup_message_headers_set_content_type(h, content_type, nullptr);
  // libsoup derives Content-Length from the body, answers Range requests with 206 from it and
  // sends no body for HEAD; the body is shared, never copied.
  soup_message_body_append_bytes(soup_server_message_get_response_body(msg), bytes);
}

void respond_json_error(SoupServerMessage *msg, guint status, const std::string &message) {
  respond(msg, status, "application/json", json_error_text(message));
}

void pause(SoupServerMessage *msg) {
  if (g_object_get_data(G_OBJECT(msg), kPausedKey)) return;
  g_object_set_data(G_OBJECT(msg), kPausedKey, GINT_TO_POINTER(1));
  soup_server_message_pause(msg);
}

void resume(SoupServerMessage *msg) {
  if (!g_object_get_data(G_OBJECT(msg), kPausedKey) || !alive(msg)) return;
  g_object_set_data(G_OBJECT(msg), kPausedKey, nullptr);
  soup_server_message_unpause(msg);
}

void with_stream(HttpServerState &state, SoupServerMessage *msg, const std::string &name,
                 std::function<void(std::shared_ptr<LiveStream>)> ready,
                 std::function<void(guint status, const std::string &error)> failed) {
  if (auto stream = state.streams.find(name)) {
    ready(std::move(stream));
    return;
  }
  GST_CAT_DEBUG(estuary_http_debug, "%s: waiting for the stream to start", name.c_str());
  pause(msg);
  GRef<SoupServerMessage> ref = GRef<SoupServerMessage>::ref(msg);
  state.streams.request(
      name, state.context.get(), kStreamWaitMs,
      [ref, name, ready = std::move(ready), failed = std::move(failed)](
          std::shared_ptr<LiveStream> stream, const std::string &error) {
        SoupServerMessage *m = ref.get();
        if (!alive(m)) return;  // the viewer left meanwhile
        if (stream) {
          ready(std::move(stream));
        } else {
          GST_CAT_INFO(estuary_http_debug, "%s: not available: %s", name.c_str(), error.c_str());
          bool unknown = error.find("no stream") != std::string::npos || error.empty();
          failed(unknown ? SOUP_STATUS_NOT_FOUND : SOUP_STATUS_SERVICE_UNAVAILABLE,
                 unknown ? "Stream not found" : error);
          resume(m);
        }
      });
}

void request_base(const HttpServerState &state, SoupServerMessage *msg, std::string *http_base,
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
  auto header = valid_host_header(
      soup_message_headers_get_one(soup_server_message_get_request_headers(msg), "Host"));
  std::string authority;
  if (header) {
    authority = *header;
  } else {
    GSocketAddress *local = soup_server_message_get_local_address(msg);
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

std::string remote_host(SoupServerMessage *msg) {
  const char *h = soup_server_message_get_remote_host(msg);
  return h ? h : "";
}

}  // namespace http
}  // namespace estuary
