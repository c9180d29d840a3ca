// One API request being answered: what a command family handler gets. Control thread only.
#pragma once

#include <json-glib/json-glib.h>

#include <string>

namespace estuary {

class Controller;

struct ApiCall {
  Controller &ctl;
  JsonObject *reply;  // the whole answer object; a handler sets its own member(s). Transfer none.
  bool minimal = false;
  bool config_changed = false;  // set by handlers that changed the configuration

  // Records an error naming the call and what was wrong; the answer's `error` member lists them.
  void fail(const char *call, const std::string &what);
};

// A command family handler: `arg` is the value of the command's member (transfer none).
using ApiHandler = void (*)(ApiCall &call, JsonNode *arg);

struct ApiRoute {
  const char *name;
  ApiHandler handler;
};

// Answers every call in `command` for an authorized caller, in route-table order, then adds the
// `streams`/`config`/`log` members unless minimal. Unknown members get an error.
void api_run(Controller &ctl, JsonObject *command, JsonObject *reply, bool minimal);

// The answers that non-minimal requests always carry. Transfer full.
JsonObject *api_streams_answer(Controller &ctl);
JsonObject *api_config_answer(Controller &ctl);

// Handlers, one file per family (api-streams.cpp, api-config.cpp, api-capabilities.cpp,
// api-system.cpp, api-stats.cpp).
void api_streams(ApiCall &, JsonNode *);
void api_addstream(ApiCall &, JsonNode *);
void api_deletestream(ApiCall &, JsonNode *);
void api_config(ApiCall &, JsonNode *);
void api_addprotocol(ApiCall &, JsonNode *);
void api_deleteprotocol(ApiCall &, JsonNode *);
void api_updateprotocol(ApiCall &, JsonNode *);
void api_capabilities(ApiCall &, JsonNode *);
void api_log(ApiCall &, JsonNode *);
void api_clearstatlogs(ApiCall &, JsonNode *);
void api_browse(ApiCall &, JsonNode *);
void api_save(ApiCall &, JsonNode *);
void api_ui_settings(ApiCall &, JsonNode *);
void api_active_streams(ApiCall &, JsonNode *);
void api_stats_streams(ApiCall &, JsonNode *);
void api_clients(ApiCall &, JsonNode *);
void api_totals(ApiCall &, JsonNode *);

}  // namespace estuary
