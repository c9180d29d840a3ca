#include "pipelines/input-subtitle.h"

#include <string>

#include "common/gref.h"
#include "pipelines/input-debug.h"
#include "pipelines/input-file.h"
#include "pipelines/input-pads.h"

namespace estuary {
namespace {

constexpr size_t kMaxSubtitleBytes = 16 * 1024 * 1024;
constexpr char kTextCaps[] = "text/x-raw,format=utf8";

// Parses "[hh:]mm:ss[.,]fff" at the start of `s`; returns GST_CLOCK_TIME_NONE if malformed.
GstClockTime parse_cue_time(std::string_view s) {
  guint64 fields[3] = {0, 0, 0};
  int count = 0;
  size_t i = 0;
  while (count < 3) {
    size_t start = i;
    guint64 value = 0;
    while (i < s.size() && g_ascii_isdigit(s[i]) && i - start < 9)
      value = value * 10 + (s[i++] - '0');
    if (i == start) return GST_CLOCK_TIME_NONE;
    fields[count++] = value;
    if (i < s.size() && s[i] == ':') {
      i++;
      continue;
    }
    break;
  }
  if (count < 2) return GST_CLOCK_TIME_NONE;
  guint64 hours = count == 3 ? fields[0] : 0;
  guint64 minutes = fields[count - 2];
  guint64 seconds = fields[count - 1];
  guint64 nanos = 0;
  if (i < s.size() && (s[i] == ',' || s[i] == '.')) {
    i++;
    guint64 scale = GST_SECOND / 10;
    while (i < s.size() && g_ascii_isdigit(s[i])) {
      nanos += (s[i++] - '0') * scale;
      scale /= 10;
    }
  }
  if (minutes >= 60 || seconds >= 60) return GST_CLOCK_TIME_NONE;
  return (hours * 3600 + minutes * 60 + seconds) * GST_SECOND + nanos;
}

// Exposes the text stream once it starts, so pad-added reaches handlers connected after build.
GstPadProbeReturn expose_on_stream_start(GstPad *pad, GstPadProbeInfo *info, gpointer user_data) {
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT(info);
  if (GST_EVENT_TYPE(event) != GST_EVENT_STREAM_START) return GST_PAD_PROBE_OK;
  auto *bin = GST_BIN(user_data);  // owns the element owning `pad`, so it outlives this probe
  GRef<GstCaps> caps = GRef<GstCaps>::adopt(gst_caps_from_string(kTextCaps));
  input_expose_pad(bin, pad, caps.get());
  input_expose_done(bin);
  return GST_PAD_PROBE_REMOVE;
}

}  // namespace

GstClockTime subtitle_last_cue_end(std::string_view text) {
  GstClockTime last = GST_CLOCK_TIME_NONE;
  size_t pos = 0;
  while ((pos = text.find("-->", pos)) != std::string_view::npos) {
    pos += 3;
    size_t i = pos;
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) i++;
    GstClockTime end = parse_cue_time(text.substr(i));
    if (GST_CLOCK_TIME_IS_VALID(end) && (!GST_CLOCK_TIME_IS_VALID(last) || end > last)) last = end;
  }
  return last;
}

GstElement *input_subtitle_build(const InputDescriptor &input, std::string_view source,
                                 std::string_view stream_name, GError **error) {
  std::string path(source);
  std::string text;
  if (!input_file_read_head(path, kMaxSubtitleBytes + 1, &text, error)) return nullptr;
  if (text.size() > kMaxSubtitleBytes) {
    g_set_error(error, ESTUARY_INPUT_ERROR, INPUT_ERROR_UNSUPPORTED,
                "'%s' is larger than a subtitle file may be (%zu bytes)", path.c_str(),
                kMaxSubtitleBytes);
    return nullptr;
  }
  GstClockTime duration = subtitle_last_cue_end(text);
  if (!GST_CLOCK_TIME_IS_VALID(duration)) {
    g_set_error(error, ESTUARY_INPUT_ERROR, INPUT_ERROR_UNSUPPORTED,
                "'%s' has no subtitle cues (SubRip or WebVTT expected)", path.c_str());
    return nullptr;
  }

  GstElement *src = gst_element_factory_make("filesrc", nullptr);
  GstElement *parse = gst_element_factory_make("subparse", nullptr);
  GstElement *filter = gst_element_factory_make("capsfilter", nullptr);
  if (!src || !parse || !filter) {
    for (GstElement *e : {src, parse, filter}) {
      if (e) gst_object_unref(gst_object_ref_sink(e));
    }
    g_set_error(error, ESTUARY_INPUT_ERROR, INPUT_ERROR_UNSUPPORTED,
                "GStreamer elements filesrc/subparse/capsfilter are not installed "
                "(gstreamer1.0-plugins-base)");
    return nullptr;
  }
  g_object_set(src, "location", path.c_str(), nullptr);
  // Asking subparse for plain UTF-8 makes it drop the markup itself.
  GRef<GstCaps> caps = GRef<GstCaps>::adopt(gst_caps_from_string(kTextCaps));
  g_object_set(filter, "caps", caps.get(), nullptr);

  GRef<GstElement> bin = GRef<GstElement>::adopt(gst_bin_new(nullptr));
  gst_bin_add_many(GST_BIN(bin.get()), src, parse, filter, nullptr);
  if (!gst_element_link_many(src, parse, filter, nullptr)) {
    g_set_error(error, ESTUARY_INPUT_ERROR, INPUT_ERROR_UNSUPPORTED,
                "cannot link filesrc ! subparse ! capsfilter");
    return nullptr;
  }
  GRef<GstPad> out = GRef<GstPad>::adopt(gst_element_get_static_pad(filter, "src"));
  gst_pad_add_probe(out.get(), GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, expose_on_stream_start,
                    bin.get(), nullptr);
  // subparse does not know the duration; the cue list does.
  input_answer_duration(out.get(), duration);
  GST_INFO("stream %.*s: subtitles from %s, %" GST_TIME_FORMAT " (%s input)",
           static_cast<int>(stream_name.size()), stream_name.data(), path.c_str(),
           GST_TIME_ARGS(duration), input.name.c_str());
  GstElement *result = bin.release();
  g_object_force_floating(G_OBJECT(result));
  return result;
}

}  // namespace estuary
