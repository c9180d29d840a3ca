#include "servers/rtsp-factory.h"

#include <exception>
#include <string>

#include "protocols/stream-name.h"
#include "servers/rtsp-debug.h"
#include "servers/rtsp-play.h"
#include "servers/rtsp-record.h"
#include "servers/rtsp-state.h"

#define GST_CAT_DEFAULT estuary_rtsp_debug

struct _EstRtspFactory {
  GstRTSPMediaFactory parent;
  std::shared_ptr<estuary::RtspServerState> *state;  // owned; set by rtsp_factory_new
};

G_DEFINE_TYPE(EstRtspFactory, est_rtsp_factory, GST_TYPE_RTSP_MEDIA_FACTORY)

namespace estuary {

std::string rtsp_stream_from_path(const char *abspath) {
  if (!abspath) return "";
  const char *p = abspath;
  while (*p == '/') p++;
  const char *end = strchr(p, '/');
  std::string first = end ? std::string(p, end - p) : std::string(p);
  GCharPtr unescaped(g_uri_unescape_string(first.c_str(), nullptr));
  return unescaped ? sanitize_stream_name(unescaped.get()) : "";
}

namespace {

bool is_announce() {
  GstRTSPContext *ctx = gst_rtsp_context_get_current();
  return ctx && ctx->method == GST_RTSP_ANNOUNCE;
}

RtspServerState &state_of(GstRTSPMediaFactory *factory) {
  return **EST_RTSP_FACTORY(factory)->state;
}

// Play medias are shared per running stream: the key names the stream's buffer, which the
// media keeps alive, so a restarted stream never reuses an old media. RECORD medias are never
// shared (no key).
gchar *gen_key(GstRTSPMediaFactory *factory, const GstRTSPUrl *url) {
  if (is_announce()) return nullptr;
  std::string name = rtsp_stream_from_path(url->abspath);
  auto stream = state_of(factory).streams.find(name);
  if (!stream) return nullptr;
  return g_strdup_printf("%s#%p", name.c_str(), static_cast<void *>(stream->ring().get()));
}

GstElement *make_record(GstRTSPMediaFactory *factory, GstRTSPContext *ctx,
                        const std::string &name) {
  RtspServerState &state = state_of(factory);
  std::shared_ptr<PushFeed> feed;
  {
    std::lock_guard<std::mutex> guard(state.lock);
    auto it = state.admitted.find(ctx->client);
    if (it != state.admitted.end()) {
      feed = std::move(it->second);
      state.admitted.erase(it);
    }
  }
  if (!feed) {
    GST_WARNING("%s: RECORD media without an admitted publisher", name.c_str());
    return nullptr;
  }
  guint8 *body = nullptr;
  guint size = 0;
  gst_rtsp_message_get_body(ctx->request, &body, &size);
  GstSDPMessage *sdp = nullptr;
  gst_sdp_message_new(&sdp);
  std::unique_ptr<GstSDPMessage, void (*)(GstSDPMessage *)> owned(
      sdp, [](GstSDPMessage *m) { gst_sdp_message_free(m); });
  if (!body || size == 0 || gst_sdp_message_parse_buffer(body, size, sdp) != GST_SDP_OK) {
    feed->end();
    return nullptr;
  }
  // Disconnecting from a streaming thread: GstRTSPClient closes thread-safely.
  GRef<GstRTSPClient> client = GRef<GstRTSPClient>::ref(ctx->client);
  auto weak = std::make_shared<GWeakRef>();
  g_weak_ref_init(weak.get(), client.get());
  auto refuse = [weak] {
    GstRTSPClient *c = static_cast<GstRTSPClient *>(g_weak_ref_get(weak.get()));
    if (c) {
      gst_rtsp_client_close(c);
      g_object_unref(c);
    }
  };
  GError *error = nullptr;
  GstElement *bin = rtsp_record_bin_new(name, sdp, feed, refuse, &error);
  if (!bin) {
    GST_WARNING("%s: cannot receive the RECORD: %s", name.c_str(), error ? error->message : "?");
    g_clear_error(&error);
    feed->end();
  }
  return bin;
}

GstElement *create_element(GstRTSPMediaFactory *factory, const GstRTSPUrl *url) {
  try {
    std::string name = rtsp_stream_from_path(url->abspath);
    GstRTSPContext *ctx = gst_rtsp_context_get_current();
    if (ctx && ctx->method == GST_RTSP_ANNOUNCE) return make_record(factory, ctx, name);
    auto stream = state_of(factory).streams.find(name);
    if (!stream) return nullptr;
    GError *error = nullptr;
    GstElement *bin = rtsp_play_bin_new(stream, &error);
    if (!bin) {
      GST_INFO("%s: %s", name.c_str(), error ? error->message : "cannot play");
      g_clear_error(&error);
    }
    return bin;
  } catch (const std::exception &e) {
    GST_ERROR("RTSP media: %s", e.what());
    return nullptr;
  }
}

void on_record_unprepared(GstRTSPMedia *media, gpointer) {
  GRef<GstElement> element = GRef<GstElement>::adopt(gst_rtsp_media_get_element(media));
  if (element) rtsp_record_end(element.get());
}

void configure(GstRTSPMediaFactory *factory, GstRTSPMedia *media) {
  GST_RTSP_MEDIA_FACTORY_CLASS(est_rtsp_factory_parent_class)->configure(factory, media);
  GRef<GstElement> element = GRef<GstElement>::adopt(gst_rtsp_media_get_element(media));
  if (g_object_get_data(G_OBJECT(element.get()), "estuary-rtsp-record")) {
    gst_rtsp_media_set_transport_mode(media, GST_RTSP_TRANSPORT_MODE_RECORD);
    gst_rtsp_media_set_shared(media, FALSE);
    g_signal_connect(media, "unprepared", G_CALLBACK(on_record_unprepared), nullptr);
    return;
  }
  GRef<GstObject> pipeline = GRef<GstObject>::adopt(gst_element_get_parent(element.get()));
  if (pipeline) rtsp_play_unsync_sinks(GST_ELEMENT(pipeline.get()));
}

}  // namespace
}  // namespace estuary

static void est_rtsp_factory_finalize(GObject *object) {
  delete EST_RTSP_FACTORY(object)->state;
  G_OBJECT_CLASS(est_rtsp_factory_parent_class)->finalize(object);
}

static void est_rtsp_factory_class_init(EstRtspFactoryClass *klass) {
  G_OBJECT_CLASS(klass)->finalize = est_rtsp_factory_finalize;
  auto *f = GST_RTSP_MEDIA_FACTORY_CLASS(klass);
  f->gen_key = estuary::gen_key;
  f->create_element = estuary::create_element;
  f->configure = estuary::configure;
}

static void est_rtsp_factory_init(EstRtspFactory *self) { self->state = nullptr; }

namespace estuary {

EstRtspFactory *rtsp_factory_new(std::shared_ptr<RtspServerState> state) {
  auto *f = static_cast<EstRtspFactory *>(g_object_new(EST_TYPE_RTSP_FACTORY, nullptr));
  f->state = new std::shared_ptr<RtspServerState>(std::move(state));
  auto *base = GST_RTSP_MEDIA_FACTORY(f);
  gst_rtsp_media_factory_set_shared(base, TRUE);
  // Publishers and viewers may use UDP or TCP interleaved.
  gst_rtsp_media_factory_set_protocols(
      base, static_cast<GstRTSPLowerTrans>(GST_RTSP_LOWER_TRANS_UDP | GST_RTSP_LOWER_TRANS_TCP));
  gst_rtsp_media_factory_set_transport_mode(base, GST_RTSP_TRANSPORT_MODE_PLAY);
  return f;
}

}  // namespace estuary
