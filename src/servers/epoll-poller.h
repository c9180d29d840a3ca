// One epoll instance seen by a GMainContext as a single fd, for servers that hold many sockets
// on one context (Http1Server, the RTMP server): a wakeup costs the ready sockets only. A
// GSource per socket makes every wakeup O(sockets): g_main_context_check() walks each source
// and poll() visits each fd. Linux only. Context thread only.
#pragma once

#include <gio/gio.h>

#include <functional>

#include "common/gref.h"

namespace estuary {

// Accepts the clients pending on the non-blocking listening socket `listen_fd`, at most `max` per
// call (the rest stay ready for the next wakeup, so a connection burst does not hold the context),
// and hands each to `take` as a non-blocking GSocket that owns its fd. Failures to accept or to
// wrap a socket are logged (estuary-epoll) and skip that client.
void accept_pending(int listen_fd, int max, const std::function<void(GRef<GSocket>)> &take);

class EpollPoller {
 public:
  // Called from the context for each ready fd with the key it was added with and its events
  // (EPOLLIN/OUT/ERR/HUP/RDHUP, which equal the G_IO_* and POLL* bits on Linux). It may add,
  // modify or remove any fd, or destroy the poller. The events of one wakeup are taken at once,
  // so a later one may be stale: it can name a key whose fd was removed, or report a condition
  // no longer asked for, in the same wakeup; callers check their keys and their own state. Once
  // the poller is destroyed the rest of that wakeup's events are dropped.
  using Ready = void (*)(gpointer user, guint64 key, guint events);

  EpollPoller() = default;
  ~EpollPoller();  // detaches from the context; the fds themselves are the callers'
  EpollPoller(const EpollPoller &) = delete;
  EpollPoller &operator=(const EpollPoller &) = delete;

  // `name` (static string) names the GSource for debugging. False with `error` set when epoll is
  // unavailable; true at once when already started.
  bool start(GMainContext *context, const char *name, Ready ready, gpointer user, GError **error);
  // Level-triggered interest in `events` (G_IO_IN, G_IO_OUT, POLLRDHUP); HUP and ERR are always
  // reported while the fd is added, even with no interest. False (errno set) when epoll refuses.
  bool add(int fd, guint64 key, guint events);
  bool modify(int fd, guint64 key, guint events);
  void remove(int fd);

 private:
  static gboolean dispatch(GSource *source, GSourceFunc, gpointer);
  int epoll_fd_ = -1;
  GSource *source_ = nullptr;
  Ready ready_ = nullptr;
  gpointer user_ = nullptr;
};

}  // namespace estuary
