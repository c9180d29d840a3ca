#include "servers/epoll-poller.h"

#include <errno.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gio/gio.h>
#include <gst/gst.h>

GST_DEBUG_CATEGORY_STATIC(estuary_epoll_debug);
#define GST_CAT_DEFAULT estuary_epoll_debug

namespace estuary {

// Callers speak GIOCondition/poll bits; epoll's are the same numbers on Linux.
static_assert(int{EPOLLIN} == int{G_IO_IN} && int{EPOLLOUT} == int{G_IO_OUT} &&
                  int{EPOLLERR} == int{G_IO_ERR} && int{EPOLLHUP} == int{G_IO_HUP} &&
                  int{EPOLLRDHUP} == int{POLLRDHUP},
              "epoll and poll event bits differ");

namespace {

// Events taken per epoll_wait(); more stay ready (level-triggered) for the next wakeup.
constexpr int kMaxEvents = 256;

struct PollerSource {
  GSource source;
  // Cleared when the poller goes away, possibly from inside one of its own callbacks; GLib holds
  // a reference to the source while it dispatches, so this field stays readable.
  EpollPoller *poller;
};

void init_debug() {
  static gsize once = 0;
  if (g_once_init_enter(&once)) {
    GST_DEBUG_CATEGORY_INIT(estuary_epoll_debug, "estuary-epoll", 0,
                            "one epoll fd per server context");
    g_once_init_leave(&once, 1);
  }
}

}  // namespace

void accept_pending(int listen_fd, int max, const std::function<void(GRef<GSocket>)> &take) {
  init_debug();
  for (int i = 0; i < max; i++) {
    const int fd = accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) GST_WARNING("accept: %s", g_strerror(errno));
      return;
    }
    GError *error = nullptr;
    GRef<GSocket> socket = GRef<GSocket>::adopt(g_socket_new_from_fd(fd, &error));
    if (!socket) {
      GST_WARNING("accepted socket: %s", error->message);
      g_error_free(error);
      close(fd);
      continue;
    }
    g_socket_set_blocking(socket.get(), FALSE);
    take(std::move(socket));
  }
}

EpollPoller::~EpollPoller() {
  if (source_) {
    reinterpret_cast<PollerSource *>(source_)->poller = nullptr;
    g_source_destroy(source_);
    g_source_unref(source_);
  }
  if (epoll_fd_ >= 0) close(epoll_fd_);
}

bool EpollPoller::start(GMainContext *context, const char *name, Ready ready, gpointer user,
                        GError **error) {
  init_debug();
  if (source_) return true;
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) {
    int e = errno;
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "epoll_create1: %s", g_strerror(e));
    return false;
  }
  ready_ = ready;
  user_ = user;
  // No prepare/check: GLib polls the epoll fd and dispatches when it is readable.
  static GSourceFuncs funcs = [] {
    GSourceFuncs f = {};
    f.dispatch = &EpollPoller::dispatch;
    return f;
  }();
  source_ = g_source_new(&funcs, sizeof(PollerSource));
  reinterpret_cast<PollerSource *>(source_)->poller = this;
  g_source_set_name(source_, name);
  g_source_add_unix_fd(source_, epoll_fd_, G_IO_IN);
  g_source_attach(source_, context);
  return true;
}

gboolean EpollPoller::dispatch(GSource *source, GSourceFunc, gpointer) {
  auto *ps = reinterpret_cast<PollerSource *>(source);
  if (!ps->poller) return G_SOURCE_REMOVE;
  struct epoll_event events[kMaxEvents];
  int n;
  do {
    n = epoll_wait(ps->poller->epoll_fd_, events, kMaxEvents, 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) GST_WARNING("epoll_wait: %s", g_strerror(errno));
  for (int i = 0; i < n && ps->poller; i++) {
    EpollPoller *p = ps->poller;
    p->ready_(p->user_, events[i].data.u64, events[i].events);
  }
  return G_SOURCE_CONTINUE;
}

bool EpollPoller::add(int fd, guint64 key, guint events) {
  struct epoll_event ev = {};
  ev.events = events;
  ev.data.u64 = key;
  return epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) == 0;
}

bool EpollPoller::modify(int fd, guint64 key, guint events) {
  struct epoll_event ev = {};
  ev.events = events;
  ev.data.u64 = key;
  return epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev) == 0;
}

void EpollPoller::remove(int fd) {
  if (epoll_fd_ >= 0) epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
}

}  // namespace estuary
