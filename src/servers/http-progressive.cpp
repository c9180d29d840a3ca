#include "servers/http-progressive.h"

#include <cstring>
#include <vector>

#include "estuary-config.h"

#define GST_CAT_DEFAULT estuary_http_debug

namespace estuary {

namespace {

// Bytes taken from the fanout and not yet written (shared with the fanout, never copied);
// beyond it the viewer's queue stays in the fanout, where its backlog limits apply.
constexpr gsize kMaxPendingBytes = 512 * 1024;
// Buffers per sendmsg().
constexpr int kMaxVectors = 64;
constexpr gint64 kReportIntervalUs = G_USEC_PER_SEC;
// Fanout wakes are gathered for this long and served in one dispatch: a viewer then writes the
// few buffers that arrived meanwhile with one syscall, and a thousand viewers cost one timer
// rather than a thousand idle sources per buffer. It delays a live viewer by at most this much.
constexpr guint kWakeBatchMs = 40;

// RFC 9110 IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), in English whatever the locale.
std::string http_date_now() {
  static const char *const kDays[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  static const char *const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  GRef<GDateTime> now = GRef<GDateTime>::adopt(g_date_time_new_now_utc());
  char text[40];
  g_snprintf(text, sizeof text, "%s, %02d %s %04d %02d:%02d:%02d GMT",
             kDays[g_date_time_get_day_of_week(now.get()) - 1],
             g_date_time_get_day_of_month(now.get()), kMonths[g_date_time_get_month(now.get()) - 1],
             g_date_time_get_year(now.get()), g_date_time_get_hour(now.get()),
             g_date_time_get_minute(now.get()), g_date_time_get_second(now.get()));
  return text;
}

// The response head: status, the headers the core would send (type, no caching, CORS) and a
// close-delimited body, which HTTP/1.0 and 1.1 clients both read until the connection closes.
std::string response_head(OutputFormat format) {
  // Our version whatever the client's (RFC 9110 6.2), as the core answers.
  std::string head = "HTTP/1.1 200 OK\r\n";
  head += "Server: estuary/" ESTUARY_VERSION "\r\n";
  head += "Date: " + http_date_now() + "\r\n";
  head += std::string("Content-Type: ") + format_mime_type(format) + "\r\n";
  head +=
      "Cache-Control: no-cache\r\n"
      "Access-Control-Allow-Origin: *\r\n"
      "Access-Control-Allow-Methods: GET, HEAD, OPTIONS\r\n"
      "Access-Control-Allow-Headers: *\r\n"
      "Access-Control-Expose-Headers: *\r\n"
      "Connection: close\r\n\r\n";
  return head;
}

}  // namespace

// The viewers of one HTTP server that have something to send, gathered from the fanouts'
// pushing threads and pumped together on the HTTP context.
struct ProgressiveWakes {
  GRef<GMainContext> context;
  GMutex lock;  // guards the two fields below
  std::vector<std::shared_ptr<ProgressiveViewer::Wake>> ready;
  bool scheduled = false;

  explicit ProgressiveWakes(GMainContext *c) : context(GRef<GMainContext>::ref(c)) {
    g_mutex_init(&lock);
  }
  ~ProgressiveWakes() { g_mutex_clear(&lock); }

  static void add(const std::shared_ptr<ProgressiveWakes> &self,
                  std::shared_ptr<ProgressiveViewer::Wake> wake) {
    MutexLock l(&self->lock);
    self->ready.push_back(std::move(wake));
    if (self->scheduled) return;
    self->scheduled = true;
    GSource *source = g_timeout_source_new(kWakeBatchMs);
    g_source_set_callback(
        source, dispatch, new std::shared_ptr<ProgressiveWakes>(self),
        [](gpointer d) { delete static_cast<std::shared_ptr<ProgressiveWakes> *>(d); });
    g_source_attach(source, self->context.get());
    g_source_unref(source);
  }
  static gboolean dispatch(gpointer data);
};

// One viewer's place in the batch: at most one pending entry at a time.
struct ProgressiveViewer::Wake {
  std::atomic<bool> pending{false};
  std::shared_ptr<ProgressiveWakes> wakes;
  std::weak_ptr<ProgressiveViewer> target;  // locked on the HTTP thread only

  static void post(const std::shared_ptr<Wake> &wake) {
    if (wake->pending.exchange(true)) return;
    ProgressiveWakes::add(wake->wakes, wake);
  }
};

gboolean ProgressiveWakes::dispatch(gpointer data) {
  auto &self = *static_cast<std::shared_ptr<ProgressiveWakes> *>(data);
  std::vector<std::shared_ptr<ProgressiveViewer::Wake>> ready;
  {
    MutexLock l(&self->lock);
    ready.swap(self->ready);
    self->scheduled = false;
  }
  for (auto &wake : ready) {
    wake->pending.store(false);
    if (auto viewer = wake->target.lock()) viewer->pump();
  }
  return G_SOURCE_REMOVE;
}

const char *progressive_protocol_name(OutputFormat format) {
  switch (format) {
    case OutputFormat::kTS:
      return "HTTPTS";
    case OutputFormat::kFLV:
      return "FLV";
    case OutputFormat::kFMP4:
      return "MP4";
    case OutputFormat::kWebM:
    case OutputFormat::kMKV:
      return "EBML";
    case OutputFormat::kMP3:
      return "MP3";
    case OutputFormat::kAAC:
      return "AAC";
    case OutputFormat::kOGG:
      return "OGG";
    case OutputFormat::kWAV:
      return "WAV";
    case OutputFormat::kWebVTT:
    case OutputFormat::kSRT:
      return "SubRip";
  }
  return "HTTP";
}

ProgressiveViewer::ProgressiveViewer(HttpServerState &state, std::string stream,
                                     OutputFormat format, std::string host)
    : state_(state), stream_(std::move(stream)), format_(format), host_(std::move(host)) {}

ProgressiveViewer::~ProgressiveViewer() { stop(); }

void ProgressiveViewer::serve(HttpServerState &state, const http::Exchange &ex,
                              std::shared_ptr<LiveStream> stream, OutputFormat format,
                              const TrackRequest &tracks) {
  std::string reason;
  std::shared_ptr<Fanout> fanout = stream->outputs().progressive(format, tracks, &reason);
  if (!fanout) {
    GST_CAT_INFO(estuary_http_debug, "%s: no %s output: %s", stream->name().c_str(),
                 format_name(format), reason.c_str());
    http::respond(
        *ex, 415, "text/plain",
        (reason.empty() ? std::string("this format cannot carry the stream") : reason) + "\n");
    return;
  }
  if (ex->method() == "HEAD") {
    http::respond(*ex, 200, format_mime_type(format), "", "no-cache");
    return;
  }
  std::string head = response_head(format);
  std::string host = ex->remote_host();
  HttpServerState *st = &state;
  std::string name = stream->name();
  // The core hands the socket over once any earlier pipelined answer on the connection is out
  // (at once, usually); from then on it has forgotten the connection.
  ex->steal([st, fanout = std::move(fanout), format, name, host,
             head = std::move(head)](GRef<GSocket> socket) mutable {
    if (!socket || st->stopping) {
      GST_CAT_INFO(estuary_http_debug, "%s: viewer %s left before its stream began", name.c_str(),
                   host.c_str());
      if (socket) g_socket_close(socket.get(), nullptr);
      return;
    }
    auto viewer = std::make_shared<ProgressiveViewer>(*st, name, format, host);
    st->viewers.insert(viewer);
    viewer->start(std::move(fanout), std::move(socket), std::move(head));
  });
}

void ProgressiveViewer::start(std::shared_ptr<Fanout> fanout, GRef<GSocket> socket,
                              std::string head) {
  socket_ = std::move(socket);
  g_socket_set_blocking(socket_.get(), FALSE);
  pending_.push_back(GRef<GBytes>::adopt(g_bytes_new(head.data(), head.size())));
  pending_bytes_ = head.size();
  fanout_ = std::move(fanout);
  if (!state_.progressive_wakes)
    state_.progressive_wakes = std::make_shared<ProgressiveWakes>(state_.context.get());
  wake_ = std::make_shared<Wake>();
  wake_->wakes = state_.progressive_wakes;
  wake_->target = weak_from_this();
  std::shared_ptr<Wake> wake = wake_;
  viewer_ = fanout_->add_viewer([wake] { Wake::post(wake); });
  session_ =
      state_.streams.session_open(ViewerReport{host_, stream_, progressive_protocol_name(format_)});
  last_report_us_ = g_get_monotonic_time();
  GST_CAT_INFO(estuary_http_debug, "%s: %s viewer %s joined", stream_.c_str(), format_name(format_),
               host_.c_str());
  pump();
}

void ProgressiveViewer::pump() {
  if (stopped_) return;
  if (!ending_ && viewer_->closed() && viewer_->close_reason() != "end of stream") {
    // Dropped for being too slow (its socket is full, most likely): what it still has queued
    // would never drain; cut it now.
    GST_CAT_INFO(estuary_http_debug, "%s: %s viewer %s dropped: %s", stream_.c_str(),
                 format_name(format_), host_.c_str(), viewer_->close_reason().c_str());
    finish("dropped");
    return;
  }
  // The fanout wakes a viewer only when its queue was empty: keep taking and writing until the
  // queue is drained or the socket is full (then on_writable() pumps again).
  while (!stopped_ && !write_source_) {
    bool took = false;
    while (!ending_ && pending_bytes_ < kMaxPendingBytes) {
      GstClockTime ts = GST_CLOCK_TIME_NONE;
      GRef<GBytes> bytes = viewer_->pull_bytes(&ts);
      if (!bytes) break;
      took = true;
      if (GST_CLOCK_TIME_IS_VALID(ts)) position_ms_ = static_cast<gint64>(ts / GST_MSECOND);
      gsize size = g_bytes_get_size(bytes.get());
      if (size == 0) continue;
      pending_bytes_ += size;
      pending_.push_back(std::move(bytes));
    }
    if (!ending_ && viewer_->closed()) {
      std::string why = viewer_->close_reason();
      if (why != "end of stream") {
        // Dropped for being too slow: what it still has queued would never drain; cut it now.
        GST_CAT_INFO(estuary_http_debug, "%s: %s viewer %s dropped: %s", stream_.c_str(),
                     format_name(format_), host_.c_str(), why.c_str());
        finish("dropped");
        return;
      }
      GST_CAT_INFO(estuary_http_debug, "%s: %s viewer ends: %s", stream_.c_str(),
                   format_name(format_), why.c_str());
      ending_ = true;  // the body ends when the connection closes, once pending_ is sent
    }
    write();
    if (!took || ending_) return;
  }
}

void ProgressiveViewer::write() {
  if (stopped_ || write_source_) return;  // a full socket: on_writable() resumes
  while (!pending_.empty()) {
    GOutputVector vectors[kMaxVectors];
    int n = 0;
    for (auto it = pending_.begin(); it != pending_.end() && n < kMaxVectors; ++it, ++n) {
      gsize size = 0;
      const auto *data = static_cast<const guint8 *>(g_bytes_get_data(it->get(), &size));
      const gsize skip = n == 0 ? pending_offset_ : 0;
      vectors[n].buffer = data + skip;
      vectors[n].size = size - skip;
    }
    GError *err = nullptr;
    gssize sent =
        g_socket_send_message(socket_.get(), nullptr, vectors, n, nullptr, 0, 0, nullptr, &err);
    if (sent < 0) {
      if (g_error_matches(err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
        g_error_free(err);
        write_source_ = g_socket_create_source(
            socket_.get(), static_cast<GIOCondition>(G_IO_OUT | G_IO_HUP | G_IO_ERR), nullptr);
        g_source_set_callback(write_source_, G_SOURCE_FUNC(on_writable), this, nullptr);
        g_source_attach(write_source_, state_.context.get());
        report(false);
        return;
      }
      GST_CAT_INFO(estuary_http_debug,
                   "%s: %s viewer %s left after %" G_GUINT64_FORMAT " bytes: %s", stream_.c_str(),
                   format_name(format_), host_.c_str(), bytes_written_, err->message);
      g_error_free(err);
      finish("write failed");
      return;
    }
    bytes_written_ += static_cast<guint64>(sent);
    pending_bytes_ -= static_cast<gsize>(sent);
    gsize left = static_cast<gsize>(sent);
    while (left > 0) {
      const gsize front = g_bytes_get_size(pending_.front().get()) - pending_offset_;
      if (left < front) {
        pending_offset_ += left;
        break;
      }
      left -= front;
      pending_offset_ = 0;
      pending_.pop_front();
    }
  }
  report(false);
  if (ending_) finish("end of stream");
}

gboolean ProgressiveViewer::on_writable(GSocket *, GIOCondition, gpointer self) {
  // Keeps the viewer alive through the dispatch even if it finishes.
  std::shared_ptr<ProgressiveViewer> v = static_cast<ProgressiveViewer *>(self)->shared_from_this();
  g_source_destroy(v->write_source_);
  g_source_unref(v->write_source_);
  v->write_source_ = nullptr;
  v->write();
  v->pump();  // refill: the fanout only wakes a viewer whose queue was empty
  return G_SOURCE_REMOVE;
}

void ProgressiveViewer::finish(const char *why) {
  GST_CAT_DEBUG(estuary_http_debug, "%s: %s viewer %s finished: %s", stream_.c_str(),
                format_name(format_), host_.c_str(), why);
  stop();
  // Leave the server's set from a fresh dispatch: finish() may run inside our own callbacks.
  struct Removal {
    HttpServerState *state;
    ProgressiveViewer *viewer;
  };
  GSource *idle = g_idle_source_new();
  g_source_set_callback(
      idle,
      [](gpointer data) -> gboolean {
        auto *r = static_cast<Removal *>(data);
        for (auto it = r->state->viewers.begin(); it != r->state->viewers.end(); ++it) {
          if (it->get() == r->viewer) {
            r->state->viewers.erase(it);
            break;
          }
        }
        return G_SOURCE_REMOVE;
      },
      new Removal{&state_, this}, [](gpointer data) { delete static_cast<Removal *>(data); });
  g_source_attach(idle, state_.context.get());
  g_source_unref(idle);
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
  if (write_source_) {
    g_source_destroy(write_source_);
    g_source_unref(write_source_);
    write_source_ = nullptr;
  }
  if (viewer_) viewer_->close();
  if (session_) {
    report(true);
    state_.streams.session_close(session_);
    session_.reset();
  }
  if (socket_) g_socket_close(socket_.get(), nullptr);
  socket_.reset();
  pending_.clear();
  pending_bytes_ = 0;
  viewer_.reset();
  fanout_.reset();
}

}  // namespace estuary
