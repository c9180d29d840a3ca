#include "pipelines/rtp-depay.h"

#include <cstring>

#include "common/gref.h"
#include "pipelines/input-debug.h"

namespace estuary {
namespace {

struct Encoding {
  const char *name;
  const char *parser;
  bool ts;
  const char *timestamper = nullptr;
  const char *ts_caps = nullptr;     // framing caps into MPEG-TS
  const char *other_caps = nullptr;  // framing caps into other containers
  guint frame_samples = 0;           // audio samples per frame, when fixed
};

// Encodings whose depayloader output needs framing before a muxer, and what TS carries.
const Encoding kEncodings[] = {
    {"H264", "h264parse", true, "h264timestamper",
     "video/x-h264,stream-format=byte-stream,alignment=au",
     "video/x-h264,stream-format=avc,alignment=au"},
    {"H265", "h265parse", true, "h265timestamper",
     "video/x-h265,stream-format=byte-stream,alignment=au",
     "video/x-h265,stream-format=hvc1,alignment=au"},
    {"MPEG4-GENERIC", "aacparse", true, nullptr, "audio/mpeg,stream-format=adts", nullptr, 1024},
    {"MP4A-LATM", "aacparse", true, nullptr, "audio/mpeg,stream-format=adts", nullptr, 1024},
    {"MPA", "mpegaudioparse", true, nullptr, nullptr, nullptr, 1152},
    {"AC3", "ac3parse", true},
    {"OPUS", "opusparse", true},
    {"X-GST-OPUS-DRAFT-SPITTKA-00", "opusparse", true},
    {"VP8", nullptr, false},
    {"VP9", nullptr, false},
};

const Encoding *find_encoding(const char *name) {
  if (!name) return nullptr;
  for (const Encoding &e : kEncodings) {
    if (g_ascii_strcasecmp(e.name, name) == 0) return &e;
  }
  return nullptr;
}

// Stamps the frames a depayloader left without a time. Owned by the probe.
struct FrameClock {
  GstClockTime frame = 0;  // duration of one frame
  GstClockTime next = GST_CLOCK_TIME_NONE;
};

GstPadProbeReturn stamp_frame(GstPad *, GstPadProbeInfo *info, gpointer data) {
  auto *clock = static_cast<FrameClock *>(data);
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);
  if (GST_BUFFER_PTS_IS_VALID(buf)) {
    clock->next = GST_BUFFER_PTS(buf) + clock->frame;
    if (!GST_BUFFER_DURATION_IS_VALID(buf)) {
      buf = gst_buffer_make_writable(buf);
      GST_BUFFER_DURATION(buf) = clock->frame;
      GST_PAD_PROBE_INFO_DATA(info) = buf;
    }
    return GST_PAD_PROBE_OK;
  }
  if (!GST_CLOCK_TIME_IS_VALID(clock->next)) return GST_PAD_PROBE_OK;
  buf = gst_buffer_make_writable(buf);
  GST_BUFFER_PTS(buf) = clock->next;
  GST_BUFFER_DURATION(buf) = clock->frame;
  clock->next += clock->frame;
  GST_PAD_PROBE_INFO_DATA(info) = buf;
  return GST_PAD_PROBE_OK;
}

// Running times of the first frame into and out of a timestamper, and the correction its
// outgoing segments need. Shared by the probes on both pads (one streaming thread).
struct TimeKeeper {
  bool have_in = false;
  gint64 in_rt = 0;
  bool checked = false;
  gint64 shift = 0;  // subtracted from the running time of every outgoing segment
  bool injecting = false;
};

// Past this the difference is the timestamper's offset, not jitter or a first-frame clamp.
constexpr gint64 kMaxRunningTimeDrift = GST_SECOND;

// The running time of `pts` in `pad`'s current segment (signed, nanoseconds), or false.
bool pad_running_time(GstPad *pad, GstClockTime pts, gint64 *rt) {
  if (!GST_CLOCK_TIME_IS_VALID(pts)) return false;
  GRef<GstEvent> event = GRef<GstEvent>::adopt(gst_pad_get_sticky_event(pad, GST_EVENT_SEGMENT, 0));
  if (!event) return false;
  const GstSegment *segment = nullptr;
  gst_event_parse_segment(event.get(), &segment);
  if (segment->format != GST_FORMAT_TIME) return false;
  guint64 abs_rt = 0;
  int sign = gst_segment_to_running_time_full(segment, GST_FORMAT_TIME, pts, &abs_rt);
  if (sign == 0) return false;
  *rt = sign > 0 ? static_cast<gint64>(abs_rt) : -static_cast<gint64>(abs_rt);
  return true;
}

// `segment` moved so every position's running time is `shift` smaller.
GstEvent *shifted_segment(const GstSegment *segment, gint64 shift, guint32 seqnum) {
  GstSegment moved;
  gst_segment_copy_into(segment, &moved);
  if (shift > 0 && moved.base >= static_cast<guint64>(shift)) {
    moved.base -= shift;
  } else if (shift > 0) {
    // Running time = (position - start) + base: with no base to take from, start moves up.
    guint64 rest = shift - moved.base;
    moved.base = 0;
    moved.start += rest;
    moved.time += rest;
    if (moved.stop != GST_CLOCK_TIME_NONE) moved.stop += rest;
    if (moved.position != GST_CLOCK_TIME_NONE && moved.position < moved.start) {
      moved.position = moved.start;
    }
  } else {
    moved.base += -shift;
  }
  GstEvent *event = gst_event_new_segment(&moved);
  gst_event_set_seqnum(event, seqnum);
  return event;
}

GstPadProbeReturn note_first_frame(GstPad *pad, GstPadProbeInfo *info, gpointer data) {
  auto *keeper = static_cast<TimeKeeper *>(data);
  if (!keeper->have_in) {
    keeper->have_in =
        pad_running_time(pad, GST_BUFFER_PTS(GST_PAD_PROBE_INFO_BUFFER(info)), &keeper->in_rt);
  }
  return keeper->have_in ? GST_PAD_PROBE_REMOVE : GST_PAD_PROBE_OK;
}

GstPadProbeReturn keep_running_time(GstPad *pad, GstPadProbeInfo *info, gpointer data) {
  auto *keeper = static_cast<TimeKeeper *>(data);
  if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT(info);
    if (GST_EVENT_TYPE(event) != GST_EVENT_SEGMENT || keeper->injecting || keeper->shift == 0) {
      return GST_PAD_PROBE_OK;
    }
    const GstSegment *segment = nullptr;
    gst_event_parse_segment(event, &segment);
    GRef<GstEvent> replaced = GRef<GstEvent>::adopt(event);
    GST_PAD_PROBE_INFO_DATA(info) =
        shifted_segment(segment, keeper->shift, gst_event_get_seqnum(event));
    return GST_PAD_PROBE_OK;
  }
  if (keeper->checked || !keeper->have_in) return GST_PAD_PROBE_OK;
  gint64 out_rt = 0;
  if (!pad_running_time(pad, GST_BUFFER_PTS(GST_PAD_PROBE_INFO_BUFFER(info)), &out_rt)) {
    return GST_PAD_PROBE_OK;
  }
  keeper->checked = true;
  gint64 drift = out_rt - keeper->in_rt;
  if (drift < kMaxRunningTimeDrift && drift > -kMaxRunningTimeDrift) return GST_PAD_PROBE_OK;
  GST_INFO_OBJECT(
      pad, "timestamper moved the running time by %" GST_STIME_FORMAT ", correcting its segment",
      GST_STIME_ARGS(drift));
  keeper->shift = drift;
  GRef<GstEvent> current =
      GRef<GstEvent>::adopt(gst_pad_get_sticky_event(pad, GST_EVENT_SEGMENT, 0));
  const GstSegment *segment = nullptr;
  gst_event_parse_segment(current.get(), &segment);
  // Sent from this pad so it becomes the sticky segment downstream sees from now on.
  keeper->injecting = true;
  gst_pad_push_event(pad, shifted_segment(segment, drift, gst_event_get_seqnum(current.get())));
  keeper->injecting = false;
  return GST_PAD_PROBE_OK;
}

}  // namespace

void rtp_timestamper_keep_running_time(GstElement *timestamper) {
  g_return_if_fail(timestamper != nullptr);
  GRef<GstPad> sink = GRef<GstPad>::adopt(gst_element_get_static_pad(timestamper, "sink"));
  GRef<GstPad> src = GRef<GstPad>::adopt(gst_element_get_static_pad(timestamper, "src"));
  if (!sink || !src) return;
  // The keeper lives as long as the src probe; the sink probe removes itself after one frame,
  // and the element (so the src probe) outlives every call into it.
  auto *keeper = new TimeKeeper;
  gst_pad_add_probe(sink.get(), GST_PAD_PROBE_TYPE_BUFFER, note_first_frame, keeper, nullptr);
  gst_pad_add_probe(
      src.get(),
      static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
      keep_running_time, keeper, [](gpointer p) { delete static_cast<TimeKeeper *>(p); });
}

void rtp_fill_timestamps(GstPad *depay_src, const GstCaps *rtp_caps) {
  if (!depay_src || !rtp_caps || gst_caps_is_empty(rtp_caps)) return;
  const GstStructure *s = gst_caps_get_structure(rtp_caps, 0);
  const Encoding *e = find_encoding(gst_structure_get_string(s, "encoding-name"));
  gint rate = 0;
  if (!e || !e->frame_samples || !gst_structure_get_int(s, "clock-rate", &rate) || rate <= 0) {
    return;
  }
  auto *clock = new FrameClock;
  clock->frame = gst_util_uint64_scale_int(e->frame_samples, GST_SECOND, rate);
  gst_pad_add_probe(depay_src, GST_PAD_PROBE_TYPE_BUFFER, stamp_frame, clock,
                    [](gpointer p) { delete static_cast<FrameClock *>(p); });
}

GstElement *rtp_depayloader_new(const GstCaps *rtp_caps) {
  g_return_val_if_fail(rtp_caps != nullptr, nullptr);
  GList *all = gst_element_factory_list_get_elements(GST_ELEMENT_FACTORY_TYPE_DEPAYLOADER,
                                                     GST_RANK_MARGINAL);
  GList *fits = gst_element_factory_list_filter(all, rtp_caps, GST_PAD_SINK, FALSE);
  // Highest rank first, so the usual depayloader wins over experimental ones.
  fits = g_list_sort(fits, gst_plugin_feature_rank_compare_func);
  GstElement *depay = nullptr;
  for (GList *l = fits; l && !depay; l = l->next) {
    depay = gst_element_factory_create(GST_ELEMENT_FACTORY(l->data), nullptr);
  }
  gst_plugin_feature_list_free(fits);
  gst_plugin_feature_list_free(all);
  return depay;
}

const char *rtp_parser_name(const char *encoding_name) {
  const Encoding *e = find_encoding(encoding_name);
  return e ? e->parser : nullptr;
}

const char *rtp_framing_caps(const char *encoding_name, bool for_ts) {
  const Encoding *e = find_encoding(encoding_name);
  if (!e) return nullptr;
  return for_ts ? e->ts_caps : e->other_caps;
}

const char *rtp_timestamper_name(const char *encoding_name) {
  const Encoding *e = find_encoding(encoding_name);
  return e ? e->timestamper : nullptr;
}

bool rtp_encoding_fits_ts(const char *encoding_name) {
  const Encoding *e = find_encoding(encoding_name);
  return e && e->ts;
}

}  // namespace estuary
