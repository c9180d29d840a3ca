// Http1Server over real sockets on 127.0.0.1: the server runs on its own GMainContext in a
// thread; the test is the client, with blocking sockets under a receive timeout.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gst/gst.h>

#include <atomic>
#include <map>
#include <string>

#include "servers/http1-server.h"

using namespace estuary;

namespace {

constexpr gint64 kDeadlineUs = 10 * G_USEC_PER_SEC;

struct Server {
  GMainContext *context = g_main_context_new();
  GThread *thread = nullptr;
  std::atomic<bool> stop{false};
  std::unique_ptr<Http1Server> http;
  // Touched on the server thread only, read by the test after polling the atomics.
  std::shared_ptr<HttpExchange> deferred;
  std::atomic<bool> have_deferred{false}, gone{false}, stolen_ready{false};
  // steal(): the handler returned / the socket never came / the old form gave nullptr.
  std::atomic<bool> steal_called{false}, steal_null{false}, old_null{false};
  GRef<GSocket> stolen;
  int memfd = -1;
  int big_memfd = -1;  // `big` again, for sendfile answers (not counted as queued memory)
  std::string fd_content;
  GRef<GBytes> big;

  explicit Server(Http1Limits limits) {
    fd_content.resize(100000);
    for (gsize i = 0; i < fd_content.size(); i++) fd_content[i] = static_cast<char>('a' + i % 23);
    memfd = memfd_create("test", MFD_CLOEXEC);
    g_assert_cmpint(write(memfd, fd_content.data(), fd_content.size()), ==, fd_content.size());
    std::string b(20 * 1024 * 1024, '\0');
    for (gsize i = 0; i < b.size(); i++) b[i] = static_cast<char>(i * 7 / 5);
    big = GRef<GBytes>::adopt(g_bytes_new(b.data(), b.size()));
    big_memfd = memfd_create("test-big", MFD_CLOEXEC);
    g_assert_cmpint(write(big_memfd, b.data(), b.size()), ==, b.size());
    http = std::make_unique<Http1Server>("estuary-test", limits,
                                         [this](const auto &ex) { handle(ex); });
    GRef<GInetAddress> lo = GRef<GInetAddress>::adopt(g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4));
    GError *error = nullptr;
    g_assert_true(http->listen(context, lo.get(), 0, &error));
    g_assert_no_error(error);
    thread = g_thread_new("http1-test", [](gpointer p) -> gpointer {
      auto *s = static_cast<Server *>(p);
      g_main_context_push_thread_default(s->context);
      while (!s->stop) g_main_context_iteration(s->context, TRUE);
      g_main_context_pop_thread_default(s->context);
      return nullptr;
    }, this);
  }
  ~Server() {
    stop = true;
    g_main_context_wakeup(context);
    g_thread_join(thread);
    deferred.reset();
    http.reset();
    stolen.reset();
    close(memfd);
    close(big_memfd);
    g_main_context_unref(context);
  }
  guint port() const { return http->port(); }

  void handle(const std::shared_ptr<HttpExchange> &ex) {
    const std::string &p = ex->path();
    if (p == "/defer") {
      ex->on_gone([this] { gone = true; });
      deferred = ex;
      have_deferred = true;
    } else if (p == "/fd") {
      ex->respond_fd(200, "application/octet-stream", memfd, 0, fd_content.size(), nullptr);
    } else if (p == "/bigfd") {
      ex->respond_fd(200, "application/octet-stream", big_memfd, 0, g_bytes_get_size(big.get()),
                     nullptr);
    } else if (p == "/big") {
      ex->respond_bytes(200, "application/octet-stream", big.get());
    } else if (p == "/echo") {
      ex->respond(200, "text/plain", ex->body());
    } else if (p == "/slot") {
      auto &slot = ex->connection_slot();
      if (!slot) slot = std::make_shared<int>(0);
      int n = ++*static_cast<int *>(slot.get());
      ex->respond(200, "text/plain", std::to_string(n));
    } else if (p == "/steal") {
      ex->steal([this](GRef<GSocket> socket) {
        if (!socket) {
          steal_null = true;
          return;
        }
        stolen = std::move(socket);
        const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nstolen\n";
        g_socket_send(stolen.get(), head, sizeof head - 1, nullptr, nullptr);
        stolen_ready = true;
      });
      steal_called = true;
    } else if (p == "/steal-old") {
      GRef<GSocket> socket = ex->steal();
      if (!socket) old_null = true;
      steal_called = true;
    } else {
      const std::string *x = ex->query("x");
      ex->add_header("X-Test", "yes");
      ex->respond(200, "text/plain", "hello " + p + " " + (x ? *x : "-"));
    }
  }
};

bool wait_for(const std::atomic<bool> &flag) {
  gint64 end = g_get_monotonic_time() + kDeadlineUs;
  while (!flag && g_get_monotonic_time() < end) g_usleep(2000);
  return flag;
}

struct Response {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

class Client {
 public:
  explicit Client(guint port, int rcvbuf = 0) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    if (rcvbuf) setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    struct timeval tv = {10, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in a = {};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    g_assert_cmpint(connect(fd_, reinterpret_cast<sockaddr *>(&a), sizeof a), ==, 0);
  }
  ~Client() {
    if (fd_ >= 0) close(fd_);
  }
  int fd() const { return fd_; }
  void send(const std::string &s) {
    g_assert_cmpint(::send(fd_, s.data(), s.size(), MSG_NOSIGNAL), ==, s.size());
  }
  // Reads until `n` bytes are buffered; false on EOF or timeout.
  bool fill(gsize n, gsize chunk = 65536) {
    while (buf_.size() < n) {
      char tmp[65536];
      ssize_t r = recv(fd_, tmp, std::min(chunk, sizeof tmp), 0);
      if (r <= 0) return false;
      buf_.append(tmp, static_cast<gsize>(r));
    }
    return true;
  }
  bool at_eof() {
    char c;
    return buf_.empty() && recv(fd_, &c, 1, 0) == 0;
  }
  Response read_response(bool head_request = false, gsize chunk = 65536) {
    Response r;
    gsize end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill(buf_.size() + 1, chunk)) g_error("no response head; got '%s'", buf_.c_str());
    }
    std::string head = buf_.substr(0, end);
    buf_.erase(0, end + 4);
    gsize line_end = head.find("\r\n");
    std::string status_line = head.substr(0, line_end);
    r.status = atoi(status_line.c_str() + 9);
    while (line_end != std::string::npos) {
      gsize next = head.find("\r\n", line_end + 2);
      std::string line = head.substr(line_end + 2, next == std::string::npos ? std::string::npos
                                                                               : next - line_end - 2);
      gsize colon = line.find(':');
      if (colon != std::string::npos) {
        GCharPtr lower(g_ascii_strdown(line.substr(0, colon).c_str(), -1));
        r.headers[lower.get()] = line.substr(colon + 2);
      }
      line_end = next;
    }
    if (r.status == 100) return r;
    gsize length = r.headers.count("content-length") ? std::stoull(r.headers["content-length"]) : 0;
    if (head_request) length = 0;
    g_assert_true(fill(length, chunk));
    r.body = buf_.substr(0, length);
    buf_.erase(0, length);
    return r;
  }

 private:
  int fd_;
  std::string buf_;
};

std::string get(const std::string &path, const std::string &extra = "") {
  return "GET " + path + " HTTP/1.1\r\nHost: x\r\n" + extra + "\r\n";
}

void test_keepalive_pipelining() {
  Http1Limits limits;
  limits.max_body_bytes = 1024;  // default 0: no request bodies at all
  Server s{limits};
  Client c(s.port());
  c.send(get("/a?x=1+2%21") + "HEAD /b HTTP/1.1\r\nHost: x\r\n\r\n" + get("/c%20d") +
         "POST /echo HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello" + get("/slot") + get("/slot"));
  Response a = c.read_response();
  g_assert_cmpint(a.status, ==, 200);
  g_assert_cmpstr(a.body.c_str(), ==, "hello /a 1 2!");
  g_assert_cmpstr(a.headers["server"].c_str(), ==, "estuary-test");
  g_assert_cmpstr(a.headers["x-test"].c_str(), ==, "yes");
  g_assert_true(g_str_has_suffix(a.headers["date"].c_str(), " GMT"));
  g_assert_cmpuint(a.headers["date"].size(), ==, 29);
  Response b = c.read_response(true);
  g_assert_cmpint(b.status, ==, 200);
  g_assert_cmpstr(b.headers["content-length"].c_str(), ==, "10");  // "hello /b -"
  Response d = c.read_response();
  g_assert_cmpstr(d.body.c_str(), ==, "hello /c d -");
  Response e = c.read_response();
  g_assert_cmpstr(e.body.c_str(), ==, "hello");
  g_assert_cmpstr(c.read_response().body.c_str(), ==, "1");
  g_assert_cmpstr(c.read_response().body.c_str(), ==, "2");
  g_assert_false(a.headers.count("connection"));
}

void test_http10() {
  Server s{Http1Limits{}};
  {
    Client c(s.port());
    c.send("GET /x HTTP/1.0\r\n\r\n");
    Response r = c.read_response();
    g_assert_cmpint(r.status, ==, 200);
    g_assert_cmpstr(r.headers["connection"].c_str(), ==, "close");
    g_assert_true(c.at_eof());
  }
  Client c(s.port());
  c.send("GET /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  Response r = c.read_response();
  g_assert_cmpint(r.status, ==, 200);
  g_assert_cmpstr(r.headers["connection"].c_str(), ==, "keep-alive");
  c.send("GET /y HTTP/1.1\r\nConnection: close\r\n\r\n");
  r = c.read_response();
  g_assert_cmpstr(r.body.c_str(), ==, "hello /y -");
  g_assert_true(c.at_eof());
}

void test_range() {
  Server s{Http1Limits{}};
  Client c(s.port());
  c.send(get("/r", "Range: bytes=0-4\r\n"));
  Response r = c.read_response();
  g_assert_cmpint(r.status, ==, 206);
  g_assert_cmpstr(r.body.c_str(), ==, "hello");
  g_assert_cmpstr(r.headers["content-range"].c_str(), ==, "bytes 0-4/10");
  c.send(get("/r", "Range: bytes=-2\r\n"));
  g_assert_cmpstr(c.read_response().body.c_str(), ==, " -");
  c.send(get("/r", "Range: bytes=10-\r\n"));
  r = c.read_response();
  g_assert_cmpint(r.status, ==, 416);
  g_assert_cmpstr(r.headers["content-range"].c_str(), ==, "bytes */10");
  c.send(get("/r", "Range: bytes=0-1,3-4\r\n"));
  g_assert_cmpint(c.read_response().status, ==, 416);
  c.send(get("/r", "Range: lines=1-2\r\n"));
  g_assert_cmpint(c.read_response().status, ==, 200);
  // From a file descriptor (sendfile) and from shared bytes.
  c.send(get("/fd", "Range: bytes=99990-\r\n"));
  r = c.read_response();
  g_assert_cmpint(r.status, ==, 206);
  g_assert_true(r.body == s.fd_content.substr(99990));
  c.send(get("/big", "Range: bytes=1000-1999\r\n"));
  r = c.read_response();
  g_assert_cmpuint(r.body.size(), ==, 1000);
  g_assert_true(memcmp(r.body.data(),
                       static_cast<const char *>(g_bytes_get_data(s.big.get(), nullptr)) + 1000,
                       1000) == 0);
}

void test_fd() {
  Server s{Http1Limits{}};
  Client c(s.port());
  c.send(get("/fd") + get("/fd") + "HEAD /fd HTTP/1.1\r\n\r\n");
  for (int i = 0; i < 2; i++) {
    Response r = c.read_response();
    g_assert_cmpint(r.status, ==, 200);
    g_assert_true(r.body == s.fd_content);
  }
  Response h = c.read_response(true);
  g_assert_cmpstr(h.headers["content-length"].c_str(), ==, "100000");
  c.send(get("/after"));
  g_assert_cmpstr(c.read_response().body.c_str(), ==, "hello /after -");
}

void test_big_slow_reader() {
  Server s{Http1Limits{}};
  Client c(s.port(), 4096);
  c.send(get("/big") + get("/tail"));
  // Small reads against a small receive buffer: the server meets EAGAIN many times.
  Response r = c.read_response(false, 4096);
  g_assert_cmpuint(r.body.size(), ==, 20 * 1024 * 1024);
  g_assert_true(memcmp(r.body.data(), g_bytes_get_data(s.big.get(), nullptr), r.body.size()) == 0);
  g_assert_cmpstr(c.read_response().body.c_str(), ==, "hello /tail -");
}

void test_deferred_gone() {
  Server s{Http1Limits{}};
  {
    Client c(s.port());
    c.send(get("/defer"));
    g_assert_true(wait_for(s.have_deferred));
  }
  g_assert_true(wait_for(s.gone));
  // Answering the stale exchange on its thread is a no-op.
  std::atomic<bool> done{false};
  struct Ctx {
    Server *s;
    std::atomic<bool> *done;
    bool alive;
  } ctx{&s, &done, true};
  g_main_context_invoke(s.context, [](gpointer p) -> gboolean {
    auto *x = static_cast<Ctx *>(p);
    x->alive = x->s->deferred->alive();
    x->s->deferred->respond(200, "text/plain", "late");
    *x->done = true;
    return G_SOURCE_REMOVE;
  }, &ctx);
  g_assert_true(wait_for(done));
  g_assert_false(ctx.alive);
  // A deferred answer on a live connection still arrives, and the next request follows it.
  s.have_deferred = false;
  Client c(s.port());
  c.send(get("/defer") + get("/next"));
  g_assert_true(wait_for(s.have_deferred));
  done = false;
  g_main_context_invoke(s.context, [](gpointer p) -> gboolean {
    auto *x = static_cast<Ctx *>(p);
    x->s->deferred->respond(200, "text/plain", "late");
    *x->done = true;
    return G_SOURCE_REMOVE;
  }, &ctx);
  g_assert_cmpstr(c.read_response().body.c_str(), ==, "late");
  g_assert_cmpstr(c.read_response().body.c_str(), ==, "hello /next -");
}

void test_limits() {
  Http1Limits limits;
  limits.max_head_bytes = 1024;
  limits.max_body_bytes = 10;
  limits.head_timeout_ms = 300;
  Server s{limits};
  {
    Client c(s.port());
    c.send(get("/x", "X-Big: " + std::string(2000, 'a') + "\r\n"));
    Response r = c.read_response();
    g_assert_cmpint(r.status, ==, 431);
    g_assert_cmpstr(r.headers["connection"].c_str(), ==, "close");
  }
  {
    Client c(s.port());
    c.send("POST /echo HTTP/1.1\r\nContent-Length: 11\r\n\r\n");
    g_assert_cmpint(c.read_response().status, ==, 413);
  }
  {
    Client c(s.port());
    c.send("POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
    g_assert_cmpint(c.read_response().status, ==, 411);
    g_assert_true(c.at_eof());
  }
  {
    Client c(s.port());
    c.send("GET /x HTTP/1.1\r\nHost: sl");  // and nothing more: slowloris
    gint64 start = g_get_monotonic_time();
    Response r = c.read_response();
    g_assert_cmpint(r.status, ==, 408);
    g_assert_cmpint(g_get_monotonic_time() - start, <, 5 * G_USEC_PER_SEC);
    g_assert_true(c.at_eof());
  }
  {
    // Expect: 100-continue within the limit: 100 first, then the answer.
    Client c(s.port());
    c.send("POST /echo HTTP/1.1\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
    g_assert_cmpint(c.read_response().status, ==, 100);
    c.send("body");
    g_assert_cmpstr(c.read_response().body.c_str(), ==, "body");
  }
  {
    Client c(s.port());
    c.send("GET /%00 HTTP/1.1\r\n\r\n");
    g_assert_cmpint(c.read_response().status, ==, 400);
  }
}

void test_steal() {
  Server s{Http1Limits{}};
  Client c(s.port());
  c.send(get("/x") + get("/steal"));
  g_assert_cmpstr(c.read_response().body.c_str(), ==, "hello /x -");
  g_assert_true(wait_for(s.stolen_ready));
  Response r = c.read_response();
  g_assert_cmpstr(r.headers["content-type"].c_str(), ==, "text/plain");
  g_assert_true(c.fill(7));
  // The server forgot the connection; the socket is the caller's and works both ways.
  std::atomic<bool> counted{false};
  gsize count = 99;
  struct Ctx {
    Server *s;
    gsize *count;
    std::atomic<bool> *done;
  } ctx{&s, &count, &counted};
  g_main_context_invoke(s.context, [](gpointer p) -> gboolean {
    auto *x = static_cast<Ctx *>(p);
    *x->count = x->s->http->connection_count();
    *x->done = true;
    return G_SOURCE_REMOVE;
  }, &ctx);
  g_assert_true(wait_for(counted));
  g_assert_cmpuint(count, ==, 0);
  c.send("ping");
  g_assert_false(g_socket_get_blocking(s.stolen.get()));
  char buf[8] = {};
  GError *error = nullptr;
  g_assert_true(g_socket_condition_timed_wait(s.stolen.get(), G_IO_IN, kDeadlineUs, nullptr, &error));
  g_assert_cmpint(g_socket_receive(s.stolen.get(), buf, sizeof buf, nullptr, &error), ==, 4);
  g_assert_cmpstr(buf, ==, "ping");
}

// A steal behind a 20 MB answer the client is not reading yet: the server thread goes on serving
// others, and the socket is handed over only after the whole earlier answer.
void test_steal_behind_big_answer() {
  Server s{Http1Limits{}};
  Client c(s.port(), 4096);
  c.send(get("/bigfd") + get("/steal"));
  g_assert_true(wait_for(s.steal_called));
  g_assert_false(s.stolen_ready);
  {
    Client other(s.port());
    other.send(get("/meanwhile"));
    Response meanwhile = other.read_response();
    g_assert_cmpstr(meanwhile.body.c_str(), ==, "hello /meanwhile -");
  }
  g_assert_false(s.stolen_ready);
  Response big = c.read_response();
  g_assert_cmpuint(big.body.size(), ==, g_bytes_get_size(s.big.get()));
  g_assert_true(memcmp(big.body.data(), g_bytes_get_data(s.big.get(), nullptr), big.body.size()) == 0);
  g_assert_true(wait_for(s.stolen_ready));
  Response r = c.read_response();
  g_assert_cmpstr(r.headers["content-type"].c_str(), ==, "text/plain");
  g_assert_false(s.steal_null);
}

// The client leaves while the earlier answer is still queued: the stealer gets nullptr.
void test_steal_client_gone() {
  Server s{Http1Limits{}};
  {
    Client c(s.port(), 4096);
    c.send(get("/bigfd") + get("/steal"));
    g_assert_true(wait_for(s.steal_called));
  }
  g_assert_true(wait_for(s.steal_null));
  g_assert_false(s.stolen_ready);
}

// The old form cannot wait: nullptr, and the connection ends after the earlier answer.
void test_steal_old_form_pending() {
  Server s{Http1Limits{}};
  Client c(s.port(), 4096);
  c.send(get("/bigfd") + get("/steal-old") + get("/after"));
  g_assert_true(wait_for(s.steal_called));
  g_assert_true(s.old_null);
  Response big = c.read_response();
  g_assert_cmpuint(big.body.size(), ==, g_bytes_get_size(s.big.get()));
  g_assert_true(c.at_eof());
}

bool answers(GSocketFamily family, guint port) {
  GRef<GSocket> s = GRef<GSocket>::adopt(g_socket_new(family, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, nullptr));
  GRef<GInetAddress> lo = GRef<GInetAddress>::adopt(g_inet_address_new_loopback(family));
  GRef<GSocketAddress> sa = GRef<GSocketAddress>::adopt(g_inet_socket_address_new(lo.get(), static_cast<guint16>(port)));
  g_socket_set_timeout(s.get(), 10);
  if (!g_socket_connect(s.get(), sa.get(), nullptr, nullptr)) return false;
  std::string req = get("/dual");
  g_socket_send(s.get(), req.data(), req.size(), nullptr, nullptr);
  char buf[512] = {};
  gssize n = g_socket_receive(s.get(), buf, sizeof buf - 1, nullptr, nullptr);
  return n > 0 && strstr(buf, "hello /dual") != nullptr;
}

void test_wildcards() {
  GRef<GInetAddress> v6 = GRef<GInetAddress>::adopt(g_inet_address_new_any(G_SOCKET_FAMILY_IPV6));
  GRef<GInetAddress> v4 = GRef<GInetAddress>::adopt(g_inet_address_new_any(G_SOCKET_FAMILY_IPV4));
  {
    // "::" alone takes IPv4 too (where the host has IPv6 at all).
    Server s{Http1Limits{}};
    Http1Server only6("t", Http1Limits{}, [](const auto &ex) { ex->respond(200, "text/plain", "hello /dual"); });
    GError *error = nullptr;
    if (!only6.listen(s.context, v6.get(), 0, &error)) {
      g_test_skip("no IPv6 on this host");
      g_error_free(error);
      return;
    }
    // The server thread iterates s.context; only6 lives there too.
    g_assert_true(answers(G_SOCKET_FAMILY_IPV4, only6.port()));
    g_assert_true(answers(G_SOCKET_FAMILY_IPV6, only6.port()));
    s.stop = true;
    g_main_context_wakeup(s.context);
    g_thread_join(s.thread);
    s.thread = g_thread_new("noop", [](gpointer) -> gpointer { return nullptr; }, nullptr);
  }
  // "0.0.0.0" then "::" on the same port (as the media listeners do): both bind.
  Server s{Http1Limits{}};
  Http1Server both("t", Http1Limits{}, [](const auto &ex) { ex->respond(200, "text/plain", "hello /dual"); });
  GError *error = nullptr;
  g_assert_true(both.listen(s.context, v4.get(), 0, &error));
  g_assert_true(both.listen(s.context, v6.get(), both.port(), &error));
  g_assert_no_error(error);
  g_assert_true(answers(G_SOCKET_FAMILY_IPV4, both.port()));
  g_assert_true(answers(G_SOCKET_FAMILY_IPV6, both.port()));
  s.stop = true;
  g_main_context_wakeup(s.context);
  g_thread_join(s.thread);
  s.thread = g_thread_new("noop", [](gpointer) -> gpointer { return nullptr; }, nullptr);
}

}  // namespace

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  g_test_init(&argc, &argv, nullptr);
  g_test_add_func("/http1-server/keepalive-pipelining", test_keepalive_pipelining);
  g_test_add_func("/http1-server/http10", test_http10);
  g_test_add_func("/http1-server/range", test_range);
  g_test_add_func("/http1-server/fd", test_fd);
  g_test_add_func("/http1-server/big-slow-reader", test_big_slow_reader);
  g_test_add_func("/http1-server/deferred-gone", test_deferred_gone);
  g_test_add_func("/http1-server/limits", test_limits);
  g_test_add_func("/http1-server/steal", test_steal);
  g_test_add_func("/http1-server/steal-behind-big-answer", test_steal_behind_big_answer);
  g_test_add_func("/http1-server/steal-client-gone", test_steal_client_gone);
  g_test_add_func("/http1-server/steal-old-form-pending", test_steal_old_form_pending);
  g_test_add_func("/http1-server/wildcards", test_wildcards);
  return g_test_run();
}
