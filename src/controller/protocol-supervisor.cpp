#include "controller/protocol-supervisor.h"

#include <algorithm>
#include <set>
#include <vector>

#include "common/gref.h"
#include "controller/config.h"
#include "controller/log.h"

namespace estuary {

namespace {

void append_canonical(JsonNode *node, std::string &out) {
  if (JSON_NODE_HOLDS_OBJECT(node)) {
    JsonObject *obj = json_node_get_object(node);
    GList *names = json_object_get_members(obj);
    std::vector<std::string> sorted;
    for (GList *l = names; l; l = l->next) sorted.emplace_back(static_cast<const char *>(l->data));
    g_list_free(names);
    std::sort(sorted.begin(), sorted.end());
    out += '{';
    for (const std::string &name : sorted) {
      GRef<JsonNode> key = GRef<JsonNode>::adopt(json_node_init_string(json_node_alloc(), name.c_str()));
      append_canonical(key.get(), out);
      out += ':';
      append_canonical(json_object_get_member(obj, name.c_str()), out);
      out += ',';
    }
    out += '}';
  } else if (JSON_NODE_HOLDS_ARRAY(node)) {
    JsonArray *arr = json_node_get_array(node);
    out += '[';
    for (guint i = 0; i < json_array_get_length(arr); i++) {
      append_canonical(json_array_get_element(arr, i), out);
      out += ',';
    }
    out += ']';
  } else {
    GCharPtr text(json_to_string(node, FALSE));
    out += text.get();
  }
}

std::string module_of(const char *connector) {
  GCharPtr lower(g_ascii_strdown(connector, -1));
  return std::string("estuary-") + lower.get();
}

}  // namespace

std::string canonical_json(JsonNode *node) {
  std::string out;
  append_canonical(node, out);
  return out;
}

void ProtocolSupervisor::register_factory(const std::string &connector, ListenerFactory factory) {
  factories_[connector] = std::move(factory);
}

void ProtocolSupervisor::set_dependency(const std::string &connector,
                                        const std::string &dependency) {
  dependencies_[connector] = dependency;
}

void ProtocolSupervisor::apply(JsonArray *protocols) {
  std::set<std::string> wanted;
  std::set<std::string> leveled;
  for (guint i = 0; i < json_array_get_length(protocols); i++) {
    JsonNode *entry = json_array_get_element(protocols, i);
    if (!JSON_NODE_HOLDS_OBJECT(entry)) continue;
    JsonObject *obj = json_node_get_object(entry);
    const char *connector = json_string_or(obj, "connector", nullptr);
    if (!connector) continue;
    int level = static_cast<int>(json_int_or(obj, "debug", -1));
    if (level >= 0) {
      log::set_module_level(module_of(connector).c_str(), level);
      leveled.insert(module_of(connector));
    }
    if (!factories_.count(connector)) continue;
    wanted.insert(canonical_json(entry));
  }
  // A module whose protocol entry lost its `debug` (or went) follows the server level again.
  for (const std::string &module : leveled_modules_)
    if (!leveled.count(module)) log::set_module_level(module.c_str(), -1);
  leveled_modules_ = std::move(leveled);

  for (auto it = running_.begin(); it != running_.end();) {
    if (wanted.count(it->first)) {
      ++it;
      continue;
    }
    GST_CAT_INFO(log::cat_main, "stopping protocol %s", it->first.c_str());
    it = running_.erase(it);
  }
  for (guint i = 0; i < json_array_get_length(protocols); i++) {
    JsonNode *entry = json_array_get_element(protocols, i);
    if (!JSON_NODE_HOLDS_OBJECT(entry)) continue;
    std::string key = canonical_json(entry);
    if (!wanted.count(key) || running_.count(key)) continue;
    JsonObject *obj = json_node_get_object(entry);
    const char *connector = json_string_or(obj, "connector", "");
    GError *error = nullptr;
    std::unique_ptr<Listener> listener = factories_[connector](obj, &error);
    if (!listener) {
      GST_CAT_ERROR(log::cat_main, "protocol %s could not start: %s", connector,
                    error ? error->message : "unknown error");
      g_clear_error(&error);
      continue;
    }
    GST_CAT_INFO(log::cat_main, "protocol %s started", connector);
    running_[key] = Running{connector, std::move(listener)};
  }
}

int ProtocolSupervisor::online_state(JsonObject *protocol) const {
  GRef<JsonNode> node =
      GRef<JsonNode>::adopt(json_node_init_object(json_node_alloc(), protocol));
  auto it = running_.find(canonical_json(node.get()));
  if (it != running_.end()) return it->second.listener->running() ? 1 : 0;
  auto dep = dependencies_.find(json_string_or(protocol, "connector", ""));
  if (dep == dependencies_.end()) return 0;  // not running, or not implemented
  for (const auto &[key, entry] : running_) {
    if (entry.connector == dep->second && entry.listener->running()) return 2;
  }
  return 0;
}

void ProtocolSupervisor::stop_all() { running_.clear(); }

}  // namespace estuary
