#include "pipelines/fanout.h"

#include <algorithm>
#include <deque>

GST_DEBUG_CATEGORY_STATIC(fanout_debug);
#define GST_CAT_DEFAULT fanout_debug

namespace estuary {

namespace {

// A pushed buffer with its bytes mapped once, shared by every viewer's queue.
struct Item {
  GRef<GstBuffer> buf;
  GRef<GBytes> bytes;  // null when the buffer could not be mapped
};

struct MappedBuffer {
  GstBuffer *buf;
  GstMapInfo info;
};

// The bytes of `buf` as a GBytes that keeps one read mapping for as long as it lives.
GRef<GBytes> map_bytes(GstBuffer *buf) {
  auto *m = new MappedBuffer{gst_buffer_ref(buf), GstMapInfo{}};
  if (!gst_buffer_map(m->buf, &m->info, GST_MAP_READ)) {
    gst_buffer_unref(m->buf);
    delete m;
    return nullptr;
  }
  return GRef<GBytes>::adopt(g_bytes_new_with_free_func(
      m->info.data, m->info.size,
      [](gpointer d) {
        auto *mb = static_cast<MappedBuffer *>(d);
        gst_buffer_unmap(mb->buf, &mb->info);
        gst_buffer_unref(mb->buf);
        delete mb;
      },
      m));
}

Item make_item(GstBuffer *buf) { return Item{GRef<GstBuffer>::ref(buf), map_bytes(buf)}; }

struct Entry {
  GRef<GstBuffer> buf;
  GRef<GBytes> bytes;
  GstClockTime ts;
  bool header;
};

GstClockTime timestamp_of(GstBuffer *buf) { return GST_BUFFER_DTS_OR_PTS(buf); }
bool is_keyframe(GstBuffer *buf) {
  return !GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_DELTA_UNIT);
}

}  // namespace

struct FanoutViewer::State {
  std::function<void()> wakeup;
  std::deque<Entry> queue;
  uint64_t queued_bytes = 0;
  uint64_t bytes_sent = 0;
  uint64_t skips = 0;
  bool wait_keyframe = false;  // skipping until the next buffer a viewer may start at
  bool need_headers = true;    // headers must precede the next keyframe we queue
  // A viewer that overflows again before it ever emptied its queue since the last skip cannot
  // keep up and is dropped.
  bool drained_since_skip = true;
  bool ended = false;  // no more buffers will be queued
  std::string reason;
};

struct Fanout::Impl {
  std::string name;
  Limits limits;
  mutable GMutex lock;  // guards everything below and every viewer's State
  std::vector<Item> headers;
  std::vector<Item> gop;  // since the latest keyframe; empty when invalid
  uint64_t gop_bytes = 0;
  bool gop_valid = false;
  bool ended = false;
  uint64_t pushed = 0;
  std::vector<std::shared_ptr<FanoutViewer::State>> viewers;

  Impl() { g_mutex_init(&lock); }
  ~Impl() { g_mutex_clear(&lock); }

  // Call with lock held.
  void enqueue(FanoutViewer::State &v, const Item &item, bool header) {
    v.queue.push_back(Entry{item.buf, item.bytes, timestamp_of(item.buf.get()), header});
    v.queued_bytes += gst_buffer_get_size(item.buf.get());
  }
  void enqueue_headers(FanoutViewer::State &v) {
    for (auto &h : headers) enqueue(v, h, true);
    v.need_headers = false;
  }
  bool over_limit(const FanoutViewer::State &v) const {
    if (v.queued_bytes > limits.max_backlog_bytes) return true;
    if (v.queue.empty() || limits.max_backlog_time == GST_CLOCK_TIME_NONE) return false;
    GstClockTime first = GST_CLOCK_TIME_NONE;
    for (const auto &e : v.queue) {  // the first stamped entry; headers usually have none
      if (GST_CLOCK_TIME_IS_VALID(e.ts)) {
        first = e.ts;
        break;
      }
    }
    GstClockTime last = v.queue.back().ts;
    return GST_CLOCK_TIME_IS_VALID(first) && GST_CLOCK_TIME_IS_VALID(last) && last > first &&
           last - first > limits.max_backlog_time;
  }
  void clear_queue(FanoutViewer::State &v) {
    // Headers never pulled must be sent again before the viewer resumes.
    for (const auto &e : v.queue)
      if (e.header) v.need_headers = true;
    v.queue.clear();
    v.queued_bytes = 0;
  }
  void remove(const std::shared_ptr<FanoutViewer::State> &v) {
    viewers.erase(std::remove(viewers.begin(), viewers.end(), v), viewers.end());
  }
};

std::shared_ptr<Fanout> Fanout::create(const std::string &name, const Limits &limits) {
  static gsize once = 0;
  if (g_once_init_enter(&once)) {
    GST_DEBUG_CATEGORY_INIT(fanout_debug, "estuary-fanout", 0, "Estuary output fan-out");
    g_once_init_leave(&once, 1);
  }
  auto impl = std::make_shared<Impl>();
  impl->name = name;
  impl->limits = limits;
  return std::shared_ptr<Fanout>(new Fanout(std::move(impl)));
}

Fanout::Fanout(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

Fanout::~Fanout() { end(); }

void Fanout::set_headers(const std::vector<GstBuffer *> &headers) {
  MutexLock l(&impl_->lock);
  impl_->headers.clear();
  for (GstBuffer *h : headers) impl_->headers.push_back(make_item(h));
  GST_DEBUG("%s: %zu header buffers", impl_->name.c_str(), headers.size());
}

void Fanout::push(GstBuffer *buf) {
  std::vector<std::shared_ptr<FanoutViewer::State>> wake;
  const Item item = make_item(buf);  // mapped outside the lock, once for every viewer
  {
    MutexLock l(&impl_->lock);
    Impl &f = *impl_;
    if (f.ended) return;
    f.pushed++;
    const bool key = is_keyframe(buf);
    const uint64_t size = gst_buffer_get_size(buf);
    if (key) {
      f.gop.clear();
      f.gop_bytes = 0;
      f.gop_valid = true;
    }
    if (f.gop_valid) {
      f.gop.push_back(item);
      f.gop_bytes += size;
      if (f.gop_bytes > f.limits.max_gop_bytes) {
        GST_WARNING("%s: keyframe cache over %" G_GUINT64_FORMAT " bytes, dropped", f.name.c_str(),
                    f.limits.max_gop_bytes);
        f.gop.clear();
        f.gop_bytes = 0;
        f.gop_valid = false;
      }
    }
    std::vector<std::shared_ptr<FanoutViewer::State>> dropped;
    for (auto &vp : f.viewers) {
      FanoutViewer::State &v = *vp;
      if (v.wait_keyframe) {
        if (!key) continue;
        v.wait_keyframe = false;
      }
      const bool was_empty = v.queue.empty();
      if (v.need_headers) f.enqueue_headers(v);
      f.enqueue(v, item, false);
      if (f.over_limit(v)) {
        f.clear_queue(v);
        if (!v.drained_since_skip) {
          GST_INFO("%s: dropping a viewer that cannot keep up", f.name.c_str());
          v.ended = true;
          v.reason = "too slow";
          dropped.push_back(vp);
          wake.push_back(vp);
          continue;
        }
        v.skips++;
        v.drained_since_skip = false;
        GST_INFO("%s: viewer behind, skipping to the next keyframe (skip %" G_GUINT64_FORMAT ")",
                 f.name.c_str(), v.skips);
        v.wait_keyframe = true;
        continue;
      }
      if (was_empty) wake.push_back(vp);
    }
    for (auto &d : dropped) f.remove(d);
  }
  for (auto &v : wake)
    if (v->wakeup) v->wakeup();
}

void Fanout::end() {
  std::vector<std::shared_ptr<FanoutViewer::State>> wake;
  {
    MutexLock l(&impl_->lock);
    if (impl_->ended) return;
    impl_->ended = true;
    for (auto &v : impl_->viewers) {
      v->ended = true;
      if (v->reason.empty()) v->reason = "end of stream";
      wake.push_back(v);
    }
    impl_->viewers.clear();
    impl_->gop.clear();
    impl_->gop_bytes = 0;
  }
  for (auto &v : wake)
    if (v->wakeup) v->wakeup();
}

std::shared_ptr<FanoutViewer> Fanout::add_viewer(std::function<void()> wakeup) {
  auto state = std::make_shared<FanoutViewer::State>();
  state->wakeup = std::move(wakeup);
  {
    MutexLock l(&impl_->lock);
    Impl &f = *impl_;
    if (f.ended) {
      state->ended = true;
      state->reason = "end of stream";
    } else {
      if (f.gop_valid && !f.gop.empty()) {
        f.enqueue_headers(*state);
        for (auto &b : f.gop) f.enqueue(*state, b, false);
      } else {
        state->wait_keyframe = true;  // headers are queued right before that keyframe
      }
      f.viewers.push_back(state);
    }
  }
  return std::make_shared<FanoutViewer>(impl_, state);
}

size_t Fanout::viewer_count() const {
  MutexLock l(&impl_->lock);
  return impl_->viewers.size();
}

uint64_t Fanout::gop_bytes() const {
  MutexLock l(&impl_->lock);
  return impl_->gop_bytes;
}

uint64_t Fanout::buffers_pushed() const {
  MutexLock l(&impl_->lock);
  return impl_->pushed;
}

FanoutViewer::FanoutViewer(std::shared_ptr<Fanout::Impl> fanout, std::shared_ptr<State> state)
    : fanout_(std::move(fanout)), state_(std::move(state)) {}

FanoutViewer::~FanoutViewer() { close(); }

namespace {

// Takes the viewer's next entry off its queue and accounts for it. The fanout's lock is held.
bool take_front(FanoutViewer::State &v, Entry *e) {
  if (v.queue.empty()) return false;
  *e = std::move(v.queue.front());
  v.queue.pop_front();
  const uint64_t size = gst_buffer_get_size(e->buf.get());
  v.queued_bytes -= size;
  v.bytes_sent += size;
  if (v.queue.empty()) v.drained_since_skip = true;
  return true;
}

}  // namespace

GRef<GstBuffer> FanoutViewer::pull() {
  MutexLock l(&fanout_->lock);
  Entry e;
  if (!take_front(*state_, &e)) return nullptr;
  return std::move(e.buf);
}

GRef<GBytes> FanoutViewer::pull_bytes(GstClockTime *timestamp) {
  MutexLock l(&fanout_->lock);
  Entry e;
  if (!take_front(*state_, &e)) return nullptr;
  if (timestamp) *timestamp = e.ts;
  // An unmappable buffer (never seen in practice) goes out empty rather than stalling the viewer.
  return e.bytes ? std::move(e.bytes) : GRef<GBytes>::adopt(g_bytes_new(nullptr, 0));
}

bool FanoutViewer::closed() const {
  MutexLock l(&fanout_->lock);
  return state_->ended && state_->queue.empty();
}

std::string FanoutViewer::close_reason() const {
  MutexLock l(&fanout_->lock);
  return state_->reason;
}

void FanoutViewer::close() {
  MutexLock l(&fanout_->lock);
  if (!state_->ended || !state_->queue.empty()) {
    state_->ended = true;
    if (state_->reason.empty()) state_->reason = "closed";
    fanout_->clear_queue(*state_);
  }
  fanout_->remove(state_);
}

uint64_t FanoutViewer::bytes_sent() const {
  MutexLock l(&fanout_->lock);
  return state_->bytes_sent;
}

uint64_t FanoutViewer::skips() const {
  MutexLock l(&fanout_->lock);
  return state_->skips;
}

uint64_t FanoutViewer::queued_bytes() const {
  MutexLock l(&fanout_->lock);
  return state_->queued_bytes;
}

}  // namespace estuary
