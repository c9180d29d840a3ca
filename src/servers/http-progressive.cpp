#include "servers/http-progressive.h"

#define GST_CAT_DEFAULT estuary_http_debug

namespace estuary {

namespace {

// Bytes handed to libsoup and not yet written; beyond it the viewer's queue stays in the fanout,
// where its backlog limits apply.
constexpr gsize kMaxInFlightBytes = 512 * 1024;
constexpr gint64 kReportIntervalUs = G_USEC_PER_SEC;

// One mapped GstMemory kept alive by the GBytes that points into it.
struct MappedMemory {
  GstMemory *memory;
  GstMapInfo info;
};

void unmap_memory(gpointer data) {
  auto *m = static_cast<MappedMemory *>(data);
  gst_memory_unmap(m->memory, &m->info);
  gst_memory_unref(m->memory);
  delete m;
}

// Appends the memories of `buf` to `body` without copying; returns the sizes appended.
void append_buffer(SoupMessageBody *body, GstBuffer *buf, std::deque<gsize> *sizes) {
  guint n = gst_buffer_n_memory(buf);
  for (guint i = 0; i < n; i++) {
    GstMemory *mem = gst_buffer_peek_memory(buf, i);
    auto *m = new MappedMemory{gst_memory_ref(mem), GstMapInfo{}};
    if (!gst_memory_map(m->memory, &m->info, GST_MAP_READ)) {
      gst_memory_unref(m->memory);
      delete m;
      continue;
    }
    if (m->info.size == 0) {
      unmap_memory(m);
      continue;
    }
    gsize size = m->info.size;
    GRef<GBytes> bytes =
        GRef<GBytes>::adopt(g_bytes_new_with_free_func(m->info.data, size, unmap_memory, m));
    soup_message_body_append_bytes(body, bytes.get());
    sizes->push_back(size);
  }
}

}  // namespace

// Posted from the fanout's pushing thread to the HTTP context; at most one pending at a time.
struct ProgressiveViewer::Wake {
  std::atomic<bool> pending{false};
  GRef<GMainContext> context;
  std::weak_ptr<ProgressiveViewer> target;  // locked on the HTTP thread only

  static gboolean dispatch(gpointer data) {
    auto *wake = static_cast<std::shared_ptr<Wake> *>(data);
    (*wake)->pending.store(false);
    if (auto viewer = (*wake)->target.lock()) viewer->pump();
    return G_SOURCE_REMOVE;
  }
  static void destroy(gpointer data) { delete static_cast<std::shared_ptr<Wake> *>(data); }
  static void post(const std::shared_ptr<Wake> &wake) {
    if (wake->pending.exchange(true)) return;
    GSource *source = g_idle_source_new();
    g_source_set_priority(source, G_PRIORITY_DEFAULT);
    g_source_set_callback(source, dispatch, new std::shared_ptr<Wake>(wake), destroy);
    g_source_attach(source, wake->context.get());
    g_source_unref(source);
  }
};

const char *progressive_protocol_name(OutputFormat format) {
  switch (format) {
    case OutputFormat::kTS: return "HTTPTS";
    case OutputFormat::kFLV: return "FLV";
    case OutputFormat::kFMP4: return "MP4";
    case OutputFormat::kWebM:
    case OutputFormat::kMKV: return "EBML";
    case OutputFormat::kMP3: return "MP3";
    case OutputFormat::kAAC: return "AAC";
    case OutputFormat::kOGG: return "OGG";
    case OutputFormat::kWAV: return "WAV";
    case OutputFormat::kWebVTT:
    case OutputFormat::kSRT: return "SubRip";
  }
  return "HTTP";
}

ProgressiveViewer::ProgressiveViewer(HttpServerState &state, SoupServerMessage *msg,
                                     std::string stream, OutputFormat format)
    : state_(state),
      msg_(GRef<SoupServerMessage>::ref(msg)),
      stream_(std::move(stream)),
      format_(format) {}

ProgressiveViewer::~ProgressiveViewer() { stop(); }

void ProgressiveViewer::serve(HttpServerState &state, SoupServerMessage *msg,
                              std::shared_ptr<LiveStream> stream, OutputFormat format,
                              const TrackRequest &tracks) {
  std::string reason;
  std::shared_ptr<Fanout> fanout = stream->outputs().progressive(format, tracks, &reason);
  if (!fanout) {
    GST_CAT_INFO(estuary_http_debug, "%s: no %s output: %s", stream->name().c_str(),
                 format_name(format), reason.c_str());
    http::respond(msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE, "text/plain",
                  (reason.empty() ? std::string("this format cannot carry the stream") : reason) +
                      "\n");
    http::resume(msg);
    return;
  }
  http::add_cors(msg);
  SoupMessageHeaders *h = soup_server_message_get_response_headers(msg);
  soup_message_headers_set_content_type(h, format_mime_type(format), nullptr);
  soup_message_headers_replace(h, "Cache-Control", "no-cache");
  soup_server_message_set_status(msg, SOUP_STATUS_OK, nullptr);
  if (strcmp(soup_server_message_get_method(msg), "HEAD") == 0) {
    http::resume(msg);
    return;
  }
  // Chunked keeps HTTP/1.1 connections reusable; HTTP/1.0 clients read until the close.
  bool http10 = soup_server_message_get_http_version(msg) == SOUP_HTTP_1_0;
  soup_message_headers_set_encoding(h, http10 ? SOUP_ENCODING_EOF : SOUP_ENCODING_CHUNKED);
  soup_message_body_set_accumulate(soup_server_message_get_response_body(msg), FALSE);

  auto viewer = std::make_shared<ProgressiveViewer>(state, msg, stream->name(), format);
  state.viewers.insert(viewer);
  http::resume(msg);  // from here on libsoup pauses the message itself when the body runs dry
  viewer->start(std::move(fanout));
}

void ProgressiveViewer::start(std::shared_ptr<Fanout> fanout) {
  fanout_ = std::move(fanout);
  wake_ = std::make_shared<Wake>();
  wake_->context = state_.context;
  wake_->target = weak_from_this();
  std::shared_ptr<Wake> wake = wake_;
  viewer_ = fanout_->add_viewer([wake] { Wake::post(wake); });
  wrote_chunk_id_ = g_signal_connect(msg_.get(), "wrote-chunk", G_CALLBACK(on_wrote_chunk), this);
  finished_id_ = g_signal_connect(msg_.get(), "finished", G_CALLBACK(on_finished), this);
  session_ = state_.streams.session_open(
      ViewerReport{http::remote_host(msg_.get()), stream_, progressive_protocol_name(format_)});
  last_report_us_ = g_get_monotonic_time();
  GST_CAT_INFO(estuary_http_debug, "%s: %s viewer %s joined", stream_.c_str(),
               format_name(format_), http::remote_host(msg_.get()).c_str());
  pump();
}

void ProgressiveViewer::pump() {
  if (stopped_ || completed_ || !http::alive(msg_.get())) return;
  SoupMessageBody *body = soup_server_message_get_response_body(msg_.get());
  bool appended = false;
  while (in_flight_bytes_ < kMaxInFlightBytes) {
    GRef<GstBuffer> buf = viewer_->pull();
    if (!buf) break;
    GstClockTime ts = GST_BUFFER_DTS_OR_PTS(buf.get());
    if (GST_CLOCK_TIME_IS_VALID(ts)) position_ms_ = static_cast<gint64>(ts / GST_MSECOND);
    size_t before = in_flight_.size();
    append_buffer(body, buf.get(), &in_flight_);
    for (size_t i = before; i < in_flight_.size(); i++) in_flight_bytes_ += in_flight_[i];
    appended = appended || in_flight_.size() > before;
  }
  if (viewer_->closed() && viewer_->close_reason() != "end of stream") {
    // Dropped for being too slow: its connection holds a full queue that will never drain, so
    // cut it now rather than wait for the client.
    GST_CAT_INFO(estuary_http_debug, "%s: %s viewer %s dropped: %s", stream_.c_str(),
                 format_name(format_), http::remote_host(msg_.get()).c_str(),
                 viewer_->close_reason().c_str());
    completed_ = true;
    if (GSocket *socket = soup_server_message_get_socket(msg_.get()))
      g_socket_shutdown(socket, TRUE, TRUE, nullptr);
    soup_server_message_unpause(msg_.get());
    return;
  }
  if (in_flight_bytes_ < kMaxInFlightBytes && viewer_->closed()) {
    GST_CAT_INFO(estuary_http_debug, "%s: %s viewer ends: %s", stream_.c_str(),
                 format_name(format_), viewer_->close_reason().c_str());
    soup_message_body_complete(body);
    completed_ = true;
    appended = true;
  }
  if (appended) soup_server_message_unpause(msg_.get());
}

void ProgressiveViewer::on_wrote_chunk(SoupServerMessage *, gpointer self) {
  auto *v = static_cast<ProgressiveViewer *>(self);
  if (!v->in_flight_.empty()) {
    v->bytes_written_ += v->in_flight_.front();
    v->in_flight_bytes_ -= v->in_flight_.front();
    v->in_flight_.pop_front();
  }
  v->report(false);
  v->pump();
}

void ProgressiveViewer::on_finished(SoupServerMessage *, gpointer self) {
  auto *v = static_cast<ProgressiveViewer *>(self);
  GST_CAT_INFO(estuary_http_debug, "%s: %s viewer left after %" G_GUINT64_FORMAT " bytes",
               v->stream_.c_str(), format_name(v->format_), v->bytes_written_);
  v->stop();
  // Last: may destroy `v` (the signal emission holds its own reference on the message).
  for (auto it = v->state_.viewers.begin(); it != v->state_.viewers.end(); ++it) {
    if (it->get() == v) {
      v->state_.viewers.erase(it);
      break;
    }
  }
}

void ProgressiveViewer::report(bool force) {
  if (!session_) return;
  gint64 now = g_get_monotonic_time();
  if (!force && now - last_report_us_ < kReportIntervalUs) return;
  last_report_us_ = now;
  state_.streams.session_update(session_, position_ms_, bytes_written_, 0);
}

void ProgressiveViewer::stop() {
  if (stopped_) return;
  stopped_ = true;
  if (wrote_chunk_id_) g_signal_handler_disconnect(msg_.get(), wrote_chunk_id_);
  if (finished_id_) g_signal_handler_disconnect(msg_.get(), finished_id_);
  wrote_chunk_id_ = finished_id_ = 0;
  if (viewer_) viewer_->close();
  if (session_) {
    report(true);
    state_.streams.session_close(session_);
    session_.reset();
  }
  viewer_.reset();
  fanout_.reset();
}

}  // namespace estuary
