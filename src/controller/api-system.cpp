// API families: capabilities, log, clearstatlogs, browse, save, ui_settings
// (manual 4.1.2, 4.1.10 - 4.1.14).
#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <string>
#include <vector>

#include "controller/api-call.h"
#include "controller/controller.h"
#include "controller/log.h"
#include "controller/system-info.h"

namespace estuary {

void api_capabilities(ApiCall &call, JsonNode *) {
  JsonObject *answer = json_object_new();
  GRef<JsonNode> connectors = GRef<JsonNode>::adopt(json_node_init_object(json_node_alloc(), call.ctl.connectors()));
  json_object_set_member(answer, "connectors", json_node_copy(connectors.get()));
  json_object_set_object_member(answer, "inputs", call.ctl.inputs_capabilities());
  add_system_info(answer);
  json_object_set_object_member(call.reply, "capabilities", answer);
}

void api_log(ApiCall &call, JsonNode *) {
  json_object_set_array_member(call.reply, "log", log::recent_lines());
}

void api_clearstatlogs(ApiCall &call, JsonNode *) {
  // A log answer in the same reply shows the log as it was before truncating.
  if (!call.minimal && !json_object_has_member(call.reply, "log"))
    json_object_set_array_member(call.reply, "log", log::recent_lines());
  log::clear_lines();
  call.ctl.sessions.clear_history();
}

void api_browse(ApiCall &call, JsonNode *arg) {
  std::string path;
  if (JSON_NODE_HOLDS_VALUE(arg) && json_node_get_value_type(arg) == G_TYPE_STRING) {
    path = json_node_get_string(arg);
  } else if (JSON_NODE_HOLDS_OBJECT(arg)) {
    path = json_string_or(json_node_get_object(arg), "path", "");
  } else if (!JSON_NODE_HOLDS_NULL(arg)) {
    call.fail("browse", "must be a path string or {\"path\": ...}");
    return;
  }
  if (path.empty()) path = ".";
  char *resolved = realpath(path.c_str(), nullptr);
  struct stat st;
  if (!resolved || stat(resolved, &st) != 0 || !S_ISDIR(st.st_mode)) {
    free(resolved);
    call.fail("browse", "'" + path + "' is not an existing folder");
    return;
  }
  std::string abs = resolved;
  free(resolved);
  std::vector<std::string> files, dirs;
  if (DIR *dir = opendir(abs.c_str())) {
    while (struct dirent *e = readdir(dir)) {
      std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      struct stat est;
      if (stat((abs + "/" + name).c_str(), &est) != 0) continue;
      (S_ISDIR(est.st_mode) ? dirs : files).push_back(name);
    }
    closedir(dir);
  }
  std::sort(files.begin(), files.end());
  std::sort(dirs.begin(), dirs.end());
  JsonObject *answer = json_object_new();
  json_object_set_string_member(answer, "path", abs.c_str());
  JsonArray *f = json_array_new();
  for (auto &n : files) json_array_add_string_element(f, n.c_str());
  JsonArray *d = json_array_new();
  for (auto &n : dirs) json_array_add_string_element(d, n.c_str());
  json_object_set_array_member(answer, "files", f);
  json_object_set_array_member(answer, "subdirectories", d);
  json_object_set_object_member(call.reply, "browse", answer);
}

void api_save(ApiCall &call, JsonNode *) {
  GError *error = nullptr;
  if (!call.ctl.save(&error)) {
    call.fail("save", error->message);
    g_error_free(error);
  }
}

void api_ui_settings(ApiCall &call, JsonNode *arg) {
  if (JSON_NODE_HOLDS_OBJECT(arg)) {
    json_object_set_member(call.ctl.config.root(), "ui_settings", json_node_copy(arg));
    call.config_changed = true;
  }
  json_object_set_member(call.reply, "ui_settings",
                         json_node_copy(json_object_get_member(call.ctl.config.root(), "ui_settings")));
}

}  // namespace estuary
