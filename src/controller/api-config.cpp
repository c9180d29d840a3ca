// API family: config, addprotocol, deleteprotocol, updateprotocol (manual 4.1.6 - 4.1.9).
#include <string>
#include <vector>

#include "controller/api-call.h"
#include "controller/config-schema.h"
#include "controller/controller.h"
#include "controller/log.h"
#include "estuary-config.h"

namespace estuary {

namespace {

// A protocol entry as a client may send it back: without the `online` state we added.
GRef<JsonNode> without_online(JsonNode *entry) {
  GRef<JsonNode> copy = GRef<JsonNode>::adopt(json_node_copy(entry));
  if (JSON_NODE_HOLDS_OBJECT(copy.get()))
    json_object_remove_member(json_node_get_object(copy.get()), "online");
  return copy;
}

// Collects the protocol objects of an "object or array of objects" argument, validated.
bool protocol_list(ApiCall &call, const char *callname, JsonNode *arg, std::vector<GRef<JsonNode>> &out) {
  auto take = [&](JsonNode *entry, const std::string &path) {
    if (auto err = validate_protocol(entry, path)) {
      call.fail(callname, err->path + " " + err->message);
      return false;
    }
    out.push_back(without_online(entry));
    return true;
  };
  if (JSON_NODE_HOLDS_OBJECT(arg)) return take(arg, "protocol");
  if (!JSON_NODE_HOLDS_ARRAY(arg)) {
    call.fail(callname, "must be a protocol object or an array of them");
    return false;
  }
  JsonArray *arr = json_node_get_array(arg);
  for (guint i = 0; i < json_array_get_length(arr); i++)
    if (!take(json_array_get_element(arr, i), "[" + std::to_string(i) + "]")) return false;
  return true;
}

bool contains(JsonArray *protocols, JsonNode *entry) {
  for (guint i = 0; i < json_array_get_length(protocols); i++)
    if (json_equal(json_array_get_element(protocols, i), entry)) return true;
  return false;
}

// Keeps the first of identical entries (manual 4.1.9).
void deduplicate(JsonArray *protocols) {
  for (guint i = 0; i < json_array_get_length(protocols); i++) {
    for (guint j = json_array_get_length(protocols); j-- > i + 1;) {
      if (json_equal(json_array_get_element(protocols, i), json_array_get_element(protocols, j)))
        json_array_remove_element(protocols, j);
    }
  }
}

void replace_member_or_unset(JsonObject *target, const char *name, JsonNode *value) {
  if (JSON_NODE_HOLDS_NULL(value)) json_object_remove_member(target, name);
  else json_object_set_member(target, name, json_node_copy(value));
}

}  // namespace

JsonObject *api_config_answer(Controller &ctl) {
  // A deep copy: the answer gains members (online, iid, time...) that must not be stored.
  GRef<JsonNode> copy = GRef<JsonNode>::adopt(
      json_deep_copy(json_object_get_member(ctl.config.root(), "config")));
  JsonObject *answer = json_object_ref(json_node_get_object(copy.get()));
  JsonNode *protocols = json_object_get_member(answer, "protocols");
  if (protocols && JSON_NODE_HOLDS_ARRAY(protocols)) {
    JsonArray *arr = json_node_get_array(protocols);
    for (guint i = 0; i < json_array_get_length(arr); i++) {
      JsonNode *el = json_array_get_element(arr, i);
      if (!JSON_NODE_HOLDS_OBJECT(el)) continue;
      JsonObject *p = json_node_get_object(el);
      json_object_set_int_member(p, "online", ctl.protocols.online_state(p));
    }
  }
  json_object_set_string_member(answer, "iid", ctl.instance_id().c_str());
  json_object_set_int_member(answer, "time", g_get_real_time() / G_USEC_PER_SEC);
  json_object_set_string_member(answer, "version", ESTUARY_VERSION "/estuary");
  return answer;
}

void api_config(ApiCall &call, JsonNode *arg) {
  if (JSON_NODE_HOLDS_OBJECT(arg)) {
    JsonObject *req = json_node_get_object(arg);
    // Validate everything before changing anything.
    GRef<JsonNode> wrapped = GRef<JsonNode>::adopt(json_node_init_object(json_node_alloc(), json_object_new()));
    json_object_set_member(json_node_get_object(wrapped.get()), "config", json_node_copy(arg));
    if (auto err = validate_config_root(wrapped.get())) {
      call.fail("config", err->path + " " + err->message);
      return;
    }
    JsonObject *cfg = call.ctl.config.config();
    GList *names = json_object_get_members(req);
    for (GList *l = names; l; l = l->next) {
      const char *name = static_cast<const char *>(l->data);
      JsonNode *value = json_object_get_member(req, name);
      if (g_str_equal(name, "iid") || g_str_equal(name, "time") || g_str_equal(name, "version"))
        continue;  // read-only parts of the answer, sent back by some clients
      if (g_str_equal(name, "controller") && JSON_NODE_HOLDS_OBJECT(value)) {
        JsonObject *ctl = call.ctl.config.controller();
        JsonObject *changes = json_node_get_object(value);
        GList *keys = json_object_get_members(changes);
        for (GList *k = keys; k; k = k->next) {
          const char *key = static_cast<const char *>(k->data);
          replace_member_or_unset(ctl, key, json_object_get_member(changes, key));
        }
        g_list_free(keys);
      } else if (g_str_equal(name, "protocols") && JSON_NODE_HOLDS_ARRAY(value)) {
        JsonArray *clean = json_array_new();
        JsonArray *given = json_node_get_array(value);
        for (guint i = 0; i < json_array_get_length(given); i++)
          json_array_add_element(clean, without_online(json_array_get_element(given, i)).release());
        json_object_set_array_member(cfg, "protocols", clean);
      } else {
        replace_member_or_unset(cfg, name, value);
      }
    }
    g_list_free(names);
    GST_CAT_INFO(log::cat_api, "server configuration changed");
    call.config_changed = true;
    call.ctl.apply_config();  // so the answer below shows the new online states
  }
  json_object_set_object_member(call.reply, "config", api_config_answer(call.ctl));
}

void api_addprotocol(ApiCall &call, JsonNode *arg) {
  std::vector<GRef<JsonNode>> list;
  if (!protocol_list(call, "addprotocol", arg, list)) return;
  JsonArray *protocols = call.ctl.config.protocols();
  for (GRef<JsonNode> &entry : list) {
    if (contains(protocols, entry.get())) continue;  // silently not added twice
    GST_CAT_INFO(log::cat_api, "protocol %s added",
                 json_string_or(json_node_get_object(entry.get()), "connector", "?"));
    json_array_add_element(protocols, entry.release());
    call.config_changed = true;
  }
}

void api_deleteprotocol(ApiCall &call, JsonNode *arg) {
  std::vector<GRef<JsonNode>> list;
  if (!protocol_list(call, "deleteprotocol", arg, list)) return;
  JsonArray *protocols = call.ctl.config.protocols();
  for (GRef<JsonNode> &entry : list) {
    for (guint i = json_array_get_length(protocols); i-- > 0;) {
      if (!json_equal(json_array_get_element(protocols, i), entry.get())) continue;
      json_array_remove_element(protocols, i);
      call.config_changed = true;
    }
  }
}

void api_updateprotocol(ApiCall &call, JsonNode *arg) {
  // [original, replacement], or a list of such pairs.
  std::vector<std::pair<GRef<JsonNode>, GRef<JsonNode>>> pairs;
  auto take_pair = [&](JsonNode *node) {
    if (!JSON_NODE_HOLDS_ARRAY(node) || json_array_get_length(json_node_get_array(node)) != 2) return false;
    std::vector<GRef<JsonNode>> two;
    if (!protocol_list(call, "updateprotocol", node, two)) return false;
    pairs.emplace_back(std::move(two[0]), std::move(two[1]));
    return true;
  };
  bool ok;
  JsonArray *arr = JSON_NODE_HOLDS_ARRAY(arg) ? json_node_get_array(arg) : nullptr;
  if (arr && json_array_get_length(arr) > 0 && JSON_NODE_HOLDS_ARRAY(json_array_get_element(arr, 0))) {
    ok = true;
    for (guint i = 0; i < json_array_get_length(arr) && ok; i++) ok = take_pair(json_array_get_element(arr, i));
  } else {
    ok = take_pair(arg);
  }
  if (!ok) {
    if (!json_object_has_member(call.reply, "error"))
      call.fail("updateprotocol", "must be [original protocol, new protocol]");
    return;
  }
  for (auto &[original, replacement] : pairs) {
    // Rebuilt rather than edited in place: json-glib arrays have no insert, and order matters.
    JsonArray *old = call.ctl.config.protocols();
    JsonArray *updated = json_array_new();
    for (guint i = 0; i < json_array_get_length(old); i++) {
      JsonNode *el = json_array_get_element(old, i);
      bool match = json_equal(el, original.get());
      json_array_add_element(updated, json_node_copy(match ? replacement.get() : el));
      if (match) call.config_changed = true;
    }
    json_object_set_array_member(call.ctl.config.config(), "protocols", updated);
  }
  deduplicate(call.ctl.config.protocols());
}

}  // namespace estuary
