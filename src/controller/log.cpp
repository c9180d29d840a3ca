#include "controller/log.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <deque>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/gref.h"

namespace estuary::log {

GstDebugCategory *cat_main;
GstDebugCategory *cat_config;
GstDebugCategory *cat_api;
GstDebugCategory *cat_auth;
GstDebugCategory *cat_streams;

namespace {

struct Line {
  gint64 time;
  const char *kind;
  std::string message;
};

// Guards everything below it.
GMutex state_lock;
std::deque<Line> ring;
int server_level = kDefaultLevel;
std::map<std::string, int> module_levels;  // category prefix -> MistServer level
bool env_overrides = false;                // GST_DEBUG set: the user's thresholds win
bool colour = false;

const char *kind_of(GstDebugLevel level) {
  switch (level) {
    case GST_LEVEL_ERROR: return "ERROR";
    case GST_LEVEL_WARNING:
    case GST_LEVEL_FIXME: return "WARN";
    case GST_LEVEL_INFO: return "INFO";
    case GST_LEVEL_DEBUG: return "MEDIUM";
    case GST_LEVEL_LOG: return "HIGH";
    case GST_LEVEL_TRACE: return "VERYHIGH";
    default: return "EXTREME";
  }
}

const char *colour_of(GstDebugLevel level) {
  switch (level) {
    case GST_LEVEL_ERROR: return "\033[31;1m";
    case GST_LEVEL_WARNING:
    case GST_LEVEL_FIXME: return "\033[33m";
    case GST_LEVEL_INFO: return "\033[32m";
    default: return "\033[2m";
  }
}

bool is_ours(GstDebugCategory *category) {
  return g_str_has_prefix(gst_debug_category_get_name(category), "estuary");
}

// MistServer level that applies to `category` (caller holds state_lock).
int level_for(GstDebugCategory *category) {
  const char *name = gst_debug_category_get_name(category);
  int best = server_level;
  size_t best_len = 0;
  for (const auto &[prefix, lvl] : module_levels) {
    if (g_str_has_prefix(name, prefix.c_str()) && prefix.size() > best_len) {
      best = lvl;
      best_len = prefix.size();
    }
  }
  return best;
}

// Our categories always produce INFO and above, so the `log` call has them whatever the console
// level; the console then filters by the configured level.
//
// GStreamer skips a GST_LOG/GST_DEBUG call site without a function call only when its level is
// above the global floor (_gst_debug_min), which setting a threshold only ever raises. Lowering
// every threshold would leave the floor high and each of the many log sites on the media path
// (pads, buffers, aggregator) calling into gst_debug_log() to be refused there: ~5 % of the
// server's CPU during ingest. So when the floor is above what the categories now want, it is
// reset (gst_debug_set_active(FALSE) sets it to NONE) and raised again by the thresholds below.
void apply_thresholds_locked() {
  if (env_overrides) return;
  GSList *all = gst_debug_get_all_categories();
  std::vector<std::pair<GstDebugCategory *, GstDebugLevel>> wanted_levels;
  GstDebugLevel highest = gst_debug_get_default_threshold();
  for (GSList *l = all; l; l = l->next) {
    auto *category = static_cast<GstDebugCategory *>(l->data);
    GstDebugLevel wanted = to_gst_level(level_for(category));
    if (is_ours(category)) wanted = std::max(wanted, GST_LEVEL_INFO);
    else wanted = std::min(wanted, GST_LEVEL_WARNING);  // other libraries: errors and warnings only
    wanted_levels.emplace_back(category, wanted);
    highest = std::max(highest, wanted);
  }
  g_slist_free(all);
  // A line logged by another thread between these two calls may be lost; levels change rarely.
  if (_gst_debug_min > highest) gst_debug_set_active(FALSE);
  for (const auto &[category, wanted] : wanted_levels)
    gst_debug_category_set_threshold(category, wanted);
}

void log_function(GstDebugCategory *category, GstDebugLevel level, const gchar *file,
                  const gchar *function, gint line, GObject *object, GstDebugMessage *message,
                  gpointer) {
  const gchar *text = gst_debug_message_get(message);
  if (!text) return;
  bool ours = is_ours(category);
  bool to_console;
  {
    MutexLock lock(&state_lock);
    to_console = env_overrides || level <= to_gst_level(level_for(category));
    if (level <= GST_LEVEL_INFO && (ours || level <= GST_LEVEL_WARNING)) {
      ring.push_back(Line{g_get_real_time() / G_USEC_PER_SEC, kind_of(level), text});
      if (ring.size() > kRingLines) ring.pop_front();
    }
  }
  if (!to_console) return;
  GCharPtr stamp(g_date_time_format(GRef<GDateTime>::adopt(g_date_time_new_now_local()).get(),
                                    "%F %T"));
  const char *name = gst_debug_category_get_name(category);
  gchar *obj = object ? gst_info_strdup_printf("%" GST_PTR_FORMAT ": ", object) : nullptr;
  if (colour) {
    fprintf(stderr, "%s%s %-5s %s: %s%s\033[0m\n", colour_of(level), stamp.get(), kind_of(level),
            name, obj ? obj : "", text);
  } else {
    fprintf(stderr, "%s %-5s %s: %s%s\n", stamp.get(), kind_of(level), name, obj ? obj : "", text);
  }
  g_free(obj);
}

}  // namespace

GstDebugLevel to_gst_level(int mist_level) {
  static const GstDebugLevel map[] = {
      GST_LEVEL_NONE,  GST_LEVEL_ERROR, GST_LEVEL_ERROR, GST_LEVEL_WARNING,
      GST_LEVEL_INFO,  GST_LEVEL_DEBUG, GST_LEVEL_DEBUG, GST_LEVEL_LOG,
      GST_LEVEL_TRACE, GST_LEVEL_MEMDUMP, GST_LEVEL_MEMDUMP};
  return map[std::clamp(mist_level, 0, 10)];
}

void init(int level) {
  GST_DEBUG_CATEGORY_INIT(cat_main, "estuary", 0, "estuary daemon");
  GST_DEBUG_CATEGORY_INIT(cat_config, "estuary-config", 0, "configuration file");
  GST_DEBUG_CATEGORY_INIT(cat_api, "estuary-api", 0, "JSON API");
  GST_DEBUG_CATEGORY_INIT(cat_auth, "estuary-auth", 0, "API authentication");
  GST_DEBUG_CATEGORY_INIT(cat_streams, "estuary-streams", 0, "stream registry");
  {
    MutexLock lock(&state_lock);
    env_overrides = g_getenv("GST_DEBUG") != nullptr;
    colour = isatty(STDERR_FILENO) && !g_getenv("NO_COLOR");
    server_level = std::clamp(level, 0, 10);
  }
  gst_debug_remove_log_function(gst_debug_log_default);
  gst_debug_add_log_function(log_function, nullptr, nullptr);
  // No gst_debug_set_active(TRUE): it raises the floor to every level (see
  // apply_thresholds_locked); the thresholds set below raise it as far as they need.
  if (!env_overrides) gst_debug_set_default_threshold(GST_LEVEL_WARNING);
  set_level(level);
}

void set_level(int level) {
  MutexLock lock(&state_lock);
  server_level = std::clamp(level, 0, 10);
  apply_thresholds_locked();
}

int level() {
  MutexLock lock(&state_lock);
  return server_level;
}

void set_module_level(const char *prefix, int level) {
  MutexLock lock(&state_lock);
  if (level < 0) module_levels.erase(prefix);
  else module_levels[prefix] = std::clamp(level, 0, 10);
  apply_thresholds_locked();
}

JsonArray *recent_lines() {
  JsonArray *out = json_array_new();
  MutexLock lock(&state_lock);
  for (const Line &l : ring) {
    JsonArray *entry = json_array_new();
    json_array_add_int_element(entry, l.time);
    json_array_add_string_element(entry, l.kind);
    json_array_add_string_element(entry, l.message.c_str());
    json_array_add_array_element(out, entry);
  }
  return out;
}

void clear_lines() {
  MutexLock lock(&state_lock);
  ring.clear();
}

}  // namespace estuary::log
