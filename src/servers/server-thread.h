// ServerThread: the thread a media server (HTTP, RTMP, RTSP) runs its GMainLoop on, with its own
// GMainContext, so slow clients never stall the control thread (DESIGN.md). It owns the
// start-up handshake (the control thread waits until the server listens, or learns why it
// cannot) and the stop (quit the loop from inside its context, join).
//
//   ServerThread thread;                       // the context exists from here on
//   guint port = thread.start("estuary-rtmp", [](ServerThread &t) {
//     ... bind; on failure: t.fail(error); return;
//     t.serve(bound_port);                     // runs the loop until the thread is stopped
//     ... shut down, still on the server thread (t.drain() runs what the shutdown posted)
//   }, error);
//
// The body runs with the context pushed as thread-default; locals it creates are gone before
// the context is popped.
#pragma once

#include <gio/gio.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>

#include "common/gref.h"

namespace estuary {

class ServerThread {
 public:
  using Body = std::function<void(ServerThread &)>;

  ServerThread();
  ~ServerThread();  // stop()
  ServerThread(const ServerThread &) = delete;
  ServerThread &operator=(const ServerThread &) = delete;

  // Control thread, once. Starts the thread and waits until `body` has called serve() or
  // fail(). Returns the port serve() reported; 0 with `error` set (and the thread joined) when
  // the body failed or returned without serving.
  guint start(const char *name, Body body, GError **error);
  // Control thread: quits the loop and joins the thread. Idempotent.
  void stop();

  // The server's context (transfer none); valid for the object's lifetime. Any thread.
  GMainContext *context() const { return context_.get(); }
  // True between serve() and the loop's end. Any thread.
  bool running() const { return running_.load(); }
  // The port serve() reported, 0 before. Control thread after start().
  guint port() const { return port_; }

  // Server thread, from the body. Reports success and runs the loop until stop().
  void serve(guint port);
  // Server thread, from the body: reports `error` (transfer full) to start(); return afterwards.
  void fail(GError *error);
  // Server thread: runs what is already pending on the context (removals posted during a
  // shutdown), a bounded number of iterations.
  void drain();

 private:
  static gpointer run(gpointer data);
  void report(GError *error, guint port);

  GRef<GMainContext> context_;
  GRef<GMainLoop> loop_;
  GThread *thread_ = nullptr;
  Body body_;
  std::atomic<bool> running_{false};

  std::mutex lock_;  // guards the three start-up results below
  std::condition_variable cond_;
  bool reported_ = false;
  GError *error_ = nullptr;  // transfer: to start()'s caller
  guint port_ = 0;
};

}  // namespace estuary
