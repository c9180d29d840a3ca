#include "servers/ts-listener.h"
#include "servers/listener-settings.h"

#include <gio/gio.h>

#include <thread>

#include "common/gref.h"
#include "servers/connection-threads.h"
#include "servers/listen-address.h"
#include "servers/ts-session.h"

GST_DEBUG_CATEGORY_STATIC(estuary_ts_debug);
#define GST_CAT_DEFAULT estuary_ts_debug

namespace estuary {

namespace {

constexpr int kSniffMs = 1000;
constexpr int kLateSniffMs = 10000;
constexpr guint kSendTimeoutS = 10;

// One TCP client, blocking, with a cancellable that shutdown() trips.
class TcpConnection : public ByteTransport {
 public:
  TcpConnection(GSocket *socket, StreamDirectory &streams, std::string stream)
      : socket_(GRef<GSocket>::ref(socket)),
        cancel_(GRef<GCancellable>::adopt(g_cancellable_new())),
        streams_(streams),
        stream_(std::move(stream)) {
    g_socket_set_blocking(socket_.get(), TRUE);
    g_socket_set_timeout(socket_.get(), kSendTimeoutS);
    GRef<GSocketAddress> remote =
        GRef<GSocketAddress>::adopt(g_socket_get_remote_address(socket_.get(), nullptr));
    if (remote && G_IS_INET_SOCKET_ADDRESS(remote.get())) {
      GCharPtr text(g_inet_address_to_string(
          g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(remote.get()))));
      peer_ = text.get();
    }
  }
  ~TcpConnection() override { g_socket_close(socket_.get(), nullptr); }

  void run() {
    TsSessionContext ctx{streams_, *this, "TS", estuary_ts_debug, stopping_};
    if (!stream_.empty()) ts_serve_undecided(ctx, stream_, "", kSniffMs, kLateSniffMs);
    finished_.store(true);
  }
  bool finished() const { return finished_.load(); }

  gssize read(guint8 *buf, gsize size, int timeout_ms) override {
    if (stopping_.load()) return -1;
    GError *error = nullptr;
    if (!g_socket_condition_timed_wait(socket_.get(), G_IO_IN,
                                       static_cast<gint64>(timeout_ms) * 1000, cancel_.get(),
                                       &error)) {
      bool timed_out = g_error_matches(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
      g_clear_error(&error);
      return timed_out ? 0 : -1;
    }
    gssize n = g_socket_receive(socket_.get(), reinterpret_cast<gchar *>(buf), size, cancel_.get(),
                                &error);
    g_clear_error(&error);
    return n > 0 ? n : -1;  // 0 is the peer closing
  }

  bool write(const guint8 *data, gsize size) override {
    while (size > 0) {
      if (stopping_.load()) return false;
      gssize n = g_socket_send(socket_.get(), reinterpret_cast<const gchar *>(data), size,
                               cancel_.get(), nullptr);
      if (n <= 0) return false;
      data += n;
      size -= static_cast<gsize>(n);
    }
    return true;
  }

  bool alive() override {
    if (stopping_.load()) return false;
    GIOCondition c =
        g_socket_condition_check(socket_.get(), static_cast<GIOCondition>(G_IO_HUP | G_IO_ERR));
    return (c & (G_IO_HUP | G_IO_ERR)) == 0;
  }

  void shutdown() override {
    stopping_.store(true);
    g_cancellable_cancel(cancel_.get());
  }
  const std::string &peer() const override { return peer_; }
  gsize max_write() const override { return 64 * 1024; }

 private:
  GRef<GSocket> socket_;
  GRef<GCancellable> cancel_;
  StreamDirectory &streams_;
  const std::string stream_;
  std::string peer_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> finished_{false};
};

class TsListener : public Listener {
 public:
  TsListener(StreamDirectory &streams, std::string stream)
      : streams_(streams),
        stream_(std::move(stream)),
        cancel_(GRef<GCancellable>::adopt(g_cancellable_new())) {}
  ~TsListener() override;
  bool start(const std::string &interface, gint64 port, GError **error);
  bool running() const override { return running_.load(); }

 private:
  void accept_loop();

  StreamDirectory &streams_;
  const std::string stream_;
  GRef<GCancellable> cancel_;
  GRef<GSocket> socket_;
  std::thread thread_;
  std::atomic<bool> running_{false};
  ConnectionThreads<TcpConnection> connections_;
};

bool TsListener::start(const std::string &interface, gint64 port, GError **error) {
  GRef<GSocketAddress> address = listen_address(interface, port, error);
  if (!address) return false;
  socket_ = GRef<GSocket>::adopt(g_socket_new(g_socket_address_get_family(address.get()),
                                              G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error));
  if (!socket_) return false;
  if (!g_socket_bind(socket_.get(), address.get(), TRUE, error) ||
      !g_socket_listen(socket_.get(), error)) {
    g_prefix_error(error, "%s:%" G_GINT64_FORMAT ": ", interface.c_str(), port);
    return false;
  }
  running_.store(true);
  thread_ = std::thread([this] { accept_loop(); });
  GST_INFO("TS over TCP listening on %s port %" G_GINT64_FORMAT " for stream '%s'",
           interface.c_str(), port, stream_.c_str());
  return true;
}

void TsListener::accept_loop() {
  while (!g_cancellable_is_cancelled(cancel_.get())) {
    GError *error = nullptr;
    GRef<GSocket> client =
        GRef<GSocket>::adopt(g_socket_accept(socket_.get(), cancel_.get(), &error));
    connections_.reap();
    if (!client) {
      bool cancelled = g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      if (!cancelled) GST_WARNING("TS accept failed: %s", error ? error->message : "?");
      g_clear_error(&error);
      if (cancelled) break;
      continue;
    }
    auto connection = std::make_unique<TcpConnection>(client.get(), streams_, stream_);
    if (stream_.empty()) {
      GST_INFO("TS client %s refused: no streamname configured", connection->peer().c_str());
      continue;
    }
    connections_.add(std::move(connection));
  }
  running_.store(false);
}

TsListener::~TsListener() {
  g_cancellable_cancel(cancel_.get());
  if (thread_.joinable()) thread_.join();
  connections_.stop_all();
  if (socket_) g_socket_close(socket_.get(), nullptr);
  GST_INFO("TS over TCP listener stopped");
}

}  // namespace

std::unique_ptr<Listener> make_ts_listener(StreamDirectory &streams, JsonObject *settings,
                                           GError **error) {
  static gsize once = 0;
  if (g_once_init_enter(&once)) {
    GST_DEBUG_CATEGORY_INIT(estuary_ts_debug, "estuary-ts", 0, "TS over TCP server");
    g_once_init_leave(&once, 1);
  }
  auto listener = std::make_unique<TsListener>(streams, string_setting(settings, "streamname", ""));
  if (!listener->start(string_setting(settings, "interface", "0.0.0.0"),
                       port_setting(settings, 8888), error)) {
    g_prefix_error(error, "TS: ");
    return nullptr;
  }
  return listener;
}

}  // namespace estuary
