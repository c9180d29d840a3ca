// Logging: GStreamer debug categories, one per module, MistServer's 0..10 levels mapped onto
// GStreamer's, colour-coded console lines, and a ring of the last lines for the `log` API call.
// Thread-safe: any thread may log.
#pragma once

#include <gst/gst.h>
#include <json-glib/json-glib.h>

namespace estuary::log {

// The controller's categories. Elements and protocol code define their own `estuary-*` ones.
extern GstDebugCategory *cat_main;     // "estuary"
extern GstDebugCategory *cat_config;   // "estuary-config"
extern GstDebugCategory *cat_api;      // "estuary-api"
extern GstDebugCategory *cat_auth;     // "estuary-auth"
extern GstDebugCategory *cat_streams;  // "estuary-streams"

constexpr int kDefaultLevel = 3;
constexpr size_t kRingLines = 100;

// Creates the categories and installs the console/ring log function. Call once, after gst_init().
// When GST_DEBUG is set in the environment it wins over `level` for the console.
void init(int level);

// MistServer level (0..10) of the whole server; takes effect at once. Out-of-range values clamp.
void set_level(int level);
int level();

// Level of the categories whose name starts with `prefix` (e.g. "estuary-rtmp" for a protocol's
// `debug` setting); -1 restores the server level for them.
void set_module_level(const char *prefix, int level);

GstDebugLevel to_gst_level(int mist_level);

// The ring, oldest first, as MistServer's log answer: [[unix time, "KIND", "message"], ...].
// Transfer full.
JsonArray *recent_lines();
void clear_lines();

}  // namespace estuary::log

#define EST_LOG_ERROR(cat, ...) GST_CAT_ERROR(estuary::log::cat, __VA_ARGS__)
#define EST_LOG_WARN(cat, ...) GST_CAT_WARNING(estuary::log::cat, __VA_ARGS__)
#define EST_LOG_INFO(cat, ...) GST_CAT_INFO(estuary::log::cat, __VA_ARGS__)
#define EST_LOG_DEBUG(cat, ...) GST_CAT_DEBUG(estuary::log::cat, __VA_ARGS__)
