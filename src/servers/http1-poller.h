// One epoll instance per Http1Server, seen by its GMainContext as a single fd: a wakeup costs
// the ready connections only, not every connection the server holds (a GSource per connection
// makes g_poll() and the source walk O(connections) on each wakeup). Linux only. Internal to
// http1-*.cpp. Context thread only.
#pragma once

#include <glib.h>

namespace estuary {

class Http1Poller {
 public:
  // Called from the context for each ready fd with the key it was added with and its events
  // (EPOLLIN/OUT/ERR/HUP/RDHUP, which equal the G_IO_* and POLL* bits on Linux). It may add,
  // modify or remove any fd, or destroy the poller; the remaining events of that wakeup are
  // then dropped.
  using Ready = void (*)(gpointer user, guint64 key, guint events);

  Http1Poller() = default;
  ~Http1Poller();
  Http1Poller(const Http1Poller &) = delete;
  Http1Poller &operator=(const Http1Poller &) = delete;

  bool start(GMainContext *context, Ready ready, gpointer user, GError **error);
  // Level-triggered interest in `events` (G_IO_IN, G_IO_OUT, POLLRDHUP); HUP and ERR are always
  // reported. False (errno set) when epoll refuses.
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
