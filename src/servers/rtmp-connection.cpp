#include "servers/rtmp-connection.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cstdlib>

#include "servers/rtmp-play.h"
#include "servers/rtmp-publish.h"

#define GST_CAT_DEFAULT estuary_rtmp_debug

namespace estuary {

namespace {

constexpr gsize kReadSize = 64 * 1024;
// Reads per dispatch, so one fast publisher cannot starve the other clients of the thread.
constexpr int kReadsPerDispatch = 8;
// Output queued and not written; only replies and control live here beyond the player's low
// mark, so reaching it means the client does not read.
constexpr size_t kMaxOutputBytes = 4 * 1024 * 1024;
// A player's output is refilled from its fanout only below this; the rest waits in the fanout,
// whose backlog limits drop a client that stopped reading.
constexpr size_t kPlayLowMark = 256 * 1024;
// Pull-and-write rounds a player may take per main-loop dispatch before yielding to others.
constexpr int kPlayRoundsPerDispatch = 16;
constexpr gint64 kWriteStallUs = 30 * G_USEC_PER_SEC;
constexpr gint64 kIdleUs = 30 * G_USEC_PER_SEC;              // connect without publish/play
constexpr gint64 kPublisherSilenceUs = 30 * G_USEC_PER_SEC;  // publisher sends nothing
constexpr guint kPlayWaitMs = 20000;                         // for a stream to start
constexpr gint64 kReportIntervalUs = G_USEC_PER_SEC;
// A publisher's reads wait until this much of its media (at its measured rate) is in the socket;
// ESTUARY_RTMP_COALESCE_MS overrides it (0: wake for every byte, as before).
constexpr guint64 kCoalesceMs = 10;
constexpr int kMaxRcvLowat = 64 * 1024;

std::string remote_address(GSocket *socket) {
  GRef<GSocketAddress> addr =
      GRef<GSocketAddress>::adopt(g_socket_get_remote_address(socket, nullptr));
  if (!addr || !G_IS_INET_SOCKET_ADDRESS(addr.get())) return "unknown";
  GCharPtr text(g_inet_address_to_string(
      g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(addr.get()))));
  return text.get();
}

// onStatus code for a refused publish: BadName when the name is the problem, Rejected when the
// publisher (host or passphrase) is.
const char *publish_refusal_code(const std::string &why) {
  if (why.find("host") != std::string::npos || why.find("passphrase") != std::string::npos)
    return "NetStream.Publish.Rejected";
  return "NetStream.Publish.BadName";
}

}  // namespace

RtmpConnection::RtmpConnection(RtmpServerState &state, guint64 id, GRef<GSocket> socket)
    : state_(state),
      id_(id),
      owned_socket_(std::move(socket)),
      socket_(owned_socket_.get()),
      fd_(g_socket_get_fd(socket_)),
      peer_(remote_address(socket_)) {
  created_us_ = last_read_us_ = last_write_us_ = g_get_monotonic_time();
}

RtmpConnection::~RtmpConnection() { unwatch(); }

void RtmpConnection::start() {
  g_socket_set_blocking(socket_, FALSE);
  // Whole messages are written at once; Nagle would only delay the small command replies.
  g_socket_set_option(socket_, IPPROTO_TCP, TCP_NODELAY, 1, nullptr);
  GST_DEBUG("RTMP client %s connected", peer_.c_str());
  set_reading(true);
}

void RtmpConnection::unwatch() {
  if (watched_ == 0) return;
  state_.poller.remove(fd_);
  watched_ = 0;
}

void RtmpConnection::update_watch() {
  if (closed_) return;
  const guint want = (reading_ ? G_IO_IN : 0) | (write_blocked_ ? G_IO_OUT : 0);
  if (want == watched_) return;
  if (want == 0) {
    unwatch();
    return;
  }
  const bool ok =
      watched_ == 0 ? state_.poller.add(fd_, id_, want) : state_.poller.modify(fd_, id_, want);
  if (!ok) {
    close(std::string("cannot watch the socket: ") + g_strerror(errno));
    return;
  }
  watched_ = want;
}

void RtmpConnection::set_reading(bool on) {
  if (closed_ || on == reading_) return;
  reading_ = on;
  update_watch();
}

void RtmpConnection::wait_writable(bool on) {
  if (closed_ || on == write_blocked_) return;
  write_blocked_ = on;
  update_watch();
}

void RtmpConnection::on_ready(guint events) {
  // Keeps the connection alive through the callback even if it closes itself.
  std::shared_ptr<RtmpConnection> self = shared_from_this();
  // HUP and ERR go to whichever side is watched: its read or write then fails with the reason
  // logged. An event of this wakeup may predate a change of interest: check the current one.
  const guint trouble = G_IO_HUP | G_IO_ERR;
  if ((events & (G_IO_IN | trouble)) && reading_) read_some();
  if (closed_ || !(events & (G_IO_OUT | trouble)) || !write_blocked_) return;
  try_write();
  pump_play();
}

void RtmpConnection::read_some() {
  guint8 buf[kReadSize];
  for (int i = 0; i < kReadsPerDispatch && reading_ && !closed_; i++) {
    GError *err = nullptr;
    gssize n = g_socket_receive(socket_, reinterpret_cast<gchar *>(buf), sizeof buf, nullptr, &err);
    if (n < 0) {
      if (g_error_matches(err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
        g_error_free(err);
        return;
      }
      std::string why = std::string("read failed: ") + err->message;
      g_error_free(err);
      close(why);
      return;
    }
    if (n == 0) {
      close("client closed the connection");
      return;
    }
    last_read_us_ = g_get_monotonic_time();
    bytes_read_ += static_cast<guint64>(n);
    if (!conn_.feed(buf, static_cast<size_t>(n))) {
      // Hostile or broken input ends this connection only; the reason is the parser's.
      GST_WARNING("RTMP client %s: %s; disconnecting", peer_.c_str(), conn_.error().c_str());
      process();  // sends what was answered before the error (and an ack), then closes
      close_after_flush_ = true;
      set_reading(false);
      try_write();
      return;
    }
    process();
  }
}

void RtmpConnection::process() {
  // Answering one event (accept_publish) can release held messages as new events.
  for (int round = 0; round < 64 && !closed_; round++) {
    std::vector<rtmp::Event> events = conn_.take_events();
    if (events.empty()) break;
    for (rtmp::Event &e : events) {
      handle_event(e);
      if (closed_) return;
    }
  }
  if (publish_ && !publish_->flush()) {
    close("the stream stopped taking data");
    return;
  }
  std::vector<uint8_t> out = conn_.take_output();
  if (!out.empty()) queue_output(std::move(out));
  if (closed_) return;
  if (conn_.wants_close() && !close_after_flush_) {
    // A refusal was logged where it was decided; otherwise the session cut a client that
    // flooded it while a decision was pending.
    if (!conn_.failed()) GST_INFO("RTMP client %s: the session ends the connection", peer_.c_str());
    close_after_flush_ = true;
    set_reading(false);
  }
  try_write();
}

void RtmpConnection::handle_event(rtmp::Event &e) {
  switch (e.type) {
    case rtmp::EventType::kConnect:
      // The app is the passphrase for publishers (manual 3.3.1), checked at publish time; it is
      // never logged.
      conn_.session().accept_connect();
      break;
    case rtmp::EventType::kPublish:
      begin_publish(e);
      break;
    case rtmp::EventType::kPlay:
      begin_play(e);
      break;
    case rtmp::EventType::kMedia:
      if (publish_) publish_->add(e.media);
      break;
    case rtmp::EventType::kUnpublish:
      if (publish_) {
        GST_INFO("%s: RTMP publisher %s unpublished", publish_->stream().c_str(), peer_.c_str());
        publish_->flush();
        publish_.reset();
        set_rcvlowat(1);  // commands after the media are answered at once
      }
      break;
    case rtmp::EventType::kPlayStop:
      if (play_) GST_INFO("RTMP player %s stopped", peer_.c_str());
      play_.reset();
      break;
    default:  // seek, pause, receiveAudio/Video: the session applies them to what it sends
      break;
  }
}

void RtmpConnection::begin_publish(const rtmp::Event &e) {
  PushRequest request;
  request.stream = e.stream_name;
  request.address = peer_;
  request.passphrase = conn_.session().connect_info().app;
  request.protocol = "RTMP";
  request.container_caps = "video/x-flv";
  GST_DEBUG("RTMP client %s asks to publish '%s'", peer_.c_str(), e.stream_name.c_str());
  deciding_ = true;
  set_reading(false);  // the session holds anything already read until the answer
  std::weak_ptr<RtmpConnection> weak = weak_from_this();
  state_.streams.accept_push(request, state_.context.get(),
                             [weak](std::shared_ptr<PushFeed> feed, const std::string &error) {
                               auto self = weak.lock();
                               if (!self || self->closed_) {
                                 if (feed)
                                   feed->end();  // the publisher left while we were deciding
                                 return;
                               }
                               self->publish_decided(std::move(feed), error);
                             });
}

void RtmpConnection::publish_decided(std::shared_ptr<PushFeed> feed, const std::string &error) {
  deciding_ = false;
  const std::string name = conn_.session().stream_name();
  if (!feed) {
    // The reason never contains the passphrase (StreamDirectory's contract).
    GST_WARNING("%s: RTMP push from %s refused: %s", name.c_str(), peer_.c_str(), error.c_str());
    conn_.session().reject_publish(publish_refusal_code(error), "Publish refused: " + error);
    process();
    return;
  }
  GST_INFO("%s: RTMP publisher %s accepted", name.c_str(), peer_.c_str());
  publish_ = std::make_unique<RtmpPublish>(state_.streams, std::move(feed), peer_, name);
  conn_.session().accept_publish();
  set_reading(true);
  process();
}

void RtmpConnection::begin_play(const rtmp::Event &e) {
  GST_DEBUG("RTMP client %s asks to play '%s'", peer_.c_str(), e.stream_name.c_str());
  deciding_ = true;
  set_reading(false);
  std::weak_ptr<RtmpConnection> weak = weak_from_this();
  state_.streams.request(e.stream_name, state_.context.get(), kPlayWaitMs,
                         [weak](std::shared_ptr<LiveStream> stream, const std::string &error) {
                           auto self = weak.lock();
                           if (self && !self->closed_) self->play_decided(std::move(stream), error);
                         });
}

void RtmpConnection::play_decided(std::shared_ptr<LiveStream> stream, const std::string &error) {
  deciding_ = false;
  const std::string name = conn_.session().stream_name();
  std::string reason = error;
  std::shared_ptr<Fanout> fanout;
  if (stream && !stream->live()) reason = "RTMP plays live streams only";
  if (stream && stream->live())
    fanout = stream->outputs().progressive(OutputFormat::kFLV, TrackRequest{}, &reason);
  if (!fanout) {
    bool unknown = !stream && (error.find("no stream") != std::string::npos || error.empty());
    GST_INFO("%s: RTMP play for %s refused: %s", name.c_str(), peer_.c_str(), reason.c_str());
    conn_.session().reject_play(unknown ? "NetStream.Play.StreamNotFound" : "NetStream.Play.Failed",
                                unknown ? "Stream not found" : reason);
    process();
    return;
  }
  GST_INFO("%s: RTMP player %s joined", name.c_str(), peer_.c_str());
  conn_.session().accept_play();
  std::weak_ptr<RtmpConnection> weak = weak_from_this();
  if (!state_.play_wakes) state_.play_wakes = make_play_wakes(state_.context.get());
  play_ = std::make_unique<RtmpPlay>(state_.streams, std::move(fanout), peer_, name,
                                     batched_wakeup(state_.play_wakes, [weak] {
                                       if (auto self = weak.lock()) self->pump_play();
                                     }));
  set_reading(true);
  process();
  pump_play();
}

void RtmpConnection::pump_play() {
  if (closed_ || !play_ || close_after_flush_) return;
  // The fanout wakes a player only when its queue was empty: keep refilling and writing until
  // the queue is drained or the socket is full (then on_ready() pumps again).
  for (int round = 0;; round++) {
    if (round == kPlayRoundsPerDispatch) {
      // A reader that drains as fast as we fill: let the other clients of the thread run and
      // continue from a fresh dispatch.
      std::weak_ptr<RtmpConnection> weak = weak_from_this();
      GSource *idle = g_idle_source_new();
      g_source_set_callback(
          idle,
          [](gpointer data) -> gboolean {
            if (auto self = static_cast<std::weak_ptr<RtmpConnection> *>(data)->lock())
              self->pump_play();
            return G_SOURCE_REMOVE;
          },
          new std::weak_ptr<RtmpConnection>(weak),
          [](gpointer data) { delete static_cast<std::weak_ptr<RtmpConnection> *>(data); });
      g_source_attach(idle, state_.context.get());
      g_source_unref(idle);
      return;
    }
    bool took = false;
    while (out_bytes_ < kPlayLowMark && !closed_) {
      GRef<GBytes> shared;
      if (!play_->pull_into(conn_, &shared)) break;
      took = true;
      // What the session queued before goes out first; shared chunks skip its writer.
      std::vector<uint8_t> out = shared
                                     ? conn_.take_output_then_shared(g_bytes_get_size(shared.get()))
                                     : conn_.take_output();
      if (!out.empty()) queue_output(std::move(out));
      if (shared) queue_shared(std::move(shared));
    }
    if (closed_) return;
    if (play_->closed()) {
      std::string why = play_->close_reason();
      if (play_->too_slow()) {
        close("player dropped: it does not read fast enough");
        return;
      }
      GST_INFO("RTMP player %s ends: %s", peer_.c_str(), why.c_str());
      conn_.session().end_play();
      play_.reset();
      std::vector<uint8_t> out = conn_.take_output();
      if (!out.empty()) queue_output(std::move(out));
      close_after_flush_ = true;
      set_reading(false);
      break;
    }
    try_write();
    if (closed_ || write_blocked_ || !took) return;
  }
  try_write();
}

void RtmpConnection::queue_output(std::vector<uint8_t> bytes) {
  OutPiece piece;
  piece.own = std::move(bytes);
  queue_piece(std::move(piece));
}

void RtmpConnection::queue_shared(GRef<GBytes> bytes) {
  OutPiece piece;
  piece.shared = std::move(bytes);
  queue_piece(std::move(piece));
}

void RtmpConnection::queue_piece(OutPiece piece) {
  const size_t size = piece.size();
  if (closed_ || size == 0) return;
  if (out_bytes_ + size > kMaxOutputBytes) {
    close("output queue full: the client does not read");
    return;
  }
  if (out_bytes_ == 0) last_write_us_ = g_get_monotonic_time();
  out_bytes_ += size;
  out_.push_back(std::move(piece));
}

void RtmpConnection::try_write() {
  if (closed_) return;
  while (!out_.empty()) {
    // Everything queued in one sendmsg: a player's batch is many small messages.
    constexpr int kMaxVectors = 64;
    GOutputVector vectors[kMaxVectors];
    int n = 0;
    for (auto it = out_.begin(); it != out_.end() && n < kMaxVectors; ++it, ++n) {
      const size_t skip = n == 0 ? out_offset_ : 0;
      vectors[n].buffer = it->data() + skip;
      vectors[n].size = it->size() - skip;
    }
    GError *err = nullptr;
    gssize sent = g_socket_send_message(socket_, nullptr, vectors, n, nullptr, 0, 0, nullptr, &err);
    if (sent < 0) {
      if (g_error_matches(err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
        g_error_free(err);
        wait_writable(true);
        return;
      }
      std::string why = std::string("write failed: ") + err->message;
      g_error_free(err);
      close(why);
      return;
    }
    last_write_us_ = g_get_monotonic_time();
    bytes_written_ += static_cast<guint64>(sent);
    out_bytes_ -= static_cast<size_t>(sent);
    size_t left = static_cast<size_t>(sent);
    while (left > 0) {
      const size_t front = out_.front().size() - out_offset_;
      if (left < front) {
        out_offset_ += left;
        break;
      }
      left -= front;
      out_offset_ = 0;
      out_.pop_front();
    }
  }
  wait_writable(false);
  if (close_after_flush_) close(conn_.failed() ? conn_.error() : "session ended");
}

void RtmpConnection::tick(gint64 now_us) {
  if (closed_) return;
  if (out_bytes_ > 0 && now_us - last_write_us_ > kWriteStallUs) {
    close("the client has not read for 30 s");
    return;
  }
  if (!publish_ && !play_ && !deciding_ && !close_after_flush_ && now_us - created_us_ > kIdleUs) {
    close("neither published nor played within 30 s");
    return;
  }
  if (publish_ && now_us - last_read_us_ > kPublisherSilenceUs) {
    close("the publisher sent nothing for 30 s");
    return;
  }
  if (now_us - last_report_us_ >= kReportIntervalUs) {
    last_report_us_ = now_us;
    if (publish_) publish_->report(bytes_written_, bytes_read_);
    if (play_) play_->report(bytes_written_, bytes_read_);
  }
  coalesce_reads(now_us);
}

// A publisher's software writes each audio and video message on its own (ffmpeg: ~80 a second
// for 720p30 + AAC), and each wakes this thread, then the stream's pump: that scheduling was
// most of the server's CPU for one ingest. With SO_RCVLOWAT at ~10 ms of the publisher's
// measured rate, poll() reports the socket once a video frame or a few audio frames are in:
// about one wakeup per video frame, at most one frame interval later. A message smaller than
// the mark (the last one before a pause, commands after the media) is read by this 1 s tick at
// the latest; reads themselves return whatever is there.
void RtmpConnection::coalesce_reads(gint64 now_us) {
  static const guint64 coalesce_ms = [] {
    const char *env = g_getenv("ESTUARY_RTMP_COALESCE_MS");
    return env ? g_ascii_strtoull(env, nullptr, 10) : kCoalesceMs;
  }();
  if (!publish_ || closed_ || coalesce_ms == 0) {
    set_rcvlowat(1);
    return;
  }
  if (rate_mark_us_ == 0 || now_us < rate_mark_us_) {
    rate_mark_us_ = now_us;
    rate_mark_bytes_ = bytes_read_;
    return;
  }
  const gint64 span_us = now_us - rate_mark_us_;
  if (span_us >= G_USEC_PER_SEC) {
    const guint64 per_second = (bytes_read_ - rate_mark_bytes_) * G_USEC_PER_SEC / span_us;
    rate_mark_us_ = now_us;
    rate_mark_bytes_ = bytes_read_;
    set_rcvlowat(static_cast<int>(CLAMP(per_second * coalesce_ms / 1000, 1, kMaxRcvLowat)));
  }
  if (rcvlowat_ > 1 && reading_) read_some();  // what waits below the mark
}

void RtmpConnection::set_rcvlowat(int bytes) {
  if (bytes == rcvlowat_ || closed_) return;
  // Small changes are not worth a system call.
  if (bytes > 1 && rcvlowat_ > 1 && std::abs(bytes - rcvlowat_) * 4 < rcvlowat_) return;
  GError *err = nullptr;
  if (!g_socket_set_option(socket_, SOL_SOCKET, SO_RCVLOWAT, bytes, &err)) {
    GST_DEBUG("RTMP client %s: SO_RCVLOWAT %d: %s", peer_.c_str(), bytes, err->message);
    g_error_free(err);
    return;
  }
  rcvlowat_ = bytes;
}

void RtmpConnection::close(const std::string &reason) {
  if (closed_) return;
  closed_ = true;
  GST_INFO("RTMP client %s%s%s disconnected: %s (%" G_GUINT64_FORMAT " bytes in, %" G_GUINT64_FORMAT
           " out)",
           peer_.c_str(), conn_.session().stream_name().empty() ? "" : " on ",
           conn_.session().stream_name().c_str(), reason.c_str(), bytes_read_, bytes_written_);
  unwatch();
  if (publish_) publish_->report(bytes_written_, bytes_read_);
  if (play_) play_->report(bytes_written_, bytes_read_);
  publish_.reset();  // ends the feed: the stream may wait for the publisher to come back
  play_.reset();
  out_.clear();
  out_bytes_ = 0;
  g_socket_close(socket_, nullptr);
  // Leave the server's set from a fresh dispatch: close() may run inside our own callbacks.
  struct Removal {
    RtmpServerState *state;
    guint64 id;
  };
  GSource *idle = g_idle_source_new();
  g_source_set_callback(
      idle,
      [](gpointer data) -> gboolean {
        auto *r = static_cast<Removal *>(data);
        r->state->connections.erase(r->id);
        return G_SOURCE_REMOVE;
      },
      new Removal{&state_, id_}, [](gpointer data) { delete static_cast<Removal *>(data); });
  g_source_attach(idle, state_.context.get());
  g_source_unref(idle);
}

}  // namespace estuary
