#include "servers/ts-session.h"

#include <condition_variable>
#include <memory>
#include <mutex>

#include "common/gref.h"
#include "protocols/stream-name.h"

#define GST_CAT_DEFAULT (ctx.debug)

namespace estuary {

namespace {

constexpr int kPollMs = 200;
constexpr guint kPlayWaitMs = 20000;
constexpr gint64 kAcceptWaitUs = 15 * G_USEC_PER_SEC;
constexpr gint64 kReportIntervalUs = G_USEC_PER_SEC;
constexpr gsize kReadSize = 64 * 1024;

// A reply that the control thread posts to a private context this thread iterates. Held by
// shared_ptr so a reply that comes after we gave up touches nothing that is gone.
template <typename T>
struct Reply {
  bool done = false;
  T value;
  std::string error;
};

// Iterates `context` until `done()` holds, `stopping` is set or `deadline_us` passes.
template <typename Done>
bool iterate_until(GMainContext *context, Done done, const std::atomic<bool> &stopping,
                   gint64 deadline_us) {
  // A periodic tick so the blocking iteration returns to check `stopping` and the deadline.
  GRef<GSource> tick = GRef<GSource>::adopt(g_timeout_source_new(kPollMs));
  g_source_set_callback(
      tick.get(), [](gpointer) -> gboolean { return G_SOURCE_CONTINUE; }, nullptr, nullptr);
  g_source_attach(tick.get(), context);
  while (!done() && !stopping.load() && g_get_monotonic_time() < deadline_us) {
    g_main_context_iteration(context, TRUE);
  }
  g_source_destroy(tick.get());
  return done();
}

// Wakes the playing thread when its fan-out viewer has data (called from the muxer's thread).
struct Waker {
  std::mutex lock;  // guards `signalled`
  std::condition_variable cond;
  bool signalled = false;
  void notify() {
    {
      std::lock_guard<std::mutex> guard(lock);
      signalled = true;
    }
    cond.notify_one();
  }
  void wait(int ms) {
    std::unique_lock<std::mutex> guard(lock);
    cond.wait_for(guard, std::chrono::milliseconds(ms), [this] { return signalled; });
    signalled = false;
  }
};

}  // namespace

namespace {

// Reads for up to `wait_ms`; the bytes read (empty for a player) go to `first`. False when the
// peer left meanwhile.
bool sniff_publisher(TsSessionContext &ctx, int wait_ms, std::vector<guint8> *first) {
  first->clear();
  gint64 deadline = g_get_monotonic_time() + static_cast<gint64>(wait_ms) * 1000;
  std::vector<guint8> buf(kReadSize);
  while (!ctx.stopping.load()) {
    gint64 left_ms = (deadline - g_get_monotonic_time()) / 1000;
    if (left_ms <= 0) return true;
    gssize n = ctx.transport.read(buf.data(), buf.size(), static_cast<int>(MIN(left_ms, kPollMs)));
    if (n < 0) return false;
    if (n > 0) {
      first->assign(buf.begin(), buf.begin() + n);
      return true;
    }
  }
  return false;
}

}  // namespace

bool ts_publish(TsSessionContext &ctx, const std::string &stream, const std::string &passphrase,
                const std::vector<guint8> &first) {
  ByteTransport &t = ctx.transport;
  GRef<GMainContext> context = GRef<GMainContext>::adopt(g_main_context_new());
  auto reply = std::make_shared<Reply<std::shared_ptr<PushFeed>>>();
  PushRequest request{stream, t.peer(), passphrase, ctx.protocol, kTsPushCaps};
  ctx.streams.accept_push(request, context.get(),
                          [reply](std::shared_ptr<PushFeed> feed, const std::string &error) {
                            reply->value = std::move(feed);
                            reply->error = error;
                            reply->done = true;
                          });
  if (!iterate_until(
          context.get(), [&] { return reply->done; }, ctx.stopping,
          g_get_monotonic_time() + kAcceptWaitUs)) {
    GST_INFO("%s: %s push from %s: no answer from the stream", stream.c_str(), ctx.protocol.c_str(),
             t.peer().c_str());
    return false;
  }
  std::shared_ptr<PushFeed> feed = reply->value;
  if (!feed) {
    // The reason never contains the passphrase (StreamDirectory contract).
    GST_WARNING("%s: %s push from %s refused: %s", stream.c_str(), ctx.protocol.c_str(),
                t.peer().c_str(), reply->error.c_str());
    return false;
  }
  GST_INFO("%s: %s push from %s accepted", stream.c_str(), ctx.protocol.c_str(), t.peer().c_str());
  std::shared_ptr<guint64> session =
      ctx.streams.session_open(ViewerReport{t.peer(), sanitize_stream_name(stream), ctx.protocol});
  guint64 received = first.size();
  bool open = first.empty() || feed->write(first.data(), first.size());
  std::vector<guint8> buf(kReadSize);
  gint64 last_report = g_get_monotonic_time();
  const char *why = "stopping";
  while (open && !ctx.stopping.load()) {
    gssize n = t.read(buf.data(), buf.size(), kPollMs);
    if (n < 0) {
      why = "publisher left";
      break;
    }
    if (n > 0) {
      received += static_cast<guint64>(n);
      if (!feed->write(buf.data(), static_cast<gsize>(n))) {
        why = "stream closed the push";
        open = false;
      }
    }
    gint64 now = g_get_monotonic_time();
    if (now - last_report >= kReportIntervalUs) {
      last_report = now;
      ctx.streams.session_update(session, 0, 0, received);
    }
  }
  feed->end();
  ctx.streams.session_update(session, 0, 0, received);
  ctx.streams.session_close(session);
  GST_INFO("%s: %s push from %s ends (%s) after %" G_GUINT64_FORMAT " bytes", stream.c_str(),
           ctx.protocol.c_str(), t.peer().c_str(), why, received);
  return true;
}

bool ts_play(TsSessionContext &ctx, const std::string &requested) {
  ByteTransport &t = ctx.transport;
  std::string stream = sanitize_stream_name(requested);
  if (stream.empty()) {
    GST_INFO("%s: invalid stream name '%s'", t.peer().c_str(), requested.c_str());
    return false;
  }
  GRef<GMainContext> context = GRef<GMainContext>::adopt(g_main_context_new());
  auto reply = std::make_shared<Reply<std::shared_ptr<LiveStream>>>();
  ctx.streams.request(stream, context.get(), kPlayWaitMs,
                      [reply](std::shared_ptr<LiveStream> live, const std::string &error) {
                        reply->value = std::move(live);
                        reply->error = error;
                        reply->done = true;
                      });
  iterate_until(
      context.get(), [&] { return reply->done; }, ctx.stopping,
      g_get_monotonic_time() + (kPlayWaitMs + 1000) * 1000);
  std::shared_ptr<LiveStream> live = reply->value;
  if (!live) {
    GST_INFO("%s: %s viewer %s: %s", stream.c_str(), ctx.protocol.c_str(), t.peer().c_str(),
             reply->done ? reply->error.c_str() : "no answer");
    return false;
  }
  if (!live->live()) {
    GST_INFO("%s: %s viewer %s: VoD streams are not served over %s", stream.c_str(),
             ctx.protocol.c_str(), t.peer().c_str(), ctx.protocol.c_str());
    return false;
  }
  std::string reason;
  std::shared_ptr<Fanout> fanout =
      live->outputs().progressive(OutputFormat::kTS, TrackRequest{}, &reason);
  if (!fanout) {
    GST_INFO("%s: %s viewer %s: no TS output: %s", stream.c_str(), ctx.protocol.c_str(),
             t.peer().c_str(), reason.c_str());
    return false;
  }
  auto waker = std::make_shared<Waker>();
  std::shared_ptr<FanoutViewer> viewer = fanout->add_viewer([waker] { waker->notify(); });
  std::shared_ptr<guint64> session =
      ctx.streams.session_open(ViewerReport{t.peer(), stream, ctx.protocol});
  GST_INFO("%s: %s viewer %s joined", stream.c_str(), ctx.protocol.c_str(), t.peer().c_str());

  // Whole pieces of max_write() bytes where the transport wants messages (SRT live mode).
  const gsize piece = t.max_write();
  std::vector<guint8> pending;
  guint64 sent = 0;
  gint64 position_ms = 0;
  gint64 last_report = g_get_monotonic_time();
  std::string why = "stopping";
  auto flush = [&](bool all) {
    gsize off = 0;
    while (pending.size() - off >= piece || (all && off < pending.size())) {
      gsize n = MIN(piece, pending.size() - off);
      if (!t.write(pending.data() + off, n)) return false;
      off += n;
      sent += n;
    }
    pending.erase(pending.begin(), pending.begin() + off);
    return true;
  };
  while (!ctx.stopping.load()) {
    GRef<GstBuffer> buf = viewer->pull();
    if (!buf) {
      if (!flush(true)) {
        why = "viewer left";
        break;
      }
      if (viewer->closed()) {
        why = viewer->close_reason();
        break;
      }
      if (!t.alive()) {
        why = "viewer left";
        break;
      }
      waker->wait(kPollMs);
      continue;
    }
    GstClockTime ts = GST_BUFFER_DTS_OR_PTS(buf.get());
    if (GST_CLOCK_TIME_IS_VALID(ts)) position_ms = static_cast<gint64>(ts / GST_MSECOND);
    BufferMap map(buf.get(), GST_MAP_READ);
    if (map.ok()) pending.insert(pending.end(), map.data(), map.data() + map.size());
    if (!flush(false)) {
      why = "viewer left";
      break;
    }
    gint64 now = g_get_monotonic_time();
    if (now - last_report >= kReportIntervalUs) {
      last_report = now;
      ctx.streams.session_update(session, position_ms, sent, 0);
    }
  }
  viewer->close();
  ctx.streams.session_update(session, position_ms, sent, 0);
  ctx.streams.session_close(session);
  GST_INFO("%s: %s viewer %s left (%s) after %" G_GUINT64_FORMAT " bytes", stream.c_str(),
           ctx.protocol.c_str(), t.peer().c_str(), why.c_str(), sent);
  return true;
}

void ts_serve_undecided(TsSessionContext &ctx, const std::string &stream,
                        const std::string &passphrase, int sniff_ms, int late_ms) {
  std::vector<guint8> first;
  if (!sniff_publisher(ctx, sniff_ms, &first)) return;
  if (!first.empty()) {
    ts_publish(ctx, stream, passphrase, first);
    return;
  }
  if (ts_play(ctx, stream)) return;
  if (sniff_publisher(ctx, late_ms, &first) && !first.empty()) {
    ts_publish(ctx, stream, passphrase, first);
  }
}

}  // namespace estuary
