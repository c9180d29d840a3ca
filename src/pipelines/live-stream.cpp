#include "pipelines/live-stream.h"

#include "elements/estbuffer-meta.h"
#include "elements/estbuffer-ring.h"

namespace estuary {

namespace {

// Runs `fn` once on `context` (a copy is kept alive until then).
void post(GMainContext *context, std::function<void()> fn) {
  auto *heap = new std::function<void()>(std::move(fn));
  g_main_context_invoke_full(
      context, G_PRIORITY_DEFAULT,
      [](gpointer data) -> gboolean {
        (*static_cast<std::function<void()> *>(data))();
        return G_SOURCE_REMOVE;
      },
      heap, [](gpointer data) { delete static_cast<std::function<void()> *>(data); });
}

}  // namespace

LiveStream::LiveStream(std::string name, std::shared_ptr<BufferRing> ring, bool live,
                       guint64 segment_ms)
    : name_(name), ring_(ring), live_(live), hub_(std::move(name), std::move(ring), live, segment_ms) {}

JsonObject *LiveStream::meta_json() const { return stream_meta_to_json(ring_->snapshot()); }

void StreamDirectory::set_control(GMainContext *control,
                                  std::function<void(const std::string &name)> start) {
  std::lock_guard<std::mutex> guard(lock_);
  control_ = GRef<GMainContext>::ref(control);
  start_ = std::move(start);
}

std::shared_ptr<LiveStream> StreamDirectory::find(const std::string &name) const {
  std::lock_guard<std::mutex> guard(lock_);
  auto it = streams_.find(name);
  return it == streams_.end() ? nullptr : it->second;
}

void StreamDirectory::request(const std::string &name, GMainContext *context, guint timeout_ms,
                              Ready done) {
  std::shared_ptr<LiveStream> ready;
  auto waiter = std::make_shared<Waiter>();
  {
    std::lock_guard<std::mutex> guard(lock_);
    auto it = streams_.find(name);
    if (it != streams_.end()) {
      ready = it->second;
    } else {
      waiter->context = GRef<GMainContext>::ref(context);
      waiter->done = std::move(done);
      waiters_.emplace(name, waiter);
      // The timeout fires on the requester's context and completes this waiter only.
      GSource *timeout = g_timeout_source_new(timeout_ms);
      struct TimeoutData {
        StreamDirectory *dir;
        std::string name;
        std::weak_ptr<Waiter> waiter;
      };
      auto *data = new TimeoutData{this, name, waiter};
      g_source_set_callback(
          timeout,
          [](gpointer p) -> gboolean {
            auto *d = static_cast<TimeoutData *>(p);
            std::shared_ptr<Waiter> w = d->waiter.lock();
            if (!w) return G_SOURCE_REMOVE;
            Ready fn;
            {
              std::lock_guard<std::mutex> guard(d->dir->lock_);
              if (w->fired) return G_SOURCE_REMOVE;
              w->fired = true;
              fn = std::move(w->done);
              auto range = d->dir->waiters_.equal_range(d->name);
              for (auto it = range.first; it != range.second; ++it) {
                if (it->second == w) {
                  d->dir->waiters_.erase(it);
                  break;
                }
              }
            }
            fn(nullptr, "the stream did not become ready in time");
            return G_SOURCE_REMOVE;
          },
          data, [](gpointer p) { delete static_cast<TimeoutData *>(p); });
      g_source_attach(timeout, context);
      waiter->timeout = timeout;
      g_source_unref(timeout);
      if (control_ && start_) {
        auto start = start_;
        post(control_.get(), [start, name] { start(name); });
      }
    }
  }
  if (ready) done(ready, "");
}

void StreamDirectory::complete_waiters(const std::string &name, std::shared_ptr<LiveStream> stream,
                                       const std::string &error) {
  std::vector<std::shared_ptr<Waiter>> done;
  {
    std::lock_guard<std::mutex> guard(lock_);
    auto range = waiters_.equal_range(name);
    for (auto it = range.first; it != range.second; ++it) {
      if (it->second->fired) continue;
      it->second->fired = true;
      done.push_back(it->second);
    }
    waiters_.erase(range.first, range.second);
  }
  for (auto &w : done) {
    g_source_destroy(w->timeout);
    Ready fn = std::move(w->done);
    post(w->context.get(), [fn, stream, error] { fn(stream, error); });
  }
}

void StreamDirectory::publish(std::shared_ptr<LiveStream> stream) {
  {
    std::lock_guard<std::mutex> guard(lock_);
    streams_[stream->name()] = stream;
  }
  complete_waiters(stream->name(), stream, "");
}

void StreamDirectory::withdraw(const std::string &name) {
  std::shared_ptr<LiveStream> old;
  {
    std::lock_guard<std::mutex> guard(lock_);
    auto it = streams_.find(name);
    if (it == streams_.end()) return;
    old = std::move(it->second);
    streams_.erase(it);
  }
  old->outputs().stop();
}

void StreamDirectory::fail(const std::string &name, const std::string &error) {
  complete_waiters(name, nullptr, error);
}

void StreamDirectory::set_push_handler(PushHandler handler) {
  std::lock_guard<std::mutex> guard(lock_);
  push_handler_ = std::move(handler);
}

void StreamDirectory::accept_push(const PushRequest &request, GMainContext *context,
                                  PushAccepted done) {
  GRef<GMainContext> reply_to = GRef<GMainContext>::ref(context);
  PushAccepted reply = [reply_to, done](std::shared_ptr<PushFeed> feed, const std::string &error) {
    post(reply_to.get(), [done, feed, error] { done(feed, error); });
  };
  std::lock_guard<std::mutex> guard(lock_);
  if (!control_ || !push_handler_) {
    reply(nullptr, "pushes are not accepted yet");
    return;
  }
  auto handler = push_handler_;
  post(control_.get(), [handler, request, reply] { handler(request, reply); });
}

void StreamDirectory::set_session_hooks(SessionHooks hooks) {
  std::lock_guard<std::mutex> guard(lock_);
  hooks_ = std::move(hooks);
}

std::shared_ptr<guint64> StreamDirectory::session_open(const ViewerReport &report) {
  auto id = std::make_shared<guint64>(0);
  std::lock_guard<std::mutex> guard(lock_);
  if (!control_ || !hooks_.open) return id;
  auto open = hooks_.open;
  post(control_.get(), [open, report, id] { *id = open(report); });
  return id;
}

void StreamDirectory::session_update(const std::shared_ptr<guint64> &id, gint64 position_ms,
                                     guint64 down, guint64 up) {
  std::lock_guard<std::mutex> guard(lock_);
  if (!control_ || !hooks_.update) return;
  auto update = hooks_.update;
  // `*id` is read on the control thread, after the open posted before it has run.
  post(control_.get(), [update, id, position_ms, down, up] {
    if (*id) update(*id, position_ms, down, up);
  });
}

void StreamDirectory::session_close(const std::shared_ptr<guint64> &id) {
  std::lock_guard<std::mutex> guard(lock_);
  if (!control_ || !hooks_.close) return;
  auto close = hooks_.close;
  post(control_.get(), [close, id] {
    if (*id) close(*id);
  });
}

}  // namespace estuary
