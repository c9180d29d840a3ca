#include "controller/sessions.h"

#include <algorithm>

#include "controller/config.h"

namespace estuary {

namespace {

const char *const kClientFields[] = {"host", "stream", "protocol", "conntime", "position",
                                     "down", "up", "downbps", "upbps"};
const char *const kTotalsFields[] = {"clients", "downbps", "upbps"};

// Strings of a request member that is an array of strings; empty when absent or invalid.
std::vector<std::string> string_list(JsonObject *request, const char *name) {
  std::vector<std::string> out;
  JsonNode *node = request ? json_object_get_member(request, name) : nullptr;
  if (!node || !JSON_NODE_HOLDS_ARRAY(node)) return out;
  JsonArray *arr = json_node_get_array(node);
  for (guint i = 0; i < json_array_get_length(arr); i++) {
    JsonNode *el = json_array_get_element(arr, i);
    if (JSON_NODE_HOLDS_VALUE(el) && json_node_get_value_type(el) == G_TYPE_STRING)
      out.emplace_back(json_node_get_string(el));
  }
  return out;
}

bool allowed(const std::vector<std::string> &filter, const std::string &value) {
  return filter.empty() || std::find(filter.begin(), filter.end(), value) != filter.end();
}

// Requested fields that we know, in request order; all known fields when none were asked for.
template <size_t N>
std::vector<std::string> pick_fields(JsonObject *request, const char *const (&known)[N]) {
  std::vector<std::string> asked = string_list(request, "fields");
  std::vector<std::string> out;
  if (asked.empty()) return std::vector<std::string>(known, known + N);
  for (const std::string &f : asked)
    if (std::find(known, known + N, f) != known + N) out.push_back(f);
  return out;
}

// Absolute unix time from a request time: negative means "seconds ago", missing means `fallback`.
gint64 absolute_time(JsonObject *request, const char *name, gint64 now_s, gint64 fallback) {
  gint64 t = json_int_or(request, name, G_MININT64);
  if (t == G_MININT64) return fallback;
  return t < 0 ? now_s + t : t;
}

JsonArray *strings_to_array(const std::vector<std::string> &list) {
  JsonArray *arr = json_array_new();
  for (const std::string &s : list) json_array_add_string_element(arr, s.c_str());
  return arr;
}

}  // namespace

guint64 Sessions::open(SessionInfo info) {
  guint64 id = next_id_++;
  if (info.start_s == 0) info.start_s = g_get_real_time() / G_USEC_PER_SEC;
  live_[id] = Live{std::move(info), g_get_monotonic_time()};
  return id;
}

void Sessions::update(guint64 id, gint64 position_ms, guint64 down, guint64 up) {
  auto it = live_.find(id);
  if (it == live_.end()) return;
  Live &l = it->second;
  gint64 now = g_get_monotonic_time();
  gint64 elapsed = now - l.last_update_us;
  if (elapsed > 0) {
    l.info.downbps = (down - std::min(down, l.info.down)) * G_USEC_PER_SEC / elapsed;
    l.info.upbps = (up - std::min(up, l.info.up)) * G_USEC_PER_SEC / elapsed;
  }
  l.info.position_ms = position_ms;
  l.info.down = down;
  l.info.up = up;
  l.last_update_us = now;
}

void Sessions::close(guint64 id) { live_.erase(id); }

void Sessions::sample(gint64 now_s) {
  Sample s{now_s, {}};
  for (const auto &[id, l] : live_) {
    auto &v = s.by_stream_protocol[{l.info.stream, l.info.protocol}];
    if (v.empty()) v.assign(3, 0);
    v[0] += 1;
    v[1] += l.info.downbps;
    v[2] += l.info.upbps;
  }
  history_.push_back(std::move(s));
  while (!history_.empty() && history_.front().time_s < now_s - kHistorySeconds)
    history_.pop_front();
}

JsonObject *Sessions::clients_answer(JsonObject *request, gint64 now_s) const {
  std::vector<std::string> streams = string_list(request, "streams");
  std::vector<std::string> protocols = string_list(request, "protocols");
  std::vector<std::string> fields = pick_fields(request, kClientFields);
  JsonArray *data = json_array_new();
  for (const auto &[id, l] : live_) {
    const SessionInfo &s = l.info;
    if (!allowed(streams, s.stream) || !allowed(protocols, s.protocol)) continue;
    JsonArray *row = json_array_new();
    for (const std::string &f : fields) {
      if (f == "host") json_array_add_string_element(row, s.host.c_str());
      else if (f == "stream") json_array_add_string_element(row, s.stream.c_str());
      else if (f == "protocol") json_array_add_string_element(row, s.protocol.c_str());
      else if (f == "conntime") json_array_add_int_element(row, now_s - s.start_s);
      else if (f == "position") json_array_add_int_element(row, s.position_ms / 1000);
      else if (f == "down") json_array_add_int_element(row, static_cast<gint64>(s.down));
      else if (f == "up") json_array_add_int_element(row, static_cast<gint64>(s.up));
      else if (f == "downbps") json_array_add_int_element(row, static_cast<gint64>(s.downbps));
      else if (f == "upbps") json_array_add_int_element(row, static_cast<gint64>(s.upbps));
    }
    json_array_add_array_element(data, row);
  }
  JsonObject *out = json_object_new();
  json_object_set_int_member(out, "time", absolute_time(request, "time", now_s, now_s));
  json_object_set_array_member(out, "fields", strings_to_array(fields));
  json_object_set_array_member(out, "data", data);
  return out;
}

JsonObject *Sessions::totals_answer(JsonObject *request, gint64 now_s) const {
  std::vector<std::string> streams = string_list(request, "streams");
  std::vector<std::string> protocols = string_list(request, "protocols");
  std::vector<std::string> fields = pick_fields(request, kTotalsFields);
  gint64 first = history_.empty() ? now_s : history_.front().time_s;
  gint64 start = std::max(absolute_time(request, "start", now_s, first), first);
  gint64 end = std::min(absolute_time(request, "end", now_s, now_s), now_s);

  JsonArray *data = json_array_new();
  JsonArray *interval = json_array_new();
  gint64 prev = -1, run_step = -1, run_len = 0, data_start = -1, data_end = start;
  auto flush_run = [&]() {
    if (run_len == 0) return;
    JsonArray *pair = json_array_new();
    json_array_add_int_element(pair, run_len);
    json_array_add_int_element(pair, run_step);
    json_array_add_array_element(interval, pair);
  };
  for (const Sample &s : history_) {
    if (s.time_s < start || s.time_s > end) continue;
    guint64 sums[3] = {0, 0, 0};
    for (const auto &[key, v] : s.by_stream_protocol) {
      if (!allowed(streams, key.first) || !allowed(protocols, key.second)) continue;
      for (int i = 0; i < 3; i++) sums[i] += v[i];
    }
    JsonArray *row = json_array_new();
    for (const std::string &f : fields) {
      int idx = f == "clients" ? 0 : f == "downbps" ? 1 : 2;
      json_array_add_int_element(row, static_cast<gint64>(sums[idx]));
    }
    json_array_add_array_element(data, row);
    gint64 step = prev < 0 ? 0 : s.time_s - prev;
    if (step != run_step) {
      flush_run();
      run_step = step;
      run_len = 0;
    }
    run_len++;
    prev = s.time_s;
    if (data_start < 0) data_start = s.time_s;
    data_end = s.time_s;
  }
  flush_run();
  JsonObject *out = json_object_new();
  json_object_set_int_member(out, "start", data_start < 0 ? start : data_start);
  json_object_set_int_member(out, "end", data_start < 0 ? end : data_end);
  json_object_set_array_member(out, "fields", strings_to_array(fields));
  json_object_set_array_member(out, "interval", interval);
  json_object_set_array_member(out, "data", data);
  return out;
}

guint Sessions::count_for(const std::string &stream) const {
  guint n = 0;
  for (const auto &[id, l] : live_)
    if (l.info.stream == stream) n++;
  return n;
}

std::set<std::string> Sessions::streams_with_stats() const {
  std::set<std::string> out;
  for (const auto &[id, l] : live_) out.insert(l.info.stream);
  for (const Sample &s : history_)
    for (const auto &[key, v] : s.by_stream_protocol) out.insert(key.first);
  return out;
}

void Sessions::clear_history() { history_.clear(); }

}  // namespace estuary
