// estbuffer timeline and end of source: the start offset, EOS without resume, resume with a
// continuous timeline, resume timeout.
#include "estbuffer-test-util.h"

using estuary::BufferReader;
using estuary::GRef;
using estuary::ReadItem;

// Gives the element a bus of its own so its EOS message can be awaited.
static GstBus *attach_bus(GstElement *e) {
  GstBus *bus = gst_bus_new();
  gst_element_set_bus(e, bus);
  return bus;
}

static bool eos_posted(GstBus *bus, GstClockTime timeout) {
  GRef<GstMessage> msg =
      GRef<GstMessage>::adopt(gst_bus_timed_pop_filtered(bus, timeout, GST_MESSAGE_EOS));
  return static_cast<bool>(msg);
}

static void test_no_resume_ends() {
  GstElement *e = test::make_buffer();
  GRef<GstBus> bus = GRef<GstBus>::adopt(attach_bus(e));
  GstHarness *hv = test::add_track(e, test::kH264Caps);
  GstHarness *ha = test::add_track(e, test::kAacCaps);
  test::push_av(hv, ha, 0, 1000);
  BufferReader r(estuary::estbuffer_get_ring(e), {BufferReader::Start::kOldest});
  gst_harness_push_event(hv, gst_event_new_eos());
  g_assert_false(eos_posted(bus.get(), 0));  // one track still running
  gst_harness_push_event(ha, gst_event_new_eos());
  g_assert_true(eos_posted(bus.get(), 0));
  g_assert_true(estuary::estbuffer_get_ring(e)->ended());
  // Readers still get everything stored, then the end.
  g_assert_cmpuint(test::drain(&r).size(), ==, 30 + 47);
  ReadItem item;
  g_assert_true(r.next(&item) == BufferReader::Status::kEnded);
  gst_harness_teardown(ha);
  gst_harness_teardown(hv);
  gst_bus_set_flushing(bus.get(), TRUE);  // drop queued messages: they hold the element
  gst_object_unref(e);
}

static void test_resume_continuous() {
  GstElement *e = test::make_buffer();
  g_object_set(e, "resume", TRUE, "resume-time", G_GUINT64_CONSTANT(30000), nullptr);
  GRef<GstBus> bus = GRef<GstBus>::adopt(attach_bus(e));
  auto ring = estuary::estbuffer_get_ring(e);
  GstHarness *hv = test::add_track(e, test::kH264Caps);
  GstHarness *ha = test::add_track(e, test::kAacCaps);
  test::push_av(hv, ha, 0, 3000);
  BufferReader r(ring, {BufferReader::Start::kOldest});
  gst_harness_push_event(hv, gst_event_new_eos());
  gst_harness_push_event(ha, gst_event_new_eos());
  g_assert_false(eos_posted(bus.get(), 0));  // waiting for the source to come back
  g_assert_false(ring->ended());
  auto before = ring->snapshot();
  const guint64 video_last = test::find_track(before, 1)->lastms;  // 2966
  const guint64 audio_last = test::find_track(before, 2)->lastms;  // 2986, 21 ms frames
  const guint64 end_ms = MAX(video_last + 33, audio_last + 21);

  // A new source on fresh pads, its timestamps starting at 0 again.
  GstHarness *hv2 = test::add_track(e, test::kH264Caps);
  GstHarness *ha2 = test::add_track(e, test::kAacCaps);
  test::push_av(hv2, ha2, 0, 2000);
  auto m = ring->snapshot();
  g_assert_cmpuint(m.tracks.size(), ==, 2);  // the same tracks continue
  const auto *v = test::find_track(m, 1);
  g_assert_cmpuint(v->firstms, ==, 0);
  g_assert_cmpuint(v->lastms, ==, end_ms + 1966);
  g_assert_true(v->active);
  g_assert_cmpuint(m.discontinuities_ms.size(), ==, 1);
  g_assert_cmpuint(m.discontinuities_ms[0], ==, end_ms);
  // The resumed source starts a segment flagged for EXT-X-DISCONTINUITY.
  guint disconts = 0;
  for (const auto &s : m.segments) {
    if (s.discont) {
      disconts++;
      g_assert_cmpuint(s.start_ms, ==, end_ms);
    }
  }
  g_assert_cmpuint(disconts, ==, 1);

  // A reader sees one timeline, non-decreasing per track, with the join marked once per track.
  guint64 last[3] = {0, 0, 0};
  guint marked = 0;
  for (const auto &it : test::drain(&r)) {
    g_assert_cmpuint(it.time_ms, >=, last[it.track_id]);
    g_assert_cmpuint(GST_BUFFER_DTS(it.buffer.get()) / GST_MSECOND, ==, it.time_ms);
    if (it.discont) {
      marked++;
      g_assert_cmpuint(it.time_ms, >=, end_ms);
      g_assert_true(it.keyframe);
      g_assert_true(GST_BUFFER_FLAG_IS_SET(it.buffer.get(), GST_BUFFER_FLAG_DISCONT));
    }
    last[it.track_id] = it.time_ms;
  }
  g_assert_cmpuint(marked, ==, 2);
  g_assert_cmpuint(last[1], ==, end_ms + 1966);
  g_assert_false(ring->ended());
  gst_harness_teardown(ha2);
  gst_harness_teardown(hv2);
  gst_harness_teardown(ha);
  gst_harness_teardown(hv);
  gst_bus_set_flushing(bus.get(), TRUE);  // drop queued messages: they hold the element
  gst_object_unref(e);
}

static void test_resume_same_pad() {
  GstElement *e = test::make_buffer();
  g_object_set(e, "resume", TRUE, nullptr);
  auto ring = estuary::estbuffer_get_ring(e);
  GstHarness *h = test::add_track(e, test::kH264Caps);
  test::push_video(h, 0, 60);
  gst_harness_push_event(h, gst_event_new_eos());
  // The same pad restarts (stream-start clears EOS) with a fresh segment and timestamps.
  gst_harness_push_event(h, gst_event_new_stream_start("again"));
  GstSegment seg;
  gst_segment_init(&seg, GST_FORMAT_TIME);
  gst_harness_push_event(h, gst_event_new_segment(&seg));
  test::push_video(h, 0, 30);
  auto m = ring->snapshot();
  g_assert_cmpuint(m.tracks.size(), ==, 1);
  g_assert_cmpuint(m.tracks[0].frames, ==, 90);
  g_assert_cmpuint(m.discontinuities_ms.size(), ==, 1);
  g_assert_cmpuint(m.discontinuities_ms[0], ==, 1966 + 33);
  g_assert_cmpuint(m.tracks[0].lastms, ==, 1999 + 966);
  gst_harness_teardown(h);
  gst_object_unref(e);
}

static void test_resume_timeout() {
  GstElement *e = test::make_buffer();
  g_object_set(e, "resume", TRUE, "resume-time", G_GUINT64_CONSTANT(200), nullptr);
  GRef<GstBus> bus = GRef<GstBus>::adopt(attach_bus(e));
  auto ring = estuary::estbuffer_get_ring(e);
  GstHarness *h = test::add_track(e, test::kH264Caps);
  test::push_video(h, 0, 30);
  BufferReader r(ring, {BufferReader::Start::kOldest});
  const gint64 start = g_get_monotonic_time();
  gst_harness_push_event(h, gst_event_new_eos());
  g_assert_false(ring->ended());
  // Nobody comes back: the buffer ends after resume-time and posts EOS.
  g_assert_true(eos_posted(bus.get(), 5 * GST_SECOND));
  g_assert_cmpint(g_get_monotonic_time() - start, >=, 200 * G_TIME_SPAN_MILLISECOND);
  g_assert_true(ring->ended());
  g_assert_cmpuint(test::drain(&r).size(), ==, 30);
  ReadItem item;
  g_assert_true(r.next(&item) == BufferReader::Status::kEnded);
  // Too late: a new source is refused.
  g_assert_cmpint(gst_harness_push(h, test::frame(2000, true)), ==, GST_FLOW_EOS);
  gst_harness_teardown(h);
  gst_bus_set_flushing(bus.get(), TRUE);  // drop queued messages: they hold the element
  gst_object_unref(e);
}

// B-frame video starts with DTS before its segment (running time < 0) and arrives after audio:
// the whole stream shifts so that DTS starts at 0 and A/V stay in sync.
static void test_negative_dts_after_audio() {
  GstElement *e = test::make_buffer();
  auto ring = estuary::estbuffer_get_ring(e);
  GstHarness *hv = test::add_track(e, test::kH264Caps);
  GstHarness *ha = test::add_track(e, test::kAacCaps);
  GstSegment seg;
  gst_segment_init(&seg, GST_FORMAT_TIME);
  seg.start = seg.position = GST_SECOND;  // like x264enc's 1000 h, scaled down
  gst_harness_push_event(hv, gst_event_new_segment(&seg));
  BufferReader r(ring, {BufferReader::Start::kOldest});
  test::push_audio(ha, 0, 5);  // held: video has not delivered yet
  g_assert_cmpuint(test::drain(&r).size(), ==, 0);
  for (guint i = 0; i < 10; i++) {
    // DTS from 920 ms (80 ms before the segment), PTS = DTS + 80.
    gst_harness_push(hv, test::frame(920 + i * 40, i == 0, 40, 500, 80));
  }
  auto items = test::drain(&r);
  g_assert_cmpuint(items.size(), ==, 15);
  g_assert_cmpuint(items[0].track_id, ==, 2);  // arrival order is kept
  for (const auto &it : items) {
    if (it.track_id == 1 && it.keyframe) {
      g_assert_cmpuint(GST_BUFFER_DTS(it.buffer.get()), ==, 0);
      g_assert_cmpuint(GST_BUFFER_PTS(it.buffer.get()), ==, 80 * GST_MSECOND);
    }
    if (it.track_id == 2 && it.seq == items[0].seq) {
      g_assert_cmpuint(GST_BUFFER_PTS(it.buffer.get()), ==, 80 * GST_MSECOND);
    }
  }
  auto m = ring->snapshot();
  g_assert_cmpuint(test::find_track(m, 1)->lastms, ==, 360);  // 9 * 40, strictly increasing
  gst_harness_teardown(ha);
  gst_harness_teardown(hv);
  gst_object_unref(e);
}

// A pad that never delivers (a silent subtitle track) holds the start of the timeline for at
// most two seconds of the others' data.
static void test_silent_pad_does_not_stall() {
  GstElement *e = test::make_buffer();
  auto ring = estuary::estbuffer_get_ring(e);
  GstHarness *hv = test::add_track(e, test::kH264Caps);
  GstHarness *ht = test::add_track(e, "text/x-raw, format=utf8");
  BufferReader r(ring, {BufferReader::Start::kOldest});
  test::push_video(hv, 0, 45);  // 1.5 s
  g_assert_cmpuint(test::drain(&r).size(), ==, 0);
  test::push_video(hv, 1500, 30);
  g_assert_cmpuint(test::drain(&r).size(), ==, 75);
  g_assert_cmpuint(ring->snapshot().tracks.size(), ==, 2);
  gst_harness_teardown(ht);
  gst_harness_teardown(hv);
  gst_object_unref(e);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, nullptr);
  gst_init(&argc, &argv);
  g_test_add_func("/estbuffer/timeline/negative-dts-after-audio", test_negative_dts_after_audio);
  g_test_add_func("/estbuffer/timeline/silent-pad-does-not-stall", test_silent_pad_does_not_stall);
  g_test_add_func("/estbuffer/resume/off-ends", test_no_resume_ends);
  g_test_add_func("/estbuffer/resume/continuous-timeline", test_resume_continuous);
  g_test_add_func("/estbuffer/resume/same-pad", test_resume_same_pad);
  g_test_add_func("/estbuffer/resume/timeout", test_resume_timeout);
  const int ret = g_test_run();
  gst_deinit();  // lets GST_TRACERS=leaks report what a test left alive
  return ret;
}
