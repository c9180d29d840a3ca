#include "controller/api-server.h"

#include <cstring>
#include <string_view>

#include "controller/api-call.h"
#include "controller/api-session.h"
#include "controller/controller.h"
#include "controller/log.h"
#include "elements/estbuffer-meta.h"
#include "protocols/http/request-head.h"

namespace estuary {

namespace {

void add_cors_headers(HttpExchange &ex) {
  const std::string *origin = ex.header("Origin");
  // Echoing the origin (rather than '*') lets browser clients send credentials if they want to.
  ex.add_header("Access-Control-Allow-Origin", origin ? *origin : "*");
  if (origin) ex.add_header("Vary", "Origin");
  ex.add_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
  const std::string *wanted = ex.header("Access-Control-Request-Headers");
  ex.add_header("Access-Control-Allow-Headers", wanted ? *wanted : "Content-Type, Authorization");
  ex.add_header("Access-Control-Allow-Credentials", "true");
  ex.add_header("Access-Control-Max-Age", "86400");
}

std::string to_json(JsonObject *obj) {
  GRef<JsonNode> node = GRef<JsonNode>::adopt(json_node_init_object(json_node_alloc(), obj));
  return json_to_text(node.get());  // escapes what json-glib leaves raw (U+001F)
}

// JSONP callback names are echoed into JavaScript: only identifier characters and dots.
bool is_safe_callback(const std::string &name) {
  if (name.empty() || name.size() > 128) return false;
  for (char c : name) {
    if (!g_ascii_isalnum(c) && c != '_' && c != '$' && c != '.') return false;
  }
  return true;
}

void send_json(HttpExchange &ex, guint status, JsonObject *answer, const std::string *callback) {
  std::string json = to_json(answer);
  if (callback) {
    ex.respond(status, "application/javascript", *callback + "(" + json + ");\n");
  } else {
    ex.respond(status, "application/json", json);
  }
}

void send_error(HttpExchange &ex, guint status, const std::string &what) {
  GRef<JsonObject> answer = GRef<JsonObject>::adopt(json_object_new());
  json_object_set_string_member(answer.get(), "error", what.c_str());
  send_json(ex, status, answer.get(), nullptr);
}

// The media type of a Content-Type value, without parameters, lower-cased.
std::string media_type(const std::string *value) {
  if (!value) return "";
  std::string_view v(*value);
  v = v.substr(0, v.find(';'));
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  GCharPtr lower(g_ascii_strdown(v.data(), static_cast<gssize>(v.size())));
  return lower.get();
}

// Looks a parameter up in the URL query, then in a form-encoded POST body.
const std::string *param(const HttpExchange &ex, const http::HeaderList &form, std::string_view name) {
  if (const std::string *v = ex.query(name)) return v;
  for (const auto &kv : form)
    if (kv.first == name) return &kv.second;
  return nullptr;
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

ApiServer::ApiServer(Controller &ctl) : ctl_(ctl) {
  Http1Limits limits;
  limits.max_head_bytes = kMaxHeadBytes;
  limits.max_body_bytes = kMaxBodyBytes;
  // The server's own refusals (411, 413, 400, 408, 431) keep the API's shape: CORS and JSON.
  auto error_page = [](HttpExchange &ex, guint status, const std::string &reason) {
    add_cors_headers(ex);
    send_error(ex, status, reason);
  };
  server_ = std::make_unique<Http1Server>(
      "estuary", limits, [this](const std::shared_ptr<HttpExchange> &ex) { handle(ex); },
      error_page);
}

ApiServer::~ApiServer() = default;

bool ApiServer::listen(const std::string &interface, guint16 port, GError **error) {
  GRef<GInetAddress> addr = GRef<GInetAddress>::adopt(g_inet_address_new_from_string(interface.c_str()));
  if (!addr) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "'%s' is not an IP address",
                interface.c_str());
    return false;
  }
  GRef<GMainContext> context = GRef<GMainContext>::adopt(g_main_context_ref_thread_default());
  if (!server_->listen(context.get(), addr.get(), port, error)) {
    g_prefix_error(error, "API on %s:%u: ", interface.c_str(), port);
    return false;
  }
  return true;
}

guint16 ApiServer::port() const { return static_cast<guint16>(server_->port()); }

void ApiServer::serve_panel(HttpExchange &ex) {
  if (!panel_) {
    panel_ = GRef<GBytes>::adopt(g_resources_lookup_data("/org/estuary/webui/index.html",
                                                         G_RESOURCE_LOOKUP_FLAGS_NONE, nullptr));
  }
  if (!panel_) {
    ex.respond(500, "text/plain", "web panel missing from the build\n");
    return;
  }
  ex.respond_bytes(200, "text/html; charset=utf-8", panel_.get());
}

void ApiServer::handle(const std::shared_ptr<HttpExchange> &exchange) {
  HttpExchange &ex = *exchange;
  add_cors_headers(ex);
  const std::string &method = ex.method();
  if (method == "OPTIONS") {
    ex.respond(204, "", "");
    return;
  }
  bool is_head = method == "HEAD", is_post = method == "POST";
  if (method != "GET" && !is_post && !is_head) {
    send_error(ex, 405, "method: only GET, POST and OPTIONS are served");
    return;
  }

  const std::string &path = ex.path();
  bool is_api = path == "/api" || path == "/api2";
  bool minimal = path == "/api2";

  // The command: a `command` parameter (query or form body), or a JSON body.
  http::HeaderList form;
  std::string_view command_text;
  bool have_command = false;
  if (is_post && media_type(ex.header("Content-Type")) == "application/json") {
    command_text = ex.body();
    have_command = true;
  } else if (is_post && !ex.body().empty()) {
    form = http::decode_form(ex.body());
  }
  // HEAD only asks what a GET would answer: it never runs calls.
  if (!have_command && !is_head) {
    if (const std::string *c = param(ex, form, "command")) {
      command_text = *c;
      have_command = true;
    }
  }
  const std::string *callback = param(ex, form, "callback");
  if (!callback) callback = param(ex, form, "jsonp");
  if (callback && callback->empty()) callback = nullptr;

  if (!have_command && !is_api) {
    serve_panel(ex);
    return;
  }
  if (callback && !is_safe_callback(*callback)) {
    send_error(ex, 400, "callback: only letters, digits, '_', '$' and '.' are allowed");
    return;
  }

  GRef<JsonObject> command;
  if (have_command && !command_text.empty()) {
    if (!json_depth_within(command_text)) {
      if (!is_api) {
        serve_panel(ex);
      } else {
        send_error(ex, 400, "command: nested deeper than " + std::to_string(kMaxJsonDepth) +
                                " levels");
      }
      return;
    }
    GRef<JsonParser> parser = GRef<JsonParser>::adopt(json_parser_new());
    GError *error = nullptr;
    bool parsed = json_parser_load_from_data(parser.get(), command_text.data(),
                                             static_cast<gssize>(command_text.size()), &error);
    JsonNode *root = parsed ? json_parser_get_root(parser.get()) : nullptr;
    if ((!root || !JSON_NODE_HOLDS_OBJECT(root)) && !is_api) {
      // Manual 4.1: only /api and /api2 promise JSON; an invalid request elsewhere gets the panel.
      g_clear_error(&error);
      serve_panel(ex);
      return;
    }
    if (!parsed) {
      std::string what = std::string("command: not valid JSON (") + error->message + ")";
      g_error_free(error);
      send_error(ex, 400, what);
      return;
    }
    if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
      send_error(ex, 400, "command: must be a JSON object");
      return;
    }
    command = GRef<JsonObject>::ref(json_node_get_object(root));
  } else {
    command = GRef<JsonObject>::adopt(json_object_new());
  }

  auto &slot = ex.connection_slot();
  if (!slot) slot = std::make_shared<ApiSession>();
  ApiSession &session = *static_cast<ApiSession *>(slot.get());
  GRef<JsonObject> answer = GRef<JsonObject>::adopt(json_object_new());
  LoginResult login = api_login(ctl_, session, ex.remote_address(), command.get(), answer.get());
  if (login == LoginResult::kAuthorized) {
    if (json_object_has_member(command.get(), "minimal") &&
        json_int_or(command.get(), "minimal", 1) != 0)
      minimal = true;
    api_run(ctl_, command.get(), answer.get(), minimal);
    json_object_set_int_member(answer.get(), "LTS", 1);
  } else if (login == LoginResult::kClose) {
    ex.close_after();
  }
  send_json(ex, 200, answer.get(), callback);
}

}  // namespace estuary
