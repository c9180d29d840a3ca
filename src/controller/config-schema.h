// Type rules for the parts of the configuration whose types we know (MistServer's layout). Keys we
// do not know are allowed and kept. Shared by the config file loader and the API calls that write
// the configuration, so both reject the same things with the same words.
#pragma once

#include <json-glib/json-glib.h>

#include <functional>
#include <optional>
#include <string>

namespace estuary {

struct SchemaError {
  std::string path;     // e.g. "streams.live.source"
  std::string message;  // e.g. "must be a string"
  JsonObject *parent = nullptr;  // object holding the offending member (for positions), or null
  std::string member;
};

// Checks the whole file layout: config, streams, account, push_settings, autopushes, ui_settings.
std::optional<SchemaError> validate_config_root(JsonNode *root);

// Checks one part, as the API receives it. `path` prefixes the error path.
std::optional<SchemaError> validate_controller(JsonNode *node, const std::string &path);
std::optional<SchemaError> validate_protocol(JsonNode *node, const std::string &path);
std::optional<SchemaError> validate_stream(JsonNode *node, const std::string &path);

}  // namespace estuary
