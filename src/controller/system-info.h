// Machine figures for the `capabilities` answer, read from /proc (manual 4.1.2).
#pragma once

#include <json-glib/json-glib.h>

namespace estuary {

// Adds `cpu`, `cpu_use`, `load`, `mem`, `speed` and `threads` to `answer`. `cpu_use` is measured
// since the previous call (since boot on the first).
void add_system_info(JsonObject *answer);

}  // namespace estuary
