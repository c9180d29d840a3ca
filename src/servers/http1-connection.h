// One client connection of an Http1Server: reads and parses request heads, runs the handler,
// queues answers in order and writes them with sendmsg/sendfile as the socket allows. Internal
// to http1-*.cpp; the public surface is http1-server.h. Context thread only.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <unordered_map>

#include "protocols/http/request-head.h"
#include "servers/epoll-poller.h"
#include "servers/http1-server.h"

namespace estuary {

// What a connection needs of its server; Http1Server::Impl is one.
struct Http1Core {
  std::string server_line;  // "Server: ...\r\n"
  Http1Limits limits;
  Http1Server::Handler handler;
  Http1Server::ErrorPage error_page;
  GMainContext *context = nullptr;
  // Watches every connection's socket; the key of each is the connection's id.
  EpollPoller poller;
  // Every live connection by id, owned here; a connection removes itself when it ends. Ids are
  // never reused, so an event for a connection that ended meanwhile finds nothing.
  std::unordered_map<guint64, std::shared_ptr<Http1Connection>> connections;
  guint64 next_id = 1;

  // "Date: <IMF-fixdate>\r\n", formatted at most once a second.
  const std::string &date_line();
  void forget(guint64 id) { connections.erase(id); }

 private:
  gint64 date_second_ = -1;
  std::string date_line_;
};

// An answer's body before it is queued.
struct Http1Body {
  std::string_view text;           // copied when queued
  GBytes *bytes = nullptr;         // transfer none (ref taken when queued)
  int fd = -1;                     // with offset/length
  guint64 offset = 0, length = 0;
  std::shared_ptr<void> keep;      // held until the fd's bytes are sent
  guint64 size() const {
    if (bytes) return g_bytes_get_size(bytes);
    if (fd >= 0) return length;
    return text.size();
  }
};

class Http1Connection : public std::enable_shared_from_this<Http1Connection> {
 public:
  Http1Connection(Http1Core *core, guint64 id, GRef<GSocket> socket, int fd);
  ~Http1Connection();
  Http1Connection(const Http1Connection &) = delete;
  Http1Connection &operator=(const Http1Connection &) = delete;

  void start();              // watched by the core's poller from now on
  void on_ready(guint events);  // the poller's report for this connection's socket
  void tick(gint64 now_ms);  // the server's coarse timer: timeouts
  void shutdown_now();       // the server is going away: no gone callbacks

  // From HttpExchange.
  void answer(HttpExchange &exchange, guint status, std::string_view content_type, Http1Body body);
  void steal(HttpExchange &exchange, HttpExchange::Taken taken);
  GRef<GSocket> steal(HttpExchange &exchange);
  bool exchange_alive(const HttpExchange &exchange) const;
  GSocketAddress *remote_address();
  GSocketAddress *local_address();
  const std::string &remote_host();
  std::shared_ptr<void> &slot() { return slot_; }

 private:
  struct Chunk {
    std::string text;    // owned bytes, or
    GRef<GBytes> bytes;  // shared bytes, or
    int fd = -1;         // a file range sent with sendfile
    guint64 pos = 0;     // bytes of this chunk already sent (fd: the file offset)
    guint64 end = 0;     // text/bytes: size; fd: end offset
    std::shared_ptr<void> keep;
    std::shared_ptr<HttpExchange> owner;  // counts bytes_sent
  };

  void on_io(GIOCondition revents);
  void read_some();
  void process();
  void dispatch_request(std::shared_ptr<HttpExchange> exchange);
  void refuse(std::shared_ptr<HttpExchange> exchange, guint status, const std::string &reason);
  void flush();
  void finish_output();
  void complete_steal();
  void update_events();
  void close();
  void peer_gone();
  void write_continue();
  bool waiting_for_answer() const { return current_ && !current_->answered_; }

  Http1Core *core_;
  GRef<GSocket> socket_;
  guint64 id_;
  int fd_;
  bool watched_ = false;  // in the core's poller
  GIOCondition events_ = static_cast<GIOCondition>(0);

  std::string in_;    // received, not yet consumed from in_pos_
  gsize in_pos_ = 0;
  std::shared_ptr<HttpExchange> reading_;  // head parsed, body still arriving
  guint64 body_needed_ = 0;
  bool sent_continue_ = false;
  std::shared_ptr<HttpExchange> current_;  // handed to the handler, not yet answered
  bool keep_alive_ = true;                 // of the request being answered

  std::deque<Chunk> out_;
  guint64 out_bytes_ = 0;
  bool closing_ = false;    // no more requests: close once out_ is written
  bool discard_ = false;    // refused a body: read and drop what follows before closing
  bool lingering_ = false;  // write side shut, dropping input until the peer closes
  bool peer_eof_ = false;
  bool closed_ = false;
  bool in_process_ = false;
  bool served_ = false;  // answered at least one request (idle vs head timeout)
  // Set by steal() while earlier answers are still being written; runs once they are.
  HttpExchange::Taken steal_taken_;

  gint64 last_read_ms_ = 0, last_write_ms_ = 0, request_start_ms_ = 0, linger_start_ms_ = 0;
  GRef<GSocketAddress> remote_, local_;
  std::string remote_host_;
  std::shared_ptr<void> slot_;
};

}  // namespace estuary
