#include "servers/http-vod-file.h"

#include "protocols/http/byte-range.h"
#include "servers/http-progressive.h"

#define GST_CAT_DEFAULT estuary_http_debug

namespace estuary {

namespace {

// The core drops an answer that made no progress for Http1Limits::send_timeout_ms (60 s); a
// download idle for longer is over.
constexpr gint64 kStalledUs = 61 * G_USEC_PER_SEC;

// One download's session, followed once a second from the bytes the core has sent.
struct Download {
  HttpServerState *state;
  http::Exchange ex;
  std::shared_ptr<guint64> session;
  guint64 expected = 0;  // body bytes of the answer (the range, when one was asked for)
  guint64 sent = 0;
  gint64 progress_us = 0;

  void end() {
    if (!session) return;
    state->streams.session_update(session, 0, sent, 0);
    state->streams.session_close(session);
    session.reset();
  }
};

gboolean on_tick(gpointer data) {
  auto *d = static_cast<Download *>(data);
  const gint64 now = g_get_monotonic_time();
  const guint64 sent = d->ex->bytes_sent();
  if (sent != d->sent) {
    d->sent = sent;
    d->progress_us = now;
    d->state->streams.session_update(d->session, 0, sent, 0);
  }
  // bytes_sent() counts the response head too: once it covers the body, the rest is in flight.
  if (d->state->stopping || sent >= d->expected || now - d->progress_us > kStalledUs) {
    d->end();
    return G_SOURCE_REMOVE;
  }
  return G_SOURCE_CONTINUE;
}

// Runs `fn` on `context` (from any thread).
void post(GMainContext *context, std::function<void()> fn) {
  GSource *source = g_idle_source_new();
  g_source_set_callback(
      source,
      [](gpointer d) -> gboolean {
        (*static_cast<std::function<void()> *>(d))();
        return G_SOURCE_REMOVE;
      },
      new std::function<void()>(std::move(fn)),
      [](gpointer d) { delete static_cast<std::function<void()> *>(d); });
  g_source_attach(source, context);
  g_source_unref(source);
}

void answer(HttpServerState &state, const http::Exchange &ex, const std::string &stream,
            OutputFormat format, GBytes *file, const std::string &reason) {
  if (!file) {
    GST_CAT_INFO(estuary_http_debug, "%s: no %s file: %s", stream.c_str(), format_name(format),
                 reason.c_str());
    http::respond(
        *ex, 415, "text/plain",
        (reason.empty() ? std::string("this format cannot carry the stream") : reason) + "\n");
    return;
  }
  const guint64 total = g_bytes_get_size(file);
  guint64 expected = ex->method() == "HEAD" ? 0 : total;
  if (const std::string *range = ex->header("Range")) {
    http::ByteRange r = http::parse_byte_range(*range, total);
    if (r.kind == http::RangeKind::kOne) expected = r.last - r.first + 1;
    if (r.kind == http::RangeKind::kUnsatisfiable || r.kind == http::RangeKind::kMultiple)
      expected = 0;
  }
  ex->add_header("Accept-Ranges", "bytes");
  // The file of a VoD stream only changes when its source does: let players cache briefly.
  // Range requests are answered by the core from the same shared bytes (no copy).
  http::respond_bytes(*ex, 200, format_mime_type(format), file, "max-age=60");

  auto *d = new Download{&state, ex, nullptr, expected, 0, g_get_monotonic_time()};
  d->session = state.streams.session_open(
      ViewerReport{ex->remote_host(), stream, progressive_protocol_name(format)});
  GSource *timer = g_timeout_source_new_seconds(1);
  g_source_set_callback(timer, on_tick, d, [](gpointer data) {
    auto *dl = static_cast<Download *>(data);
    dl->end();
    delete dl;
  });
  g_source_attach(timer, state.context.get());
  g_source_unref(timer);
}

}  // namespace

void VodDownload::serve(HttpServerState &state, const http::Exchange &ex,
                        std::shared_ptr<LiveStream> stream, OutputFormat format,
                        const TrackRequest &tracks) {
  HttpServerState *st = &state;
  GRef<GMainContext> context = state.context;
  std::string name = stream->name();
  stream->outputs().vod_file(
      format, tracks, [st, ex, context, name, format](GBytes *file, const std::string &reason) {
        // Any thread: keep the bytes and continue on the HTTP thread.
        GRef<GBytes> bytes = GRef<GBytes>::ref(file);
        post(context.get(), [st, ex, name, format, bytes, reason] {
          if (st->stopping || !ex->alive()) return;
          answer(*st, ex, name, format, bytes.get(), reason);
        });
      });
}

}  // namespace estuary
