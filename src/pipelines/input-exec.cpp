#include "pipelines/input-exec.h"

#include <gio/gio.h>
#include <gst/app/gstappsrc.h>

#include <csignal>
#include <memory>
#include <mutex>
#include <thread>

#include "common/gref.h"
#include "pipelines/input-debug.h"
#include "pipelines/input-parse.h"

namespace estuary {

namespace {

constexpr gsize kReadSize = 64 * 1024;
constexpr gint64 kRestartDelayUs = G_USEC_PER_SEC;
constexpr gint64 kTermGraceUs = 2 * G_USEC_PER_SEC;
// How often a runner whose command is silent checks that its stream still runs.
constexpr guint kStateCheckMs = 500;

// A timer on `context` that sets `*flag` after `ms`: the deadline of a private wait loop.
GRef<GSource> flag_after(GMainContext *context, guint ms, bool *flag) {
  GRef<GSource> timer = GRef<GSource>::adopt(g_timeout_source_new(ms));
  g_source_set_callback(
      timer.get(),
      [](gpointer data) -> gboolean {
        *static_cast<bool *>(data) = true;
        return G_SOURCE_REMOVE;
      },
      flag, nullptr);
  g_source_attach(timer.get(), context);
  return timer;
}

// Runs the command for as long as its appsrc lives. Owned by a shared_ptr that the appsrc's
// object data and the runner thread both hold.
class ExecRunner : public std::enable_shared_from_this<ExecRunner> {
 public:
  ExecRunner(std::vector<std::string> argv, std::string stream, GstElement *appsrc)
      : argv_(std::move(argv)),
        stream_(std::move(stream)),
        cancel_(GRef<GCancellable>::adopt(g_cancellable_new())) {
    g_weak_ref_init(&appsrc_, appsrc);
  }
  ~ExecRunner() { g_weak_ref_clear(&appsrc_); }

  // The pipeline wants data: the first call starts the runner thread.
  void start() {
    std::lock_guard<std::mutex> guard(lock_);
    if (started_ || stopping_) return;
    started_ = true;
    std::shared_ptr<ExecRunner> self = shared_from_this();
    thread_ = std::thread([self] { self->loop(); });
  }

  // The appsrc is going away (any thread, possibly the runner's own when it held the last
  // reference): stop the process and the thread.
  void stop() {
    {
      std::lock_guard<std::mutex> guard(lock_);
      stopping_ = true;
      if (process_) g_subprocess_send_signal(process_.get(), SIGTERM);
    }
    g_cancellable_cancel(cancel_.get());
    if (!thread_.joinable()) return;
    if (thread_.get_id() == std::this_thread::get_id())
      thread_.detach();
    else
      thread_.join();
  }

 private:
  bool stopping() {
    std::lock_guard<std::mutex> guard(lock_);
    return stopping_;
  }

  // Posts an error from the appsrc so the stream fails (and always_on retries it).
  void fail(const GError *error) {
    GRef<GstElement> src =
        GRef<GstElement>::adopt(static_cast<GstElement *>(g_weak_ref_get(&appsrc_)));
    if (!src) return;
    gst_element_post_message(
        src.get(), gst_message_new_error(GST_OBJECT(src.get()), const_cast<GError *>(error),
                                         argv_[0].c_str()));
  }

  // The stream stopped when the appsrc is gone or no longer running (a leaked pipeline must not
  // keep the command alive): the runner then stops itself.
  bool appsrc_running() {
    GRef<GstElement> src =
        GRef<GstElement>::adopt(static_cast<GstElement *>(g_weak_ref_get(&appsrc_)));
    if (!src) return false;
    GstState state = GST_STATE_NULL;
    gst_element_get_state(src.get(), &state, nullptr, 0);
    return state >= GST_STATE_PAUSED;
  }

  void stop_self(const char *why) {
    GST_INFO("stream %s: stopping '%s': %s", stream_.c_str(), argv_[0].c_str(), why);
    std::lock_guard<std::mutex> guard(lock_);
    stopping_ = true;
  }

  // False when the appsrc is gone or flushing (stopped): the stream no longer wants data.
  bool push(const guint8 *data, gsize size) {
    GRef<GstElement> src =
        GRef<GstElement>::adopt(static_cast<GstElement *>(g_weak_ref_get(&appsrc_)));
    if (!src) return false;
    GstBuffer *buf = gst_buffer_new_memdup(data, size);
    return gst_app_src_push_buffer(GST_APP_SRC(src.get()), buf) != GST_FLOW_FLUSHING;
  }

  // Waits up to `ms` for `in` to have data (or end). False on timeout or cancel.
  bool wait_readable(GPollableInputStream *in, guint ms) {
    if (g_pollable_input_stream_is_readable(in)) return true;
    GRef<GMainContext> context = GRef<GMainContext>::adopt(g_main_context_new());
    bool ready = false, late = false;
    GRef<GSource> readable =
        GRef<GSource>::adopt(g_pollable_input_stream_create_source(in, cancel_.get()));
    GPollableSourceFunc on_readable = [](GObject *, gpointer flag) -> gboolean {
      *static_cast<bool *>(flag) = true;
      return G_SOURCE_REMOVE;
    };
    // A pollable source calls a GPollableSourceFunc through the GSourceFunc slot.
    g_source_set_callback(readable.get(), G_SOURCE_FUNC(on_readable), &ready, nullptr);
    g_source_attach(readable.get(), context.get());
    GRef<GSource> timer = flag_after(context.get(), ms, &late);
    while (!ready && !late) g_main_context_iteration(context.get(), TRUE);
    g_source_destroy(readable.get());
    g_source_destroy(timer.get());
    return ready && !g_cancellable_is_cancelled(cancel_.get());
  }

  // Ends `process`: SIGTERM, then SIGKILL if it is still there after the grace time. Returns
  // once it has been reaped. Waits on a private context so no other loop is involved.
  static void end_process(GSubprocess *process) {
    g_subprocess_send_signal(process, SIGTERM);
    GRef<GMainContext> context = GRef<GMainContext>::adopt(g_main_context_new());
    g_main_context_push_thread_default(context.get());
    bool exited = false, late = false;
    g_subprocess_wait_async(
        process, nullptr,
        [](GObject *, GAsyncResult *, gpointer done) { *static_cast<bool *>(done) = true; },
        &exited);
    GRef<GSource> timer = flag_after(context.get(), kTermGraceUs / 1000, &late);
    while (!exited && !late) g_main_context_iteration(context.get(), TRUE);
    if (!exited) g_subprocess_force_exit(process);
    // The wait must complete before `exited` goes out of scope.
    while (!exited) g_main_context_iteration(context.get(), TRUE);
    g_source_destroy(timer.get());
    g_main_context_pop_thread_default(context.get());
  }

  void loop() {
    std::vector<const gchar *> argv;
    for (const std::string &a : argv_) argv.push_back(a.c_str());
    argv.push_back(nullptr);
    std::vector<guint8> buf(kReadSize);
    guint runs = 0;
    while (!stopping()) {
      GError *error = nullptr;
      GRef<GSubprocess> process = GRef<GSubprocess>::adopt(
          g_subprocess_newv(argv.data(),
                            static_cast<GSubprocessFlags>(G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                          G_SUBPROCESS_FLAGS_STDIN_INHERIT |
                                                          G_SUBPROCESS_FLAGS_STDERR_SILENCE),
                            &error));
      if (!process) {
        GST_WARNING("stream %s: cannot run '%s': %s", stream_.c_str(), argv_[0].c_str(),
                    error->message);
        fail(error);
        g_error_free(error);
        return;
      }
      {
        std::lock_guard<std::mutex> guard(lock_);
        process_ = process;
        if (stopping_) g_subprocess_send_signal(process.get(), SIGTERM);
      }
      runs++;
      GST_INFO("stream %s: started '%s' (run %u, pid %s)", stream_.c_str(), argv_[0].c_str(), runs,
               g_subprocess_get_identifier(process.get()));
      GInputStream *out = g_subprocess_get_stdout_pipe(process.get());
      guint64 total = 0;
      while (!stopping()) {
        if (G_IS_POLLABLE_INPUT_STREAM(out) &&
            !wait_readable(G_POLLABLE_INPUT_STREAM(out), kStateCheckMs)) {
          if (!appsrc_running()) stop_self("the stream stopped");
          continue;
        }
        gssize n = g_input_stream_read(out, buf.data(), buf.size(), cancel_.get(), nullptr);
        if (n <= 0) break;
        total += static_cast<guint64>(n);
        if (!push(buf.data(), static_cast<gsize>(n))) stop_self("the stream stopped");
      }
      end_process(process.get());
      {
        std::lock_guard<std::mutex> guard(lock_);
        process_ = GRef<GSubprocess>();
      }
      GST_INFO("stream %s: '%s' exited after %" G_GUINT64_FORMAT " bytes%s", stream_.c_str(),
               argv_[0].c_str(), total, stopping() ? "" : "; restarting");
      // Restart after a pause, unless told to stop meanwhile.
      gint64 until = g_get_monotonic_time() + kRestartDelayUs;
      while (!stopping() && g_get_monotonic_time() < until) g_usleep(50000);
    }
  }

  const std::vector<std::string> argv_;
  const std::string stream_;
  GRef<GCancellable> cancel_;
  GWeakRef appsrc_;
  std::thread thread_;
  std::mutex lock_;  // guards the members below
  GRef<GSubprocess> process_;
  bool started_ = false;
  bool stopping_ = false;
};

struct RunnerHandle {
  std::shared_ptr<ExecRunner> runner;
};

void on_need_data(GstAppSrc *, guint, gpointer data) {
  static_cast<RunnerHandle *>(data)->runner->start();
}

}  // namespace

std::vector<std::string> split_exec_command(std::string_view command) {
  std::vector<std::string> argv;
  while (!command.empty()) {
    size_t space = command.find(' ');
    std::string_view part = command.substr(0, space);
    if (!part.empty()) argv.emplace_back(part);
    if (space == std::string_view::npos) break;
    command = command.substr(space + 1);
  }
  return argv;
}

GstElement *input_exec_build(const InputDescriptor &input, std::string_view source,
                             std::string_view stream_name, GError **error) {
  size_t colon = source.find(':');
  std::string_view scheme = source.substr(0, colon);
  std::vector<std::string> argv = colon == std::string_view::npos
                                      ? std::vector<std::string>()
                                      : split_exec_command(source.substr(colon + 1));
  const bool ts =
      g_ascii_strncasecmp(scheme.data(), "ts-exec", scheme.size()) == 0 && scheme.size() == 7;
  if (argv.empty()) {
    g_set_error(error, ESTUARY_INPUT_ERROR, INPUT_ERROR_INVALID, "'%.*s' has no command",
                static_cast<int>(source.size()), source.data());
    return nullptr;
  }
  GRef<GstElement> bin = GRef<GstElement>::adopt(gst_bin_new(nullptr));
  GstElement *src = gst_element_factory_make("appsrc", "exec");
  if (!src) {
    g_set_error(error, ESTUARY_INPUT_ERROR, INPUT_ERROR_UNSUPPORTED, "appsrc is not installed");
    return nullptr;
  }
  GRef<GstCaps> caps = GRef<GstCaps>::adopt(
      gst_caps_from_string(ts ? "video/mpegts, systemstream=(boolean)true"
                              : "video/x-h264, stream-format=(string)byte-stream"));
  // H.264 elementary streams carry no time: buffers are stamped as they arrive.
  g_object_set(src, "caps", caps.get(), "is-live", TRUE, "format",
               ts ? GST_FORMAT_BYTES : GST_FORMAT_TIME, "do-timestamp", ts ? FALSE : TRUE,
               "max-bytes", static_cast<guint64>(8 * 1024 * 1024), "block", FALSE, nullptr);
  auto *handle =
      new RunnerHandle{std::make_shared<ExecRunner>(argv, std::string(stream_name), src)};
  g_object_set_data_full(G_OBJECT(src), "estuary-exec-runner", handle, [](gpointer p) {
    auto *h = static_cast<RunnerHandle *>(p);
    h->runner->stop();
    delete h;
  });
  GstAppSrcCallbacks callbacks = {};
  callbacks.need_data = on_need_data;
  gst_app_src_set_callbacks(GST_APP_SRC(src), &callbacks, handle, nullptr);
  gst_bin_add(GST_BIN(bin.get()), src);
  GRef<GstPad> pad = GRef<GstPad>::adopt(gst_element_get_static_pad(src, "src"));
  if (!input_parse_attach(GST_BIN(bin.get()), pad.get(), error)) return nullptr;
  GST_INFO("stream %.*s: %s input runs '%s'", static_cast<int>(stream_name.size()),
           stream_name.data(), input.name.c_str(), argv[0].c_str());
  GstElement *result = bin.release();
  g_object_force_floating(G_OBJECT(result));
  return result;
}

}  // namespace estuary
