#include "servers/http-info.h"

#include "elements/estbuffer-meta.h"
#include "protocols/stream-info.h"

#define GST_CAT_DEFAULT estuary_http_debug

namespace estuary::info_handler {

namespace {

constexpr const char *kCrossdomain =
    "<?xml version=\"1.0\"?>\n"
    "<!DOCTYPE cross-domain-policy SYSTEM "
    "\"http://www.adobe.com/xml/dtds/cross-domain-policy.dtd\">\n"
    "<cross-domain-policy>\n"
    "  <site-control permitted-cross-domain-policies=\"all\"/>\n"
    "  <allow-access-from domain=\"*\" secure=\"false\"/>\n"
    "  <allow-http-request-headers-from domain=\"*\" headers=\"*\" secure=\"false\"/>\n"
    "</cross-domain-policy>\n";

GRef<GBytes> lookup(const std::string &path) {
  return GRef<GBytes>::adopt(
      g_resources_lookup_data(path.c_str(), G_RESOURCE_LOOKUP_FLAGS_NONE, nullptr));
}

std::string html_escape(const std::string &s) {
  GCharPtr e(g_markup_escape_text(s.c_str(), static_cast<gssize>(s.size())));
  return e.get();
}

// The json_ text for `stream`, with absolute URLs for this request.
std::string info_json(HttpServerState &state, const HttpExchange &ex, LiveStream &stream) {
  info::SourceQuery q;
  q.stream = stream.name();
  q.live = stream.live();
  http::request_base(state, ex, &q.http_base, &q.host);
  GRef<JsonObject> meta = GRef<JsonObject>::adopt(stream.meta_json());
  if (!meta) meta = GRef<JsonObject>::adopt(json_object_new());
  q.tracks = info::tracks_from_meta(meta.get());
  auto catalog = state.catalog->snapshot();
  GRef<JsonArray> sources =
      GRef<JsonArray>::adopt(info::build_sources(catalog->connectors.get(), catalog->enabled, q));
  GRef<JsonObject> info = GRef<JsonObject>::adopt(info::build_info(meta.get(), sources.get(), q));
  GRef<JsonNode> node = GRef<JsonNode>::adopt(json_node_init_object(json_node_alloc(), info.get()));
  // json_to_text: the meta's "init" strings hold raw bytes (see estbuffer-meta.h).
  return json_to_text(node.get());
}

std::string error_json(const std::string &message) {
  GRef<JsonObject> o = GRef<JsonObject>::adopt(json_object_new());
  json_object_set_string_member(o.get(), "error", message.c_str());
  GRef<JsonNode> node = GRef<JsonNode>::adopt(json_node_init_object(json_node_alloc(), o.get()));
  return json_to_text(node.get());
}

void serve_template(HttpServerState &state, HttpExchange &ex, const HttpRoute &route) {
  bool js = route.kind == HttpRoute::Kind::kEmbedJs;
  GRef<GBytes> bytes =
      lookup(js ? "/org/estuary/player/embed.js" : "/org/estuary/player/stream.html");
  if (!bytes) {
    http::respond(ex, 404, "text/plain", "player not installed\n");
    return;
  }
  std::string base, host;
  http::request_base(state, ex, &base, &host);
  gsize size = 0;
  const char *data = static_cast<const char *>(g_bytes_get_data(bytes.get(), &size));
  std::string text(data ? data : "", size);
  std::string body =
      js ? fill_template(text, info::javascript_escape(route.stream), info::javascript_escape(base))
         : fill_template(text, html_escape(route.stream), html_escape(base));
  http::respond(ex, 200, js ? "application/javascript" : "text/html; charset=utf-8", body);
}

}  // namespace

std::string fill_template(const std::string &text, const std::string &stream,
                          const std::string &host) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    size_t open = text.find("{{", pos);
    if (open == std::string::npos) break;
    out.append(text, pos, open - pos);
    if (text.compare(open, 10, "{{STREAM}}") == 0) {
      out += stream;
      pos = open + 10;
    } else if (text.compare(open, 8, "{{HOST}}") == 0) {
      out += host;
      pos = open + 8;
    } else {
      out += "{{";
      pos = open + 2;
    }
  }
  if (pos < text.size()) out.append(text, pos, std::string::npos);
  return out;
}

void serve(HttpServerState &state, const http::Exchange &ex, const HttpRoute &route) {
  switch (route.kind) {
    case HttpRoute::Kind::kCrossdomain:
      http::respond(*ex, 200, "text/xml", kCrossdomain, "max-age=600");
      return;
    case HttpRoute::Kind::kResource: {
      GRef<GBytes> bytes = lookup(route.resource);
      if (!bytes) {
        http::respond(*ex, 404, "text/plain", "not installed\n");
        return;
      }
      http::respond_bytes(*ex, 200, "application/javascript", bytes.get(), "max-age=3600");
      return;
    }
    case HttpRoute::Kind::kEmbedJs:
    case HttpRoute::Kind::kHtml:
      serve_template(state, *ex, route);
      return;
    case HttpRoute::Kind::kInfoJson:
    case HttpRoute::Kind::kInfoJs:
      break;
    default:
      http::respond_json_error(*ex, 404, "not found");
      return;
  }
  bool js = route.kind == HttpRoute::Kind::kInfoJs;
  const char *type = js ? "application/javascript" : "application/json";
  HttpServerState *st = &state;
  std::string name = route.stream;
  http::with_stream(
      state, ex, name,
      [st, ex, js, type, name](std::shared_ptr<LiveStream> stream) {
        std::string json = info_json(*st, *ex, *stream);
        http::respond(*ex, 200, type, js ? info::info_javascript(name, json) : json);
      },
      [ex, js, type, name](guint status, const std::string &error) {
        std::string json = error_json(error);
        http::respond(*ex, status, type, js ? info::info_javascript(name, json) : json);
      });
}

}  // namespace estuary::info_handler
