// API family: streams, addstream, deletestream (manual 4.1.3 - 4.1.5).
#include <string>
#include <vector>

#include "controller/api-call.h"
#include "controller/config-schema.h"
#include "controller/controller.h"
#include "controller/log.h"
#include "protocols/stream-name.h"

namespace estuary {

namespace {

// The answer's "streams" object, created as an incomplete list when the call changes only part.
JsonObject *incomplete_streams(ApiCall &call) {
  JsonNode *existing = json_object_get_member(call.reply, "streams");
  if (existing && JSON_NODE_HOLDS_OBJECT(existing)) return json_node_get_object(existing);
  JsonObject *streams = json_object_new();
  json_object_set_int_member(streams, "incomplete list", 1);
  json_object_set_object_member(call.reply, "streams", streams);
  return streams;
}

struct NewStream {
  std::string name;
  GRef<JsonNode> settings;
};

// Checks every stream of `list` (name -> settings) and returns them with canonical names, or an
// empty vector after reporting the first problem. Nothing is changed here.
bool parse_stream_list(ApiCall &call, const char *callname, JsonObject *list,
                       std::vector<NewStream> &out) {
  GList *names = json_object_get_members(list);
  bool ok = true;
  for (GList *l = names; l && ok; l = l->next) {
    const char *raw = static_cast<const char *>(l->data);
    if (g_str_equal(raw, "incomplete list")) continue;
    std::string name = sanitize_stream_name(raw);
    JsonNode *settings = json_object_get_member(list, raw);
    if (name.empty() || name[0] == '+') {
      call.fail(callname, std::string("stream name '") + raw + "' has no valid characters (a-z, 0-9, _)");
      ok = false;
    } else if (name.find('+') != std::string::npos) {
      call.fail(callname, "stream name '" + name + "': wildcard streams are configured by their base name");
      ok = false;
    } else if (auto err = validate_stream(settings, name)) {
      call.fail(callname, "stream " + err->path + " " + err->message);
      ok = false;
    } else if (!json_string_or(json_node_get_object(settings), "source", nullptr)) {
      call.fail(callname, "stream " + name + ".source is missing");
      ok = false;
    } else {
      GRef<JsonNode> copy = GRef<JsonNode>::adopt(json_node_copy(settings));
      json_object_set_string_member(json_node_get_object(copy.get()), "name", name.c_str());
      out.push_back(NewStream{name, std::move(copy)});
    }
  }
  g_list_free(names);
  return ok;
}

}  // namespace

JsonObject *api_streams_answer(Controller &ctl) {
  GRef<JsonNode> copy = GRef<JsonNode>::adopt(
      json_node_copy(json_object_get_member(ctl.config.root(), "streams")));
  return json_object_ref(json_node_get_object(copy.get()));
}

void api_streams(ApiCall &call, JsonNode *arg) {
  if (JSON_NODE_HOLDS_OBJECT(arg)) {
    std::vector<NewStream> parsed;
    if (!parse_stream_list(call, "streams", json_node_get_object(arg), parsed)) return;
    JsonObject *streams = json_object_new();
    for (NewStream &s : parsed) json_object_set_member(streams, s.name.c_str(), s.settings.release());
    json_object_set_object_member(call.ctl.config.root(), "streams", streams);
    GST_CAT_INFO(log::cat_api, "stream list replaced (%zu streams)", parsed.size());
    call.config_changed = true;
  }
  json_object_set_object_member(call.reply, "streams", api_streams_answer(call.ctl));
}

void api_addstream(ApiCall &call, JsonNode *arg) {
  if (!JSON_NODE_HOLDS_OBJECT(arg)) {
    call.fail("addstream", "must be an object of stream name -> settings");
    return;
  }
  std::vector<NewStream> parsed;
  if (!parse_stream_list(call, "addstream", json_node_get_object(arg), parsed)) return;
  JsonObject *answer = incomplete_streams(call);
  for (NewStream &s : parsed) {
    GST_CAT_INFO(log::cat_api, "stream %s added or updated", s.name.c_str());
    json_object_set_member(answer, s.name.c_str(), json_node_copy(s.settings.get()));
    json_object_set_member(call.ctl.config.streams(), s.name.c_str(), s.settings.release());
  }
  if (!parsed.empty()) call.config_changed = true;
}

void api_deletestream(ApiCall &call, JsonNode *arg) {
  std::vector<std::string> names;
  if (JSON_NODE_HOLDS_OBJECT(arg)) {
    GList *members = json_object_get_members(json_node_get_object(arg));
    for (GList *l = members; l; l = l->next) names.emplace_back(static_cast<const char *>(l->data));
    g_list_free(members);
  } else if (JSON_NODE_HOLDS_ARRAY(arg)) {
    JsonArray *arr = json_node_get_array(arg);
    for (guint i = 0; i < json_array_get_length(arr); i++) {
      JsonNode *el = json_array_get_element(arr, i);
      if (!JSON_NODE_HOLDS_VALUE(el) || json_node_get_value_type(el) != G_TYPE_STRING) {
        call.fail("deletestream", "array element " + std::to_string(i) + " must be a string");
        return;
      }
      names.emplace_back(json_node_get_string(el));
    }
  } else if (JSON_NODE_HOLDS_VALUE(arg) && json_node_get_value_type(arg) == G_TYPE_STRING) {
    names.emplace_back(json_node_get_string(arg));
  } else {
    call.fail("deletestream", "must be a stream name, an array of names or an object");
    return;
  }
  incomplete_streams(call);
  JsonObject *streams = call.ctl.config.streams();
  for (const std::string &raw : names) {
    std::string name = sanitize_stream_name(raw);
    if (!json_object_has_member(streams, name.c_str())) continue;
    json_object_remove_member(streams, name.c_str());
    GST_CAT_INFO(log::cat_api, "stream %s deleted", name.c_str());
    call.config_changed = true;
  }
}

}  // namespace estuary
