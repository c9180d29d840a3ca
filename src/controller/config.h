// The configuration file: MistServer's layout, loaded at start, written atomically.
// Lives on the control thread; nothing else touches it.
#pragma once

#include <json-glib/json-glib.h>

#include <string>
#include <string_view>

#include "common/gref.h"

namespace estuary {

#define ESTUARY_CONFIG_ERROR (::estuary::estuary_config_error_quark())
GQuark estuary_config_error_quark();
enum EstuaryConfigError { ESTUARY_CONFIG_ERROR_PARSE, ESTUARY_CONFIG_ERROR_TYPE };

class Config {
 public:
  // Starts empty: every section present with its defaults.
  Config();

  // Reads `path`. A missing file is not an error: the config stays empty and `existed()` is
  // false. On a syntax or type error returns false with a message "FILE:LINE:COLUMN: what" and
  // leaves the current contents unchanged.
  bool load(const std::string &path, GError **error);

  // Writes atomically (temp file in the same folder, fsync, rename), mode 0600 since the file
  // holds password hashes. The file name is the one given to load() or set_path().
  bool save(GError **error) const;

  void set_path(const std::string &path) { path_ = path; }
  const std::string &path() const { return path_; }
  bool existed() const { return existed_; }

  // The whole document. Never null. Transfer none.
  JsonObject *root() const { return json_node_get_object(root_.get()); }
  JsonNode *root_node() const { return root_.get(); }
  // Sections, created empty when missing. Transfer none.
  JsonObject *config() const;      // "config"
  JsonObject *controller() const;  // "config.controller"
  JsonArray *protocols() const;    // "config.protocols"
  JsonObject *streams() const;     // "streams"
  JsonObject *accounts() const;    // "account"
  JsonObject *ui_settings() const; // "ui_settings"

  // Replaces a member of `parent` (transfer full on `value`).
  static void set_member(JsonObject *parent, const char *name, JsonNode *value);

  // Serialised form, pretty-printed. For tests and the save path.
  std::string to_string() const;

 private:
  void fill_defaults() const;

  GRef<JsonNode> root_;
  std::string path_ = "config.json";
  bool existed_ = false;
};

// Integer member with a default when missing, null or not a number.
gint64 json_int_or(JsonObject *obj, const char *name, gint64 fallback);
// String member with a default when missing, null or not a string. Transfer none.
const char *json_string_or(JsonObject *obj, const char *name, const char *fallback);
// Deep equality of two JSON nodes (object member order ignored).
bool json_equal(JsonNode *a, JsonNode *b);
// Deep copy (json_node_copy shares the objects and arrays it copies). Transfer full.
JsonNode *json_deep_copy(JsonNode *node);

// Deepest nesting of arrays/objects accepted from the network. json-glib's parser recurses once
// per level, so a request of a few hundred kilobytes of '[' would overflow the stack.
constexpr int kMaxJsonDepth = 64;
// True when `text` nests arrays and objects no deeper than `max_depth` (strings are skipped).
// Cheap enough to run before parsing anything untrusted.
bool json_depth_within(std::string_view text, int max_depth = kMaxJsonDepth);

}  // namespace estuary
