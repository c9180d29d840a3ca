// The exec inputs (manual 3.3.5): `h264-exec:COMMAND` reads Annex B H.264 and `ts-exec:COMMAND`
// MPEG-TS from a process's standard output. COMMAND is split on spaces only: no shell, no
// quoting (a script wraps anything fancier). The process starts when the stream's pipeline
// plays, is restarted (after a second) whenever it exits while the stream runs, and is stopped
// (SIGTERM, then SIGKILL after 2 s) with the stream. A command that cannot be started at all
// fails the stream, so the stream manager's always_on retry applies.
#pragma once

#include <gst/gst.h>

#include <string>
#include <string_view>
#include <vector>

#include "pipelines/inputs.h"

namespace estuary {

// The argv of COMMAND: split on ' ', empty parts dropped.
std::vector<std::string> split_exec_command(std::string_view command);

// InputBuilder for "h264-exec:" and "ts-exec:" sources. Fails with INPUT_ERROR_INVALID when the
// command is empty. Transfer full (floating).
GstElement *input_exec_build(const InputDescriptor &input, std::string_view source,
                             std::string_view stream_name, GError **error);

}  // namespace estuary
