// Http1Server: listeners, accepting, the one coarse timer for every connection's timeouts.
#include "servers/http1-server.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gst/gst.h>

#include "servers/http1-connection.h"

GST_DEBUG_CATEGORY(estuary_http1_debug);
#define GST_CAT_DEFAULT estuary_http1_debug

namespace estuary {

namespace {
constexpr int kListenBacklog = 1024;
constexpr int kAcceptsPerWake = 64;
}  // namespace

struct Http1Server::Impl : Http1Core {
  struct Listener {
    GRef<GSocket> socket;
    GSource *source = nullptr;
    guint port = 0;
  };
  std::vector<Listener> listeners;
  GSource *timer = nullptr;

  static gboolean on_accept(GSocket *socket, GIOCondition, gpointer self);
  static gboolean on_tick(gpointer self);
  static void on_ready(gpointer self, guint64 id, guint events);
  void accept_from(GSocket *listener);
  void start_timer();
};

gboolean Http1Server::Impl::on_accept(GSocket *socket, GIOCondition, gpointer self) {
  try {
    static_cast<Impl *>(self)->accept_from(socket);
  } catch (...) {
    GST_ERROR("accepting a connection threw");
  }
  return G_SOURCE_CONTINUE;
}

void Http1Server::Impl::accept_from(GSocket *listener) {
  accept_pending(g_socket_get_fd(listener), kAcceptsPerWake, [this](GRef<GSocket> socket) {
    const int fd = g_socket_get_fd(socket.get());
    int one = 1;
    // Answers are written whole; Nagle would only hold back their last packet.
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    guint64 id = next_id++;
    auto connection = std::make_shared<Http1Connection>(this, id, std::move(socket), fd);
    connections.emplace(id, connection);
    connection->start();
  });
}

void Http1Server::Impl::on_ready(gpointer self, guint64 id, guint events) {
  auto *impl = static_cast<Impl *>(self);
  auto it = impl->connections.find(id);
  if (it == impl->connections.end()) return;  // ended earlier in this wakeup
  std::shared_ptr<Http1Connection> connection = it->second;
  connection->on_ready(events);
}

gboolean Http1Server::Impl::on_tick(gpointer self) {
  auto *impl = static_cast<Impl *>(self);
  try {
    gint64 now = g_get_monotonic_time() / 1000;
    // Ticking can end connections: walk a copy that keeps each alive meanwhile.
    std::vector<std::shared_ptr<Http1Connection>> all;
    all.reserve(impl->connections.size());
    for (auto &kv : impl->connections) all.push_back(kv.second);
    for (auto &c : all) c->tick(now);
  } catch (...) {
    GST_ERROR("timeout check threw");
  }
  return G_SOURCE_CONTINUE;
}

void Http1Server::Impl::start_timer() {
  if (timer) return;
  // One timer for every connection, a quarter of the shortest timeout (at most a second) so a
  // timeout fires at most 25 % late.
  guint shortest = std::min({limits.head_timeout_ms, limits.idle_timeout_ms, limits.send_timeout_ms});
  guint interval = std::clamp(shortest / 4, 20u, 1000u);
  timer = g_timeout_source_new(interval);
  g_source_set_callback(timer, on_tick, this, nullptr);
  g_source_set_name(timer, "estuary-http1-timeouts");
  g_source_attach(timer, context);
}

Http1Server::Http1Server(std::string server_header, Http1Limits limits, Handler handler,
                         ErrorPage error_page)
    : impl_(std::make_unique<Impl>()) {
  static gsize debug_init = 0;
  if (g_once_init_enter(&debug_init)) {
    GST_DEBUG_CATEGORY_INIT(estuary_http1_debug, "estuary-http1", 0, "lean HTTP/1.1 server core");
    g_once_init_leave(&debug_init, 1);
  }
  impl_->server_line = "Server: " + server_header + "\r\n";
  impl_->limits = limits;
  impl_->handler = std::move(handler);
  impl_->error_page = std::move(error_page);
}

Http1Server::~Http1Server() {
  for (auto &l : impl_->listeners) {
    if (l.source) {
      g_source_destroy(l.source);
      g_source_unref(l.source);
    }
  }
  if (impl_->timer) {
    g_source_destroy(impl_->timer);
    g_source_unref(impl_->timer);
  }
  std::vector<std::shared_ptr<Http1Connection>> all;
  for (auto &kv : impl_->connections) all.push_back(kv.second);
  for (auto &c : all) c->shutdown_now();
  impl_->connections.clear();
}

bool Http1Server::listen(GMainContext *context, GInetAddress *address, guint port,
                         GError **error) {
  if (impl_->context && impl_->context != context) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                "an HTTP server listens in one main context only");
    return false;
  }
  if (!impl_->poller.start(context, "estuary-http1-connections", Impl::on_ready, impl_.get(),
                           error))
    return false;
  impl_->context = context;
  GSocketFamily family = g_inet_address_get_family(address);
  bool v6_any = family == G_SOCKET_FAMILY_IPV6 && g_inet_address_get_is_any(address);
  GRef<GSocketAddress> sa =
      GRef<GSocketAddress>::adopt(g_inet_socket_address_new(address, static_cast<guint16>(port)));
  GRef<GSocket> socket;
  // The IPv6 wildcard takes IPv4 too (dual stack) unless an IPv4 listener already holds the
  // port (a caller listening on both wildcards), then it takes IPv6 only.
  for (int v6only = 0; v6only <= (v6_any ? 1 : 0); v6only++) {
    socket = GRef<GSocket>::adopt(g_socket_new(family, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error));
    if (!socket) return false;
    if (family == G_SOCKET_FAMILY_IPV6)
      g_socket_set_option(socket.get(), IPPROTO_IPV6, IPV6_V6ONLY, v6_any ? v6only : 1, nullptr);
    g_socket_set_listen_backlog(socket.get(), kListenBacklog);
    GError *bind_error = nullptr;
    if (g_socket_bind(socket.get(), sa.get(), TRUE, &bind_error)) break;
    if (v6_any && v6only == 0 && g_error_matches(bind_error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE)) {
      g_error_free(bind_error);
      continue;
    }
    g_propagate_error(error, bind_error);
    return false;
  }
  if (!g_socket_listen(socket.get(), error)) return false;
  g_socket_set_blocking(socket.get(), FALSE);
  GRef<GSocketAddress> local =
      GRef<GSocketAddress>::adopt(g_socket_get_local_address(socket.get(), error));
  if (!local) return false;
  Impl::Listener l;
  l.port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(local.get()));
  l.source = g_socket_create_source(socket.get(), G_IO_IN, nullptr);
  g_source_set_callback(l.source, G_SOURCE_FUNC(Impl::on_accept), impl_.get(),
                        nullptr);
  g_source_attach(l.source, context);
  l.socket = std::move(socket);
  impl_->listeners.push_back(std::move(l));
  impl_->start_timer();
  return true;
}

guint Http1Server::port() const {
  return impl_->listeners.empty() ? 0 : impl_->listeners.front().port;
}

gsize Http1Server::connection_count() const { return impl_->connections.size(); }

}  // namespace estuary
