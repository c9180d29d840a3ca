#include "servers/listener-settings.h"

namespace estuary {

guint port_setting(JsonObject *settings, guint fallback) {
  JsonNode *n = settings ? json_object_get_member(settings, "port") : nullptr;
  if (!n || !JSON_NODE_HOLDS_VALUE(n)) return fallback;
  gint64 v = -1;
  GType t = json_node_get_value_type(n);
  if (t == G_TYPE_INT64) {
    v = json_node_get_int(n);
  } else if (t == G_TYPE_DOUBLE) {
    v = static_cast<gint64>(json_node_get_double(n));
  } else if (t == G_TYPE_STRING) {
    const char *s = json_node_get_string(n);
    char *end = nullptr;
    v = g_ascii_strtoll(s, &end, 10);
    if (!end || end == s || *end) v = -1;
  }
  return v >= 0 && v <= 65535 ? static_cast<guint>(v) : fallback;
}

std::string string_setting(JsonObject *settings, const char *name, const char *fallback) {
  JsonNode *n = settings ? json_object_get_member(settings, name) : nullptr;
  if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
    return fallback;
  return json_node_get_string(n);
}

}  // namespace estuary
