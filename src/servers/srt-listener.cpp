#include "servers/srt-listener.h"
#include "servers/listener-settings.h"

#include <gio/gio.h>
#include <srt/access_control.h>
#include <srt/srt.h>
#include <syslog.h>

#include <thread>

#include "common/gref.h"
#include "protocols/srt/streamid.h"
#include "servers/connection-threads.h"
#include "servers/listen-address.h"
#include "servers/srt-connection.h"
#include "servers/srt-debug.h"

GST_DEBUG_CATEGORY(estuary_srt_debug);
#define GST_CAT_DEFAULT estuary_srt_debug

namespace estuary {

namespace {

constexpr int kAcceptPollMs = 200;
constexpr int kBacklog = 64;

// libsrt's own log lines go to our category instead of stderr. Its warnings are demoted to
// debug: 1.5 warns on every receive timeout, which the connection threads use to poll.
void on_srt_log(void *, int level, const char *file, int line, const char *area,
                const char *message) {
  GstDebugLevel gst_level = level <= LOG_ERR       ? GST_LEVEL_WARNING
                            : level == LOG_WARNING ? GST_LEVEL_DEBUG
                                                   : GST_LEVEL_LOG;
  GST_CAT_LEVEL_LOG(estuary_srt_debug, gst_level, nullptr, "libsrt %s: %s", area ? area : "",
                    message ? message : "");
}

// libsrt's global state lives for the whole process (srt_cleanup would stop other users).
void ensure_srt() {
  static gsize once = 0;
  if (g_once_init_enter(&once)) {
    GST_DEBUG_CATEGORY_INIT(estuary_srt_debug, "estuary-tssrt", 0, "SRT server");
    srt_startup();
    srt_setloglevel(LOG_WARNING);
    srt_setlogflags(SRT_LOGF_DISABLE_TIME | SRT_LOGF_DISABLE_THREADNAME | SRT_LOGF_DISABLE_EOL);
    srt_setloghandler(nullptr, on_srt_log);
    g_once_init_leave(&once, 1);
  }
}

class SrtListener : public Listener {
 public:
  SrtListener(StreamDirectory &streams, std::string passphrase)
      : streams_(streams), passphrase_(std::move(passphrase)) {}
  ~SrtListener() override;

  bool start(const std::string &interface, gint64 port, GError **error);
  bool running() const override { return running_.load(); }

 private:
  static int on_listen(void *self, SRTSOCKET socket, int hs_version, const sockaddr *peer,
                       const char *streamid);
  void accept_loop();

  StreamDirectory &streams_;
  const std::string passphrase_;
  SRTSOCKET socket_ = SRT_INVALID_SOCK;
  int epoll_ = -1;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> running_{false};
  ConnectionThreads<SrtConnection> connections_;
};

bool SrtListener::start(const std::string &interface, gint64 port, GError **error) {
  if (!passphrase_.empty() && (passphrase_.size() < 10 || passphrase_.size() > 79)) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                "the SRT passphrase must be 10 to 79 characters long");
    return false;
  }
  GRef<GSocketAddress> address = listen_address(interface, port, error);
  if (!address) return false;
  sockaddr_storage native{};
  gssize native_len = g_socket_address_get_native_size(address.get());
  if (native_len <= 0 ||
      !g_socket_address_to_native(address.get(), &native, sizeof(native), error)) {
    return false;
  }

  socket_ = srt_create_socket();
  if (socket_ == SRT_INVALID_SOCK) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "srt_create_socket: %s",
                srt_getlasterror_str());
    return false;
  }
  if (g_socket_address_get_family(address.get()) == G_SOCKET_FAMILY_IPV6) {
    int v6only = 0;  // "::" takes IPv4 callers too
    srt_setsockflag(socket_, SRTO_IPV6ONLY, &v6only, sizeof(v6only));
  }
  if (!passphrase_.empty()) {
    srt_setsockflag(socket_, SRTO_PASSPHRASE, passphrase_.c_str(),
                    static_cast<int>(passphrase_.size()));
  }
  if (srt_bind(socket_, reinterpret_cast<sockaddr *>(&native), static_cast<int>(native_len)) ==
          SRT_ERROR ||
      srt_listen_callback(socket_, on_listen, this) == SRT_ERROR ||
      srt_listen(socket_, kBacklog) == SRT_ERROR) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE, "SRT on %s:%" G_GINT64_FORMAT ": %s",
                interface.c_str(), port, srt_getlasterror_str());
    return false;
  }
  epoll_ = srt_epoll_create();
  int events = SRT_EPOLL_IN | SRT_EPOLL_ERR;
  srt_epoll_add_usock(epoll_, socket_, &events);
  running_.store(true);
  thread_ = std::thread([this] { accept_loop(); });
  GST_INFO("SRT listening on %s port %" G_GINT64_FORMAT "%s", interface.c_str(), port,
           passphrase_.empty() ? "" : " (encrypted)");
  return true;
}

// On libsrt's receiver thread, during the caller's handshake: only checks the streamid.
int SrtListener::on_listen(void *, SRTSOCKET socket, int hs_version, const sockaddr *,
                           const char *streamid) {
  if (hs_version < 5 || !streamid || !parse_srt_streamid(streamid)) {
    // The id is the caller's text: logged escaped and cut short.
    GCharPtr shown(
        g_strescape(streamid ? std::string(streamid).substr(0, 80).c_str() : "", nullptr));
    GST_INFO("SRT caller refused: %s '%s'",
             hs_version < 5 ? "no streamid (SRT before 1.3)" : "missing or malformed streamid",
             shown.get());
    srt_setrejectreason(socket, SRT_REJX_BAD_REQUEST);
    return -1;
  }
  return 0;
}

void SrtListener::accept_loop() {
  while (!stopping_.load()) {
    SRTSOCKET ready[1];
    int n_ready = 1;
    int n = srt_epoll_wait(epoll_, ready, &n_ready, nullptr, nullptr, kAcceptPollMs, nullptr,
                           nullptr, nullptr, nullptr);
    connections_.reap();
    if (n <= 0) continue;
    sockaddr_storage peer{};
    int peer_len = sizeof(peer);
    SRTSOCKET s = srt_accept(socket_, reinterpret_cast<sockaddr *>(&peer), &peer_len);
    if (s == SRT_INVALID_SOCK) {
      if (srt_getsockstate(socket_) != SRTS_LISTENING) {
        GST_WARNING("SRT listener broken: %s", srt_getlasterror_str());
        break;
      }
      continue;
    }
    auto connection = std::make_unique<SrtConnection>(s, streams_, passphrase_);
    GST_DEBUG("SRT caller %s connected", connection->peer().c_str());
    connections_.add(std::move(connection));
  }
  running_.store(false);
}

SrtListener::~SrtListener() {
  stopping_.store(true);
  if (thread_.joinable()) thread_.join();
  connections_.stop_all();
  if (epoll_ >= 0) srt_epoll_release(epoll_);
  if (socket_ != SRT_INVALID_SOCK) srt_close(socket_);
  GST_INFO("SRT listener stopped");
}

}  // namespace

std::unique_ptr<Listener> make_srt_listener(StreamDirectory &streams, JsonObject *settings,
                                            GError **error) {
  ensure_srt();
  auto listener =
      std::make_unique<SrtListener>(streams, string_setting(settings, "passphrase", ""));
  if (!listener->start(string_setting(settings, "interface", "0.0.0.0"),
                       port_setting(settings, 8889), error)) {
    g_prefix_error(error, "TSSRT: ");
    return nullptr;
  }
  return listener;
}

}  // namespace estuary
