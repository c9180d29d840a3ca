// Subtitle file input: SubRip (.srt) and WebVTT (.vtt) files become one subtitle_0 stream of
// text/x-raw,format=utf8 buffers (markup removed), timestamped by cue. The files are too small for
// reliable typefinding, so subparse is used directly; the bin answers duration queries with the
// end of the last cue.
#pragma once

#include <gst/gst.h>

#include <string_view>

#include "pipelines/inputs.h"

namespace estuary {

// InputBuilder for .srt/.vtt files. Fails with INPUT_ERROR_NOT_FOUND for a missing/unreadable
// file, INPUT_ERROR_UNSUPPORTED when the file has no cue ("a --> b" line) or is larger than a
// subtitle file can reasonably be (16 MiB). Transfer full (floating).
GstElement *input_subtitle_build(const InputDescriptor &input, std::string_view source,
                                 std::string_view stream_name, GError **error);

// End time of the last-ending cue in SubRip/WebVTT `text` ("00:01:02,500 --> 00:01:04,000" or
// "01:02.500 --> 01:04.000"), or GST_CLOCK_TIME_NONE when there is no parseable cue line.
GstClockTime subtitle_last_cue_end(std::string_view text);

}  // namespace estuary
