#include "servers/output-catalog.h"

namespace estuary {

namespace {

GRef<JsonObject> copy_object(JsonObject *o) {
  if (!o) return GRef<JsonObject>::adopt(json_object_new());
  GRef<JsonNode> node = GRef<JsonNode>::adopt(json_node_init_object(json_node_alloc(), o));
  GRef<JsonNode> copy = GRef<JsonNode>::adopt(json_node_copy(node.get()));
  return GRef<JsonObject>::ref(json_node_get_object(copy.get()));
}

// The URL extension of each progressive format, as the connectors' url_match spell them.
const char *extension_of(OutputFormat format) {
  switch (format) {
    case OutputFormat::kTS: return "ts";
    case OutputFormat::kFLV: return "flv";
    case OutputFormat::kFMP4: return "mp4";
    case OutputFormat::kWebM: return "webm";
    case OutputFormat::kMKV: return "mkv";
    case OutputFormat::kMP3: return "mp3";
    case OutputFormat::kAAC: return "aac";
    case OutputFormat::kOGG: return "ogg";
    case OutputFormat::kWAV: return "wav";
    case OutputFormat::kWebVTT: return "vtt";
    case OutputFormat::kSRT: return "srt";
  }
  return "";
}

// Whether member `name` of `connector` is `pattern` or, as an array, holds it.
bool member_has(JsonObject *connector, const char *name, const std::string &pattern) {
  JsonNode *n = json_object_get_member(connector, name);
  if (!n) return false;
  if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING) {
    return pattern == json_node_get_string(n);
  }
  if (!JSON_NODE_HOLDS_ARRAY(n)) return false;
  JsonArray *a = json_node_get_array(n);
  for (guint i = 0; i < json_array_get_length(a); i++) {
    JsonNode *e = json_array_get_element(a, i);
    if (JSON_NODE_HOLDS_VALUE(e) && json_node_get_value_type(e) == G_TYPE_STRING &&
        pattern == json_node_get_string(e)) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::string OutputCatalog::Snapshot::connector_of(const HttpRoute &route) const {
  std::string pattern;
  std::vector<const char *> members;
  switch (route.kind) {
    case HttpRoute::Kind::kHlsMaster:
    case HttpRoute::Kind::kHlsMedia:
    case HttpRoute::Kind::kHlsSegment:
      pattern = "/hls/$/";
      members = {"url_prefix"};
      break;
    case HttpRoute::Kind::kProgressive:
      pattern = std::string("/$.") + extension_of(route.format);
      members = {"url_match", "url_rel"};
      break;
    default:
      return "";
  }
  if (!connectors) return "";
  std::string found;
  GList *names = json_object_get_members(connectors.get());
  for (GList *l = names; l && found.empty(); l = l->next) {
    const char *name = static_cast<const char *>(l->data);
    JsonNode *n = json_object_get_member(connectors.get(), name);
    if (!JSON_NODE_HOLDS_OBJECT(n)) continue;
    for (const char *member : members) {
      if (member_has(json_node_get_object(n), member, pattern)) {
        found = name;
        break;
      }
    }
  }
  g_list_free(names);
  return found;
}

std::string OutputCatalog::Snapshot::disabled_connector(const HttpRoute &route) const {
  std::string connector = connector_of(route);
  if (connector.empty()) return "";
  for (const info::EnabledProtocol &p : enabled) {
    if (p.connector == connector) return "";
  }
  return connector;
}

OutputCatalog::OutputCatalog(JsonObject *connectors) {
  auto s = std::make_shared<Snapshot>();
  s->connectors = copy_object(connectors);
  snapshot_ = std::move(s);
}

void OutputCatalog::set_protocols(JsonArray *protocols) {
  auto s = std::make_shared<Snapshot>();
  std::lock_guard<std::mutex> guard(lock_);
  s->connectors = snapshot_->connectors;
  s->enabled = info::enabled_protocols_from_config(protocols);
  snapshot_ = std::move(s);
}

std::shared_ptr<const OutputCatalog::Snapshot> OutputCatalog::snapshot() const {
  std::lock_guard<std::mutex> guard(lock_);
  return snapshot_;
}

}  // namespace estuary
