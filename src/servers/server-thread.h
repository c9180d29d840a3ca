// Small pieces shared by the media servers that run a GMainLoop on a thread of their own.
#pragma once

#include <glib.h>

namespace estuary {

// Stops `loop` (running, or about to run, on `context`) and joins `thread`. The quit is sent
// into the loop's own context: a g_main_loop_quit() that lands before the thread has entered
// g_main_loop_run() would be lost, and the join would never return.
inline void stop_server_thread(GMainContext *context, GMainLoop *loop, GThread *thread) {
  g_main_context_invoke(
      context,
      [](gpointer data) -> gboolean {
        g_main_loop_quit(static_cast<GMainLoop *>(data));
        return G_SOURCE_REMOVE;
      },
      loop);
  g_thread_join(thread);
}

}  // namespace estuary
