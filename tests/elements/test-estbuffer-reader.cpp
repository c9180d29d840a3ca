// estbuffer readers: start points, zero copy, falling behind, waking, track filters, caps changes.
#include <atomic>
#include <set>
#include <vector>

#include "estbuffer-test-util.h"

using estuary::BufferReader;
using estuary::ReadItem;

static void test_latest_key() {
  GstElement *e = test::make_buffer();
  GstHarness *hv = test::add_track(e, test::kH264Caps);
  GstHarness *ha = test::add_track(e, test::kAacCaps);
  test::push_av(hv, ha, 0, 2500);
  BufferReader r(estuary::estbuffer_get_ring(e));  // live default: latest keyframe
  auto items = test::drain(&r);
  g_assert_cmpuint(items.size(), >, 0);
  g_assert_cmpuint(items[0].track_id, ==, 1);
  g_assert_true(items[0].keyframe);
  g_assert_cmpuint(items[0].time_ms, ==, 2000);
  g_assert_true(items[0].caps_changed);  // first item of a track carries its caps
  g_assert_false(items[0].skipped);
  guint video = 0, audio = 0;
  bool audio_caps_seen = false;
  for (const auto &it : items) {
    g_assert_cmpuint(it.time_ms, >=, 1990);  // audio queued just before the key is not read
    if (it.track_id == 1) video++;
    if (it.track_id == 2) {
      if (audio == 0)
        audio_caps_seen = it.caps_changed;
      else
        g_assert_false(it.caps_changed);
      audio++;
    }
  }
  g_assert_cmpuint(video, ==, 15);  // 2000 .. 2466 ms
  g_assert_true(audio_caps_seen);
  g_assert_cmpuint(audio, >=, 23);
  // Nothing more now; new data is read next, in order.
  ReadItem item;
  g_assert_true(r.next(&item) == BufferReader::Status::kEmpty);
  test::push_av(hv, ha, 2500, 500);
  auto more = test::drain(&r);
  g_assert_cmpuint(more.size(), >, 30);
  g_assert_cmpuint(more[0].seq, ==, items.back().seq + 1);
  gst_harness_teardown(ha);
  gst_harness_teardown(hv);
  gst_object_unref(e);
}

static void test_reader_at_time() {
  GstElement *e = test::make_buffer();
  g_object_set(e, "live", FALSE, nullptr);
  GstHarness *h = test::add_track(e, test::kH264Caps);
  test::push_video(h, 0, 300);
  auto ring = estuary::estbuffer_get_ring(e);
  BufferReader::Options o;
  o.start = BufferReader::Start::kTime;
  o.time_ms = 4500;
  BufferReader r(ring, o);
  ReadItem item;
  g_assert_true(r.next(&item) == BufferReader::Status::kItem);
  g_assert_cmpuint(item.time_ms, ==, 4000);
  g_assert_true(item.keyframe);
  r.seek(7200);
  g_assert_true(r.next(&item) == BufferReader::Status::kItem);
  g_assert_cmpuint(item.time_ms, ==, 7000);
  g_assert_true(item.keyframe);
  BufferReader oldest(ring, {BufferReader::Start::kOldest});
  g_assert_true(oldest.next(&item) == BufferReader::Status::kItem);
  g_assert_cmpuint(item.time_ms, ==, 0);
  gst_harness_teardown(h);
  gst_object_unref(e);
}

static void test_zero_copy() {
  GstElement *e = test::make_buffer();
  GstHarness *h = test::add_track(e, test::kH264Caps);
  auto ring = estuary::estbuffer_get_ring(e);
  BufferReader r1(ring), r2(ring);
  std::vector<GstBuffer *> pushed;
  std::vector<GstMemory *> memories;
  for (guint i = 0; i < 60; i++) {
    GstBuffer *b = test::frame(i * 33, i % 30 == 0);
    pushed.push_back(b);  // not a reference: only the address is compared
    memories.push_back(gst_buffer_peek_memory(b, 0));
    g_assert_cmpint(gst_harness_push(h, b), ==, GST_FLOW_OK);
  }
  auto a = test::drain(&r1);
  auto b = test::drain(&r2);
  g_assert_cmpuint(a.size(), ==, 60);
  g_assert_cmpuint(b.size(), ==, 60);
  for (guint i = 0; i < 60; i++) {
    // The very GstBuffer the producer pushed, shared by every reader, holding the same memory.
    g_assert_true(a[i].buffer.get() == pushed[i]);
    g_assert_true(b[i].buffer.get() == pushed[i]);
    g_assert_true(gst_buffer_peek_memory(a[i].buffer.get(), 0) == memories[i]);
  }
  // Shared, hence read-only for readers: ring + two items.
  g_assert_cmpint(GST_MINI_OBJECT_REFCOUNT_VALUE(a[0].buffer.get()), ==, 3);
  g_assert_false(gst_buffer_is_writable(a[0].buffer.get()));
  gst_harness_teardown(h);
  gst_object_unref(e);
}

// A frame that is a small view into a big allocation (a demuxer's sub-buffer of what it read) is
// copied on the way in, so the DVR window does not pin the allocation; its data, timestamps and
// flags are kept.
static void test_views_do_not_pin_parents() {
  GstElement *e = test::make_buffer();
  GstHarness *h = test::add_track(e, test::kH264Caps);
  BufferReader r(estuary::estbuffer_get_ring(e));
  GstBuffer *chunk = test::frame(0, true, 0, 1024 * 1024);
  GstBuffer *view = gst_buffer_copy_region(chunk, GST_BUFFER_COPY_ALL, 4096, 200);
  gst_buffer_unref(chunk);  // only the view holds it now
  GST_BUFFER_DTS(view) = GST_BUFFER_PTS(view) = 0;  // a region off the start has no timestamps
  gsize parent_max = 0;
  gst_memory_get_sizes(gst_buffer_peek_memory(view, 0), nullptr, &parent_max);
  g_assert_cmpuint(parent_max, >=, 1024 * 1024);  // the view still pins the whole chunk
  g_assert_cmpint(gst_harness_push(h, view), ==, GST_FLOW_OK);
  auto items = test::drain(&r);
  g_assert_cmpuint(items.size(), ==, 1);
  GstBuffer *stored = items[0].buffer.get();
  gsize maxsize = 0;
  g_assert_cmpuint(gst_memory_get_sizes(gst_buffer_peek_memory(stored, 0), nullptr, &maxsize), ==,
                   200);
  g_assert_cmpuint(maxsize, <, 4096);
  g_assert_cmpuint(GST_BUFFER_DTS(stored), ==, 0);
  g_assert_true(items[0].keyframe);
  g_assert_cmpuint(gst_buffer_memcmp(stored, 0, std::vector<guint8>(200, 0).data(), 200), ==, 0);
  gst_harness_teardown(h);
  gst_object_unref(e);
}

static void test_slow_reader_skips_forward() {
  GstElement *e = test::make_buffer();
  g_object_set(e, "buffer-time", G_GUINT64_CONSTANT(2000), "segment-size", G_GUINT64_CONSTANT(1000),
               nullptr);
  GstHarness *h = test::add_track(e, test::kH264Caps);
  auto ring = estuary::estbuffer_get_ring(e);
  test::push_video(h, 0, 30);
  BufferReader slow(ring);  // at the 0 s key, then never reads while 10 s arrive
  test::push_video(h, 1000, 300);
  auto m = ring->snapshot();
  ReadItem item;
  g_assert_true(slow.next(&item) == BufferReader::Status::kItem);
  g_assert_true(item.skipped);
  g_assert_true(item.keyframe);
  g_assert_cmpuint(item.time_ms, ==, m.tracks[0].firstms);  // the oldest key in the window
  g_assert_cmpuint(item.time_ms, ==, 8000);
  g_assert_cmpuint(slow.skip_count(), ==, 1);
  g_assert_true(slow.next(&item) == BufferReader::Status::kItem);
  g_assert_false(item.skipped);
  g_assert_false(item.keyframe);
  gst_harness_teardown(h);
  gst_object_unref(e);
}

struct Producer {
  GstHarness *h;
};

static gpointer produce(gpointer data) {
  auto *p = static_cast<Producer *>(data);
  test::push_video(p->h, 0, 90);
  gst_harness_push_event(p->h, gst_event_new_eos());
  return nullptr;
}

static void test_wakeup_and_wait() {
  GstElement *e = test::make_buffer();
  GstHarness *h = test::add_track(e, test::kH264Caps);
  BufferReader r(estuary::estbuffer_get_ring(e));
  std::atomic<guint> wakeups{0};
  r.set_wakeup([&wakeups] { wakeups++; });
  Producer p{h};
  GThread *thread = g_thread_new("producer", produce, &p);
  // Read on this thread while the producer runs on another, until the end.
  guint read = 0;
  ReadItem item;
  const gint64 deadline = g_get_monotonic_time() + 10 * G_TIME_SPAN_SECOND;
  BufferReader::Status st;
  while ((st = r.next(&item)) != BufferReader::Status::kEnded) {
    if (st == BufferReader::Status::kItem) {
      g_assert_cmpuint(item.time_ms, ==, (read * 1000) / 30);
      read++;
      continue;
    }
    g_assert_true(r.wait(deadline));
  }
  g_thread_join(thread);
  g_assert_cmpuint(read, ==, 90);
  g_assert_cmpuint(wakeups.load(), >=, 91);  // each buffer and the end
  // After the end, wait() returns at once.
  g_assert_true(r.wait(g_get_monotonic_time() + G_TIME_SPAN_SECOND));
  r.set_wakeup(nullptr);
  gst_harness_teardown(h);
  gst_object_unref(e);
}

static void test_track_filter_and_caps_change() {
  GstElement *e = test::make_buffer();
  GstHarness *hv = test::add_track(e, test::kH264Caps);
  GstHarness *ha = test::add_track(e, test::kAacCaps);
  auto ring = estuary::estbuffer_get_ring(e);
  BufferReader::Options o;
  o.start = BufferReader::Start::kOldest;
  o.tracks = {2};
  BufferReader audio_only(ring, o);
  BufferReader all(ring, {BufferReader::Start::kOldest});
  test::push_av(hv, ha, 0, 1000);
  for (const auto &it : test::drain(&audio_only)) g_assert_cmpuint(it.track_id, ==, 2);
  test::drain(&all);
  // New resolution mid-stream: readers are told with the first buffer after the change.
  gst_harness_set_src_caps_str(
      hv,
      "video/x-h264, stream-format=avc, alignment=au, width=1280, height=720, "
      "framerate=30/1, codec_data=(buffer)0164001fffe1");
  test::push_video(hv, 1000, 30);
  auto items = test::drain(&all);
  g_assert_cmpuint(items.size(), ==, 30);
  g_assert_true(items[0].caps_changed);
  gint width = 0;
  gst_structure_get_int(gst_caps_get_structure(items[0].caps.get(), 0), "width", &width);
  g_assert_cmpint(width, ==, 1280);
  g_assert_false(items[1].caps_changed);
  auto m = ring->snapshot();
  g_assert_cmpuint(test::find_track(m, 1)->codec.width, ==, 1280);
  gst_harness_teardown(ha);
  gst_harness_teardown(hv);
  gst_object_unref(e);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, nullptr);
  gst_init(&argc, &argv);
  g_test_add_func("/estbuffer/reader/latest-key", test_latest_key);
  g_test_add_func("/estbuffer/reader/at-time", test_reader_at_time);
  g_test_add_func("/estbuffer/reader/zero-copy", test_zero_copy);
  g_test_add_func("/estbuffer/reader/views-do-not-pin-parents", test_views_do_not_pin_parents);
  g_test_add_func("/estbuffer/reader/slow-reader-skips-forward", test_slow_reader_skips_forward);
  g_test_add_func("/estbuffer/reader/wakeup-and-wait", test_wakeup_and_wait);
  g_test_add_func("/estbuffer/reader/track-filter-caps-change", test_track_filter_and_caps_change);
  const int ret = g_test_run();
  gst_deinit();  // lets GST_TRACERS=leaks report what a test left alive
  return ret;
}
