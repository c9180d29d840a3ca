#include "pipelines/output-branch.h"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>

#include <atomic>
#include <cstring>

#include "common/gref.h"
#include "pipelines/fanout.h"
#include "pipelines/output-framing.h"
#include "pipelines/output-subtitles.h"
#include "pipelines/output-flv-direct.h"
#include "pipelines/output-ts-direct.h"

GST_DEBUG_CATEGORY_STATIC(branch_debug);
#define GST_CAT_DEFAULT branch_debug

namespace estuary {

namespace {

// Per-track input queue bound: the muxer waits for every track, so a feeder that does not
// interleave would otherwise grow the other tracks' queues without limit.
constexpr guint64 kMaxTrackQueueBytes = 32 * 1024 * 1024;

const char *muxer_for(OutputFormat f) {
  switch (f) {
    case OutputFormat::kTS:
      return "mpegtsmux";
    case OutputFormat::kFLV:
      return "flvmux";
    case OutputFormat::kFMP4:
      return "mp4mux";
    case OutputFormat::kWebM:
      return "webmmux";
    case OutputFormat::kMKV:
      return "matroskamux";
    case OutputFormat::kOGG:
      return "oggmux";
    case OutputFormat::kWAV:
      return "wavenc";
    default:
      return nullptr;  // elementary: the track goes straight to the appsink
  }
}

bool is_text_format(OutputFormat f) {
  return f == OutputFormat::kWebVTT || f == OutputFormat::kSRT;
}

GstElement *make(const char *factory) { return gst_element_factory_make(factory, nullptr); }

// Converters between a parsed input track and what the muxer accepts.
std::vector<GstElement *> converters_for(OutputFormat f, Codec c) {
  std::vector<GstElement *> chain;
  auto capsfilter = [](const char *caps) {
    GstElement *e = make("capsfilter");
    GRef<GstCaps> cf = GRef<GstCaps>::adopt(gst_caps_from_string(caps));
    if (e) g_object_set(e, "caps", cf.get(), nullptr);
    return e;
  };
  if (f == OutputFormat::kTS && (c == Codec::kH264 || c == Codec::kH265)) {
    const bool avc = c == Codec::kH264;
    GstElement *parse = make(avc ? "h264parse" : "h265parse");
    // In-band SPS/PPS at every keyframe: TS has no other place for them.
    if (parse) g_object_set(parse, "config-interval", -1, nullptr);
    chain.push_back(parse);
    chain.push_back(capsfilter(avc ? "video/x-h264,stream-format=byte-stream,alignment=au"
                                   : "video/x-h265,stream-format=byte-stream,alignment=au"));
  } else if (f == OutputFormat::kAAC && c == Codec::kAAC) {
    chain.push_back(make("aacparse"));
    chain.push_back(capsfilter("audio/mpeg,stream-format=adts"));
  }
  return chain;
}

// The caps a track's appsrc announces to `f`'s muxer. mp4mux in GStreamer 1.22 reads VP9's
// "chroma-site" whenever "chroma-format" is 4:2:0 and passes it to strcmp unchecked, so caps from
// a WebM/MKV source (vp9parse sets the format, never the site) crash it; give such caps the
// site VP9 encoders use by default (MPEG-2 style, vertically co-sited). Transfer full.
GstCaps *caps_for_muxer(OutputFormat f, Codec c, GstCaps *caps) {
  GstCaps *out = gst_caps_copy(caps);
  if (f != OutputFormat::kFMP4 || c != Codec::kVP9) return out;
  for (guint i = 0; i < gst_caps_get_size(out); i++) {
    GstStructure *s = gst_caps_get_structure(out, i);
    if (gst_structure_has_field(s, "chroma-format") && !gst_structure_has_field(s, "chroma-site"))
      gst_structure_set(s, "chroma-site", G_TYPE_STRING, "v-cosited", nullptr);
  }
  return out;
}

// Queues a Vorbis track's header packets (its caps streamheader) in front of its data, as
// vorbisparse sends them: oggmux learns the stream's block sizes only from header packets that
// arrive as buffers, and without them it stamps every packet as a short block, so the pages'
// granule positions fall behind the audio and the last packet is lost.
void queue_vorbis_headers(OutputFormat f, Codec c, GstCaps *caps, GstElement *appsrc) {
  if (f != OutputFormat::kOGG || c != Codec::kVorbis || gst_caps_get_size(caps) == 0) return;
  const GValue *headers = gst_structure_get_value(gst_caps_get_structure(caps, 0), "streamheader");
  if (!headers || !GST_VALUE_HOLDS_ARRAY(headers)) return;
  for (guint i = 0; i < gst_value_array_get_size(headers); i++) {
    const GValue *v = gst_value_array_get_value(headers, i);
    if (!GST_VALUE_HOLDS_BUFFER(v)) continue;
    GstBuffer *header = gst_buffer_copy(gst_value_get_buffer(v));
    GST_BUFFER_FLAG_SET(header, GST_BUFFER_FLAG_HEADER);
    // appsrc keeps buffers pushed before the branch starts and sends them first.
    gst_app_src_push_buffer(GST_APP_SRC(appsrc), header);
  }
}

// Requests the muxer pad for a track by its kind, trying the template names our muxers use;
// null when none fits (then caps decide).
GstPad *request_pad_for(GstElement *target, Codec codec) {
  const char *names[3] = {nullptr, nullptr, nullptr};
  switch (kind_of(codec)) {
    case TrackKind::kVideo:
      names[0] = "video";
      names[1] = "video_%u";
      break;
    case TrackKind::kAudio:
      names[0] = "audio";
      names[1] = "audio_%u";
      break;
    case TrackKind::kSubtitle:
      names[0] = "subtitle_%u";
      names[1] = "text_%u";
      break;
    default:
      break;
  }
  names[2] = "sink_%d";
  GstElementClass *klass = GST_ELEMENT_GET_CLASS(target);
  for (const char *n : names) {
    if (!n) continue;
    GstPadTemplate *tmpl = gst_element_class_get_pad_template(klass, n);
    if (tmpl && GST_PAD_TEMPLATE_PRESENCE(tmpl) == GST_PAD_REQUEST)
      return gst_element_request_pad(target, tmpl, nullptr, nullptr);
  }
  return nullptr;
}

}  // namespace

struct FormatBranch::Impl {
  struct Track {
    uint32_t id;
    Codec codec;
    GRef<GstElement> appsrc;  // null for subtitle formats
    GRef<GstCaps> caps;
    GRef<GstCaps> current_caps;  // direct muxing: what the muxer follows now (direct_lock)
  };

  OutputFormat format;
  std::string stream;
  GRef<GstElement> pipeline, mux, appsink;
  std::vector<Track> tracks;  // frozen once started, so push() reads it without a lock
  bool started = false;
  bool has_video = false;
  bool in_place = false;  // set by start(): no pipeline, push() reaches the sink itself
  Sink sink;
  std::unique_ptr<OutputFraming> framing;  // streaming thread only
  GRef<GstCaps> last_caps;                 // streaming thread only
  std::atomic<bool> error_reported{false};

  GMutex text_lock;  // guards cue_index and serialises subtitle cues
  uint64_t cue_index = 0;

  // TS or FLV without a muxer pipeline (see output-direct-mux.h): set by start() when every
  // track qualifies, then `pipeline` is gone and push() muxes on the caller's thread.
  GMutex direct_lock;  // guards `direct` and serialises its output to the sink
  std::unique_ptr<DirectMux> direct;

  Impl() {
    g_mutex_init(&text_lock);
    g_mutex_init(&direct_lock);
  }
  ~Impl() {
    g_mutex_clear(&text_lock);
    g_mutex_clear(&direct_lock);
  }


  Track *find(uint32_t id) {
    for (auto &t : tracks)
      if (t.id == id) return &t;
    return nullptr;
  }

  void report_error(const std::string &msg) {
    if (error_reported.exchange(true)) return;
    GST_WARNING("%s/%s: %s", stream.c_str(), format_name(format), msg.c_str());
    if (sink.on_error) sink.on_error(msg);
  }

  static GstFlowReturn on_new_sample(GstAppSink *appsink, gpointer data) {
    auto *self = static_cast<Impl *>(data);
    GRef<GstSample> sample = GRef<GstSample>::adopt(gst_app_sink_pull_sample(appsink));
    if (!sample) return GST_FLOW_EOS;
    GstCaps *caps = gst_sample_get_caps(sample.get());
    if (caps && (!self->last_caps || !gst_caps_is_equal(caps, self->last_caps.get()))) {
      self->last_caps = GRef<GstCaps>::ref(caps);
      self->framing->on_caps(caps);
    }
    if (GstBuffer *buf = gst_sample_get_buffer(sample.get())) self->framing->on_buffer(buf);
    return GST_FLOW_OK;
  }

  static void on_eos(GstAppSink *, gpointer data) {
    auto *self = static_cast<Impl *>(data);
    self->framing->flush();
    if (self->sink.on_eos) self->sink.on_eos();
  }

  static GstBusSyncReply on_bus(GstBus *, GstMessage *msg, gpointer data) {
    if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
      GErrorPtr err;
      GCharPtr dbg;
      GError *e = nullptr;
      gchar *d = nullptr;
      gst_message_parse_error(msg, &e, &d);
      err.reset(e);
      dbg.reset(d);
      static_cast<Impl *>(data)->report_error(err ? err->message : "muxer error");
    }
    return GST_BUS_DROP;
  }

  void push_text(GstBuffer *in) {
    std::string text;
    {
      BufferMap map(in, GST_MAP_READ);
      if (map.ok()) text.assign(reinterpret_cast<const char *>(map.data()), map.size());
    }
    GstClockTime start = GST_BUFFER_PTS(in);
    GstClockTime dur = GST_BUFFER_DURATION(in);
    // A cue without a duration stays up for a few seconds, as players do with SRT gaps.
    GstClockTime end = (GST_CLOCK_TIME_IS_VALID(start) ? start : 0) +
                       (GST_CLOCK_TIME_IS_VALID(dur) ? dur : 3 * GST_SECOND);
    MutexLock l(&text_lock);
    std::string cue = format == OutputFormat::kSRT ? srt_cue(++cue_index, start, end, text)
                                                   : webvtt_cue(start, end, text);
    GRef<GstBuffer> out = GRef<GstBuffer>::adopt(gst_buffer_new_memdup(cue.data(), cue.size()));
    GST_BUFFER_PTS(out.get()) = start;
    GST_BUFFER_DURATION(out.get()) = end - (GST_CLOCK_TIME_IS_VALID(start) ? start : 0);
    if (sink.on_buffer) sink.on_buffer(out.get());
  }
};

FormatBranch::Sink FormatBranch::sink_for(std::shared_ptr<Fanout> fanout) {
  Sink s;
  s.on_headers = [fanout](const std::vector<GstBuffer *> &h) { fanout->set_headers(h); };
  s.on_buffer = [fanout](GstBuffer *b) { fanout->push(b); };
  s.on_eos = [fanout]() { fanout->end(); };
  s.on_error = [fanout](const std::string &) { fanout->end(); };
  return s;
}

FormatBranch::FormatBranch(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

FormatBranch::~FormatBranch() { stop(); }

std::unique_ptr<FormatBranch> FormatBranch::create(OutputFormat format, const std::string &stream,
                                                   GError **error) {
  static gsize once = 0;
  if (g_once_init_enter(&once)) {
    GST_DEBUG_CATEGORY_INIT(branch_debug, "estuary-output", 0, "Estuary output branches");
    g_once_init_leave(&once, 1);
  }
  auto impl = std::make_unique<Impl>();
  impl->format = format;
  impl->stream = stream;
  if (is_text_format(format))
    return std::unique_ptr<FormatBranch>(new FormatBranch(std::move(impl)));

  std::string name = stream + "-" + format_name(format);
  impl->pipeline = GRef<GstElement>::adopt(gst_pipeline_new(name.c_str()));
  impl->appsink = GRef<GstElement>::adopt(make("appsink"));
  if (!impl->appsink) {
    g_set_error(error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN, "appsink is not installed");
    return nullptr;
  }
  g_object_set(impl->appsink.get(), "sync", FALSE, "async", FALSE, "max-buffers", 0u, nullptr);
  gst_bin_add(GST_BIN(impl->pipeline.get()), impl->appsink.get());  // the bin adds a ref
  if (const char *muxer = muxer_for(format)) {
    impl->mux = GRef<GstElement>::adopt(make(muxer));
    if (!impl->mux) {
      g_set_error(error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
                  "%s output needs the GStreamer element %s", format_name(format), muxer);
      return nullptr;
    }
    switch (format) {
      case OutputFormat::kFLV:
      case OutputFormat::kWebM:
      case OutputFormat::kMKV:
        g_object_set(impl->mux.get(), "streamable", TRUE, nullptr);
        break;
      case OutputFormat::kFMP4:
        // Fragments of one second: a live viewer can start at any fragment after ftyp+moov.
        g_object_set(impl->mux.get(), "fragment-duration", 1000u, "streamable", TRUE, nullptr);
        break;
      default:
        break;
    }
    gst_bin_add(GST_BIN(impl->pipeline.get()), impl->mux.get());
    if (!gst_element_link(impl->mux.get(), impl->appsink.get())) {
      g_set_error(error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION, "cannot link %s to appsink",
                  muxer);
      return nullptr;
    }
  }
  return std::unique_ptr<FormatBranch>(new FormatBranch(std::move(impl)));
}

void FormatBranch::set_sink(Sink sink) { impl_->sink = std::move(sink); }

bool FormatBranch::add_track(uint32_t track_id, GstCaps *caps, GError **error) {
  Impl &b = *impl_;
  if (b.started) {
    g_set_error(error, GST_CORE_ERROR, GST_CORE_ERROR_STATE_CHANGE,
                "tracks cannot be added to a running %s branch", format_name(b.format));
    return false;
  }
  if (b.find(track_id)) {
    g_set_error(error, GST_CORE_ERROR, GST_CORE_ERROR_FAILED, "track %u added twice", track_id);
    return false;
  }
  const Codec codec = codec_from_caps(caps);
  std::vector<TrackRef> refs;
  for (const auto &t : b.tracks) refs.push_back({t.id, t.codec});
  refs.push_back({track_id, codec});
  TrackSelection sel = select_tracks(b.format, refs);
  if (sel.selected.size() != refs.size()) {
    g_set_error(error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT, "%s",
                sel.skipped.empty() ? sel.error.c_str() : sel.skipped.back().c_str());
    return false;
  }
  Impl::Track track{track_id, codec, nullptr, GRef<GstCaps>::ref(caps)};
  if (is_text_format(b.format)) {
    b.tracks.push_back(std::move(track));
    return true;
  }

  GRef<GstElement> src = GRef<GstElement>::adopt(make("appsrc"));
  GRef<GstCaps> src_caps = GRef<GstCaps>::adopt(caps_for_muxer(b.format, codec, caps));
  g_object_set(src.get(), "caps", src_caps.get(), "format", GST_FORMAT_TIME, "is-live", FALSE,
               "max-bytes", kMaxTrackQueueBytes, "block", FALSE, nullptr);
  // Drop the oldest input rather than grow without bound when the feeder does not interleave.
  if (g_object_class_find_property(G_OBJECT_GET_CLASS(src.get()), "leaky-type"))
    gst_util_set_object_arg(G_OBJECT(src.get()), "leaky-type", "downstream");
  std::vector<GstElement *> chain = {src.get()};
  for (GstElement *e : converters_for(b.format, codec)) {
    if (!e) {
      for (size_t i = 1; i < chain.size(); i++) gst_object_unref(chain[i]);  // still floating
      g_set_error(error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
                  "a parser needed for %s in %s is not installed", codec_name(codec),
                  format_name(b.format));
      return false;
    }
    chain.push_back(e);
  }
  // The bin sinks the floating converters and adds its own reference to the appsrc.
  for (GstElement *e : chain) gst_bin_add(GST_BIN(b.pipeline.get()), e);
  for (size_t i = 1; i < chain.size(); i++) {
    if (!gst_element_link(chain[i - 1], chain[i])) {
      g_set_error(error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION, "cannot link %s converters",
                  codec_name(codec));
      return false;
    }
  }
  GRef<GstPad> srcpad = GRef<GstPad>::adopt(gst_element_get_static_pad(chain.back(), "src"));
  GstElement *target = b.mux ? b.mux.get() : b.appsink.get();
  GRef<GstPad> sinkpad = GRef<GstPad>::adopt(request_pad_for(target, codec));
  if (!sinkpad)
    sinkpad = GRef<GstPad>::adopt(gst_element_get_compatible_pad(target, srcpad.get(), nullptr));
  if (!sinkpad || GST_PAD_LINK_FAILED(gst_pad_link(srcpad.get(), sinkpad.get()))) {
    g_set_error(error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT, "%s cannot take this %s track",
                GST_ELEMENT_NAME(target), codec_name(codec));
    return false;
  }
  queue_vorbis_headers(b.format, codec, caps, src.get());
  track.appsrc = std::move(src);
  if (kind_of(codec) == TrackKind::kVideo) b.has_video = true;
  b.tracks.push_back(std::move(track));
  return true;
}

bool FormatBranch::start(GError **error) {
  Impl &b = *impl_;
  if (b.started) return true;
  if (b.tracks.empty()) {
    g_set_error(error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT, "%s branch has no tracks",
                format_name(b.format));
    return false;
  }
  b.started = true;
  if (is_text_format(b.format)) {
    b.in_place = true;
    if (b.format == OutputFormat::kWebVTT && b.sink.on_headers) {
      GRef<GstBuffer> h =
          GRef<GstBuffer>::adopt(gst_buffer_new_memdup(kWebVttHeader, strlen(kWebVttHeader)));
      b.sink.on_headers({h.get()});
    }
    return true;
  }
  if ((b.format == OutputFormat::kTS || b.format == OutputFormat::kFLV) && start_direct()) {
    b.in_place = true;
    return true;
  }
  b.framing = std::make_unique<OutputFraming>(
      b.format, b.has_video,
      [&b](const std::vector<GstBuffer *> &h) {
        if (b.sink.on_headers) b.sink.on_headers(h);
      },
      [&b](GstBuffer *buf) {
        if (b.sink.on_buffer) b.sink.on_buffer(buf);
      });
  GstAppSinkCallbacks cb = {};
  cb.eos = &Impl::on_eos;
  cb.new_sample = &Impl::on_new_sample;
  gst_app_sink_set_callbacks(GST_APP_SINK(b.appsink.get()), &cb, &b, nullptr);
  GRef<GstBus> bus = GRef<GstBus>::adopt(gst_element_get_bus(b.pipeline.get()));
  gst_bus_set_sync_handler(bus.get(), &Impl::on_bus, &b, nullptr);
  if (gst_element_set_state(b.pipeline.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    g_set_error(error, GST_CORE_ERROR, GST_CORE_ERROR_STATE_CHANGE, "%s branch failed to start",
                format_name(b.format));
    return false;
  }
  GST_INFO("%s: %s branch started with %zu tracks", b.stream.c_str(), format_name(b.format),
           b.tracks.size());
  return true;
}

bool FormatBranch::start_direct() {
  Impl &b = *impl_;
  std::vector<std::pair<uint32_t, GstCaps *>> tracks;
  for (auto &t : b.tracks) tracks.emplace_back(t.id, t.caps.get());
  std::unique_ptr<DirectMux> direct;
  if (b.format == OutputFormat::kTS) direct = TsDirectMux::create(tracks);
  else if (b.format == OutputFormat::kFLV) direct = FlvDirectMux::create(tracks);
  if (!direct) return false;
  // The muxer pipeline built by add_track() never ran; drop it.
  b.pipeline.reset();
  b.mux.reset();
  b.appsink.reset();
  for (auto &t : b.tracks) t.appsrc.reset();
  GRef<GstBuffer> headers = GRef<GstBuffer>::adopt(direct->headers());
  MutexLock l(&b.direct_lock);
  b.direct = std::move(direct);
  if (b.sink.on_headers) b.sink.on_headers({headers.get()});
  GST_INFO("%s: %s branch started with %zu tracks, muxed in place", b.stream.c_str(),
           format_name(b.format), b.tracks.size());
  return true;
}

bool FormatBranch::push(uint32_t track_id, GstBuffer *buf) {
  GRef<GstBuffer> owned = GRef<GstBuffer>::adopt(buf);
  Impl &b = *impl_;
  Impl::Track *t = b.started ? b.find(track_id) : nullptr;
  if (!t) return false;
  if ((b.format == OutputFormat::kTS || b.format == OutputFormat::kFLV) && !b.pipeline) {
    MutexLock l(&b.direct_lock);
    if (!b.direct) return false;  // stopped
    GRef<GstBuffer> out = GRef<GstBuffer>::adopt(b.direct->mux(track_id, owned.get()));
    if (!out) {
      GST_DEBUG("%s: %s: unit of track %u not muxed", b.stream.c_str(), format_name(b.format),
                track_id);
      return true;  // one bad unit does not end the output
    }
    if (b.sink.on_buffer) b.sink.on_buffer(out.get());
    return true;
  }
  if (is_text_format(b.format)) {
    b.push_text(owned.get());
    return true;
  }
  if (!t->appsrc) return false;  // stopped
  return gst_app_src_push_buffer(GST_APP_SRC(t->appsrc.get()), owned.release()) == GST_FLOW_OK;
}

bool FormatBranch::update_track(uint32_t track_id, GstCaps *caps) {
  Impl &b = *impl_;
  Impl::Track *t = b.started ? b.find(track_id) : nullptr;
  if (!t || !caps) return false;
  MutexLock l(&b.direct_lock);
  if (!b.direct) return false;  // a muxer pipeline, or stopped
  const GstCaps *now = t->current_caps ? t->current_caps.get() : t->caps.get();
  if (gst_caps_is_equal(now, caps)) return true;
  if (!b.direct->update_track(track_id, caps)) {
    GST_WARNING("%s: %s: track %u changed to caps it cannot carry; keeping the old ones",
                b.stream.c_str(), format_name(b.format), track_id);
    return false;
  }
  t->current_caps = GRef<GstCaps>::ref(caps);
  GRef<GstBuffer> headers = GRef<GstBuffer>::adopt(b.direct->headers());
  if (b.sink.on_headers) b.sink.on_headers({headers.get()});
  GST_INFO("%s: %s: track %u follows new caps", b.stream.c_str(), format_name(b.format), track_id);
  return true;
}

void FormatBranch::end_track(uint32_t track_id) {
  Impl::Track *t = impl_->find(track_id);
  if (t && t->appsrc) gst_app_src_end_of_stream(GST_APP_SRC(t->appsrc.get()));
}

void FormatBranch::end() {
  Impl &b = *impl_;
  if ((b.format == OutputFormat::kTS || b.format == OutputFormat::kFLV) && b.started &&
      !b.pipeline) {
    MutexLock l(&b.direct_lock);
    if (b.direct && b.sink.on_eos) b.sink.on_eos();
    return;
  }
  if (is_text_format(b.format)) {
    if (b.sink.on_eos) b.sink.on_eos();
    return;
  }
  for (auto &t : b.tracks)
    if (t.appsrc) gst_app_src_end_of_stream(GST_APP_SRC(t.appsrc.get()));
}

void FormatBranch::stop() {
  Impl &b = *impl_;
  {
    MutexLock l(&b.direct_lock);  // waits for a push in progress; none reaches the sink after
    b.direct.reset();
  }
  if (!b.pipeline) return;
  // NULL joins the streaming threads, so no callback runs after this.
  gst_element_set_state(b.pipeline.get(), GST_STATE_NULL);
  GRef<GstBus> bus = GRef<GstBus>::adopt(gst_element_get_bus(b.pipeline.get()));
  gst_bus_set_sync_handler(bus.get(), nullptr, nullptr, nullptr);
  b.pipeline.reset();
  b.mux.reset();
  b.appsink.reset();
  for (auto &t : b.tracks) t.appsrc.reset();
}

OutputFormat FormatBranch::format() const { return impl_->format; }

std::vector<uint32_t> FormatBranch::tracks() const {
  std::vector<uint32_t> ids;
  for (const auto &t : impl_->tracks) ids.push_back(t.id);
  return ids;
}

bool FormatBranch::has_video() const { return impl_->has_video; }

bool FormatBranch::muxes_in_place() const { return impl_->in_place; }

}  // namespace estuary
