#include "servers/rtsp-admission.h"

#include <exception>
#include <string>

#include "common/gref.h"
#include "servers/rtsp-debug.h"
#include "servers/rtsp-record.h"
#include "servers/rtsp-state.h"

#define GST_CAT_DEFAULT estuary_rtsp_debug

namespace estuary {
namespace {

// How long a request may wait for its stream to start or the control thread to decide.
constexpr guint kWaitMs = 20000;

struct Admission {
  std::shared_ptr<RtspServerState> state;
  GRef<EstRtspFactory> factory;
};

}  // namespace
}  // namespace estuary

typedef struct {
  GstRTSPAuth parent;
  estuary::Admission *admission;
} EstRtspAdmission;
typedef struct {
  GstRTSPAuthClass parent_class;
} EstRtspAdmissionClass;

G_DEFINE_TYPE(EstRtspAdmission, est_rtsp_admission, GST_TYPE_RTSP_AUTH)

namespace estuary {
namespace {

// What the control thread answered; shared with the callback, which may come late.
struct Answer {
  std::mutex lock;  // guards the members below
  bool done = false;
  bool abandoned = false;  // the request thread stopped waiting
  std::shared_ptr<LiveStream> stream;
  std::shared_ptr<PushFeed> feed;
  std::string error;
};

// Runs `start(context, answer)` and iterates a private context until the answer came or kWaitMs
// passed. The context is held (acquired) meanwhile, so the answer is always posted to it and
// runs here, never directly on the answering thread. Returns false on timeout.
template <typename Start>
bool wait_for(const std::shared_ptr<Answer> &answer, Start start) {
  GRef<GMainContext> context = GRef<GMainContext>::adopt(g_main_context_new());
  g_main_context_acquire(context.get());
  start(context.get(), answer);
  gint64 deadline = g_get_monotonic_time() + kWaitMs * G_GINT64_CONSTANT(1000);
  bool done = false;
  while (g_get_monotonic_time() < deadline) {
    {
      std::lock_guard<std::mutex> guard(answer->lock);
      done = answer->done;
      if (done) break;
    }
    // A tick so the loop re-checks the deadline even if nothing arrives.
    GRef<GSource> tick = GRef<GSource>::adopt(g_timeout_source_new(200));
    g_source_set_callback(
        tick.get(), [](gpointer) { return G_SOURCE_REMOVE; }, nullptr, nullptr);
    g_source_attach(tick.get(), context.get());
    g_main_context_iteration(context.get(), TRUE);
    g_source_destroy(tick.get());
  }
  {
    std::lock_guard<std::mutex> guard(answer->lock);
    done = answer->done;
    answer->abandoned = !done;
  }
  g_main_context_release(context.get());
  return done;
}

void respond(GstRTSPContext *ctx, GstRTSPStatusCode code) {
  gst_rtsp_message_init_response(ctx->response, code, gst_rtsp_status_as_text(code), ctx->request);
  gst_rtsp_client_send_message(ctx->client, ctx->session, ctx->response);
}

void mount(Admission &a, const std::string &path) {
  {
    std::lock_guard<std::mutex> guard(a.state->lock);
    if (!a.state->mounted.insert(path).second) return;
  }
  GRef<GstRTSPMountPoints> mounts =
      GRef<GstRTSPMountPoints>::adopt(gst_rtsp_server_get_mount_points(a.state->server.get()));
  gst_rtsp_mount_points_add_factory(
      mounts.get(), path.c_str(),
      GST_RTSP_MEDIA_FACTORY(g_object_ref(a.factory.get())));  // transfer full
}

// The path the factory must be mounted at: the request's first path component.
std::string mount_path(const GstRTSPUrl *uri) {
  const char *p = uri->abspath;
  while (*p == '/') p++;
  const char *end = strchr(p, '/');
  return "/" + (end ? std::string(p, end - p) : std::string(p));
}

std::string query_value(const char *query, const char *key) {
  if (!query) return "";
  GStrvPtr pairs(g_strsplit(query, "&", 0));
  for (gchar **p = pairs.get(); *p; p++) {
    const char *eq = strchr(*p, '=');
    if (!eq || static_cast<size_t>(eq - *p) != strlen(key) || strncmp(*p, key, eq - *p) != 0) {
      continue;
    }
    GCharPtr value(g_uri_unescape_string(eq + 1, nullptr));
    return value ? value.get() : "";
  }
  return "";
}

bool admit_viewer(Admission &a, GstRTSPContext *ctx) {
  std::string name = rtsp_stream_from_path(ctx->uri->abspath);
  if (name.empty()) {
    respond(ctx, GST_RTSP_STS_NOT_FOUND);
    return false;
  }
  auto answer = std::make_shared<Answer>();
  bool answered = wait_for(answer, [&](GMainContext *context, std::shared_ptr<Answer> ans) {
    a.state->streams.request(name, context, kWaitMs,
                             [ans](std::shared_ptr<LiveStream> s, const std::string &e) {
                               std::lock_guard<std::mutex> guard(ans->lock);
                               ans->stream = std::move(s);
                               ans->error = e;
                               ans->done = true;
                             });
  });
  std::shared_ptr<LiveStream> stream;
  std::string error;
  {
    std::lock_guard<std::mutex> guard(answer->lock);
    stream = answer->stream;
    error = answer->error;
  }
  if (!stream) {
    GST_INFO("%s: RTSP viewer refused: %s", name.c_str(), answered ? error.c_str() : "timeout");
    bool unknown = !answered || error.empty() || error.find("no stream") != std::string::npos;
    respond(ctx, unknown ? GST_RTSP_STS_NOT_FOUND : GST_RTSP_STS_SERVICE_UNAVAILABLE);
    return false;
  }
  mount(a, mount_path(ctx->uri));
  return true;
}

bool admit_publisher(Admission &a, GstRTSPContext *ctx) {
  PushRequest request;
  request.stream = rtsp_stream_from_path(ctx->uri->abspath);
  const gchar *ip = ctx->conn ? gst_rtsp_connection_get_ip(ctx->conn) : nullptr;
  request.address = ip ? ip : "";
  request.passphrase = query_value(ctx->uri->query, "pass");
  request.protocol = "RTSP";
  guint8 *body = nullptr;
  guint size = 0;
  gst_rtsp_message_get_body(ctx->request, &body, &size);
  GstSDPMessage *sdp = nullptr;
  gst_sdp_message_new(&sdp);
  bool parsed = body && size > 0 && gst_sdp_message_parse_buffer(body, size, sdp) == GST_SDP_OK;
  if (parsed) request.container_caps = rtsp_record_container(sdp);
  gst_sdp_message_free(sdp);
  if (!parsed || request.stream.empty()) {
    respond(ctx, GST_RTSP_STS_BAD_REQUEST);
    return false;
  }
  auto answer = std::make_shared<Answer>();
  bool answered = wait_for(answer, [&](GMainContext *context, std::shared_ptr<Answer> ans) {
    a.state->streams.accept_push(
        request, context, [ans](std::shared_ptr<PushFeed> f, const std::string &e) {
          std::lock_guard<std::mutex> guard(ans->lock);
          if (ans->abandoned) {
            if (f) f->end();  // accepted after the publisher was already turned away
            return;
          }
          ans->feed = std::move(f);
          ans->error = e;
          ans->done = true;
        });
  });
  std::shared_ptr<PushFeed> feed;
  std::string error;
  {
    std::lock_guard<std::mutex> guard(answer->lock);
    feed = answer->feed;
    error = answer->error;
  }
  if (!feed) {
    // The reason never contains the passphrase (StreamDirectory::accept_push).
    GST_WARNING("%s: RTSP push from %s refused: %s", request.stream.c_str(),
                request.address.c_str(), answered ? error.c_str() : "no answer");
    bool unknown = error.find("no stream") != std::string::npos;
    respond(ctx, unknown ? GST_RTSP_STS_NOT_FOUND : GST_RTSP_STS_FORBIDDEN);
    return false;
  }
  {
    std::lock_guard<std::mutex> guard(a.state->lock);
    auto &slot = a.state->admitted[ctx->client];
    if (slot) slot->end();  // a second ANNOUNCE on the same connection replaces the first
    slot = std::move(feed);
  }
  GST_INFO("%s: RTSP push from %s accepted (%s)", request.stream.c_str(), request.address.c_str(),
           request.container_caps.c_str());
  mount(a, mount_path(ctx->uri));
  return true;
}

// Only DESCRIBE and ANNOUNCE read the query (`?pass=`). Later requests find their session media
// by path, and gst-rtsp-server counts the query as part of it, so it goes; publishers also
// append the track's control after the query they announced ("/live?pass=x/streamid=0"), which
// goes back into the path ("/live/streamid=0").
void strip_query(GstRTSPUrl *uri) {
  if (!uri->query || !uri->abspath) return;
  const char *slash = strchr(uri->query, '/');
  if (slash) {
    GCharPtr path(g_strconcat(uri->abspath, slash, nullptr));
    g_free(uri->abspath);
    uri->abspath = path.release();
  }
  g_free(uri->query);
  uri->query = nullptr;
}

gboolean check(GstRTSPAuth *auth, GstRTSPContext *ctx, const gchar *what) {
  // Only the per-request URL check decides; the factory and transport checks always pass.
  if (g_strcmp0(what, GST_RTSP_AUTH_CHECK_URL) != 0 || !ctx || !ctx->uri) return TRUE;
  if (ctx->method != GST_RTSP_DESCRIBE && ctx->method != GST_RTSP_ANNOUNCE) strip_query(ctx->uri);
  Admission &a = *reinterpret_cast<EstRtspAdmission *>(auth)->admission;
  try {
    switch (ctx->method) {
      case GST_RTSP_DESCRIBE:
        return admit_viewer(a, ctx);
      case GST_RTSP_ANNOUNCE:
        return admit_publisher(a, ctx);
      default:
        return TRUE;
    }
  } catch (const std::exception &e) {
    GST_ERROR("RTSP admission: %s", e.what());
    respond(ctx, GST_RTSP_STS_INTERNAL_SERVER_ERROR);
    return FALSE;
  }
}

}  // namespace
}  // namespace estuary

static void est_rtsp_admission_finalize(GObject *object) {
  delete reinterpret_cast<EstRtspAdmission *>(object)->admission;
  G_OBJECT_CLASS(est_rtsp_admission_parent_class)->finalize(object);
}

static void est_rtsp_admission_class_init(EstRtspAdmissionClass *klass) {
  G_OBJECT_CLASS(klass)->finalize = est_rtsp_admission_finalize;
  GST_RTSP_AUTH_CLASS(klass)->check = estuary::check;
}

static void est_rtsp_admission_init(EstRtspAdmission *self) { self->admission = nullptr; }

namespace estuary {

GstRTSPAuth *rtsp_admission_new(std::shared_ptr<RtspServerState> state, EstRtspFactory *factory) {
  auto *self =
      static_cast<EstRtspAdmission *>(g_object_new(est_rtsp_admission_get_type(), nullptr));
  self->admission = new Admission{std::move(state), GRef<EstRtspFactory>::ref(factory)};
  return GST_RTSP_AUTH(self);
}

}  // namespace estuary
