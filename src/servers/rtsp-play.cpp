#include "servers/rtsp-play.h"

#include <gst/app/gstappsrc.h>

#include <atomic>
#include <cstring>
#include <map>
#include <mutex>
#include <string>

#include "common/gref.h"
#include "elements/estbuffer-reader.h"
#include "servers/rtsp-debug.h"

#define GST_CAT_DEFAULT estuary_rtsp_debug

namespace estuary {
namespace {

// Bounds what an appsrc holds while the media is not playing yet (blocked at preroll) or the
// network is slower than the stream: the oldest buffers go first.
constexpr guint64 kMaxQueuedBytes = 8 * 1024 * 1024;
constexpr gint64 kWaitSliceUs = 200 * 1000;  // how often a waiting feeder checks it must stop

struct Payloader {
  const char *caps_name;
  int min_version, max_version;  // mpegversion range; 0: any
  const char *factory;
};

const Payloader kPayloaders[] = {
    {"video/x-h264", 0, 0, "rtph264pay"}, {"video/x-h265", 0, 0, "rtph265pay"},
    {"audio/mpeg", 2, 4, "rtpmp4gpay"},   {"audio/mpeg", 1, 1, "rtpmpapay"},
    {"audio/x-opus", 0, 0, "rtpopuspay"}, {"audio/x-ac3", 0, 0, "rtpac3pay"},
    {"video/x-vp8", 0, 0, "rtpvp8pay"},   {"video/x-vp9", 0, 0, "rtpvp9pay"},
    {"video/mpeg", 1, 2, "rtpmpvpay"},
};

const char *payloader_for(GstCaps *caps) {
  if (!caps || gst_caps_is_empty(caps)) return nullptr;
  const GstStructure *s = gst_caps_get_structure(caps, 0);
  int version = 0;
  gst_structure_get_int(s, "mpegversion", &version);
  for (const Payloader &p : kPayloaders) {
    if (!gst_structure_has_name(s, p.caps_name)) continue;
    if (p.min_version && (version < p.min_version || version > p.max_version)) continue;
    return p.factory;
  }
  return nullptr;
}

// Reads the ring and pushes into the appsrcs, on its own thread. Owned by the bin (object
// data), so it lives exactly as long as the media's element.
class PlayFeeder {
 public:
  PlayFeeder(std::string name, std::shared_ptr<BufferRing> ring, std::vector<guint> tracks)
      : name_(std::move(name)) {
    BufferReader::Options opts;
    opts.start = BufferReader::Start::kLatestKey;
    opts.tracks = std::move(tracks);
    reader_ = std::make_unique<BufferReader>(std::move(ring), opts);
  }
  ~PlayFeeder() {
    stop_ = true;
    GThread *thread = nullptr;
    {
      std::lock_guard<std::mutex> guard(lock_);
      thread = thread_;
      thread_ = nullptr;
    }
    if (thread) g_thread_join(thread);
    GstAppSrcCallbacks none = {};
    for (auto &[id, src] : srcs_)
      gst_app_src_set_callbacks(GST_APP_SRC(src.get()), &none, nullptr, nullptr);
  }

  void add_source(guint track, GstElement *appsrc) { srcs_[track] = GRef<GstElement>::ref(appsrc); }

  // From an appsrc streaming thread (need-data): the pipeline is running, start reading.
  void start() {
    std::lock_guard<std::mutex> guard(lock_);
    if (started_ || stop_) return;
    started_ = true;
    thread_ = g_thread_new("estuary-rtsp-feed", run, this);
  }

 private:
  static gpointer run(gpointer data) {
    static_cast<PlayFeeder *>(data)->loop();
    return nullptr;
  }

  void loop() {
    GST_DEBUG("%s: RTSP feeder starts", name_.c_str());
    guint64 pushed = 0;
    while (!stop_) {
      ReadItem item;
      BufferReader::Status status = reader_->next(&item);
      if (status == BufferReader::Status::kEmpty) {
        reader_->wait(g_get_monotonic_time() + kWaitSliceUs);
        continue;
      }
      if (status == BufferReader::Status::kEnded) {
        for (auto &[id, src] : srcs_) gst_app_src_end_of_stream(GST_APP_SRC(src.get()));
        break;
      }
      auto it = srcs_.find(item.track_id);
      if (it == srcs_.end()) continue;
      GstAppSrc *src = GST_APP_SRC(it->second.get());
      if (item.caps_changed && item.caps) {
        GRef<GstCaps> current = GRef<GstCaps>::adopt(gst_app_src_get_caps(src));
        if (!current || !gst_caps_is_equal(current.get(), item.caps.get())) {
          gst_app_src_set_caps(src, item.caps.get());
        }
      }
      // The stored buffer itself; payloaders only read it.
      GstFlowReturn r = gst_app_src_push_buffer(src, gst_buffer_ref(item.buffer.get()));
      if (r != GST_FLOW_OK) {
        GST_DEBUG("%s: RTSP media stopped taking data (%s)", name_.c_str(), gst_flow_get_name(r));
        break;
      }
      pushed++;
    }
    GST_DEBUG("%s: RTSP feeder ends after %" G_GUINT64_FORMAT " buffers", name_.c_str(), pushed);
  }

  const std::string name_;
  std::unique_ptr<BufferReader> reader_;    // used by the feeder thread only
  std::map<guint, GRef<GstElement>> srcs_;  // fixed before the thread starts
  std::atomic<bool> stop_{false};
  std::mutex lock_;  // guards started_ and thread_
  bool started_ = false;
  GThread *thread_ = nullptr;
};

void on_need_data(GstAppSrc *, guint, gpointer data) { static_cast<PlayFeeder *>(data)->start(); }

void on_deep_element_added(GstBin *, GstBin *, GstElement *element, gpointer) {
  if (GST_OBJECT_FLAG_IS_SET(element, GST_ELEMENT_FLAG_SINK) &&
      g_object_class_find_property(G_OBJECT_GET_CLASS(element), "sync")) {
    g_object_set(element, "sync", FALSE, nullptr);
  }
}

}  // namespace

GstElement *rtsp_play_bin_new(const std::shared_ptr<LiveStream> &stream, GError **error) {
  StreamMeta meta = stream->ring()->snapshot();
  GRef<GstElement> bin = GRef<GstElement>::adopt(gst_bin_new(nullptr));
  std::vector<std::pair<guint, GstElement *>> sources;
  int index = 0;
  for (const TrackMeta &t : meta.tracks) {
    if (!t.active || !t.caps) continue;
    const char *factory = payloader_for(t.caps.get());
    if (!factory) {
      GST_INFO("%s: track %u (%s) has no RTP payloader, not offered over RTSP",
               stream->name().c_str(), t.trackid, t.codec.codec.c_str());
      continue;
    }
    GstElement *pay = gst_element_factory_make(factory, ("pay" + std::to_string(index)).c_str());
    GstElement *src = gst_element_factory_make("appsrc", ("src" + std::to_string(index)).c_str());
    if (!pay || !src) {
      if (pay) gst_object_unref(gst_object_ref_sink(pay));
      if (src) gst_object_unref(gst_object_ref_sink(src));
      GST_WARNING("%s: %s is not installed", stream->name().c_str(), factory);
      continue;
    }
    g_object_set(src, "is-live", TRUE, "format", GST_FORMAT_TIME, "caps", t.caps.get(), "max-bytes",
                 kMaxQueuedBytes, "block", FALSE, nullptr);
    gst_util_set_object_arg(G_OBJECT(src), "leaky-type", "downstream");
    g_object_set(pay, "pt", 96 + index, nullptr);
    // Parameter sets travel in the SDP (sprop-parameter-sets), which every viewer of the shared
    // media reads before it plays. Repeating them in-band (config-interval) sends them as an
    // access unit of their own with the keyframe's timestamp, which RTSP pullers store as a
    // bogus one-frame key.
    if (g_object_class_find_property(G_OBJECT_GET_CLASS(pay), "config-interval")) {
      g_object_set(pay, "config-interval", 0, nullptr);
    }
    if (g_object_class_find_property(G_OBJECT_GET_CLASS(pay), "aggregate-mode")) {
      gst_util_set_object_arg(G_OBJECT(pay), "aggregate-mode", "zero-latency");
    }
    gst_bin_add_many(GST_BIN(bin.get()), src, pay, nullptr);
    if (!gst_element_link(src, pay)) {
      GST_WARNING("%s: cannot link track %u to %s", stream->name().c_str(), t.trackid, factory);
      gst_bin_remove_many(GST_BIN(bin.get()), src, pay, nullptr);
      continue;
    }
    sources.emplace_back(t.trackid, src);
    index++;
  }
  if (sources.empty()) {
    g_set_error(error, GST_STREAM_ERROR, GST_STREAM_ERROR_CODEC_NOT_FOUND,
                "stream %s has no track RTSP can carry", stream->name().c_str());
    return nullptr;
  }
  std::vector<guint> ids;
  for (const auto &s : sources) ids.push_back(s.first);
  auto *feeder = new PlayFeeder(stream->name(), stream->ring(), ids);
  GstAppSrcCallbacks callbacks = {};
  callbacks.need_data = on_need_data;
  for (const auto &[track, src] : sources) {
    feeder->add_source(track, src);
    gst_app_src_set_callbacks(GST_APP_SRC(src), &callbacks, feeder, nullptr);
  }
  g_object_set_data_full(G_OBJECT(bin.get()), "estuary-rtsp-feeder", feeder,
                         [](gpointer p) { delete static_cast<PlayFeeder *>(p); });
  GST_INFO("%s: RTSP media with %d track(s)", stream->name().c_str(), index);
  GstElement *result = bin.release();
  g_object_force_floating(G_OBJECT(result));
  return result;
}

void rtsp_play_unsync_sinks(GstElement *pipeline) {
  g_signal_connect(pipeline, "deep-element-added", G_CALLBACK(on_deep_element_added), nullptr);
}

}  // namespace estuary
