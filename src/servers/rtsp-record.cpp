#include "servers/rtsp-record.h"

#include <gst/app/gstappsink.h>

#include <atomic>
#include <cstdlib>
#include <string>

#include "common/gref.h"
#include "pipelines/rtp-depay.h"
#include "servers/rtsp-debug.h"

#define GST_CAT_DEFAULT estuary_rtsp_debug

namespace estuary {
namespace {

// An SDP may announce any number of media; a publisher needs a handful.
constexpr guint kMaxMedia = 8;

// The SDP media's RTP caps for its first payload type, or null.
GRef<GstCaps> media_caps(const GstSDPMedia *media) {
  if (gst_sdp_media_formats_len(media) == 0) return nullptr;
  const char *fmt = gst_sdp_media_get_format(media, 0);
  char *end = nullptr;
  long pt = fmt ? strtol(fmt, &end, 10) : -1;
  if (!fmt || end == fmt || *end || pt < 0 || pt > 127) return nullptr;
  GRef<GstCaps> caps =
      GRef<GstCaps>::adopt(gst_sdp_media_get_caps_from_media(media, static_cast<gint>(pt)));
  if (!caps || gst_caps_is_empty(caps.get())) return nullptr;
  caps = GRef<GstCaps>::adopt(gst_caps_make_writable(caps.release()));
  GstStructure *s = gst_caps_get_structure(caps.get(), 0);
  gst_structure_set_name(s, "application/x-rtp");
  gst_sdp_media_attributes_to_caps(media, caps.get());
  return caps;
}

const char *encoding_name(GstCaps *caps) {
  return caps ? gst_structure_get_string(gst_caps_get_structure(caps, 0), "encoding-name")
              : nullptr;
}

// Writes the muxed stream into the feed; owned by the bin (object data).
struct RecordSink {
  std::string stream;
  std::shared_ptr<PushFeed> feed;
  std::function<void()> on_refused;
  std::atomic<bool> refused{false};

  ~RecordSink() { feed->end(); }
};

GstFlowReturn on_new_sample(GstAppSink *sink, gpointer data) {
  auto *rec = static_cast<RecordSink *>(data);
  GRef<GstSample> sample = GRef<GstSample>::adopt(gst_app_sink_pull_sample(sink));
  GstBuffer *buf = sample ? gst_sample_get_buffer(sample.get()) : nullptr;
  if (!buf) return GST_FLOW_OK;
  BufferMap map(buf, GST_MAP_READ);
  if (!map.ok()) return GST_FLOW_OK;
  if (rec->feed->write(map.data(), map.size())) return GST_FLOW_OK;
  if (!rec->refused.exchange(true)) {
    GST_INFO("%s: the stream closed the RTSP publisher's feed", rec->stream.c_str());
    if (rec->on_refused) rec->on_refused();
  }
  return GST_FLOW_EOS;
}

// Adds `factory` after `upstream` (both in `bin`); returns the new tail, or `upstream` when the
// element is missing.
GstElement *append(GstBin *bin, GstElement *upstream, const char *factory) {
  GstElement *e = factory ? gst_element_factory_make(factory, nullptr) : nullptr;
  if (!e) return upstream;
  gst_bin_add(bin, e);
  if (!gst_element_link(upstream, e)) {
    gst_bin_remove(bin, e);
    return upstream;
  }
  return e;
}

// Adds a capsfilter for `caps` (nullptr: none) after `upstream`; returns the new tail.
GstElement *append_filter(GstBin *bin, GstElement *upstream, const char *caps) {
  if (!caps) return upstream;
  GstElement *filter = gst_element_factory_make("capsfilter", nullptr);
  GRef<GstCaps> parsed = GRef<GstCaps>::adopt(gst_caps_from_string(caps));
  g_object_set(filter, "caps", parsed.get(), nullptr);
  gst_bin_add(bin, filter);
  if (!gst_element_link(upstream, filter)) {
    gst_bin_remove(bin, filter);
    return upstream;
  }
  return filter;
}

}  // namespace

std::string rtsp_record_container(const GstSDPMessage *sdp) {
  guint n = gst_sdp_message_medias_len(sdp);
  for (guint i = 0; i < n; i++) {
    GRef<GstCaps> caps = media_caps(gst_sdp_message_get_media(sdp, i));
    const char *enc = encoding_name(caps.get());
    // Tracks nothing can depayload are dropped and do not decide the container.
    if (caps && !rtp_encoding_fits_ts(enc)) {
      GRef<GstElement> probe = GRef<GstElement>::adopt(rtp_depayloader_new(caps.get()));
      if (probe) return "video/x-matroska";
    }
  }
  return "video/mpegts, systemstream=(boolean)true";
}

GstElement *rtsp_record_bin_new(const std::string &stream, const GstSDPMessage *sdp,
                                std::shared_ptr<PushFeed> feed, std::function<void()> on_refused,
                                GError **error) {
  guint n = gst_sdp_message_medias_len(sdp);
  if (n == 0 || n > kMaxMedia) {
    g_set_error(error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
                "the announced SDP has %u media (1 to %u expected)", n, kMaxMedia);
    return nullptr;
  }
  bool ts = g_str_has_prefix(rtsp_record_container(sdp).c_str(), "video/mpegts");
  GRef<GstElement> bin = GRef<GstElement>::adopt(gst_bin_new(nullptr));
  GstBin *b = GST_BIN(bin.get());
  GstElement *mux = gst_element_factory_make(ts ? "mpegtsmux" : "matroskamux", "mux");
  GstElement *sink = gst_element_factory_make("appsink", "feed");
  if (!mux || !sink) {
    g_set_error(error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN, "%s or appsink missing",
                ts ? "mpegtsmux" : "matroskamux");
    return nullptr;
  }
  if (!ts) g_object_set(mux, "streamable", TRUE, nullptr);
  g_object_set(sink, "sync", FALSE, "async", FALSE, "enable-last-sample", FALSE, nullptr);
  gst_bin_add_many(b, mux, sink, nullptr);
  gst_element_link(mux, sink);

  int carried = 0;
  for (guint i = 0; i < n; i++) {
    std::string name = "depay" + std::to_string(i);
    GRef<GstCaps> caps = media_caps(gst_sdp_message_get_media(sdp, i));
    const char *enc = encoding_name(caps.get());
    GstElement *depay = caps ? rtp_depayloader_new(caps.get()) : nullptr;
    if (depay) {
      gst_object_set_name(GST_OBJECT(depay), name.c_str());
      gst_bin_add(b, depay);
      GRef<GstPad> depay_src = GRef<GstPad>::adopt(gst_element_get_static_pad(depay, "src"));
      rtp_fill_timestamps(depay_src.get(), caps.get());
      GstElement *tail = append(b, depay, rtp_parser_name(enc));
      tail = append_filter(b, tail, rtp_framing_caps(enc, ts));
      // Decode times for B-frames: the muxer orders and times packets by them.
      GstElement *parsed = tail;
      tail = append(b, tail, rtp_timestamper_name(enc));
      if (tail != parsed) rtp_timestamper_keep_running_time(tail);
      tail = append(b, tail, "queue");
      if (gst_element_link(tail, mux)) {
        carried++;
        GST_INFO("%s: RTSP RECORD track %u: %s via %s", stream.c_str(), i, enc ? enc : "?",
                 GST_OBJECT_NAME(gst_element_get_factory(depay)));
        continue;
      }
      GST_WARNING("%s: RECORD track %u (%s) cannot go into the muxer", stream.c_str(), i, enc);
      // A depayloader that cannot reach the muxer feeds a fakesink instead (below).
      GstElement *drop = gst_element_factory_make("fakesink", nullptr);
      g_object_set(drop, "sync", FALSE, "async", FALSE, nullptr);
      gst_bin_add(b, drop);
      gst_element_link(tail, drop);
      continue;
    }
    // Every SDP media needs a stream so the publisher's SETUPs succeed; what cannot be
    // depayloaded is dropped.
    GST_WARNING("%s: RECORD track %u (%s) has no depayloader, dropped", stream.c_str(), i,
                enc ? enc : "unknown");
    GstElement *drop = gst_element_factory_make("fakesink", name.c_str());
    g_object_set(drop, "sync", FALSE, "async", FALSE, nullptr);
    gst_bin_add(b, drop);
  }
  if (carried == 0) {
    g_set_error(error, GST_STREAM_ERROR, GST_STREAM_ERROR_CODEC_NOT_FOUND,
                "no announced track can be received");
    return nullptr;
  }
  auto *rec = new RecordSink{stream, std::move(feed), std::move(on_refused)};
  g_object_set_data_full(G_OBJECT(bin.get()), "estuary-rtsp-record", rec,
                         [](gpointer p) { delete static_cast<RecordSink *>(p); });
  GstAppSinkCallbacks callbacks = {};
  callbacks.new_sample = on_new_sample;
  gst_app_sink_set_callbacks(GST_APP_SINK(sink), &callbacks, rec, nullptr);
  GstElement *result = bin.release();
  g_object_force_floating(G_OBJECT(result));
  return result;
}

void rtsp_record_end(GstElement *bin) {
  auto *rec = static_cast<RecordSink *>(g_object_get_data(G_OBJECT(bin), "estuary-rtsp-record"));
  if (rec) rec->feed->end();
}

}  // namespace estuary
