// WebVTT and SubRip cue text from timed UTF-8 subtitle buffers. Pure string formatting.
#pragma once

#include <gst/gst.h>

#include <cstdint>
#include <string>

namespace estuary {

inline const char *kWebVttHeader = "WEBVTT\n\n";

// "00:01:02.345 --> 00:01:04.000\ntext\n\n"
std::string webvtt_cue(GstClockTime start, GstClockTime end, const std::string &text);
// "3\n00:01:02,345 --> 00:01:04,000\ntext\n\n"
std::string srt_cue(uint64_t index, GstClockTime start, GstClockTime end, const std::string &text);

}  // namespace estuary
