#include "controller/config-schema.h"

#include <initializer_list>

namespace estuary {

namespace {

enum class Kind { String, Integer, Number, Boolean, Object, Array };

const char *kind_words(Kind k) {
  switch (k) {
    case Kind::String: return "must be a string";
    case Kind::Integer: return "must be an integer";
    case Kind::Number: return "must be a number";
    case Kind::Boolean: return "must be a boolean";
    case Kind::Object: return "must be an object";
    case Kind::Array: return "must be an array";
  }
  return "has the wrong type";
}

bool has_kind(JsonNode *node, Kind k) {
  if (k == Kind::Object) return JSON_NODE_HOLDS_OBJECT(node);
  if (k == Kind::Array) return JSON_NODE_HOLDS_ARRAY(node);
  if (!JSON_NODE_HOLDS_VALUE(node)) return false;
  GType t = json_node_get_value_type(node);
  switch (k) {
    case Kind::String: return t == G_TYPE_STRING;
    case Kind::Integer: return t == G_TYPE_INT64;
    case Kind::Number: return t == G_TYPE_INT64 || t == G_TYPE_DOUBLE;
    // MistServer writes booleans as true/false and sometimes as 0/1.
    case Kind::Boolean: return t == G_TYPE_BOOLEAN || t == G_TYPE_INT64;
    default: return false;
  }
}

struct Field {
  const char *name;
  Kind kind;
};

// Checks the known members of `obj`; null always means "default" and passes.
std::optional<SchemaError> check_fields(JsonObject *obj, const std::string &path,
                                        std::initializer_list<Field> fields) {
  for (const Field &f : fields) {
    JsonNode *member = json_object_get_member(obj, f.name);
    if (!member || JSON_NODE_HOLDS_NULL(member)) continue;
    if (!has_kind(member, f.kind))
      return SchemaError{path + "." + f.name, kind_words(f.kind), obj, f.name};
  }
  return std::nullopt;
}

std::optional<SchemaError> require_object(JsonNode *node, const std::string &path) {
  if (!JSON_NODE_HOLDS_OBJECT(node)) return SchemaError{path, "must be an object"};
  return std::nullopt;
}

// Every member of `obj` must be valid by `each`.
template <typename Fn>
std::optional<SchemaError> check_each_member(JsonObject *obj, const std::string &path, Fn each) {
  GList *names = json_object_get_members(obj);
  std::optional<SchemaError> err;
  for (GList *l = names; l && !err; l = l->next) {
    const char *name = static_cast<const char *>(l->data);
    err = each(json_object_get_member(obj, name), path + "." + name);
    if (err && !err->parent) {
      err->parent = obj;
      err->member = name;
    }
  }
  g_list_free(names);
  return err;
}

std::optional<SchemaError> validate_account(JsonNode *node, const std::string &path) {
  if (auto err = require_object(node, path)) return err;
  return check_fields(json_node_get_object(node), path, {{"password", Kind::String}});
}

std::optional<SchemaError> validate_config_section(JsonNode *node, const std::string &path) {
  if (auto err = require_object(node, path)) return err;
  JsonObject *obj = json_node_get_object(node);
  if (auto err = check_fields(obj, path,
                              {{"controller", Kind::Object}, {"protocols", Kind::Array},
                               {"triggers", Kind::Object}, {"serverid", Kind::String},
                               {"prometheus", Kind::String}, {"accesslog", Kind::String},
                               {"debug", Kind::Integer}}))
    return err;
  if (JsonNode *c = json_object_get_member(obj, "controller"); c && !JSON_NODE_HOLDS_NULL(c))
    if (auto err = validate_controller(c, path + ".controller")) return err;
  if (JsonNode *p = json_object_get_member(obj, "protocols"); p && JSON_NODE_HOLDS_ARRAY(p)) {
    JsonArray *arr = json_node_get_array(p);
    for (guint i = 0; i < json_array_get_length(arr); i++) {
      if (auto err = validate_protocol(json_array_get_element(arr, i),
                                       path + ".protocols[" + std::to_string(i) + "]"))
        return err;
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<SchemaError> validate_controller(JsonNode *node, const std::string &path) {
  if (auto err = require_object(node, path)) return err;
  return check_fields(json_node_get_object(node), path,
                      {{"interface", Kind::String}, {"port", Kind::Integer},
                       {"username", Kind::String}, {"debug", Kind::Integer}});
}

std::optional<SchemaError> validate_protocol(JsonNode *node, const std::string &path) {
  if (auto err = require_object(node, path)) return err;
  JsonObject *obj = json_node_get_object(node);
  JsonNode *connector = json_object_get_member(obj, "connector");
  if (!connector) return SchemaError{path + ".connector", "is missing", obj, ""};
  if (!has_kind(connector, Kind::String))
    return SchemaError{path + ".connector", "must be a string", obj, "connector"};
  return check_fields(obj, path,
                      {{"port", Kind::Integer}, {"interface", Kind::String},
                       {"debug", Kind::Integer}});
}

std::optional<SchemaError> validate_stream(JsonNode *node, const std::string &path) {
  if (auto err = require_object(node, path)) return err;
  return check_fields(json_node_get_object(node), path,
                      {{"source", Kind::String}, {"name", Kind::String},
                       {"always_on", Kind::Boolean}, {"DVR", Kind::Integer},
                       {"cut", Kind::Integer}, {"segmentsize", Kind::Integer},
                       {"resume", Kind::Boolean}, {"stop_sessions", Kind::Boolean}});
}

std::optional<SchemaError> validate_config_root(JsonNode *root) {
  if (!root || !JSON_NODE_HOLDS_OBJECT(root))
    return SchemaError{"(top level)", "must be an object"};
  JsonObject *obj = json_node_get_object(root);
  if (auto err = check_fields(obj, "",
                              {{"config", Kind::Object}, {"streams", Kind::Object},
                               {"account", Kind::Object}, {"push_settings", Kind::Object},
                               {"autopushes", Kind::Array}, {"ui_settings", Kind::Object}})) {
    err->path.erase(0, 1);  // no leading '.' at the top level
    return err;
  }
  if (JsonNode *c = json_object_get_member(obj, "config"); c && JSON_NODE_HOLDS_OBJECT(c))
    if (auto err = validate_config_section(c, "config")) return err;
  if (JsonNode *s = json_object_get_member(obj, "streams"); s && JSON_NODE_HOLDS_OBJECT(s))
    if (auto err = check_each_member(json_node_get_object(s), "streams", validate_stream))
      return err;
  if (JsonNode *a = json_object_get_member(obj, "account"); a && JSON_NODE_HOLDS_OBJECT(a))
    if (auto err = check_each_member(json_node_get_object(a), "account", validate_account))
      return err;
  return std::nullopt;
}

}  // namespace estuary
