// Light viewer load: N concurrent RTMP or HTTP-FLV players on one epoll loop, counting media bytes.
//
//   reader --proto rtmp|flv|ts --host 127.0.0.1 --port P --app live --stream NAME --clients N
//          --bitrate BITS_PER_S [--connect-timeout S] [--warmup S] [--window S] [--stall S]
//
// Prints "WINDOW_START" and "WINDOW_END" lines (so the harness can sample the server at the same
// moments), then one JSON object with the results. A reader "fell behind" when it never started
// playing, was disconnected, went `--stall` seconds without media inside the window, or received
// less than 80 % of the stream bitrate over the last 5 s of the window.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "http-flv.h"
#include "rtmp-play.h"

using bench::Session;

namespace {

struct Options {
  std::string proto = "rtmp", host = "127.0.0.1", app = "live", stream = "bench";
  int port = 1935, clients = 10;
  double bitrate = 0, connect_timeout = 15, warmup = 3, window = 15, stall = 2;
  bool trace = false;  // one line per second on stderr: viewers playing, ended, total media rate
};

struct Conn {
  int fd = -1;
  std::unique_ptr<Session> session;
  std::string out;
  bool connected = false, ended = false, playing = false;
  std::string end_reason;
  double last_media = 0, max_gap = 0;
  std::vector<uint64_t> buckets;  // media bytes per second of the window
};

double Now() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

double CpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
         (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

std::string JsonString(const std::string &s) {
  std::string o = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      o += '\\';
      o += char(c);
    } else if (c < 0x20) {
      char b[8];
      std::snprintf(b, sizeof b, "\\u%04x", c);
      o += b;
    } else {
      o += char(c);
    }
  }
  return o + "\"";
}

bool ParseOptions(int argc, char **argv, Options *o) {
  auto text = [](std::string *field) { return [field](const char *v) { *field = v; }; };
  auto integer = [](int *field) { return [field](const char *v) { *field = std::atoi(v); }; };
  auto real = [](double *field) { return [field](const char *v) { *field = std::atof(v); }; };
  const std::map<std::string, std::function<void(const char *)>> setters = {
      {"--proto", text(&o->proto)},
      {"--host", text(&o->host)},
      {"--app", text(&o->app)},
      {"--stream", text(&o->stream)},
      {"--port", integer(&o->port)},
      {"--clients", integer(&o->clients)},
      {"--bitrate", real(&o->bitrate)},
      {"--connect-timeout", real(&o->connect_timeout)},
      {"--warmup", real(&o->warmup)},
      {"--window", real(&o->window)},
      {"--stall", real(&o->stall)},
      {"--trace", [o](const char *v) { o->trace = std::string(v) == "1"; }},
  };
  if (argc % 2 != 1) return false;
  for (int i = 1; i + 1 < argc; i += 2) {
    auto it = setters.find(argv[i]);
    if (it == setters.end()) return false;
    it->second(argv[i + 1]);
  }
  return (o->proto == "rtmp" || o->proto == "flv" || o->proto == "ts") && o->clients > 0 && o->bitrate > 0 &&
         o->window >= 5;
}

class Loop {
 public:
  explicit Loop(const Options &o) : o_(o), conns_(o.clients) { ep_ = epoll_create1(0); }

  int Run();

 private:
  void Open(Conn &c, size_t index);
  void End(Conn &c, const std::string &why);
  void OnEvent(Conn &c, uint32_t events);
  void Flush(Conn &c);
  void OnMedia(Conn &c, size_t bytes, double now);
  void PrintResults(double cpu);

  const Options &o_;
  std::vector<Conn> conns_;
  int ep_;
  double window_start_ = -1, window_end_ = -1;
  uint64_t traced_bytes_ = 0;
};

void Loop::End(Conn &c, const std::string &why) {
  if (c.ended) return;
  c.ended = true;
  c.end_reason = why;
  if (c.fd >= 0) close(c.fd);
  c.fd = -1;
}

void Loop::Open(Conn &c, size_t index) {
  if (o_.proto == "rtmp") {
    std::string tc = "rtmp://" + o_.host + ":" + std::to_string(o_.port) + "/" + o_.app;
    c.session = std::make_unique<bench::RtmpPlay>(tc, o_.app, o_.stream);
  } else if (o_.proto == "ts") {
    c.session = std::make_unique<bench::HttpFlvRead>(o_.host + ":" + std::to_string(o_.port),
                                                     "/" + o_.stream + ".ts", "\x47");
  } else {
    c.session = std::make_unique<bench::HttpFlvRead>(o_.host + ":" + std::to_string(o_.port),
                                                     "/" + o_.stream + ".flv");
  }
  c.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c.fd < 0) return End(c, std::string("socket: ") + std::strerror(errno));
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(uint16_t(o_.port));
  inet_pton(AF_INET, o_.host.c_str(), &sa.sin_addr);
  if (connect(c.fd, reinterpret_cast<sockaddr *>(&sa), sizeof sa) < 0 && errno != EINPROGRESS) {
    return End(c, std::string("connect: ") + std::strerror(errno));
  }
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT;
  ev.data.u64 = index;
  epoll_ctl(ep_, EPOLL_CTL_ADD, c.fd, &ev);
}

void Loop::Flush(Conn &c) {
  while (!c.out.empty()) {
    ssize_t n = send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN) break;
      return End(c, std::string("send: ") + std::strerror(errno));
    }
    c.out.erase(0, size_t(n));
  }
  epoll_event ev{};
  ev.events = EPOLLIN | (c.out.empty() ? 0u : uint32_t(EPOLLOUT));
  ev.data.u64 = size_t(&c - conns_.data());
  epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev);
}

void Loop::OnMedia(Conn &c, size_t bytes, double now) {
  c.playing = true;
  traced_bytes_ += bytes;
  if (window_start_ >= 0 && window_end_ < 0) {
    c.max_gap = std::max(c.max_gap, now - std::max(c.last_media, window_start_));
    size_t slot = std::min(c.buckets.size() - 1, size_t(now - window_start_));
    c.buckets[slot] += bytes;
  }
  c.last_media = now;
}

void Loop::OnEvent(Conn &c, uint32_t events) {
  if (!c.connected) {
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err) return End(c, std::string("connect: ") + std::strerror(err));
    if (!(events & (EPOLLOUT | EPOLLIN))) return;
    c.connected = true;
    c.out = c.session->Greeting();
    return Flush(c);
  }
  if (events & EPOLLOUT) Flush(c);
  if (c.ended || !(events & (EPOLLIN | EPOLLHUP | EPOLLERR))) return;
  static uint8_t buf[64 * 1024];
  ssize_t n = recv(c.fd, buf, sizeof buf, 0);
  if (n == 0) return End(c, c.playing ? "server closed the connection" : "closed before media");
  if (n < 0) {
    if (errno == EAGAIN) return;
    return End(c, std::string("recv: ") + std::strerror(errno));
  }
  std::string reply;
  size_t media = c.session->Feed(buf, size_t(n), &reply);
  if (c.session->failed()) return End(c, c.session->error());
  if (media) OnMedia(c, media, Now());
  if (!reply.empty()) {
    c.out += reply;
    Flush(c);
  }
}

int Loop::Run() {
  const double start = Now();
  size_t opened = 0;
  double ready_at = -1, cpu_at_start = 0;
  const size_t slots = size_t(std::ceil(o_.window));
  for (auto &c : conns_) c.buckets.assign(slots, 0);
  std::vector<epoll_event> events(1024);
  double next_trace = start + 1;
  for (;;) {
    double now = Now();
    if (o_.trace && now >= next_trace) {
      long playing = 0, ended = 0;
      for (auto &c : conns_) {
        playing += c.playing && !c.ended;
        ended += c.ended;
      }
      std::fprintf(stderr, "t=%.0f playing=%ld ended=%ld media=%.0f kbit/s\n", now - start, playing,
                   ended, traced_bytes_ * 8 / 1000.0);
      traced_bytes_ = 0;
      next_trace += 1;
    }
    // Open in batches of 20 every 10 ms (1000 viewers arrive within 0.5 s) so that a default
    // listen backlog (nginx: 511) is not the thing being measured.
    while (opened < conns_.size() && opened < 20 * size_t((now - start) / 0.01 + 1)) {
      Open(conns_[opened], opened);
      ++opened;
    }
    if (ready_at < 0 && opened == conns_.size()) {
      bool all = std::all_of(conns_.begin(), conns_.end(),
                             [](const Conn &c) { return c.playing || c.ended; });
      if (all || now - start > o_.connect_timeout) ready_at = now;
    }
    if (ready_at >= 0 && window_start_ < 0 && now - ready_at >= o_.warmup) {
      window_start_ = now;
      cpu_at_start = CpuSeconds();
      std::printf("WINDOW_START\n");
      std::fflush(stdout);
    }
    if (window_start_ >= 0 && now - window_start_ >= o_.window) {
      window_end_ = window_start_ + o_.window;
      std::printf("WINDOW_END\n");
      std::fflush(stdout);
      PrintResults(CpuSeconds() - cpu_at_start);
      return 0;
    }
    int n = epoll_wait(ep_, events.data(), int(events.size()), 10);
    for (int i = 0; i < n; ++i) {
      Conn &c = conns_[events[i].data.u64];
      if (!c.ended) OnEvent(c, events[i].events);
    }
  }
}

void Loop::PrintResults(double cpu) {
  const double per_5s = 0.8 * o_.bitrate / 8 * 5;
  int never = 0, ended = 0, stalled = 0, slow = 0, behind = 0;
  std::map<std::string, int> reasons;
  std::vector<double> kbps;
  for (auto &c : conns_) {
    if (!c.ended)
      c.max_gap = std::max(c.max_gap, window_end_ - std::max(c.last_media, window_start_));
    uint64_t total = 0, last5 = 0;
    for (size_t i = 0; i < c.buckets.size(); ++i) {
      total += c.buckets[i];
      if (i + 5 >= c.buckets.size()) last5 += c.buckets[i];
    }
    kbps.push_back(total * 8 / 1000.0 / o_.window);
    bool is_never = !c.playing, is_ended = c.ended, is_stalled = c.max_gap >= o_.stall;
    bool is_slow = last5 < per_5s;
    never += is_never;
    ended += is_ended;
    stalled += !is_ended && is_stalled;
    slow += is_slow;
    if (is_never || is_ended || is_stalled || is_slow) ++behind;
    if (c.ended) {
      reasons[c.end_reason]++;
    } else if (!c.playing) {
      reasons[std::string("never played: ") +
              (c.connected ? c.session->Phase() : "TCP connect pending")]++;
    }
  }
  std::sort(kbps.begin(), kbps.end());
  double sum = 0;
  for (double k : kbps) sum += k;
  std::printf(
      "{\"clients\": %d, \"never_played\": %d, \"disconnected\": %d, \"stalled\": %d, "
      "\"under_80pct_last5s\": %d, \"behind\": %d, \"mean_kbps\": %.1f, \"min_kbps\": %.1f, "
      "\"p10_kbps\": %.1f, \"window_s\": %.1f, \"reader_cpu_s\": %.3f, \"errors\": {",
      o_.clients, never, ended, stalled, slow, behind, sum / kbps.size(), kbps.front(),
      kbps[kbps.size() / 10], o_.window, cpu);
  bool first = true;
  for (auto &[why, count] : reasons) {
    std::printf("%s%s: %d", first ? "" : ", ", JsonString(why).c_str(), count);
    first = false;
  }
  std::printf("}}\n");
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char **argv) {
  Options o;
  if (!ParseOptions(argc, argv, &o)) {
    std::fprintf(stderr,
                 "usage: reader --proto rtmp|flv|ts --port P --stream NAME --clients N "
                 "--bitrate BPS [--host H --app A --connect-timeout S --warmup S --window S>=5 "
                 "--stall S]\n");
    return 2;
  }
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);
  return Loop(o).Run();
}
