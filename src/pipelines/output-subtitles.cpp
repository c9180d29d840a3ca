#include "pipelines/output-subtitles.h"

#include <cinttypes>
#include <cstdio>

namespace estuary {

namespace {

std::string timestamp(GstClockTime t, char frac_sep) {
  if (!GST_CLOCK_TIME_IS_VALID(t)) t = 0;
  const uint64_t ms = t / GST_MSECOND;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%02" PRIu64 ":%02" PRIu64 ":%02" PRIu64 "%c%03" PRIu64,
                ms / 3600000, (ms / 60000) % 60, (ms / 1000) % 60, frac_sep, ms % 1000);
  return buf;
}

// A blank line ends a cue in both formats, so blank lines inside the text are removed, and
// "-->" would start a new timing line in WebVTT.
std::string clean(const std::string &text) {
  std::string out;
  for (size_t i = 0; i < text.size(); i++) {
    if (text[i] == '\r') continue;
    if (text[i] == '\n' && (out.empty() || out.back() == '\n')) continue;
    out += text[i];
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  for (size_t p; (p = out.find("-->")) != std::string::npos;) out.replace(p, 3, "->");
  return out;
}

}  // namespace

std::string webvtt_cue(GstClockTime start, GstClockTime end, const std::string &text) {
  return timestamp(start, '.') + " --> " + timestamp(end, '.') + "\n" + clean(text) + "\n\n";
}

std::string srt_cue(uint64_t index, GstClockTime start, GstClockTime end, const std::string &text) {
  return std::to_string(index) + "\n" + timestamp(start, ',') + " --> " + timestamp(end, ',') +
         "\n" + clean(text) + "\n\n";
}

}  // namespace estuary
