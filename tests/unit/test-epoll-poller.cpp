// EpollPoller (src/servers/epoll-poller.h) on a private GMainContext with real socketpairs: the
// keys and events it reports, interest changes, removal, HUP without interest, and destroying
// the poller from inside its own callback.
#include <sys/socket.h>
#include <unistd.h>

#include <gio/gio.h>

#include <memory>
#include <utility>
#include <vector>

#include "common/gref.h"
#include "servers/epoll-poller.h"

using estuary::EpollPoller;
using estuary::GRef;

namespace {

struct Fixture {
  GRef<GMainContext> context = GRef<GMainContext>::adopt(g_main_context_new());
  std::unique_ptr<EpollPoller> poller = std::make_unique<EpollPoller>();
  std::vector<std::pair<guint64, guint>> seen;  // (key, events) per report
  bool destroy_in_callback = false;
  int pair[2] = {-1, -1};
  int pair2[2] = {-1, -1};

  Fixture() {
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, pair), ==, 0);
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, pair2), ==, 0);
    GError *error = nullptr;
    g_assert_true(poller->start(context.get(), "test-poller", &Fixture::ready, this, &error));
    g_assert_no_error(error);
  }
  ~Fixture() {
    poller.reset();
    for (int fd : {pair[0], pair[1], pair2[0], pair2[1]})
      if (fd >= 0) close(fd);
  }

  static void ready(gpointer user, guint64 key, guint events) {
    auto *f = static_cast<Fixture *>(user);
    f->seen.emplace_back(key, events);
    if (f->destroy_in_callback) f->poller.reset();
  }

  // Iterates until at least `count` reports arrived or 5 s passed.
  void wait_for(size_t count) {
    gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    GRef<GSource> guard = GRef<GSource>::adopt(g_timeout_source_new(50));
    g_source_set_callback(
        guard.get(), [](gpointer) -> gboolean { return G_SOURCE_CONTINUE; }, nullptr, nullptr);
    g_source_attach(guard.get(), context.get());
    while (seen.size() < count && g_get_monotonic_time() < deadline)
      g_main_context_iteration(context.get(), TRUE);
    g_source_destroy(guard.get());
  }

  // Runs whatever is ready now; the fds below are ready before this is called, and the poller is
  // level-triggered, so a report that should come comes in the first iterations.
  void settle() {
    for (int i = 0; i < 10; i++) g_main_context_iteration(context.get(), FALSE);
  }
};

void test_readable_key() {
  Fixture f;
  g_assert_true(f.poller->add(f.pair[0], 42, G_IO_IN));
  f.settle();
  g_assert_cmpuint(f.seen.size(), ==, 0);  // nothing to read yet
  g_assert_cmpint(write(f.pair[1], "x", 1), ==, 1);
  f.wait_for(1);
  g_assert_cmpuint(f.seen.size(), >=, 1);
  g_assert_cmpuint(f.seen[0].first, ==, 42);
  g_assert_true(f.seen[0].second & G_IO_IN);
  g_assert_false(f.seen[0].second & G_IO_OUT);
}

void test_modify_and_remove() {
  Fixture f;
  g_assert_cmpint(write(f.pair[1], "x", 1), ==, 1);
  // Readable data but only writable interest: reports carry OUT, not IN.
  g_assert_true(f.poller->add(f.pair[0], 7, G_IO_OUT));
  f.wait_for(1);
  g_assert_cmpuint(f.seen.size(), >=, 1);
  g_assert_cmpuint(f.seen[0].first, ==, 7);
  g_assert_true(f.seen[0].second & G_IO_OUT);
  g_assert_false(f.seen[0].second & G_IO_IN);
  // No interest: the pending byte is not reported.
  g_assert_true(f.poller->modify(f.pair[0], 7, 0));
  f.seen.clear();
  f.settle();
  g_assert_cmpuint(f.seen.size(), ==, 0);
  // Reading interest again, under a new key.
  g_assert_true(f.poller->modify(f.pair[0], 8, G_IO_IN));
  f.wait_for(1);
  g_assert_cmpuint(f.seen.size(), >=, 1);
  g_assert_cmpuint(f.seen[0].first, ==, 8);
  g_assert_true(f.seen[0].second & G_IO_IN);
  // Removed: nothing more, though the byte is still there.
  f.poller->remove(f.pair[0]);
  f.seen.clear();
  f.settle();
  g_assert_cmpuint(f.seen.size(), ==, 0);
  // A second add of the same fd is refused by epoll only while it is in the set.
  g_assert_true(f.poller->add(f.pair[0], 9, G_IO_IN));
  g_assert_false(f.poller->add(f.pair[0], 9, G_IO_IN));
}

void test_hangup_without_interest() {
  Fixture f;
  g_assert_true(f.poller->add(f.pair[0], 3, 0));
  f.settle();
  g_assert_cmpuint(f.seen.size(), ==, 0);
  close(f.pair[1]);
  f.pair[1] = -1;
  f.wait_for(1);
  g_assert_cmpuint(f.seen.size(), >=, 1);
  g_assert_cmpuint(f.seen[0].first, ==, 3);
  g_assert_true(f.seen[0].second & G_IO_HUP);
}

void test_destroy_inside_callback() {
  Fixture f;
  g_assert_true(f.poller->add(f.pair[0], 1, G_IO_OUT));
  g_assert_true(f.poller->add(f.pair2[0], 2, G_IO_OUT));
  f.destroy_in_callback = true;
  f.wait_for(1);
  // Both were ready in one wakeup; the second report is dropped with the poller.
  g_assert_cmpuint(f.seen.size(), ==, 1);
  g_assert_null(f.poller.get());
  f.settle();
  g_assert_cmpuint(f.seen.size(), ==, 1);
}

}  // namespace

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, nullptr);
  g_test_add_func("/epoll-poller/readable-key", test_readable_key);
  g_test_add_func("/epoll-poller/modify-and-remove", test_modify_and_remove);
  g_test_add_func("/epoll-poller/hangup-without-interest", test_hangup_without_interest);
  g_test_add_func("/epoll-poller/destroy-inside-callback", test_destroy_inside_callback);
  return g_test_run();
}
