// estbuffer keyframe index, segments, DVR window (buffer-time), cut-time, VoD.
#include "estbuffer-test-util.h"

using estuary::StreamMeta;

static void set_u64(GstElement *e, const char *prop, guint64 v) {
  g_object_set(e, prop, v, nullptr);
}

static void test_key_index_segments() {
  GstElement *e = test::make_buffer();
  set_u64(e, "segment-size", 1900);
  GstHarness *h = test::add_track(e, test::kH264Caps);
  test::push_video(h, 0, 300);  // 10 s, a key every second
  StreamMeta m = estuary::estbuffer_get_ring(e)->snapshot();
  g_assert_cmpuint(m.tracks[0].keys.keys, ==, 10);
  // Whole keys concatenated until 1900 ms: segments start at 0, 2, 4, 6, 8 s.
  g_assert_cmpuint(m.segments.size(), ==, 5);
  for (guint i = 0; i < 5; i++) {
    g_assert_cmpuint(m.segments[i].start_ms, ==, i * 2000);
    g_assert_cmpuint(m.segments[i].duration_ms, ==, i < 4 ? 2000 : 0);  // the last is open
    g_assert_false(m.segments[i].discont);
  }
  // Each segment starts at a keyframe buffer.
  estuary::BufferReader r(estuary::estbuffer_get_ring(e), {estuary::BufferReader::Start::kOldest});
  for (const auto &it : test::drain(&r)) {
    bool seg_start = false;
    for (const auto &s : m.segments) seg_start |= s.seq == it.seq;
    if (seg_start) g_assert_true(it.keyframe);
  }
  gst_harness_teardown(h);
  gst_object_unref(e);
}

static void test_window_trim() {
  GstElement *e = test::make_buffer();
  set_u64(e, "buffer-time", 5000);
  set_u64(e, "segment-size", 1000);
  GstHarness *hv = test::add_track(e, test::kH264Caps);
  GstHarness *ha = test::add_track(e, test::kAacCaps);
  test::push_av(hv, ha, 0, 20000);
  StreamMeta m = estuary::estbuffer_get_ring(e)->snapshot();
  const auto *v = test::find_track(m, 1);
  const auto *a = test::find_track(m, 2);
  // Newest video frame 19966 ms: the oldest segment start leaving >= 5 s is the 14 s key.
  g_assert_cmpuint(v->lastms, ==, 19966);
  g_assert_cmpuint(v->firstms, ==, 14000);
  g_assert_cmpuint(v->keys.keys, ==, 6);
  g_assert_cmpuint(v->frames, ==, 180);
  g_assert_cmpuint(v->bytes, ==, 180 * 1000);
  // Audio was cut at the same place in arrival order.
  g_assert_cmpuint(a->firstms, >=, 14000);
  g_assert_cmpuint(a->firstms, <, 14022);
  g_assert_cmpuint(m.segments.front().start_ms, ==, 14000);
  // The window never shrinks below buffer-time.
  g_assert_cmpuint(v->lastms - v->firstms, >=, 5000);

  // An output asking for a longer window keeps more from now on.
  estuary::estbuffer_require_window(e, 8000);
  g_assert_cmpuint(estuary::estbuffer_get_ring(e)->window_ms(), ==, 8000);
  test::push_av(hv, ha, 20000, 10000);
  m = estuary::estbuffer_get_ring(e)->snapshot();
  v = test::find_track(m, 1);
  g_assert_cmpuint(v->lastms, ==, 29966);
  g_assert_cmpuint(v->firstms, ==, 21000);
  gst_harness_teardown(ha);
  gst_harness_teardown(hv);
  gst_object_unref(e);
}

static void test_cut_time() {
  GstElement *e = test::make_buffer();
  set_u64(e, "cut-time", 2500);
  GstHarness *hv = test::add_track(e, test::kH264Caps);
  GstHarness *ha = test::add_track(e, test::kAacCaps);
  test::push_av(hv, ha, 0, 6000);
  StreamMeta m = estuary::estbuffer_get_ring(e)->snapshot();
  // Nothing before 2.5 s; video starts at the next keyframe (3 s) since deltas before it are
  // useless.
  g_assert_cmpuint(test::find_track(m, 1)->firstms, ==, 3000);
  g_assert_cmpuint(test::find_track(m, 2)->firstms, >=, 2500);
  g_assert_cmpuint(test::find_track(m, 2)->firstms, <, 2522);

  // Raising it while running cuts what is stored, at a segment start.
  set_u64(e, "cut-time", 4500);
  m = estuary::estbuffer_get_ring(e)->snapshot();
  g_assert_cmpuint(test::find_track(m, 1)->firstms, ==, 5000);
  g_assert_cmpuint(test::find_track(m, 2)->firstms, >=, 5000);
  guint64 cut = 0;
  g_object_get(e, "cut-time", &cut, nullptr);
  g_assert_cmpuint(cut, ==, 4500);
  gst_harness_teardown(ha);
  gst_harness_teardown(hv);
  gst_object_unref(e);
}

static void test_vod_keeps_all() {
  GstElement *e = test::make_buffer();
  g_object_set(e, "live", FALSE, "buffer-time", G_GUINT64_CONSTANT(1000), nullptr);
  GstHarness *hv = test::add_track(e, test::kH264Caps);
  GstHarness *ha = test::add_track(e, test::kAacCaps);
  test::push_av(hv, ha, 0, 20000);
  StreamMeta m = estuary::estbuffer_get_ring(e)->snapshot();
  g_assert_false(m.live);
  g_assert_cmpuint(test::find_track(m, 1)->firstms, ==, 0);
  g_assert_cmpuint(test::find_track(m, 1)->frames, ==, 600);
  g_assert_cmpuint(test::find_track(m, 2)->firstms, ==, 0);
  g_assert_cmpuint(test::find_track(m, 2)->frames, ==, 938);  // ceil(20000 / 21.333)
  estuary::BufferReader r(estuary::estbuffer_get_ring(e), {estuary::BufferReader::Start::kOldest});
  g_assert_cmpuint(test::drain(&r).size(), ==, 600 + 938);
  gst_harness_teardown(ha);
  gst_harness_teardown(hv);
  gst_object_unref(e);
}

static void test_properties_defaults() {
  GstElement *e = test::make_buffer();
  guint64 bt = 0, cut = 1, seg = 0, rt = 0;
  gboolean resume = TRUE, live = FALSE;
  g_object_get(e, "buffer-time", &bt, "cut-time", &cut, "segment-size", &seg, "resume-time", &rt,
               "resume", &resume, "live", &live, nullptr);
  g_assert_cmpuint(bt, ==, 50000);
  g_assert_cmpuint(cut, ==, 0);
  g_assert_cmpuint(seg, ==, 1900);
  g_assert_cmpuint(rt, ==, 20000);
  g_assert_false(resume);
  g_assert_true(live);
  gst_object_unref(e);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, nullptr);
  gst_init(&argc, &argv);
  g_test_add_func("/estbuffer/window/key-index-segments", test_key_index_segments);
  g_test_add_func("/estbuffer/window/trim", test_window_trim);
  g_test_add_func("/estbuffer/window/cut-time", test_cut_time);
  g_test_add_func("/estbuffer/window/vod-keeps-all", test_vod_keeps_all);
  g_test_add_func("/estbuffer/window/property-defaults", test_properties_defaults);
  const int ret = g_test_run();
  gst_deinit();  // lets GST_TRACERS=leaks report what a test left alive
  return ret;
}
