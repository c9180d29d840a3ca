#include "pipelines/input-pads.h"

#include <cstring>
#include <vector>

#include "common/gref.h"
#include "pipelines/input-debug.h"
#include "pipelines/input-timestamps.h"

namespace estuary {
namespace {

enum class StreamKind { kVideo, kAudio, kSubtitle, kDiscard };

// Caps fix-ups a parser cannot do, applied by a probe on the exposed pad's target.
enum class Fixup {
  kNone,
  // AAC is one bitstream whether the ADTS header says MPEG-2 or MPEG-4; muxers downstream only
  // know mpegversion=4, so say that.
  kAacVersion,
  // Pango markup (from subparse or a container's text track) becomes plain UTF-8 text.
  kMarkup,
};

struct Rule {
  const char *caps_name;
  int min_mpegversion;  // 0: any
  int max_mpegversion;
  const char *parser;  // nullptr: none needed
  const char *filter;  // caps forced after the parser, nullptr: none
  Fixup fixup;
  // Rebuilds decode times when the parser's output has none (Matroska, RTP); nullptr: none.
  const char *timestamper = nullptr;
};

// The first rule whose name and mpegversion range match decides the chain.
const Rule kRules[] = {
    {"video/x-h264", 0, 0, "h264parse", "video/x-h264,stream-format=avc,alignment=au",
     Fixup::kNone, "h264timestamper"},
    {"video/x-h265", 0, 0, "h265parse",
     "video/x-h265,stream-format=(string){hvc1,hev1},alignment=au", Fixup::kNone,
     "h265timestamper"},
    {"audio/mpeg", 1, 1, "mpegaudioparse", "audio/mpeg,mpegversion=1,parsed=true", Fixup::kNone},
    {"audio/mpeg", 2, 4, "aacparse", "audio/mpeg,stream-format=raw", Fixup::kAacVersion},
    {"audio/x-opus", 0, 0, "opusparse", nullptr, Fixup::kNone},
    {"audio/x-vorbis", 0, 0, "vorbisparse", nullptr, Fixup::kNone},
    {"audio/x-flac", 0, 0, "flacparse", nullptr, Fixup::kNone},
    {"audio/x-ac3", 0, 0, "ac3parse", nullptr, Fixup::kNone},
    {"audio/x-eac3", 0, 0, "ac3parse", nullptr, Fixup::kNone},
    {"audio/x-dts", 0, 0, "dcaparse", nullptr, Fixup::kNone},
    {"video/x-theora", 0, 0, "theoraparse", nullptr, Fixup::kNone},
    {"video/x-vp9", 0, 0, "vp9parse", nullptr, Fixup::kNone},
    {"video/x-av1", 0, 0, "av1parse", nullptr, Fixup::kNone},
    {"video/mpeg", 1, 2, "mpegvideoparse", nullptr, Fixup::kNone},
    {"video/mpeg", 4, 4, "mpeg4videoparse", nullptr, Fixup::kNone},
    {"text/x-raw", 0, 0, nullptr, nullptr, Fixup::kMarkup},
};

StreamKind classify(const GstStructure *s) {
  const char *name = gst_structure_get_name(s);
  gboolean systemstream = FALSE;
  // A still-muxed stream (parsebin found no demuxer for it) is not an elementary stream.
  if (gst_structure_get_boolean(s, "systemstream", &systemstream) && systemstream) {
    return StreamKind::kDiscard;
  }
  if (g_str_has_prefix(name, "video/")) return StreamKind::kVideo;
  if (g_str_has_prefix(name, "audio/")) return StreamKind::kAudio;
  if (g_str_has_prefix(name, "text/") || g_str_has_prefix(name, "application/x-subtitle")) {
    return StreamKind::kSubtitle;
  }
  return StreamKind::kDiscard;
}

const Rule *find_rule(const GstStructure *s) {
  const char *name = gst_structure_get_name(s);
  int version = 0;
  gst_structure_get_int(s, "mpegversion", &version);
  for (const Rule &rule : kRules) {
    if (strcmp(rule.caps_name, name) != 0) continue;
    if (rule.min_mpegversion &&
        (version < rule.min_mpegversion || version > rule.max_mpegversion)) {
      continue;
    }
    return &rule;
  }
  return nullptr;
}

GstPadTemplate *pad_template(StreamKind kind) {
  // Created once, kept for the process: pad templates are immutable and shared by every bin.
  static GstPadTemplate *templates[3] = {
      GST_PAD_TEMPLATE(g_object_ref_sink(
          gst_pad_template_new("video_%u", GST_PAD_SRC, GST_PAD_SOMETIMES, GST_CAPS_ANY))),
      GST_PAD_TEMPLATE(g_object_ref_sink(
          gst_pad_template_new("audio_%u", GST_PAD_SRC, GST_PAD_SOMETIMES, GST_CAPS_ANY))),
      GST_PAD_TEMPLATE(g_object_ref_sink(
          gst_pad_template_new("subtitle_%u", GST_PAD_SRC, GST_PAD_SOMETIMES, GST_CAPS_ANY))),
  };
  return templates[static_cast<int>(kind)];
}

struct PadCounters {
  guint next[3] = {0, 0, 0};
};
constexpr char kCountersKey[] = "estuary-input-pad-counters";

std::string next_pad_name(GstBin *bin, StreamKind kind) {
  static const char *const prefixes[3] = {"video_", "audio_", "subtitle_"};
  guint index;
  // The object lock serialises pad-added handlers of different streaming threads.
  GST_OBJECT_LOCK(bin);
  auto *counters = static_cast<PadCounters *>(g_object_get_data(G_OBJECT(bin), kCountersKey));
  if (!counters) {
    counters = new PadCounters;
    g_object_set_data_full(G_OBJECT(bin), kCountersKey, counters,
                           [](gpointer p) { delete static_cast<PadCounters *>(p); });
  }
  index = counters->next[static_cast<int>(kind)]++;
  GST_OBJECT_UNLOCK(bin);
  return prefixes[static_cast<int>(kind)] + std::to_string(index);
}

// Replaces the caps event in `info` with one carrying fixed-up caps.
void fix_caps_event(GstPadProbeInfo *info, Fixup fixup) {
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT(info);
  if (GST_EVENT_TYPE(event) != GST_EVENT_CAPS) return;
  GstCaps *caps = nullptr;
  gst_event_parse_caps(event, &caps);
  GRef<GstCaps> fixed = GRef<GstCaps>::adopt(gst_caps_copy(caps));
  bool changed = false;
  for (guint i = 0; i < gst_caps_get_size(fixed.get()); i++) {
    GstStructure *s = gst_caps_get_structure(fixed.get(), i);
    if (fixup == Fixup::kAacVersion) {
      int version = 0;
      if (gst_structure_get_int(s, "mpegversion", &version) && version == 2) {
        gst_structure_set(s, "mpegversion", G_TYPE_INT, 4, nullptr);
        changed = true;
      }
    } else if (fixup == Fixup::kMarkup) {
      const char *format = gst_structure_get_string(s, "format");
      if (format && strcmp(format, "pango-markup") == 0) {
        gst_structure_set(s, "format", G_TYPE_STRING, "utf8", nullptr);
        changed = true;
      }
    }
  }
  if (!changed) return;
  GstEvent *replacement = gst_event_new_caps(fixed.get());
  gst_event_set_seqnum(replacement, gst_event_get_seqnum(event));
  gst_event_unref(event);
  GST_PAD_PROBE_INFO_DATA(info) = replacement;
}

// State of the markup probe: whether the current caps are markup (only then is text rewritten).
struct MarkupState {
  bool is_markup = false;
};

GstPadProbeReturn markup_probe(GstPad *pad, GstPadProbeInfo *info, gpointer user_data) {
  auto *state = static_cast<MarkupState *>(user_data);
  if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT(info);
    if (GST_EVENT_TYPE(event) == GST_EVENT_CAPS) {
      GstCaps *caps = nullptr;
      gst_event_parse_caps(event, &caps);
      const char *format = gst_structure_get_string(gst_caps_get_structure(caps, 0), "format");
      state->is_markup = format && strcmp(format, "pango-markup") == 0;
      fix_caps_event(info, Fixup::kMarkup);
    }
    return GST_PAD_PROBE_OK;
  }
  if (!(info->type & GST_PAD_PROBE_TYPE_BUFFER) || !state->is_markup) return GST_PAD_PROBE_OK;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER(info);
  std::string text;
  {
    BufferMap map(buffer, GST_MAP_READ);
    if (!map.ok()) return GST_PAD_PROBE_OK;
    text = pango_markup_to_text(
        std::string_view(reinterpret_cast<const char *>(map.data()), map.size()));
  }
  GstBuffer *plain = gst_buffer_new_memdup(text.data(), text.size());
  gst_buffer_copy_into(
      plain, buffer,
      static_cast<GstBufferCopyFlags>(GST_BUFFER_COPY_FLAGS | GST_BUFFER_COPY_TIMESTAMPS |
                                      GST_BUFFER_COPY_META),
      0, static_cast<gsize>(-1));
  gst_buffer_unref(buffer);
  GST_PAD_PROBE_INFO_DATA(info) = plain;
  return GST_PAD_PROBE_OK;
}

GstPadProbeReturn aac_probe(GstPad *, GstPadProbeInfo *info, gpointer) {
  fix_caps_event(info, Fixup::kAacVersion);
  return GST_PAD_PROBE_OK;
}

// Adds `factory` to `bin` and links `upstream` into it; returns its src pad (transfer full), or
// `upstream` unchanged when the element cannot be made or linked.
GRef<GstPad> append(GstBin *bin, GRef<GstPad> upstream, GstElement *element,
                    std::vector<GstElement *> *added) {
  if (!element) return upstream;
  gst_bin_add(bin, element);  // takes the floating reference
  GRef<GstPad> sink = GRef<GstPad>::adopt(gst_element_get_static_pad(element, "sink"));
  if (gst_pad_link(upstream.get(), sink.get()) != GST_PAD_LINK_OK) {
    GST_WARNING_OBJECT(bin, "cannot link %s:%s to %s", GST_DEBUG_PAD_NAME(upstream.get()),
                       GST_ELEMENT_NAME(element));
    gst_bin_remove(bin, element);
    return upstream;
  }
  added->push_back(element);
  return GRef<GstPad>::adopt(gst_element_get_static_pad(element, "src"));
}

void discard(GstBin *bin, GstPad *pad) {
  GstElement *sink = gst_element_factory_make("fakesink", nullptr);
  if (!sink) return;
  g_object_set(sink, "sync", FALSE, "async", FALSE, "enable-last-sample", FALSE, nullptr);
  gst_bin_add(bin, sink);
  GRef<GstPad> sinkpad = GRef<GstPad>::adopt(gst_element_get_static_pad(sink, "sink"));
  gst_pad_link(pad, sinkpad.get());
  gst_element_sync_state_with_parent(sink);
}

}  // namespace

GstPad *input_expose_pad(GstBin *bin, GstPad *pad, const GstCaps *caps) {
  g_return_val_if_fail(GST_IS_BIN(bin) && GST_IS_PAD(pad) && caps, nullptr);
  if (gst_caps_is_empty(caps) || gst_caps_is_any(caps)) {
    GST_WARNING_OBJECT(bin, "stream on %s:%s has no caps, discarded", GST_DEBUG_PAD_NAME(pad));
    discard(bin, pad);
    return nullptr;
  }
  const GstStructure *s = gst_caps_get_structure(caps, 0);
  StreamKind kind = classify(s);
  if (kind == StreamKind::kDiscard) {
    GST_INFO_OBJECT(bin, "discarding %" GST_PTR_FORMAT, caps);
    discard(bin, pad);
    return nullptr;
  }

  const Rule *rule = find_rule(s);
  std::vector<GstElement *> added;
  GRef<GstPad> out = GRef<GstPad>::ref(pad);
  if (rule && rule->parser) {
    GstElement *parser = gst_element_factory_make(rule->parser, nullptr);
    if (!parser) GST_WARNING_OBJECT(bin, "no %s installed, stream passes unparsed", rule->parser);
    out = append(bin, std::move(out), parser, &added);
    if (parser && rule->timestamper && !added.empty() && added.back() == parser) {
      input_rebuild_decode_times(out.get(), rule->timestamper);
    }
  }
  if (rule && rule->filter) {
    GstElement *filter = gst_element_factory_make("capsfilter", nullptr);
    GRef<GstCaps> filter_caps = GRef<GstCaps>::adopt(gst_caps_from_string(rule->filter));
    g_object_set(filter, "caps", filter_caps.get(), nullptr);
    out = append(bin, std::move(out), filter, &added);
  }
  if (rule && rule->fixup == Fixup::kAacVersion) {
    gst_pad_add_probe(out.get(), GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, aac_probe, nullptr, nullptr);
  } else if (rule && rule->fixup == Fixup::kMarkup) {
    gst_pad_add_probe(out.get(),
                      static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM |
                                                   GST_PAD_PROBE_TYPE_BUFFER),
                      markup_probe, new MarkupState,
                      [](gpointer p) { delete static_cast<MarkupState *>(p); });
  }
  // Downstream first, so no element pushes into one that is not running yet.
  for (auto it = added.rbegin(); it != added.rend(); ++it) gst_element_sync_state_with_parent(*it);

  std::string name = next_pad_name(bin, kind);
  GstPad *ghost = gst_ghost_pad_new_from_template(name.c_str(), out.get(), pad_template(kind));
  gst_pad_set_active(ghost, TRUE);
  GST_INFO_OBJECT(bin, "exposing %s for %" GST_PTR_FORMAT, name.c_str(), caps);
  gst_element_add_pad(GST_ELEMENT(bin), ghost);  // takes the floating reference
  return ghost;
}

void input_expose_done(GstBin *bin) {
  GST_DEBUG_OBJECT(bin, "all streams exposed");
  gst_element_no_more_pads(GST_ELEMENT(bin));
}

std::string pango_markup_to_text(std::string_view markup) {
  static const struct {
    const char *name;
    char value;
  } kEntities[] = {{"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}};
  std::string out;
  out.reserve(markup.size());
  size_t i = 0;
  while (i < markup.size()) {
    char c = markup[i];
    if (c == '<') {
      size_t end = markup.find('>', i + 1);
      if (end == std::string_view::npos) {  // not a tag: keep the rest as text
        out.append(markup.substr(i));
        break;
      }
      i = end + 1;
      continue;
    }
    if (c == '&') {
      size_t end = markup.find(';', i + 1);
      // Entities are short; a far-away ';' means a bare '&'.
      if (end != std::string_view::npos && end - i <= 10) {
        std::string_view entity = markup.substr(i + 1, end - i - 1);
        bool decoded = false;
        for (const auto &e : kEntities) {
          if (entity == e.name) {
            out.push_back(e.value);
            decoded = true;
            break;
          }
        }
        if (!decoded && entity.size() >= 2 && entity[0] == '#') {
          bool hex = entity[1] == 'x' || entity[1] == 'X';
          std::string digits(entity.substr(hex ? 2 : 1));
          char *rest = nullptr;
          guint64 code =
              digits.empty() ? 0 : g_ascii_strtoull(digits.c_str(), &rest, hex ? 16 : 10);
          if (rest && *rest == '\0' && code > 0 && code <= 0x10FFFF && g_unichar_validate(code)) {
            char utf8[8];
            int n = g_unichar_to_utf8(static_cast<gunichar>(code), utf8);
            out.append(utf8, n);
            decoded = true;
          }
        }
        if (decoded) {
          i = end + 1;
          continue;
        }
      }
    }
    out.push_back(c);
    i++;
  }
  return out;
}

}  // namespace estuary
