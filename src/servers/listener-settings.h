// Reading a protocol entry's settings (`port`, `interface`, ...), shared by every listener.
#pragma once

#include <json-glib/json-glib.h>

#include <string>

namespace estuary {

// `port` as 0..65535 (a number, or a string of digits as MistServer's UI sends); `fallback`
// when missing or out of range.
guint port_setting(JsonObject *settings, guint fallback);
// A string member, or `fallback` when missing or not a string.
std::string string_setting(JsonObject *settings, const char *name, const char *fallback);

}  // namespace estuary
