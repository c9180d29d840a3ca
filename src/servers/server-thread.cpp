#include "servers/server-thread.h"

#include <utility>

namespace estuary {

namespace {

// A bound on drain(): a shutdown posts a handful of removals per client, not an endless stream.
constexpr int kDrainIterations = 100;

}  // namespace

ServerThread::ServerThread()
    : context_(GRef<GMainContext>::adopt(g_main_context_new())),
      loop_(GRef<GMainLoop>::adopt(g_main_loop_new(context_.get(), FALSE))) {}

ServerThread::~ServerThread() {
  stop();
  if (error_) g_error_free(error_);
}

guint ServerThread::start(const char *name, Body body, GError **error) {
  body_ = std::move(body);
  thread_ = g_thread_new(name, run, this);
  GError *failed = nullptr;
  {
    std::unique_lock<std::mutex> guard(lock_);
    cond_.wait(guard, [this] { return reported_; });
    failed = std::exchange(error_, nullptr);
  }
  if (failed) {
    g_thread_join(thread_);
    thread_ = nullptr;
    g_propagate_error(error, failed);
    return 0;
  }
  return port_;
}

void ServerThread::stop() {
  if (!thread_) return;
  // The quit is sent into the loop's own context: a g_main_loop_quit() that lands before the
  // thread has entered g_main_loop_run() would be lost, and the join would never return.
  g_main_context_invoke(
      context_.get(),
      [](gpointer data) -> gboolean {
        g_main_loop_quit(static_cast<GMainLoop *>(data));
        return G_SOURCE_REMOVE;
      },
      loop_.get());
  g_thread_join(thread_);
  thread_ = nullptr;
}

gpointer ServerThread::run(gpointer data) {
  auto *t = static_cast<ServerThread *>(data);
  g_main_context_push_thread_default(t->context_.get());
  t->body_(*t);
  bool reported;
  {
    std::lock_guard<std::mutex> guard(t->lock_);
    reported = t->reported_;
  }
  g_main_context_pop_thread_default(t->context_.get());
  // A body that returns without serve() or fail() must not leave start() waiting forever.
  if (!reported) {
    t->report(g_error_new(G_IO_ERROR, G_IO_ERROR_FAILED, "server ended before listening"), 0);
  }
  return nullptr;
}

void ServerThread::report(GError *error, guint port) {
  std::lock_guard<std::mutex> guard(lock_);
  reported_ = true;
  error_ = error;
  port_ = port;
  cond_.notify_all();
}

void ServerThread::serve(guint port) {
  running_ = true;
  report(nullptr, port);
  g_main_loop_run(loop_.get());
  running_ = false;
}

void ServerThread::fail(GError *error) { report(error, 0); }

void ServerThread::drain() {
  for (int i = 0; i < kDrainIterations && g_main_context_iteration(context_.get(), FALSE); i++) {
  }
}

}  // namespace estuary
