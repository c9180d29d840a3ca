// A lean HTTP/1.1 server for the media output and the API: non-blocking sockets on one
// GMainContext, keep-alive and pipelined requests answered in order, bodies sent with writev
// from shared GBytes or with sendfile from a file descriptor (segments in memfds: no copy in
// user space), single-range requests, HEAD. It replaces libsoup on the hot paths, where
// libsoup's per-message objects and signals cost more than the request itself.
//
// Threading: an Http1Server and every HttpExchange it makes belong to the context passed to
// start(); call them from that context's thread only.
#pragma once

#include <gio/gio.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/gref.h"

namespace estuary {

class Http1Connection;

// One request and its answer. The handler gets a shared_ptr; to answer later (waiting for a
// stream to start), keep it and call one of the respond*() methods then. Exactly one answer
// per exchange; the next pipelined request on the connection waits for it.
class HttpExchange : public std::enable_shared_from_this<HttpExchange> {
 public:
  // The request.
  const std::string &method() const { return method_; }     // "GET", "HEAD", ...
  const std::string &path() const { return path_; }         // percent-decoded, no query
  const std::string &raw_query() const { return query_; }   // undecoded, without '?'
  bool http10() const { return minor_version_ == 0; }
  // Decoded query parameter (application/x-www-form-urlencoded rules, '+' is a space); nullptr
  // when absent. Byte-exact: "%00" gives a NUL byte, so compare with the length, not c_str().
  const std::string *query(std::string_view name) const;
  // First header of that name (case-insensitive); nullptr when absent.
  const std::string *header(std::string_view name) const;
  const std::string &body() const { return body_; }  // Content-Length bytes; "" when none
  GSocketAddress *remote_address() const;
  GSocketAddress *local_address() const;
  std::string remote_host() const;  // "127.0.0.1", "::1"

  // False once the client went away or the exchange was answered; answering then is a no-op.
  bool alive() const;
  // Called once if the client goes away before the answer was sent (not after answering).
  void on_gone(std::function<void()> gone);

  // Response headers to add to the next answer (Content-Type, Content-Length, Connection, Date
  // and Server are the server's; anything else is sent as given).
  void add_header(std::string name, std::string value);
  // Ends the connection after this answer.
  void close_after() { close_after_ = true; }

  // Complete answers. A GET with a Range header on a 200 answer gets 206 with Content-Range (one
  // range; several or an unsatisfiable one: 416); HEAD sends the head only.
  void respond(guint status, std::string_view content_type, std::string_view body);
  void respond_bytes(guint status, std::string_view content_type, GBytes *body);
  // `length` bytes from `offset` of `fd`, sent with sendfile(); `fd` must stay open and
  // unchanged until the bytes are sent; `keep` is held until then.
  void respond_fd(guint status, std::string_view content_type, int fd, guint64 offset,
                  guint64 length, std::shared_ptr<void> keep);
  // Takes the connection over for a response that does not fit the above (live progressive
  // streams): the head is written by the caller. Never blocks: `taken` runs on the context's
  // thread once every earlier pipelined answer of the connection has been written (inside
  // steal() when none is pending, the usual case), with the connected socket (blocking mode
  // off); the server has forgotten the connection by then. It gets nullptr if the connection
  // ends first (client gone, send timeout); it is dropped uncalled if the server is destroyed
  // first. The exchange counts as answered from the call on.
  using Taken = std::function<void(GRef<GSocket> socket)>;
  void steal(Taken taken);
  // The older form: the socket when no earlier answer is still being written. Otherwise it
  // returns nullptr and the connection closes once those answers are out (no waiting here).
  GRef<GSocket> steal();

  guint64 bytes_sent() const { return bytes_sent_; }
  // One opaque slot per connection (the API keeps its login state here), freed with the
  // connection; shared by every exchange of that connection.
  std::shared_ptr<void> &connection_slot();

 private:
  friend class Http1Connection;
  std::weak_ptr<Http1Connection> connection_;
  std::string method_, path_, query_, body_;
  int minor_version_ = 1;
  std::vector<std::pair<std::string, std::string>> headers_;
  mutable std::vector<std::pair<std::string, std::string>> decoded_query_;
  mutable bool query_decoded_ = false;
  std::vector<std::pair<std::string, std::string>> response_headers_;
  std::function<void()> gone_;
  bool answered_ = false;
  bool close_after_ = false;
  guint64 bytes_sent_ = 0;
};

struct Http1Limits {
  gsize max_head_bytes = 16 * 1024;        // request line + headers; more: 431
  gsize max_body_bytes = 0;                // Content-Length above: 413; chunked body: 411
  guint head_timeout_ms = 15000;           // a request head must arrive within (slowloris)
  guint idle_timeout_ms = 60000;           // keep-alive connection without a request
  guint send_timeout_ms = 60000;           // an answer making no progress for this long
};

class Http1Server {
 public:
  using Handler = std::function<void(const std::shared_ptr<HttpExchange> &)>;
  // Formats the server's own error answers (400, 408, 411, 413, 431): status and a reason.
  // Default: text/plain with the reason.
  using ErrorPage = std::function<void(HttpExchange &, guint status, const std::string &reason)>;

  Http1Server(std::string server_header, Http1Limits limits, Handler handler,
              ErrorPage error_page = nullptr);
  ~Http1Server();  // closes the listeners and every connection it still owns
  Http1Server(const Http1Server &) = delete;
  Http1Server &operator=(const Http1Server &) = delete;

  // Listens on `address:port` (port 0: any) in `context` with a listen backlog of 1024. The
  // IPv6 wildcard also accepts IPv4 where the system allows it.
  bool listen(GMainContext *context, GInetAddress *address, guint port, GError **error);
  guint port() const;  // the first listener's port
  gsize connection_count() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace estuary
