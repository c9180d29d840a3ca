// Fanout: shared buffers, headers + latest keyframe for new viewers, bounded backlogs.
#include <gst/gst.h>

#include <atomic>
#include <thread>
#include <vector>

#include "pipelines/fanout.h"

using namespace estuary;

static GRef<GstBuffer> make_buf(gsize size, bool key, GstClockTime pts) {
  GRef<GstBuffer> b = GRef<GstBuffer>::adopt(gst_buffer_new_allocate(nullptr, size, nullptr));
  if (!key) GST_BUFFER_FLAG_SET(b.get(), GST_BUFFER_FLAG_DELTA_UNIT);
  GST_BUFFER_PTS(b.get()) = pts;
  return b;
}

static std::vector<GstBuffer *> drain(FanoutViewer &v) {
  std::vector<GstBuffer *> out;
  while (GRef<GstBuffer> b = v.pull()) out.push_back(b.get());  // pointers only, for identity
  return out;
}

static void test_twenty_viewers_share_buffers() {
  auto fan = Fanout::create("test");
  GRef<GstBuffer> h1 = make_buf(13, true, GST_CLOCK_TIME_NONE);
  GRef<GstBuffer> h2 = make_buf(40, true, GST_CLOCK_TIME_NONE);
  fan->set_headers({h1.get(), h2.get()});
  std::vector<GRef<GstBuffer>> stream;  // keeps the buffers alive so pointers stay unique
  for (int i = 0; i < 25; i++) {
    stream.push_back(make_buf(100, i % 10 == 0, i * GST_SECOND / 10));
    fan->push(stream.back().get());
  }
  // Latest keyframe is index 20.
  std::vector<std::shared_ptr<FanoutViewer>> viewers;
  std::atomic<int> wakeups{0};
  for (int i = 0; i < 20; i++) viewers.push_back(fan->add_viewer([&] { wakeups++; }));
  g_assert_cmpuint(fan->viewer_count(), ==, 20);
  for (int i = 25; i < 32; i++) {
    stream.push_back(make_buf(100, false, i * GST_SECOND / 10));
    fan->push(stream.back().get());
  }
  std::vector<GstBuffer *> want = {h1.get(), h2.get()};
  for (int i = 20; i < 32; i++) want.push_back(stream[i].get());
  for (auto &v : viewers) {
    std::vector<GstBuffer *> got = drain(*v);
    g_assert_cmpuint(got.size(), ==, want.size());
    for (size_t i = 0; i < got.size(); i++) g_assert_true(got[i] == want[i]);
    g_assert_cmpuint(v->bytes_sent(), ==, 13 + 40 + 12 * 100);
    g_assert_false(v->closed());
  }
  // Viewers were not empty when new buffers came, so no wakeups were needed yet.
  g_assert_cmpint(wakeups.load(), ==, 0);
  stream.push_back(make_buf(100, false, 4 * GST_SECOND));
  fan->push(stream.back().get());
  g_assert_cmpint(wakeups.load(), ==, 20);  // each drained viewer is woken once
  fan->end();
  for (auto &v : viewers) {
    g_assert_false(v->closed());  // one buffer left
    g_assert_true(v->pull().get() == stream.back().get());
    g_assert_true(v->closed());
    g_assert_cmpstr(v->close_reason().c_str(), ==, "end of stream");
  }
}

static void test_viewer_before_keyframe_waits() {
  auto fan = Fanout::create("test");
  GRef<GstBuffer> h = make_buf(10, true, GST_CLOCK_TIME_NONE);
  fan->set_headers({h.get()});
  auto early = fan->add_viewer(nullptr);
  GRef<GstBuffer> d = make_buf(10, false, 0);
  fan->push(d.get());
  g_assert_null(early->pull().get());  // a delta buffer is no place to start
  GRef<GstBuffer> k = make_buf(10, true, GST_SECOND);
  fan->push(k.get());
  g_assert_true(early->pull().get() == h.get());
  g_assert_true(early->pull().get() == k.get());
  g_assert_null(early->pull().get());
}

static void test_slow_viewer_skipped_then_dropped() {
  Fanout::Limits lim;
  lim.max_backlog_bytes = 10 * 1000;
  lim.max_backlog_time = GST_CLOCK_TIME_NONE;
  auto fan = Fanout::create("test", lim);
  auto slow = fan->add_viewer(nullptr);
  auto fast = fan->add_viewer(nullptr);
  uint64_t max_slow_backlog = 0;
  size_t fast_got = 0;
  std::vector<GRef<GstBuffer>> pushed;
  for (int i = 0; i < 200; i++) {
    GRef<GstBuffer> b = make_buf(1000, i % 5 == 0, i * GST_SECOND / 25);
    fan->push(b.get());
    pushed.push_back(b);
    max_slow_backlog = std::max(max_slow_backlog, slow->queued_bytes());
    while (GRef<GstBuffer> x = fast->pull()) {
      g_assert_true(x.get() == pushed[fast_got].get());  // in order, nothing missed
      fast_got++;
    }
  }
  g_assert_cmpuint(fast_got, ==, 200);
  g_assert_false(fast->closed());
  g_assert_cmpuint(fast->skips(), ==, 0);
  g_assert_cmpuint(max_slow_backlog, <=, lim.max_backlog_bytes);
  g_assert_cmpuint(slow->skips(), ==, 1);
  g_assert_true(slow->closed());
  g_assert_cmpstr(slow->close_reason().c_str(), ==, "too slow");
  g_assert_cmpuint(slow->queued_bytes(), ==, 0);
  g_assert_cmpuint(fan->viewer_count(), ==, 1);
}

static void test_lagging_viewer_resumes_at_keyframe() {
  Fanout::Limits lim;
  lim.max_backlog_bytes = G_MAXUINT64;
  lim.max_backlog_time = GST_SECOND;
  auto fan = Fanout::create("test", lim);
  auto v = fan->add_viewer(nullptr);
  std::vector<GRef<GstBuffer>> pushed;
  for (int i = 0; i < 26; i++) {  // 10 per second, keyframe every 10: overflow after ~1 s
    pushed.push_back(make_buf(10, i % 10 == 0, i * GST_SECOND / 10));
    fan->push(pushed.back().get());
  }
  g_assert_cmpuint(v->skips(), ==, 1);
  // Skipped at buffer 11 (1.1 s after the first), resumed at the keyframe at index 20.
  GRef<GstBuffer> first = v->pull();
  g_assert_true(first.get() == pushed[20].get());
  drain(*v);  // caught up: a later overflow is a skip again, not a drop
  for (int i = 26; i < 45; i++) {
    pushed.push_back(make_buf(10, i % 10 == 0, i * GST_SECOND / 10));
    fan->push(pushed.back().get());
  }
  g_assert_cmpuint(v->skips(), ==, 2);
  g_assert_false(v->closed());
}

static void test_gop_cache_bounded() {
  Fanout::Limits lim;
  lim.max_gop_bytes = 50 * 1000;
  auto fan = Fanout::create("test", lim);
  GRef<GstBuffer> k = make_buf(1000, true, 0);
  fan->push(k.get());
  for (int i = 1; i < 500; i++) {
    GRef<GstBuffer> d = make_buf(1000, false, i * GST_MSECOND);
    fan->push(d.get());
    g_assert_cmpuint(fan->gop_bytes(), <=, lim.max_gop_bytes);
  }
  // With the cache given up, a new viewer waits for the next keyframe instead.
  auto v = fan->add_viewer(nullptr);
  g_assert_null(v->pull().get());
}

static void test_close_and_threads() {
  Fanout::Limits lim;
  lim.max_backlog_time = GST_CLOCK_TIME_NONE;  // the whole stream fits in the byte limit
  auto fan = Fanout::create("test", lim);
  std::atomic<bool> stop{false};
  std::vector<std::thread> pullers;
  std::atomic<uint64_t> total{0};
  for (int t = 0; t < 20; t++) {
    pullers.emplace_back([&] {
      auto v = fan->add_viewer(nullptr);
      while (!v->closed()) {
        if (GRef<GstBuffer> b = v->pull())
          total += gst_buffer_get_size(b.get());
        else if (stop)
          break;
        else
          g_thread_yield();
      }
      v->close();
    });
  }
  // Every viewer joins before the stream starts (poll under a deadline).
  gint64 deadline = g_get_monotonic_time() + 10 * G_TIME_SPAN_SECOND;
  while (fan->viewer_count() < 20 && g_get_monotonic_time() < deadline) g_thread_yield();
  g_assert_cmpuint(fan->viewer_count(), ==, 20);
  for (int i = 0; i < 2000; i++) {
    GRef<GstBuffer> b = make_buf(100, i % 50 == 0, i * GST_MSECOND * 20);
    fan->push(b.get());
  }
  fan->end();
  stop = true;
  for (auto &t : pullers) t.join();
  g_assert_cmpuint(fan->viewer_count(), ==, 0);
  // Nobody lagged past the limits, so every viewer got the whole stream.
  g_assert_cmpuint(total.load(), ==, 20u * 2000 * 100);
}

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  g_test_init(&argc, &argv, nullptr);
  g_test_add_func("/fanout/twenty-viewers-share-buffers", test_twenty_viewers_share_buffers);
  g_test_add_func("/fanout/viewer-before-keyframe", test_viewer_before_keyframe_waits);
  g_test_add_func("/fanout/slow-viewer-dropped", test_slow_viewer_skipped_then_dropped);
  g_test_add_func("/fanout/lagging-viewer-resumes", test_lagging_viewer_resumes_at_keyframe);
  g_test_add_func("/fanout/gop-cache-bounded", test_gop_cache_bounded);
  g_test_add_func("/fanout/threads", test_close_and_threads);
  return g_test_run();
}
