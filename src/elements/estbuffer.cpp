#include "elements/estbuffer.h"

#include <cstdio>

#include "elements/estbuffer-ring.h"

#define GST_CAT_DEFAULT estuary_buffer_debug

using estuary::BufferRing;
using estuary::GRef;
using estuary::RingSettings;

namespace {

// State of one sink pad; touched by the pad's streaming thread, and by release_pad under the
// pad's stream lock.
struct PadState {
  guint track = 0;      // 0 until the first storable caps
  bool awaited = true;  // the ring waits for this pad's first caps (BufferRing::await_pad)
  GstSegment segment;
  bool eos = false;
};

// C++ state, created in init and deleted in finalize.
struct State {
  std::shared_ptr<BufferRing> ring;
  // Guarded by the object lock:
  guint next_pad = 0;
  GstClockID expiry = nullptr;  // pending resume-time wait
};

enum {
  PROP_0,
  PROP_BUFFER_TIME,
  PROP_CUT_TIME,
  PROP_SEGMENT_SIZE,
  PROP_RESUME,
  PROP_RESUME_TIME,
  PROP_LIVE,
};

// Parsed media only: the formats the outputs mux. H.264/H.265 in the length-prefixed form (so the
// codec data holds SPS/PPS), AAC raw with codec_data.
const char *const kSinkCaps =
    "video/x-h264, stream-format=(string)avc, alignment=(string)au; "
    "video/x-h265, stream-format=(string){ hvc1, hev1 }, alignment=(string)au; "
    "video/x-vp8; video/x-vp9; video/x-av1; video/mpeg, mpegversion=(int){ 1, 2, 4 }, "
    "systemstream=(boolean)false; video/x-theora; image/jpeg; "
    "audio/mpeg, mpegversion=(int){ 2, 4 }, stream-format=(string)raw; "
    "audio/mpeg, mpegversion=(int)1; audio/x-opus; audio/x-vorbis; audio/x-flac; audio/x-ac3; "
    "audio/x-eac3; audio/x-alaw; audio/x-mulaw; audio/x-raw; "
    "text/x-raw, format=(string){ utf8, pango-markup }; application/x-subtitle-vtt; "
    "application/x-subtitle; application/x-ssa; application/x-ass";

GstStaticPadTemplate sink_template =
    GST_STATIC_PAD_TEMPLATE("sink_%u", GST_PAD_SINK, GST_PAD_REQUEST, GST_STATIC_CAPS(kSinkCaps));

PadState *pad_state(GstPad *pad) {
  return static_cast<PadState *>(gst_pad_get_element_private(pad));
}

gint64 running_time(const GstSegment &seg, GstClockTime ts) {
  if (!GST_CLOCK_TIME_IS_VALID(ts) || seg.format != GST_FORMAT_TIME) {
    return GST_CLOCK_TIME_IS_VALID(ts) ? static_cast<gint64>(ts) : GST_CLOCK_STIME_NONE;
  }
  guint64 rt = 0;
  const int sign = gst_segment_to_running_time_full(&seg, GST_FORMAT_TIME, ts, &rt);
  if (sign == 0) return GST_CLOCK_STIME_NONE;
  return sign > 0 ? static_cast<gint64>(rt) : -static_cast<gint64>(rt);
}

}  // namespace

struct _EstBuffer {
  GstElement parent;
  State *state;
};

G_DEFINE_TYPE(EstBuffer, est_buffer, GST_TYPE_ELEMENT)
GST_ELEMENT_REGISTER_DEFINE(estbuffer, "estbuffer", GST_RANK_NONE, EST_TYPE_BUFFER)

namespace {

struct ExpiryData {
  std::shared_ptr<BufferRing> ring;
  GWeakRef element;
  guint64 generation;
};

gboolean on_expiry(GstClock *, GstClockTime, GstClockID, gpointer data) {
  auto *d = static_cast<ExpiryData *>(data);
  if (d->ring->expire(d->generation)) {
    GRef<GstElement> element =
        GRef<GstElement>::adopt(static_cast<GstElement *>(g_weak_ref_get(&d->element)));
    if (element)
      gst_element_post_message(element.get(), gst_message_new_eos(GST_OBJECT(element.get())));
  }
  return TRUE;
}

void free_expiry(gpointer data) {
  auto *d = static_cast<ExpiryData *>(data);
  g_weak_ref_clear(&d->element);
  delete d;
}

// The source stopped with resume on: end the buffer unless data arrives within resume-time. The
// wait runs on the system clock's thread, so no main loop is needed.
void schedule_expiry(EstBuffer *self, guint64 generation) {
  GRef<GstClock> clock = GRef<GstClock>::adopt(gst_system_clock_obtain());
  const guint64 ms = self->state->ring->settings().resume_time_ms;
  GstClockID id =
      gst_clock_new_single_shot_id(clock.get(), gst_clock_get_time(clock.get()) + ms * GST_MSECOND);
  auto *d = new ExpiryData{self->state->ring, {}, generation};
  g_weak_ref_init(&d->element, self);
  GstClockID old;
  GST_OBJECT_LOCK(self);
  old = self->state->expiry;
  self->state->expiry = id;
  GST_OBJECT_UNLOCK(self);
  if (old) {
    gst_clock_id_unschedule(old);
    gst_clock_id_unref(old);
  }
  gst_clock_id_wait_async(id, on_expiry, d, free_expiry);
}

void handle_end(EstBuffer *self, BufferRing::EndResult r, guint64 generation) {
  switch (r) {
    case BufferRing::EndResult::kEnded:
      gst_element_post_message(GST_ELEMENT(self), gst_message_new_eos(GST_OBJECT(self)));
      break;
    case BufferRing::EndResult::kStopped:
      schedule_expiry(self, generation);
      break;
    case BufferRing::EndResult::kRunning:
      break;
  }
}

void unawait(EstBuffer *self, PadState *ps) {
  if (!ps->awaited) return;
  ps->awaited = false;
  guint64 generation = 0;
  const auto r = self->state->ring->unawait_pad(&generation);  // sets generation first
  handle_end(self, r, generation);
}

void end_pad(EstBuffer *self, PadState *ps) {
  unawait(self, ps);
  if (ps->eos || !ps->track) return;
  ps->eos = true;
  guint64 generation = 0;
  const auto r = self->state->ring->end_track(ps->track, &generation);  // sets generation first
  handle_end(self, r, generation);
}

// A parsed frame is often a view into a larger allocation (a demuxer's sub-buffer of the chunk it
// read: an RTMP read holds many FLV tags). Kept for the whole DVR window, such a view would pin
// its parent, and with it frames a parser has already copied out: for RTMP ingest that was 1.6x
// the stream's own bytes. A view much smaller than what it pins is copied once on the way in;
// frames that own their memory are stored as they are.
bool pins_more_than_it_holds(GstBuffer *buf) {
  const guint n = gst_buffer_n_memory(buf);
  for (guint i = 0; i < n; i++) {
    GstMemory *mem = gst_buffer_peek_memory(buf, i);
    gsize maxsize = 0;
    const gsize size = gst_memory_get_sizes(mem, nullptr, &maxsize);
    if (maxsize > 2 * size + 4096) return true;
  }
  return false;
}

GstBuffer *compact(GstBuffer *buf) {
  if (!pins_more_than_it_holds(buf)) return buf;
  GstBuffer *copy = gst_buffer_copy_deep(buf);
  gst_buffer_unref(buf);
  return copy;
}

GstFlowReturn sink_chain(GstPad *pad, GstObject *parent, GstBuffer *buf) {
  EstBuffer *self = EST_BUFFER(parent);
  PadState *ps = pad_state(pad);
  if (!ps->track) {
    gst_buffer_unref(buf);
    return GST_FLOW_NOT_NEGOTIATED;
  }
  ps->eos = false;  // data after EOS (a restarted source on the same pad) resumes the track
  buf = compact(buf);
  const gint64 dts = running_time(ps->segment, GST_BUFFER_DTS(buf));
  const gint64 pts = running_time(ps->segment, GST_BUFFER_PTS(buf));
  if (self->state->ring->push(ps->track, buf, dts, pts) == BufferRing::PushResult::kEnded) {
    return GST_FLOW_EOS;
  }
  return GST_FLOW_OK;
}

gboolean sink_event(GstPad *pad, GstObject *parent, GstEvent *event) {
  EstBuffer *self = EST_BUFFER(parent);
  PadState *ps = pad_state(pad);
  GRef<GstEvent> ev = GRef<GstEvent>::adopt(event);
  switch (GST_EVENT_TYPE(event)) {
    case GST_EVENT_CAPS: {
      GstCaps *caps = nullptr;
      gst_event_parse_caps(event, &caps);
      if (ps->track) {
        self->state->ring->set_caps(ps->track, caps);
        return TRUE;
      }
      ps->track = self->state->ring->bind_track(caps);
      unawait(self, ps);
      if (!ps->track) GST_WARNING_OBJECT(pad, "refusing caps %" GST_PTR_FORMAT, caps);
      return ps->track != 0;
    }
    case GST_EVENT_SEGMENT:
      gst_event_copy_segment(event, &ps->segment);
      if (ps->segment.format != GST_FORMAT_TIME) {
        GST_WARNING_OBJECT(pad, "non-TIME segment, using timestamps as they are");
      }
      return TRUE;
    case GST_EVENT_FLUSH_STOP:
      gst_segment_init(&ps->segment, GST_FORMAT_TIME);
      return TRUE;
    case GST_EVENT_EOS:
      end_pad(self, ps);
      return TRUE;
    default:
      return TRUE;  // a sink: nothing goes further
  }
}

void free_pad_state(gpointer p) { delete static_cast<PadState *>(p); }

GstPad *request_new_pad(GstElement *element, GstPadTemplate *templ, const gchar *name,
                        const GstCaps *) {
  EstBuffer *self = EST_BUFFER(element);
  guint n = 0;
  GST_OBJECT_LOCK(self);
  if (name && sscanf(name, "sink_%u", &n) == 1) {
    self->state->next_pad = MAX(self->state->next_pad, n + 1);
  } else {
    n = self->state->next_pad++;
  }
  GST_OBJECT_UNLOCK(self);
  estuary::GCharPtr pad_name(g_strdup_printf("sink_%u", n));
  GstPad *pad = gst_pad_new_from_template(templ, pad_name.get());
  auto *ps = new PadState;
  gst_segment_init(&ps->segment, GST_FORMAT_TIME);
  gst_pad_set_element_private(pad, ps);
  self->state->ring->await_pad();
  // The pad may outlive the element's bookkeeping; free the state with the pad.
  g_object_set_data_full(G_OBJECT(pad), "estbuffer-pad-state", ps, free_pad_state);
  gst_pad_set_chain_function(pad, sink_chain);
  gst_pad_set_event_function(pad, sink_event);
  GST_PAD_SET_PROXY_ALLOCATION(pad);
  if (!gst_element_add_pad(element, pad)) return nullptr;  // name taken; add_pad consumed pad
  return pad;
}

void release_pad(GstElement *element, GstPad *pad) {
  EstBuffer *self = EST_BUFFER(element);
  GST_PAD_STREAM_LOCK(pad);
  end_pad(self, pad_state(pad));  // a pad going away is a track whose source stopped
  GST_PAD_STREAM_UNLOCK(pad);
  gst_element_remove_pad(element, pad);
}

}  // namespace

static void est_buffer_set_property(GObject *object, guint id, const GValue *value,
                                    GParamSpec *pspec) {
  EstBuffer *self = EST_BUFFER(object);
  RingSettings s = self->state->ring->settings();
  switch (id) {
    case PROP_BUFFER_TIME:
      s.buffer_time_ms = g_value_get_uint64(value);
      break;
    case PROP_CUT_TIME:
      s.cut_time_ms = g_value_get_uint64(value);
      break;
    case PROP_SEGMENT_SIZE:
      s.segment_size_ms = g_value_get_uint64(value);
      break;
    case PROP_RESUME:
      s.resume = g_value_get_boolean(value);
      break;
    case PROP_RESUME_TIME:
      s.resume_time_ms = g_value_get_uint64(value);
      break;
    case PROP_LIVE:
      s.live = g_value_get_boolean(value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
      return;
  }
  self->state->ring->set_settings(s);
}

static void est_buffer_get_property(GObject *object, guint id, GValue *value, GParamSpec *pspec) {
  EstBuffer *self = EST_BUFFER(object);
  const RingSettings s = self->state->ring->settings();
  switch (id) {
    case PROP_BUFFER_TIME:
      g_value_set_uint64(value, s.buffer_time_ms);
      break;
    case PROP_CUT_TIME:
      g_value_set_uint64(value, s.cut_time_ms);
      break;
    case PROP_SEGMENT_SIZE:
      g_value_set_uint64(value, s.segment_size_ms);
      break;
    case PROP_RESUME:
      g_value_set_boolean(value, s.resume);
      break;
    case PROP_RESUME_TIME:
      g_value_set_uint64(value, s.resume_time_ms);
      break;
    case PROP_LIVE:
      g_value_set_boolean(value, s.live);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
  }
}

static void est_buffer_constructed(GObject *object) {
  G_OBJECT_CLASS(est_buffer_parent_class)->constructed(object);
  EstBuffer *self = EST_BUFFER(object);
  // Created here rather than in init so the ring's log lines carry the element (stream) name.
  estuary::GCharPtr name(gst_object_get_name(GST_OBJECT(object)));
  self->state->ring = std::make_shared<BufferRing>(name ? name.get() : "estbuffer");
}

static void est_buffer_finalize(GObject *object) {
  EstBuffer *self = EST_BUFFER(object);
  if (self->state->expiry) {
    gst_clock_id_unschedule(self->state->expiry);
    gst_clock_id_unref(self->state->expiry);
  }
  delete self->state;
  G_OBJECT_CLASS(est_buffer_parent_class)->finalize(object);
}

static void est_buffer_init(EstBuffer *self) {
  self->state = new State;
  GST_OBJECT_FLAG_SET(self, GST_ELEMENT_FLAG_SINK);
}

static void est_buffer_class_init(EstBufferClass *klass) {
  estuary::estbuffer_debug_init();
  GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
  gobject_class->set_property = est_buffer_set_property;
  gobject_class->get_property = est_buffer_get_property;
  gobject_class->constructed = est_buffer_constructed;
  gobject_class->finalize = est_buffer_finalize;
  const RingSettings d;
  const auto flags = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                              GST_PARAM_MUTABLE_PLAYING);
  g_object_class_install_property(
      gobject_class, PROP_BUFFER_TIME,
      g_param_spec_uint64("buffer-time", "Buffer time",
                          "Live DVR window in ms; older whole segments are dropped", 0, G_MAXUINT64,
                          d.buffer_time_ms, flags));
  g_object_class_install_property(
      gobject_class, PROP_CUT_TIME,
      g_param_spec_uint64("cut-time", "Cut time",
                          "Data before this stream time (ms) is removed from the buffer (0: off)",
                          0, G_MAXUINT64, d.cut_time_ms, flags));
  g_object_class_install_property(
      gobject_class, PROP_SEGMENT_SIZE,
      g_param_spec_uint64("segment-size", "Segment size",
                          "Minimum segment length in ms for segmented outputs (keyframe aligned)",
                          0, G_MAXUINT64, d.segment_size_ms, flags));
  g_object_class_install_property(
      gobject_class, PROP_RESUME,
      g_param_spec_boolean("resume", "Resume",
                           "Keep the buffer alive for resume-time after the source stops and "
                           "continue the timeline when a new source arrives",
                           d.resume, flags));
  g_object_class_install_property(
      gobject_class, PROP_RESUME_TIME,
      g_param_spec_uint64("resume-time", "Resume time",
                          "How long (ms) a stopped source may take to come back", 0, G_MAXUINT64,
                          d.resume_time_ms, flags));
  g_object_class_install_property(
      gobject_class, PROP_LIVE,
      g_param_spec_boolean("live", "Live", "Live stream with a window (FALSE: VoD, keep all)",
                           d.live, flags));
  gst_element_class_add_static_pad_template(element_class, &sink_template);
  element_class->request_new_pad = request_new_pad;
  element_class->release_pad = release_pad;
  gst_element_class_set_static_metadata(
      element_class, "Estuary stream buffer", "Sink/Generic",
      "Per-stream live/VoD buffer: keyframe-indexed ring of parsed media with track metadata, "
      "read by the server's outputs without copying",
      "Estuary developers");
}

namespace estuary {

std::shared_ptr<BufferRing> estbuffer_get_ring(GstElement *element) {
  if (!element || !EST_IS_BUFFER(element)) return nullptr;
  return EST_BUFFER(element)->state->ring;
}

void estbuffer_require_window(GstElement *element, guint64 ms) {
  if (auto ring = estbuffer_get_ring(element)) ring->require_window(ms);
}

}  // namespace estuary
