// API family: active_streams, stats_streams, clients, totals (manual 4.1.15 - 4.1.18).
#include <set>
#include <string>
#include <vector>

#include "controller/api-call.h"
#include "controller/controller.h"

namespace estuary {

namespace {

gint64 now_s() { return g_get_real_time() / G_USEC_PER_SEC; }

// One requested property of a stream, as the second form of active_streams/stats_streams wants.
void add_property(Controller &ctl, const std::string &stream, const char *field, JsonArray *row) {
  const StreamStatus *status = ctl.streams.find(stream);
  std::string f = field;
  if (f == "clients" || f == "viewers") {
    json_array_add_int_element(row, ctl.sessions.count_for(stream));
  } else if (f == "lastms") {
    json_array_add_int_element(row, status && status->live ? status->lastms : 0);
  } else if (f == "firstms") {
    json_array_add_int_element(row, status ? status->firstms : 0);
  } else if (f == "status") {
    json_array_add_string_element(row, stream_state_name(status ? status->state : StreamState::kOffline));
  } else if (f == "reason") {
    json_array_add_string_element(row, status ? status->reason.c_str() : "");
  } else {
    json_array_add_null_element(row);
  }
}

// Both forms: a list of names, or name -> [requested properties] when `arg` is an array.
void answer_stream_list(ApiCall &call, const char *callname, JsonNode *arg,
                        const std::vector<std::string> &names) {
  if (!JSON_NODE_HOLDS_ARRAY(arg)) {
    JsonArray *list = json_array_new();
    for (const auto &n : names) json_array_add_string_element(list, n.c_str());
    json_object_set_array_member(call.reply, callname, list);
    return;
  }
  JsonArray *fields = json_node_get_array(arg);
  JsonObject *answer = json_object_new();
  for (const auto &n : names) {
    JsonArray *row = json_array_new();
    for (guint i = 0; i < json_array_get_length(fields); i++) {
      JsonNode *f = json_array_get_element(fields, i);
      bool is_string = JSON_NODE_HOLDS_VALUE(f) && json_node_get_value_type(f) == G_TYPE_STRING;
      add_property(call.ctl, n, is_string ? json_node_get_string(f) : "", row);
    }
    json_object_set_array_member(answer, n.c_str(), row);
  }
  json_object_set_object_member(call.reply, callname, answer);
}

// `clients` and `totals` take one request object or an array of them.
template <typename Fn>
void answer_one_or_many(ApiCall &call, const char *callname, JsonNode *arg, Fn answer_for) {
  if (JSON_NODE_HOLDS_ARRAY(arg)) {
    JsonArray *in = json_node_get_array(arg);
    JsonArray *out = json_array_new();
    for (guint i = 0; i < json_array_get_length(in); i++) {
      JsonNode *el = json_array_get_element(in, i);
      json_array_add_object_element(out, answer_for(JSON_NODE_HOLDS_OBJECT(el) ? json_node_get_object(el) : nullptr));
    }
    json_object_set_array_member(call.reply, callname, out);
  } else {
    json_object_set_object_member(call.reply, callname,
                                  answer_for(JSON_NODE_HOLDS_OBJECT(arg) ? json_node_get_object(arg) : nullptr));
  }
}

}  // namespace

void api_active_streams(ApiCall &call, JsonNode *arg) {
  answer_stream_list(call, "active_streams", arg, call.ctl.streams.active_names());
}

void api_stats_streams(ApiCall &call, JsonNode *arg) {
  std::set<std::string> names = call.ctl.sessions.streams_with_stats();
  // Streams seen since start count too, so an offline stream's reason can be read.
  for (const auto &n : call.ctl.streams.all_names()) names.insert(n);
  answer_stream_list(call, "stats_streams", arg, std::vector<std::string>(names.begin(), names.end()));
}

void api_clients(ApiCall &call, JsonNode *arg) {
  answer_one_or_many(call, "clients", arg,
                     [&](JsonObject *req) { return call.ctl.sessions.clients_answer(req, now_s()); });
}

void api_totals(ApiCall &call, JsonNode *arg) {
  answer_one_or_many(call, "totals", arg,
                     [&](JsonObject *req) { return call.ctl.sessions.totals_answer(req, now_s()); });
}

}  // namespace estuary
