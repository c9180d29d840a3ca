#include "servers/http1-connection.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include <gst/gst.h>


GST_DEBUG_CATEGORY_EXTERN(estuary_http1_debug);
#define GST_CAT_DEFAULT estuary_http1_debug

namespace estuary {

namespace {

constexpr gsize kReadChunk = 16 * 1024;
// Answers queued but unsent above which no further pipelined request is parsed.
constexpr guint64 kMaxQueuedBytes = 1024 * 1024;
// Pipelined bytes kept while an answer is pending; beyond it only a hang-up is watched for.
constexpr gsize kMaxBufferedWhileWaiting = 64 * 1024;
constexpr int kMaxIov = 64;
constexpr gint64 kLingerQuietMs = 2000, kLingerMaxMs = 30000;
// POLLRDHUP (Linux): the peer shut its side. GLib passes event bits to poll() unchanged.
constexpr int kHangUp = POLLRDHUP;

gint64 now_ms() { return g_get_monotonic_time() / 1000; }


}  // namespace


Http1Connection::Http1Connection(Http1Core *core, guint64 id, GRef<GSocket> socket, int fd)
    : core_(core), socket_(std::move(socket)), id_(id), fd_(fd) {
  last_read_ms_ = last_write_ms_ = request_start_ms_ = now_ms();
}

// Closing the socket also takes its fd out of the epoll set; close() and steal() remove it
// explicitly before that.
Http1Connection::~Http1Connection() = default;

void Http1Connection::start() {
  if (!core_->poller.add(fd_, id_, G_IO_IN)) {
    GST_WARNING("cannot watch a connection: %s", g_strerror(errno));
    close();
    return;
  }
  watched_ = true;
  events_ = G_IO_IN;
}

void Http1Connection::on_ready(guint events) {
  // Keeps the connection alive through the callback even if it ends itself.
  std::shared_ptr<Http1Connection> self = shared_from_this();
  try {
    on_io(static_cast<GIOCondition>(events));
  } catch (const std::exception &e) {
    GST_ERROR("connection dropped: %s", e.what());
    close();
  } catch (...) {
    GST_ERROR("connection dropped: unknown exception");
    close();
  }
}

void Http1Connection::on_io(GIOCondition revents) {
  if (closed_) return;
  if (revents & G_IO_OUT) flush();
  if (closed_) return;
  if (revents & (G_IO_IN | G_IO_HUP | G_IO_ERR | kHangUp)) {
    if (lingering_ || !(events_ & G_IO_IN)) {
      // Lingering: drop input. Not reading: a hang-up while waiting for an answer.
      if (lingering_) {
        read_some();
      } else if (revents & (G_IO_HUP | G_IO_ERR | kHangUp)) {
        peer_gone();
        return;
      }
    } else {
      read_some();
    }
  }
  if (closed_) return;
  process();
  if (!closed_) update_events();
}

void Http1Connection::read_some() {
  char buf[kReadChunk];
  for (int round = 0; round < 4; round++) {
    ssize_t n = recv(fd_, buf, sizeof buf, 0);
    if (n > 0) {
      last_read_ms_ = now_ms();
      if (lingering_) continue;  // dropped
      if (in_pos_ == in_.size()) {
        in_.clear();
        in_pos_ = 0;
        if (!reading_) request_start_ms_ = last_read_ms_;
      }
      if (discard_) continue;
      in_.append(buf, static_cast<gsize>(n));
      if (static_cast<gsize>(n) < sizeof buf) return;
      // While waiting for an answer keep at most a bounded amount of pipelined input.
      if (waiting_for_answer() && in_.size() - in_pos_ > kMaxBufferedWhileWaiting) return;
      continue;
    }
    if (n == 0) {
      if (lingering_ || discard_) {
        close();
        return;
      }
      peer_eof_ = true;
      if (waiting_for_answer()) {
        peer_gone();
      } else if (out_.empty() && !current_) {
        // Whatever complete requests are buffered still get answered (HTTP/1.0 clients that
        // half-close after sending); an incomplete one never will.
        process();
        if (!closed_ && out_.empty() && !waiting_for_answer()) close();
      }
      return;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return;
    GST_DEBUG("read error: %s", g_strerror(errno));
    if (waiting_for_answer()) {
      peer_gone();
    } else {
      close();
    }
    return;
  }
}

void Http1Connection::process() {
  if (in_process_ || closed_) return;
  in_process_ = true;
  http::HeadLimits limits;
  limits.max_bytes = core_->limits.max_head_bytes;
  while (!closed_ && !closing_ && !current_ && out_bytes_ < kMaxQueuedBytes) {
    std::string_view data(in_.data() + in_pos_, in_.size() - in_pos_);
    if (reading_) {
      if (data.size() < body_needed_) {
        if (!sent_continue_) write_continue();
        break;
      }
      reading_->body_.assign(data.data(), body_needed_);
      in_pos_ += body_needed_;
      dispatch_request(std::move(reading_));
      reading_.reset();
      continue;
    }
    if (data.empty()) break;
    http::RequestHead head;
    http::ParseResult r = http::parse_request_head(data, limits, &head);
    if (r.state == http::ParseState::kIncomplete) break;
    auto exchange = std::make_shared<HttpExchange>();
    exchange->connection_ = weak_from_this();
    if (r.state == http::ParseState::kError) {
      in_pos_ = in_.size();
      refuse(exchange, r.status, r.reason);
      break;
    }
    in_pos_ += r.consumed;
    exchange->method_ = std::move(head.method);
    exchange->path_ = std::move(head.path);
    exchange->query_ = std::move(head.query);
    exchange->minor_version_ = head.minor_version;
    exchange->headers_ = std::move(head.headers);
    keep_alive_ = head.keep_alive;
    if (head.transfer_encoding) {
      refuse(exchange, 411, "request body: send a Content-Length");
      break;
    }
    guint64 length = head.content_length.value_or(0);
    if (length > core_->limits.max_body_bytes) {
      refuse(exchange, 413, "request body: larger than " +
                                std::to_string(core_->limits.max_body_bytes) + " bytes");
      break;
    }
    if (length > 0) {
      reading_ = std::move(exchange);
      body_needed_ = length;
      sent_continue_ = !head.expect_continue;
      continue;
    }
    dispatch_request(std::move(exchange));
  }
  in_process_ = false;
  // Drop consumed input so the buffer does not grow over a long keep-alive connection.
  if (in_pos_ == in_.size()) {
    in_.clear();
    in_pos_ = 0;
  } else if (in_pos_ > kReadChunk) {
    in_.erase(0, in_pos_);
    in_pos_ = 0;
  }
  if (!closed_ && peer_eof_ && !current_ && out_.empty()) close();
}

void Http1Connection::write_continue() {
  sent_continue_ = true;
  // Queued behind any earlier answer still being written, so the order holds.
  Chunk c;
  c.text = "HTTP/1.1 100 Continue\r\n\r\n";
  c.end = c.text.size();
  out_bytes_ += c.end;
  out_.push_back(std::move(c));
  flush();
}

void Http1Connection::dispatch_request(std::shared_ptr<HttpExchange> exchange) {
  current_ = exchange;
  request_start_ms_ = now_ms();
  try {
    core_->handler(exchange);
  } catch (const std::exception &e) {
    GST_ERROR("handler of %s threw: %s", exchange->path_.c_str(), e.what());
    if (!exchange->answered_) exchange->respond(500, "text/plain", "internal error\n");
  } catch (...) {
    GST_ERROR("handler of %s threw", exchange->path_.c_str());
    if (!exchange->answered_) exchange->respond(500, "text/plain", "internal error\n");
  }
  // Answered synchronously (or stolen): the next pipelined request may be parsed.
  if (current_ && current_->answered_) current_.reset();
}

void Http1Connection::refuse(std::shared_ptr<HttpExchange> exchange, guint status,
                             const std::string &reason) {
  GST_DEBUG("refusing a request with %u: %s", status, reason.c_str());
  keep_alive_ = false;
  exchange->close_after_ = true;
  // A refused body may still arrive: read and drop it so closing does not reset the connection
  // before the client has read the answer.
  if (status == 411 || status == 413 || status == 400 || status == 431) discard_ = true;
  in_.clear();
  in_pos_ = 0;
  current_ = exchange;
  try {
    if (core_->error_page) core_->error_page(*exchange, status, reason);
  } catch (...) {
    GST_ERROR("error page threw");
  }
  if (!exchange->answered_) exchange->respond(status, "text/plain", reason + "\n");
  current_.reset();
}


void Http1Connection::flush() {
  while (!out_.empty() && !closed_) {
    Chunk &front = out_.front();
    ssize_t n;
    if (front.fd >= 0) {
      off_t offset = static_cast<off_t>(front.pos);
      gsize count = static_cast<gsize>(std::min<guint64>(front.end - front.pos, 1 << 21));
      n = sendfile(fd_, front.fd, &offset, count);
      if (n == 0) {
        GST_WARNING("sendfile: the file ended %" G_GUINT64_FORMAT " bytes early",
                    front.end - front.pos);
        close();
        return;
      }
    } else {
      struct iovec iov[kMaxIov];
      int count = 0;
      bool more = false;
      for (auto it = out_.begin(); it != out_.end() && count < kMaxIov; ++it) {
        if (it->fd >= 0) {
          more = true;  // the file follows: let the head share its first packet
          break;
        }
        const char *base = it->bytes ? static_cast<const char *>(g_bytes_get_data(it->bytes.get(), nullptr))
                                     : it->text.data();
        iov[count].iov_base = const_cast<char *>(base + it->pos);
        iov[count].iov_len = static_cast<gsize>(it->end - it->pos);
        count++;
      }
      struct msghdr msg = {};
      msg.msg_iov = iov;
      msg.msg_iovlen = static_cast<gsize>(count);
      n = sendmsg(fd_, &msg, MSG_NOSIGNAL | (more ? MSG_MORE : 0));
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      GST_DEBUG("write error: %s", g_strerror(errno));
      close();
      return;
    }
    last_write_ms_ = now_ms();
    guint64 left = static_cast<guint64>(n);
    while (left > 0 && !out_.empty()) {
      Chunk &c = out_.front();
      guint64 take = std::min(left, c.end - c.pos);
      c.pos += take;
      left -= take;
      if (c.fd < 0) out_bytes_ -= take;
      if (c.owner) c.owner->bytes_sent_ += take;
      if (c.pos == c.end) out_.pop_front();
    }
    while (!out_.empty() && out_.front().pos == out_.front().end) out_.pop_front();
  }
  if (out_.empty() && !closed_) finish_output();
}

void Http1Connection::finish_output() {
  if (steal_taken_) {
    complete_steal();
    return;
  }
  if (!closing_ || lingering_) return;
  if (!discard_ && in_pos_ == in_.size()) {
    close();
    return;
  }
  // Shut our side and drop what the client still sends, so its unread input does not turn our
  // close into a reset that destroys the answer in flight.
  ::shutdown(fd_, SHUT_WR);
  lingering_ = true;
  linger_start_ms_ = last_read_ms_ = now_ms();
  in_.clear();
  in_pos_ = 0;
}

void Http1Connection::update_events() {
  if (closed_ || !watched_) return;
  int want = 0;
  if (!out_.empty()) want |= G_IO_OUT;
  if (steal_taken_) {
    // Only the earlier answers are written; what follows on the socket is the stealer's. A client
    // that left shows as a write error or the send timeout.
  } else if (lingering_) {
    want |= G_IO_IN;
  } else if (waiting_for_answer()) {
    // Watch for the client leaving; keep reading pipelined requests within a bound.
    want |= kHangUp;
    if (in_.size() - in_pos_ <= kMaxBufferedWhileWaiting && !peer_eof_) want |= G_IO_IN;
  } else if (!closing_ && !peer_eof_ && out_bytes_ < kMaxQueuedBytes) {
    want |= G_IO_IN;
  } else if (discard_ && !peer_eof_) {
    want |= G_IO_IN;
  }
  auto wanted = static_cast<GIOCondition>(want);
  if (wanted != events_) {
    if (!core_->poller.modify(fd_, id_, wanted)) {
      GST_WARNING("cannot watch a connection: %s", g_strerror(errno));
      close();
      return;
    }
    events_ = wanted;
  }
}

void Http1Connection::peer_gone() {
  if (closed_) return;
  GST_DEBUG("client went away while its answer was pending");
  close();
}

void Http1Connection::close() {
  if (closed_) return;
  closed_ = true;
  std::shared_ptr<Http1Connection> self = shared_from_this();
  if (watched_) {
    core_->poller.remove(fd_);
    watched_ = false;
  }
  std::shared_ptr<HttpExchange> pending = std::move(current_);
  if (!pending && reading_) pending = std::move(reading_);
  HttpExchange::Taken taken = std::move(steal_taken_);
  steal_taken_ = nullptr;
  out_.clear();
  socket_.reset();
  core_->forget(id_);
  if (pending && !pending->answered_ && pending->gone_) {
    auto gone = std::move(pending->gone_);
    pending->gone_ = nullptr;
    pending->answered_ = true;
    try {
      gone();
    } catch (...) {
      GST_ERROR("on_gone callback threw");
    }
  }
  if (taken) {
    try {
      taken(nullptr);
    } catch (...) {
      GST_ERROR("steal callback threw");
    }
  }
}

void Http1Connection::shutdown_now() {
  if (current_) current_->gone_ = nullptr;
  if (reading_) reading_->gone_ = nullptr;
  steal_taken_ = nullptr;
  close();
}

void Http1Connection::tick(gint64 now) {
  if (closed_) return;
  const Http1Limits &l = core_->limits;
  if (lingering_) {
    if (now - last_read_ms_ > kLingerQuietMs || now - linger_start_ms_ > kLingerMaxMs) close();
    return;
  }
  if (!out_.empty()) {
    if (now - last_write_ms_ > static_cast<gint64>(l.send_timeout_ms)) {
      GST_DEBUG("send timeout");
      close();
    }
    return;
  }
  if (waiting_for_answer()) return;  // deferred answers wait as long as their handler wants
  bool partial = reading_ || in_pos_ < in_.size();
  if (partial) {
    gint64 limit = reading_ ? l.idle_timeout_ms : l.head_timeout_ms;
    gint64 since = reading_ ? last_read_ms_ : request_start_ms_;
    if (now - since > limit) {
      auto exchange = reading_ ? reading_ : std::make_shared<HttpExchange>();
      reading_.reset();
      exchange->connection_ = weak_from_this();
      refuse(exchange, 408, "request: not received in time");
      if (!closed_) update_events();
    }
    return;
  }
  gint64 limit = served_ ? l.idle_timeout_ms : l.head_timeout_ms;
  if (now - std::max(last_read_ms_, last_write_ms_) > limit) close();
}

bool Http1Connection::exchange_alive(const HttpExchange &ex) const {
  return !closed_ && !ex.answered_;
}

void Http1Connection::steal(HttpExchange &ex, HttpExchange::Taken taken) {
  if (closed_ || ex.answered_) {
    if (taken) taken(nullptr);
    return;
  }
  ex.answered_ = true;
  ex.gone_ = nullptr;
  if (current_.get() == &ex) current_.reset();
  // No further request is read: the bytes after this one belong to the stealer's protocol.
  closing_ = true;
  steal_taken_ = taken ? std::move(taken) : [](GRef<GSocket>) {};
  std::shared_ptr<Http1Connection> self = shared_from_this();
  // Hands the socket over now when nothing earlier is queued (finish_output), else once the
  // earlier pipelined answers are written: the context never waits on this client.
  flush();
  if (!closed_) update_events();
}

GRef<GSocket> Http1Connection::steal(HttpExchange &ex) {
  GRef<GSocket> got;
  bool called = false;
  steal(ex, [&got, &called](GRef<GSocket> socket) {
    got = std::move(socket);
    called = true;
  });
  // Earlier answers still queued: this form cannot wait for them, so the connection just ends
  // after them (closing_ is set) and the caller gets nullptr.
  if (!called) steal_taken_ = nullptr;
  return got;
}

void Http1Connection::complete_steal() {
  std::shared_ptr<Http1Connection> self = shared_from_this();
  HttpExchange::Taken taken = std::move(steal_taken_);
  steal_taken_ = nullptr;
  if (watched_) {
    core_->poller.remove(fd_);
    watched_ = false;
  }
  GRef<GSocket> socket = std::move(socket_);
  closed_ = true;
  current_.reset();
  reading_.reset();
  core_->forget(id_);
  try {
    taken(std::move(socket));
  } catch (...) {
    GST_ERROR("steal callback threw");
  }
}

GSocketAddress *Http1Connection::remote_address() {
  if (!remote_ && socket_) remote_ = GRef<GSocketAddress>::adopt(g_socket_get_remote_address(socket_.get(), nullptr));
  return remote_.get();
}

GSocketAddress *Http1Connection::local_address() {
  if (!local_ && socket_) local_ = GRef<GSocketAddress>::adopt(g_socket_get_local_address(socket_.get(), nullptr));
  return local_.get();
}

const std::string &Http1Connection::remote_host() {
  if (remote_host_.empty()) {
    GSocketAddress *a = remote_address();
    if (a && G_IS_INET_SOCKET_ADDRESS(a)) {
      GCharPtr text(g_inet_address_to_string(g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(a))));
      remote_host_ = text.get();
    }
  }
  return remote_host_;
}

}  // namespace estuary
