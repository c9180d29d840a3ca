#include "pipelines/stream-pipeline.h"

#include "elements/estbuffer-ring.h"
#include "elements/estbuffer.h"
#include "elements/plugin.h"
#include "pipelines/inputs.h"

GST_DEBUG_CATEGORY_STATIC(pipeline_debug);
#define GST_CAT_DEFAULT pipeline_debug

namespace estuary {

namespace {

constexpr gint64 kSilentTrackWaitUs = 3 * G_USEC_PER_SEC;

void ensure_debug() {
  static gsize once = 0;
  if (g_once_init_enter(&once)) {
    GST_DEBUG_CATEGORY_INIT(pipeline_debug, "estuary-pipeline", 0, "stream pipelines");
    g_once_init_leave(&once, 1);
  }
}

// A non-negative number (or boolean, as 0/1) from the stream's settings.
gint64 setting(JsonObject *settings, const char *name, gint64 fallback) {
  JsonNode *node = settings ? json_object_get_member(settings, name) : nullptr;
  if (!node || !JSON_NODE_HOLDS_VALUE(node)) return fallback;
  GType t = json_node_get_value_type(node);
  gint64 v = t == G_TYPE_INT64     ? json_node_get_int(node)
             : t == G_TYPE_DOUBLE  ? static_cast<gint64>(json_node_get_double(node))
             : t == G_TYPE_BOOLEAN ? (json_node_get_boolean(node) ? 1 : 0)
                                   : fallback;
  return v < 0 ? fallback : v;
}

}  // namespace

bool StreamPipeline::setup(const std::string &name, JsonObject *settings, bool live,
                           GError **error) {
  ensure_debug();
  estuary_elements_register();
  name_ = name;
  live_ = live;
  segment_ms_ = static_cast<guint64>(setting(settings, "segmentsize", 1900));
  pipeline_ = GRef<GstElement>::adopt(gst_pipeline_new(("stream-" + name).c_str()));
  buffer_ = GRef<GstElement>::adopt(gst_element_factory_make("estbuffer", "buffer"));
  if (!buffer_) {
    g_set_error(error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN, "estbuffer is not registered");
    return false;
  }
  g_object_set(buffer_.get(), "live", live_ ? TRUE : FALSE, "buffer-time",
               static_cast<guint64>(setting(settings, "DVR", 50000)), "cut-time",
               static_cast<guint64>(setting(settings, "cut", 0)), "segment-size", segment_ms_,
               "resume", setting(settings, "resume", 0) != 0 ? TRUE : FALSE, nullptr);
  // The bin takes its own reference (the element is no longer floating: buffer_ owns one).
  gst_bin_add(GST_BIN(pipeline_.get()), buffer_.get());
  ring_ = estbuffer_get_ring(buffer_.get());
  GRef<GstBus> bus = GRef<GstBus>::adopt(gst_element_get_bus(pipeline_.get()));
  bus_watch_ = gst_bus_add_watch(bus.get(), on_bus, this);
  poll_ = g_timeout_add(50, on_poll, this);
  return true;
}

std::unique_ptr<StreamPipeline> StreamPipeline::create(const std::string &name,
                                                       const std::string &source,
                                                       JsonObject *settings, Callbacks callbacks,
                                                       GError **error) {
  const InputDescriptor *input = find_input(source);
  GRef<GstElement> bin = GRef<GstElement>::adopt(build_input(source, name, error));
  if (!bin) return nullptr;
  std::unique_ptr<StreamPipeline> self(new StreamPipeline());
  self->callbacks_ = std::move(callbacks);
  if (!self->setup(name, settings, input ? input->live : true, error)) return nullptr;
  self->attach_input(bin.get());
  if (gst_element_set_state(self->pipeline_.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    g_set_error(error, GST_CORE_ERROR, GST_CORE_ERROR_STATE_CHANGE,
                "the source could not be started");
    return nullptr;
  }
  GST_INFO("%s: pipeline started for %s input", name.c_str(), input ? input->name.c_str() : "?");
  return self;
}

std::unique_ptr<StreamPipeline> StreamPipeline::create_push(const std::string &name,
                                                            JsonObject *settings,
                                                            Callbacks callbacks, GError **error) {
  std::unique_ptr<StreamPipeline> self(new StreamPipeline());
  self->callbacks_ = std::move(callbacks);
  if (!self->setup(name, settings, true, error)) return nullptr;
  gst_element_set_state(self->pipeline_.get(), GST_STATE_PLAYING);
  return self;
}

void StreamPipeline::attach_input(GstElement *input) {
  if (input_) {
    GstElement *old = input_.get();
    gst_element_set_locked_state(old, TRUE);
    gst_element_set_state(old, GST_STATE_NULL);
    gst_bin_remove(GST_BIN(pipeline_.get()), old);
  }
  input_ = GRef<GstElement>::ref(input);
  g_signal_connect(input, "pad-added", G_CALLBACK(on_pad_added), this);
  g_signal_connect(input, "no-more-pads", G_CALLBACK(on_no_more_pads), this);
  gst_bin_add(GST_BIN(pipeline_.get()), input);  // adds a reference: `input` is not floating
  gst_element_sync_state_with_parent(input);
}

StreamPipeline::~StreamPipeline() {
  if (poll_) g_source_remove(poll_);
  if (bus_watch_) g_source_remove(bus_watch_);
  if (pipeline_) gst_element_set_state(pipeline_.get(), GST_STATE_NULL);
}

void StreamPipeline::on_pad_added(GstElement *, GstPad *pad, gpointer data) {
  auto *self = static_cast<StreamPipeline *>(data);
  GstPad *sink = gst_element_request_pad_simple(self->buffer_.get(), "sink_%u");
  if (!sink) return;
  GstPadLinkReturn r = gst_pad_link(pad, sink);
  if (r == GST_PAD_LINK_OK) g_atomic_int_inc(&self->pads_linked_);
  if (r != GST_PAD_LINK_OK) {
    GST_WARNING("%s: cannot link %s to the buffer: %s", self->name_.c_str(), GST_PAD_NAME(pad),
                gst_pad_link_get_name(r));
  }
  gst_object_unref(sink);
}

void StreamPipeline::on_no_more_pads(GstElement *, gpointer data) {
  auto *self = static_cast<StreamPipeline *>(data);
  g_atomic_int_set(&self->no_more_pads_, TRUE);
}

gboolean StreamPipeline::on_poll(gpointer data) {
  auto *self = static_cast<StreamPipeline *>(data);
  if (self->ready_ || self->done_) {
    self->poll_ = 0;
    return G_SOURCE_REMOVE;
  }
  StreamMeta meta = self->ring_->snapshot();
  guint with_key = 0;
  for (const TrackMeta &t : meta.tracks) with_key += t.keys.keys > 0 ? 1 : 0;
  if (with_key == 0) return G_SOURCE_CONTINUE;
  gint64 now = g_get_monotonic_time();
  if (!self->first_key_us_) self->first_key_us_ = now;
  // Ready when every track the input announced has a keyframe, or, should a track stay silent,
  // a few seconds after the first one did.
  bool all = g_atomic_int_get(&self->no_more_pads_) &&
             meta.tracks.size() >= static_cast<guint>(g_atomic_int_get(&self->pads_linked_)) &&
             with_key == meta.tracks.size();
  if (all || meta.ended || now - self->first_key_us_ > kSilentTrackWaitUs) {
    self->ready_ = true;
    self->poll_ = 0;
    if (self->callbacks_.on_ready) self->callbacks_.on_ready();
    return G_SOURCE_REMOVE;
  }
  return G_SOURCE_CONTINUE;
}

gboolean StreamPipeline::on_bus(GstBus *, GstMessage *message, gpointer data) {
  auto *self = static_cast<StreamPipeline *>(data);
  switch (GST_MESSAGE_TYPE(message)) {
    case GST_MESSAGE_ERROR: {
      GError *err = nullptr;
      gchar *debug = nullptr;
      gst_message_parse_error(message, &err, &debug);
      std::string reason = err ? err->message : "unknown error";
      GST_WARNING("%s: source error: %s (%s)", self->name_.c_str(), reason.c_str(),
                  debug ? debug : "");
      g_clear_error(&err);
      g_free(debug);
      if (!self->done_) {
        self->done_ = true;
        self->bus_watch_ = 0;
        if (self->callbacks_.on_failed) self->callbacks_.on_failed(reason);
        return G_SOURCE_REMOVE;  // the callback may destroy us
      }
      break;
    }
    case GST_MESSAGE_EOS:
      if (!self->done_) {
        // VoD: everything is buffered now; the stream stays. Live: the source is gone.
        if (!self->live_) {
          on_poll(self);
          return G_SOURCE_CONTINUE;
        }
        self->done_ = true;
        self->bus_watch_ = 0;
        if (self->callbacks_.on_ended) self->callbacks_.on_ended();
        return G_SOURCE_REMOVE;
      }
      break;
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

}  // namespace estuary
