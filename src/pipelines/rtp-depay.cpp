#include "pipelines/rtp-depay.h"

#include <cstring>

#include "common/gref.h"

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

}  // namespace

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
