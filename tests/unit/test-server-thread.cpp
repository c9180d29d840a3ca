// ServerThread: the start handshake (port or bind error back to the caller), the loop running on
// the server's own context, and the stop (quit from inside the context, join) at any moment.
#include <gio/gio.h>

#include <atomic>
#include <thread>

#include "common/gref.h"
#include "servers/server-thread.h"

using estuary::GRef;
using estuary::ServerThread;

// A real listening socket on 127.0.0.1 port 0, served by a GSocketService on the thread.
static void test_serves_on_its_context() {
  ServerThread thread;
  std::atomic<bool> accepted{false};
  std::atomic<bool> on_own_thread{false};
  GMainContext *server_context = thread.context();
  GError *error = nullptr;
  guint port = thread.start(
      "test-server",
      [&](ServerThread &t) {
        GRef<GSocketService> service = GRef<GSocketService>::adopt(g_socket_service_new());
        GError *err = nullptr;
        guint16 bound = g_socket_listener_add_any_inet_port(G_SOCKET_LISTENER(service.get()),
                                                            nullptr, &err);
        if (bound == 0) {
          t.fail(err);
          return;
        }
        struct Seen {
          std::atomic<bool> *accepted, *on_own_thread;
          GMainContext *context;
        } seen{&accepted, &on_own_thread, server_context};
        g_signal_connect(service.get(), "incoming",
                         G_CALLBACK(+[](GSocketService *, GSocketConnection *, GObject *,
                                        gpointer data) -> gboolean {
                           auto *s = static_cast<Seen *>(data);
                           s->on_own_thread->store(g_main_context_is_owner(s->context));
                           s->accepted->store(true);
                           return FALSE;
                         }),
                         &seen);
        g_socket_service_start(service.get());
        t.serve(bound);
        g_socket_service_stop(service.get());
        g_socket_listener_close(G_SOCKET_LISTENER(service.get()));
        t.drain();
      },
      &error);
  g_assert_no_error(error);
  g_assert_cmpuint(port, >, 0);
  g_assert_cmpuint(thread.port(), ==, port);
  g_assert_true(thread.running());

  GRef<GSocketClient> client = GRef<GSocketClient>::adopt(g_socket_client_new());
  GRef<GSocketConnection> conn = GRef<GSocketConnection>::adopt(
      g_socket_client_connect_to_host(client.get(), "127.0.0.1", port, nullptr, &error));
  g_assert_no_error(error);
  gint64 deadline = g_get_monotonic_time() + 10 * G_TIME_SPAN_SECOND;
  while (!accepted.load() && g_get_monotonic_time() < deadline) g_usleep(1000);
  g_assert_true(accepted.load());
  g_assert_true(on_own_thread.load());

  thread.stop();
  g_assert_false(thread.running());
  thread.stop();  // idempotent
}

// A bind error reaches start()'s caller, the thread is joined, nothing runs.
static void test_reports_failure() {
  ServerThread thread;
  GError *error = nullptr;
  guint port = thread.start(
      "test-server",
      [](ServerThread &t) {
        t.fail(g_error_new(G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE, "taken"));
      },
      &error);
  g_assert_cmpuint(port, ==, 0);
  g_assert_error(error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE);
  g_assert_cmpstr(error->message, ==, "taken");
  g_clear_error(&error);
  g_assert_false(thread.running());
}

// A body that returns without serve() or fail() must not leave start() waiting forever.
static void test_body_without_answer() {
  ServerThread thread;
  GError *error = nullptr;
  guint port = thread.start("test-server", [](ServerThread &) {}, &error);
  g_assert_cmpuint(port, ==, 0);
  g_assert_error(error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_clear_error(&error);
}

// Stopped at once after start(): the quit sent into the context is not lost even when the
// thread has not yet entered the loop.
static void test_stop_right_away() {
  for (int i = 0; i < 200; i++) {
    ServerThread thread;
    GError *error = nullptr;
    guint port = thread.start("test-server", [](ServerThread &t) { t.serve(1); }, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(port, ==, 1);
  }  // the destructor stops
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, nullptr);
  g_test_add_func("/server-thread/serves-on-its-context", test_serves_on_its_context);
  g_test_add_func("/server-thread/reports-failure", test_reports_failure);
  g_test_add_func("/server-thread/body-without-answer", test_body_without_answer);
  g_test_add_func("/server-thread/stop-right-away", test_stop_right_away);
  return g_test_run();
}
