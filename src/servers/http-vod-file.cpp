#include "servers/http-vod-file.h"

#include "servers/http-progressive.h"

#define GST_CAT_DEFAULT estuary_http_debug

namespace estuary {

namespace {

// Per-response session bookkeeping, owned by the message (g_object_set_data_full).
struct Download {
  HttpServerState *state;
  std::shared_ptr<guint64> session;
  guint64 bytes = 0;
  gint64 last_report_us = 0;
};

void free_download(gpointer data) { delete static_cast<Download *>(data); }

void on_wrote_body_data(SoupServerMessage *, guint size, gpointer data) {
  auto *d = static_cast<Download *>(data);
  d->bytes += size;
  gint64 now = g_get_monotonic_time();
  if (now - d->last_report_us < G_USEC_PER_SEC) return;
  d->last_report_us = now;
  d->state->streams.session_update(d->session, 0, d->bytes, 0);
}

void on_finished(SoupServerMessage *, gpointer data) {
  auto *d = static_cast<Download *>(data);
  if (!d->session) return;
  d->state->streams.session_update(d->session, 0, d->bytes, 0);
  d->state->streams.session_close(d->session);
  d->session.reset();
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

void answer(HttpServerState &state, SoupServerMessage *msg, const std::string &stream,
            OutputFormat format, GBytes *file, const std::string &reason) {
  if (!file) {
    GST_CAT_INFO(estuary_http_debug, "%s: no %s file: %s", stream.c_str(), format_name(format),
                 reason.c_str());
    http::respond(msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE, "text/plain",
                  (reason.empty() ? std::string("this format cannot carry the stream") : reason) +
                      "\n");
    http::resume(msg);
    return;
  }
  auto *d = new Download{&state, nullptr, 0, g_get_monotonic_time()};
  d->session = state.streams.session_open(
      ViewerReport{http::remote_host(msg), stream, progressive_protocol_name(format)});
  g_object_set_data_full(G_OBJECT(msg), "estuary-download", d, free_download);
  g_signal_connect(msg, "wrote-body-data", G_CALLBACK(on_wrote_body_data), d);
  g_signal_connect(msg, "finished", G_CALLBACK(on_finished), d);
  SoupMessageHeaders *h = soup_server_message_get_response_headers(msg);
  soup_message_headers_replace(h, "Accept-Ranges", "bytes");
  // The file of a VoD stream only changes when its source does: let players cache briefly.
  const char *cache = "max-age=60";
  const char *type = format_mime_type(format);
  goffset total = static_cast<goffset>(g_bytes_get_size(file));
  SoupRange *ranges = nullptr;
  int n = 0;
  SoupMessageHeaders *req = soup_server_message_get_request_headers(msg);
  if (!soup_message_headers_get_one(req, "Range")) {
    http::respond_bytes(msg, SOUP_STATUS_OK, type, file, cache);
  } else if (!soup_message_headers_get_ranges(req, total, &ranges, &n) || n < 1 ||
             ranges[0].start >= total || ranges[0].end < ranges[0].start) {
    // libsoup accepts "bytes=N-" past the end as an empty range; RFC 9110 says 416.
    soup_message_headers_set_content_range(h, -1, -1, total);  // "bytes */total"
    http::respond(msg, SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE, "text/plain", "");
  } else if (n == 1) {
    // One range, as players send: a sub-view of the shared bytes (no copy).
    goffset start = ranges[0].start, end = ranges[0].end;
    GRef<GBytes> part = GRef<GBytes>::adopt(
        g_bytes_new_from_bytes(file, static_cast<gsize>(start), static_cast<gsize>(end - start + 1)));
    soup_message_headers_set_content_range(h, start, end, total);
    http::respond_bytes(msg, SOUP_STATUS_PARTIAL_CONTENT, type, part.get(), cache);
  } else {
    http::respond_bytes(msg, SOUP_STATUS_OK, type, file, cache);  // RFC 9110 lets us ignore it
  }
  if (ranges) soup_message_headers_free_ranges(req, ranges);
  http::resume(msg);
}

}  // namespace

void VodDownload::serve(HttpServerState &state, SoupServerMessage *msg,
                        std::shared_ptr<LiveStream> stream, OutputFormat format,
                        const TrackRequest &tracks) {
  http::pause(msg);
  GRef<SoupServerMessage> ref = GRef<SoupServerMessage>::ref(msg);
  HttpServerState *st = &state;
  GRef<GMainContext> context = state.context;
  std::string name = stream->name();
  stream->outputs().vod_file(
      format, tracks, [st, ref, context, name, format](GBytes *file, const std::string &reason) {
        // Any thread: keep the bytes and continue on the HTTP thread.
        GRef<GBytes> bytes = GRef<GBytes>::ref(file);
        post(context.get(), [st, ref, name, format, bytes, reason] {
          if (st->stopping || !http::alive(ref.get())) return;
          answer(*st, ref.get(), name, format, bytes.get(), reason);
        });
      });
}

}  // namespace estuary
