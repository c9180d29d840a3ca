#include "controller/api-server.h"

#include <string_view>

#include "controller/api-call.h"
#include "controller/api-session.h"
#include "controller/controller.h"
#include "controller/log.h"
#include "elements/estbuffer-meta.h"

namespace estuary {

namespace {

void add_cors_headers(SoupServerMessage *msg) {
  SoupMessageHeaders *req = soup_server_message_get_request_headers(msg);
  SoupMessageHeaders *resp = soup_server_message_get_response_headers(msg);
  const char *origin = soup_message_headers_get_one(req, "Origin");
  // Echoing the origin (rather than '*') lets browser clients send credentials if they want to.
  soup_message_headers_replace(resp, "Access-Control-Allow-Origin", origin ? origin : "*");
  if (origin) soup_message_headers_append(resp, "Vary", "Origin");
  soup_message_headers_replace(resp, "Access-Control-Allow-Methods", "GET, POST, OPTIONS");
  const char *wanted = soup_message_headers_get_one(req, "Access-Control-Request-Headers");
  soup_message_headers_replace(resp, "Access-Control-Allow-Headers",
                               wanted ? wanted : "Content-Type, Authorization");
  soup_message_headers_replace(resp, "Access-Control-Allow-Credentials", "true");
  soup_message_headers_replace(resp, "Access-Control-Max-Age", "86400");
}

void set_body(SoupServerMessage *msg, guint status, const char *type, const std::string &body) {
  soup_server_message_set_status(msg, status, nullptr);
  soup_server_message_set_response(msg, type, SOUP_MEMORY_COPY, body.data(), body.size());
}

std::string to_json(JsonObject *obj) {
  GRef<JsonNode> node = GRef<JsonNode>::adopt(json_node_init_object(json_node_alloc(), obj));
  return json_to_text(node.get());  // escapes what json-glib leaves raw (U+001F)
}

// JSONP callback names are echoed into JavaScript: only identifier characters and dots.
bool is_safe_callback(const char *name) {
  if (!name || !*name || strlen(name) > 128) return false;
  for (const char *p = name; *p; p++) {
    if (!g_ascii_isalnum(*p) && *p != '_' && *p != '$' && *p != '.') return false;
  }
  return true;
}

void send_json(SoupServerMessage *msg, guint status, JsonObject *answer, const char *callback) {
  std::string json = to_json(answer);
  if (callback) {
    set_body(msg, status, "application/javascript", std::string(callback) + "(" + json + ");\n");
  } else {
    set_body(msg, status, "application/json", json);
  }
}

void send_error(SoupServerMessage *msg, guint status, const std::string &what) {
  GRef<JsonObject> answer = GRef<JsonObject>::adopt(json_object_new());
  json_object_set_string_member(answer.get(), "error", what.c_str());
  send_json(msg, status, answer.get(), nullptr);
}

void serve_panel(SoupServerMessage *msg) {
  GRef<GBytes> page = GRef<GBytes>::adopt(g_resources_lookup_data(
      "/org/estuary/webui/index.html", G_RESOURCE_LOOKUP_FLAGS_NONE, nullptr));
  if (!page) {
    set_body(msg, 500, "text/plain", "web panel missing from the build\n");
    return;
  }
  soup_server_message_set_status(msg, 200, nullptr);
  soup_server_message_set_response(msg, "text/html; charset=utf-8", SOUP_MEMORY_COPY,
                                   static_cast<const char *>(
                                   g_bytes_get_data(page.get(), nullptr)),
                                   g_bytes_get_size(page.get()));
}

// Looks a parameter up in the URL query, then in a form-encoded POST body.
const char *param(GHashTable *query, GHashTable *form, const char *name) {
  const char *v = query ? static_cast<const char *>(g_hash_table_lookup(query, name)) : nullptr;
  if (!v && form) v = static_cast<const char *>(g_hash_table_lookup(form, name));
  return v;
}

}  // namespace

bool api_is_trusted_address(GSocketAddress *address) {
  if (!address || !G_IS_INET_SOCKET_ADDRESS(address)) return false;
  const char *test = g_getenv("ESTUARY_TEST_UNTRUSTED_LOOPBACK");
  if (test && g_str_equal(test, "1")) return false;
  GInetAddress *inet = g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(address));
  if (g_inet_address_get_is_loopback(inet)) return true;
  // IPv4-mapped IPv6 loopback, ::ffff:127.x.y.z
  if (g_inet_address_get_family(inet) == G_SOCKET_FAMILY_IPV6) {
    const guint8 *b = g_inet_address_to_bytes(inet);
    static const guint8 mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return memcmp(b, mapped, 12) == 0 && b[12] == 127;
  }
  return false;
}

ApiServer::ApiServer(Controller &ctl)
    : ctl_(ctl), server_(GRef<SoupServer>::adopt(soup_server_new("server-header", "estuary", nullptr))) {
  soup_server_add_early_handler(server_.get(), nullptr, on_early, this, nullptr);
  soup_server_add_handler(server_.get(), nullptr, on_request, this, nullptr);
}

ApiServer::~ApiServer() { soup_server_disconnect(server_.get()); }

bool ApiServer::listen(const std::string &interface, guint16 port, GError **error) {
  GRef<GInetAddress> addr = GRef<GInetAddress>::adopt(g_inet_address_new_from_string(interface.c_str()));
  if (!addr) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "'%s' is not an IP address",
                interface.c_str());
    return false;
  }
  GRef<GSocketAddress> sa = GRef<GSocketAddress>::adopt(g_inet_socket_address_new(addr.get(), port));
  // Our own socket, for a listen backlog that survives bursts of clients (GLib's default is 10).
  GRef<GSocket> socket = GRef<GSocket>::adopt(g_socket_new(
      g_inet_address_get_family(addr.get()), G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error));
  if (!socket) return false;
  g_socket_set_listen_backlog(socket.get(), kListenBacklog);
  if (!g_socket_bind(socket.get(), sa.get(), TRUE, error) || !g_socket_listen(socket.get(), error) ||
      !soup_server_listen_socket(server_.get(), socket.get(), static_cast<SoupServerListenOptions>(0),
                                 error)) {
    g_prefix_error(error, "API on %s:%u: ", interface.c_str(), port);
    return false;
  }
  return true;
}

guint16 ApiServer::port() const {
  GSList *listeners = soup_server_get_listeners(server_.get());
  guint16 port = 0;
  if (listeners) {
    GRef<GSocketAddress> local = GRef<GSocketAddress>::adopt(
        g_socket_get_local_address(G_SOCKET(listeners->data), nullptr));
    if (local) port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(local.get()));
  }
  g_slist_free(listeners);
  return port;
}

void ApiServer::on_early(SoupServer *, SoupServerMessage *msg, const char *, GHashTable *, gpointer) {
  SoupMessageHeaders *req = soup_server_message_get_request_headers(msg);
  SoupEncoding encoding = soup_message_headers_get_encoding(req);
  bool refuse = encoding == SOUP_ENCODING_CHUNKED || encoding == SOUP_ENCODING_EOF ||
                (encoding == SOUP_ENCODING_CONTENT_LENGTH &&
                 soup_message_headers_get_content_length(req) > kMaxBodyBytes);
  // libsoup still reads a refused body (unless the client sent Expect: 100-continue) before it
  // answers; without this it would also keep all of it in memory, whatever its size.
  if (refuse)
    soup_message_body_set_accumulate(soup_server_message_get_request_body(msg), FALSE);
  if (encoding == SOUP_ENCODING_CHUNKED || encoding == SOUP_ENCODING_EOF) {
    add_cors_headers(msg);
    send_error(msg, 411, "request body: send a Content-Length");
  } else if (encoding == SOUP_ENCODING_CONTENT_LENGTH &&
             soup_message_headers_get_content_length(req) > kMaxBodyBytes) {
    add_cors_headers(msg);
    send_error(msg, 413, "request body: larger than " + std::to_string(kMaxBodyBytes) + " bytes");
  }
}

void ApiServer::on_request(SoupServer *, SoupServerMessage *msg, const char *path,
                           GHashTable *query, gpointer self) {
  static_cast<ApiServer *>(self)->handle(msg, path, query);
}

void ApiServer::handle(SoupServerMessage *msg, const char *path, GHashTable *query) {
  add_cors_headers(msg);
  const char *method = soup_server_message_get_method(msg);
  if (g_str_equal(method, "OPTIONS")) {
    soup_server_message_set_status(msg, 204, nullptr);
    return;
  }
  if (!g_str_equal(method, "GET") && !g_str_equal(method, "POST") && !g_str_equal(method, "HEAD")) {
    send_error(msg, 405, "method: only GET, POST and OPTIONS are served");
    return;
  }

  bool is_api = g_str_equal(path, "/api") || g_str_equal(path, "/api2");
  bool minimal = g_str_equal(path, "/api2");

  // The command: a `command` parameter (query or form body), or a JSON body.
  SoupMessageBody *body = soup_server_message_get_request_body(msg);
  GRef<GBytes> body_bytes = GRef<GBytes>::adopt(soup_message_body_flatten(body));
  std::string_view body_text(static_cast<const char *>(g_bytes_get_data(body_bytes.get(), nullptr)),
                             g_bytes_get_size(body_bytes.get()));
  const char *content_type =
      soup_message_headers_get_content_type(soup_server_message_get_request_headers(msg), nullptr);
  GHashTable *form = nullptr;
  std::string command_text;
  bool have_command = false;
  if (g_str_equal(method, "POST") && content_type &&
      g_str_equal(content_type, "application/json")) {
    command_text.assign(body_text);
    have_command = true;
  } else if (g_str_equal(method, "POST") && !body_text.empty()) {
    form = soup_form_decode(std::string(body_text).c_str());
  }
  // HEAD only asks what a GET would answer: it never runs calls.
  if (!have_command && !g_str_equal(method, "HEAD")) {
    const char *c = param(query, form, "command");
    if (c) {
      command_text = c;
      have_command = true;
    }
  }
  const char *callback = param(query, form, "callback");
  if (!callback) callback = param(query, form, "jsonp");
  std::string callback_copy = callback ? callback : "";
  if (form) g_hash_table_unref(form);

  if (!have_command && !is_api) {
    serve_panel(msg);
    return;
  }
  if (!callback_copy.empty() && !is_safe_callback(callback_copy.c_str())) {
    send_error(msg, 400, "callback: only letters, digits, '_', '$' and '.' are allowed");
    return;
  }
  const char *cb = callback_copy.empty() ? nullptr : callback_copy.c_str();

  GRef<JsonObject> command;
  if (have_command && !command_text.empty()) {
    GRef<JsonParser> parser = GRef<JsonParser>::adopt(json_parser_new());
    GError *error = nullptr;
    if (!json_depth_within(command_text)) {
      if (!is_api) {
        serve_panel(msg);
      } else {
        send_error(msg, 400, "command: nested deeper than " + std::to_string(kMaxJsonDepth) +
                                 " levels");
      }
      return;
    }
    bool parsed = json_parser_load_from_data(parser.get(), command_text.data(),
                                             static_cast<gssize>(command_text.size()), &error);
    JsonNode *root = parsed ? json_parser_get_root(parser.get()) : nullptr;
    if ((!root || !JSON_NODE_HOLDS_OBJECT(root)) && !is_api) {
      // Manual 4.1: only /api and /api2 promise JSON; an invalid request elsewhere gets the panel.
      g_clear_error(&error);
      serve_panel(msg);
      return;
    }
    if (!parsed) {
      std::string what = std::string("command: not valid JSON (") + error->message + ")";
      g_error_free(error);
      send_error(msg, 400, what);
      return;
    }
    if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
      send_error(msg, 400, "command: must be a JSON object");
      return;
    }
    command = GRef<JsonObject>::ref(json_node_get_object(root));
  } else {
    command = GRef<JsonObject>::adopt(json_object_new());
  }

  GSocketAddress *remote = soup_server_message_get_remote_address(msg);
  ApiSession &session = ApiSession::of(soup_server_message_get_socket(msg));
  GRef<JsonObject> answer = GRef<JsonObject>::adopt(json_object_new());
  LoginResult login = api_login(ctl_, session, remote, command.get(), answer.get());
  if (login == LoginResult::kAuthorized) {
    if (json_object_has_member(command.get(), "minimal") &&
        json_int_or(command.get(), "minimal", 1) != 0)
      minimal = true;
    api_run(ctl_, command.get(), answer.get(), minimal);
    json_object_set_int_member(answer.get(), "LTS", 1);
  } else if (login == LoginResult::kClose) {
    soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Connection",
                                 "close");
  }
  send_json(msg, 200, answer.get(), cb);
}

}  // namespace estuary
