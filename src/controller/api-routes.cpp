// The one route table of the API, and the loop that runs a request's calls through it.
#include <iterator>

#include "controller/api-call.h"
#include "controller/controller.h"
#include "controller/log.h"

namespace estuary {

namespace {

// Order matters for combined requests: configuration changes first, then reads, `save` last so
// it stores what the same request changed.
const ApiRoute kRoutes[] = {
    {"config", api_config},
    {"streams", api_streams},
    {"deletestream", api_deletestream},
    {"addstream", api_addstream},
    {"addprotocol", api_addprotocol},
    {"deleteprotocol", api_deleteprotocol},
    {"updateprotocol", api_updateprotocol},
    {"ui_settings", api_ui_settings},
    {"capabilities", api_capabilities},
    {"browse", api_browse},
    {"active_streams", api_active_streams},
    {"stats_streams", api_stats_streams},
    {"clients", api_clients},
    {"totals", api_totals},
    {"log", api_log},
    {"clearstatlogs", api_clearstatlogs},
    {"clearstatlog", api_clearstatlogs},  // the manual's example spells it without the s
    {"save", api_save},
};

// Members of a request that are not calls.
bool is_modifier(const char *name) {
  return g_str_equal(name, "minimal") || g_str_equal(name, "authorize");
}

bool is_known(const char *name) {
  for (const ApiRoute &r : kRoutes)
    if (g_str_equal(r.name, name)) return true;
  return false;
}

}  // namespace

void ApiCall::fail(const char *call, const std::string &what) {
  std::string text = std::string(call) + ": " + what;
  GST_CAT_WARNING(log::cat_api, "refused: %s", text.c_str());
  const char *prev = json_string_or(reply, "error", nullptr);
  if (prev) text = std::string(prev) + "; " + text;
  json_object_set_string_member(reply, "error", text.c_str());
}

void api_run(Controller &ctl, JsonObject *command, JsonObject *reply, bool minimal) {
  ApiCall call{ctl, reply, minimal};
  GList *names = json_object_get_members(command);
  for (GList *l = names; l; l = l->next) {
    const char *name = static_cast<const char *>(l->data);
    if (!is_modifier(name) && !is_known(name)) call.fail(name, "unknown call");
  }
  g_list_free(names);

  for (const ApiRoute &route : kRoutes) {
    JsonNode *arg = json_object_get_member(command, route.name);
    if (!arg) continue;
    GST_CAT_DEBUG(log::cat_api, "call %s", route.name);
    route.handler(call, arg);
    if (call.config_changed) {
      // Apply before `save` or reads later in the same request see the result.
      ctl.apply_config();
      call.config_changed = false;
    }
  }

  if (!minimal) {
    if (!json_object_has_member(reply, "streams"))
      json_object_set_object_member(reply, "streams", api_streams_answer(ctl));
    if (!json_object_has_member(reply, "config"))
      json_object_set_object_member(reply, "config", api_config_answer(ctl));
    if (!json_object_has_member(reply, "log"))
      json_object_set_array_member(reply, "log", log::recent_lines());
  }
}

}  // namespace estuary
