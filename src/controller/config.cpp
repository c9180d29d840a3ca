#include "controller/config.h"

#include <cstring>
#include <map>
#include <utility>

#include "controller/config-schema.h"
#include "controller/log.h"

namespace estuary {

G_DEFINE_QUARK(estuary-config-error-quark, estuary_config_error)

namespace {

JsonObject *ensure_object(JsonObject *parent, const char *name) {
  JsonNode *node = json_object_get_member(parent, name);
  if (!node || !JSON_NODE_HOLDS_OBJECT(node)) {
    json_object_set_object_member(parent, name, json_object_new());
    node = json_object_get_member(parent, name);
  }
  return json_node_get_object(node);
}

JsonArray *ensure_array(JsonObject *parent, const char *name) {
  JsonNode *node = json_object_get_member(parent, name);
  if (!node || !JSON_NODE_HOLDS_ARRAY(node)) {
    json_object_set_array_member(parent, name, json_array_new());
    node = json_object_get_member(parent, name);
  }
  return json_node_get_array(node);
}

// Where each member ended in the file, recorded while parsing, so type errors can name a line.
using PositionMap = std::map<std::pair<JsonObject *, std::string>, std::pair<guint, guint>>;

void on_object_member(JsonParser *parser, JsonObject *object, const gchar *member, gpointer data) {
  auto *positions = static_cast<PositionMap *>(data);
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  (*positions)[{object, member}] = {json_parser_get_current_line(parser),
                                    json_parser_get_current_pos(parser)};
  G_GNUC_END_IGNORE_DEPRECATIONS
}

}  // namespace

Config::Config() : root_(GRef<JsonNode>::adopt(json_node_init_object(json_node_alloc(),
                                                                     json_object_new()))) {
  fill_defaults();
}

void Config::fill_defaults() const {
  JsonObject *top = root();
  JsonObject *cfg = ensure_object(top, "config");
  ensure_object(cfg, "controller");
  ensure_array(cfg, "protocols");
  ensure_object(cfg, "triggers");
  ensure_object(top, "streams");
  ensure_object(top, "account");
  ensure_object(top, "push_settings");
  ensure_array(top, "autopushes");
  ensure_object(top, "ui_settings");
}

bool Config::load(const std::string &path, GError **error) {
  path_ = path;
  GError *read_error = nullptr;
  gchar *contents = nullptr;
  gsize length = 0;
  if (!g_file_get_contents(path.c_str(), &contents, &length, &read_error)) {
    if (g_error_matches(read_error, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
      g_error_free(read_error);
      existed_ = false;
      GST_CAT_INFO(log::cat_config, "%s does not exist yet: starting with an empty configuration",
                   path.c_str());
      return true;
    }
    g_propagate_prefixed_error(error, read_error, "%s: ", path.c_str());
    return false;
  }
  GCharPtr owned(contents);
  existed_ = true;

  PositionMap positions;
  GRef<JsonParser> parser = GRef<JsonParser>::adopt(json_parser_new());
  g_signal_connect(parser.get(), "object-member", G_CALLBACK(on_object_member), &positions);
  GError *parse_error = nullptr;
  if (!json_parser_load_from_data(parser.get(), contents, length, &parse_error)) {
    // json-glib's message is "<data>:LINE:COLUMN: what" for in-memory data; keep LINE:COLUMN.
    const char *what = parse_error->message;
    if (g_str_has_prefix(what, "<data>:")) what += strlen("<data>:");
    g_set_error(error, ESTUARY_CONFIG_ERROR, ESTUARY_CONFIG_ERROR_PARSE, "%s:%s", path.c_str(),
                what);
    g_error_free(parse_error);
    return false;
  }
  JsonNode *root = json_parser_get_root(parser.get());
  if (auto err = validate_config_root(root)) {
    guint line = 1, column = 1;
    if (auto it = positions.find({err->parent, err->member}); it != positions.end()) {
      line = it->second.first;
      column = it->second.second;
    }
    g_set_error(error, ESTUARY_CONFIG_ERROR, ESTUARY_CONFIG_ERROR_TYPE, "%s:%u:%u: %s %s",
                path.c_str(), line, column, err->path.c_str(), err->message.c_str());
    return false;
  }
  root_ = GRef<JsonNode>::adopt(json_node_copy(root));
  fill_defaults();
  return true;
}

bool Config::save(GError **error) const {
  std::string text = to_string();
  // CONSISTENT|DURABLE: write a temp file beside the target, fsync it, rename over the target.
  if (!g_file_set_contents_full(path_.c_str(), text.data(), static_cast<gssize>(text.size()),
                                static_cast<GFileSetContentsFlags>(G_FILE_SET_CONTENTS_CONSISTENT |
                                                                   G_FILE_SET_CONTENTS_DURABLE),
                                0600, error)) {
    g_prefix_error(error, "saving the configuration: ");
    return false;
  }
  GST_CAT_INFO(log::cat_config, "configuration saved to %s", path_.c_str());
  return true;
}

std::string Config::to_string() const {
  GRef<JsonGenerator> gen = GRef<JsonGenerator>::adopt(json_generator_new());
  json_generator_set_pretty(gen.get(), TRUE);
  json_generator_set_indent(gen.get(), 1);
  json_generator_set_root(gen.get(), root_.get());
  GCharPtr text(json_generator_to_data(gen.get(), nullptr));
  return std::string(text.get()) + "\n";
}

JsonObject *Config::config() const { return ensure_object(root(), "config"); }
JsonObject *Config::controller() const { return ensure_object(config(), "controller"); }
JsonArray *Config::protocols() const { return ensure_array(config(), "protocols"); }
JsonObject *Config::streams() const { return ensure_object(root(), "streams"); }
JsonObject *Config::accounts() const { return ensure_object(root(), "account"); }
JsonObject *Config::ui_settings() const { return ensure_object(root(), "ui_settings"); }

void Config::set_member(JsonObject *parent, const char *name, JsonNode *value) {
  json_object_set_member(parent, name, value);
}

gint64 json_int_or(JsonObject *obj, const char *name, gint64 fallback) {
  JsonNode *node = obj ? json_object_get_member(obj, name) : nullptr;
  if (!node || !JSON_NODE_HOLDS_VALUE(node)) return fallback;
  GType t = json_node_get_value_type(node);
  if (t == G_TYPE_INT64) return json_node_get_int(node);
  if (t == G_TYPE_DOUBLE) return static_cast<gint64>(json_node_get_double(node));
  return fallback;
}

const char *json_string_or(JsonObject *obj, const char *name, const char *fallback) {
  JsonNode *node = obj ? json_object_get_member(obj, name) : nullptr;
  if (!node || !JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING)
    return fallback;
  return json_node_get_string(node);
}

bool json_depth_within(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return false;
    } else if (c == ']' || c == '}') {
      depth--;
    }
  }
  return true;
}

JsonNode *json_deep_copy(JsonNode *node) {
  if (JSON_NODE_HOLDS_OBJECT(node)) {
    JsonObject *src = json_node_get_object(node);
    JsonObject *dst = json_object_new();
    GList *names = json_object_get_members(src);
    for (GList *l = names; l; l = l->next) {
      const char *name = static_cast<const char *>(l->data);
      json_object_set_member(dst, name, json_deep_copy(json_object_get_member(src, name)));
    }
    g_list_free(names);
    JsonNode *out = json_node_new(JSON_NODE_OBJECT);
    json_node_take_object(out, dst);
    return out;
  }
  if (JSON_NODE_HOLDS_ARRAY(node)) {
    JsonArray *src = json_node_get_array(node);
    JsonArray *dst = json_array_new();
    for (guint i = 0; i < json_array_get_length(src); i++)
      json_array_add_element(dst, json_deep_copy(json_array_get_element(src, i)));
    JsonNode *out = json_node_new(JSON_NODE_ARRAY);
    json_node_take_array(out, dst);
    return out;
  }
  return json_node_copy(node);  // values and null: nothing shared
}

bool json_equal(JsonNode *a, JsonNode *b) {
  if (!a || !b) return a == b;
  // json_node_equal compares objects member-wise regardless of order, and numbers by value.
  return json_node_equal(a, b);
}

}  // namespace estuary
