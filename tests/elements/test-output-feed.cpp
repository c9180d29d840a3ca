// BranchFeed (src/pipelines/output-feed.*): a branch that muxes in place is fed on the producer's
// thread, every buffer in order, with no thread of its own; stop() while producers drain; the
// end reaches the branch once. Also through OutputHub: FLV and HLS (TS) branches of a live stream
// add no thread, and a hub stopped while its producer pushes never deadlocks.
#include <glib/gstdio.h>

#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>

#include "elements/estbuffer-ring.h"
#include "estbuffer-test-util.h"
#include "pipelines/fanout.h"
#include "pipelines/output-branch.h"
#include "pipelines/output-feed.h"
#include "pipelines/output-hub.h"

using estuary::BranchFeed;
using estuary::BufferReader;
using estuary::FormatBranch;
using estuary::OutputFormat;

namespace {

// An H.264 access unit in avc form: a 4-byte length and one slice NAL (IDR or not).
GstBuffer *avc_frame(guint64 ms, bool key, gsize size = 1000) {
  GstBuffer *b = test::frame(ms, key, 33, size);
  GstMapInfo map;
  g_assert_true(gst_buffer_map(b, &map, GST_MAP_WRITE));
  const guint32 len = static_cast<guint32>(size - 4);
  map.data[0] = len >> 24;
  map.data[1] = len >> 16;
  map.data[2] = len >> 8;
  map.data[3] = len;
  map.data[4] = key ? 0x65 : 0x41;
  gst_buffer_unmap(b, &map);
  return b;
}

// An estbuffer fed with 30 fps H.264 (a key every second) and AAC at 48 kHz, in time order.
class Source {
 public:
  Source() : e_(test::make_buffer()) {
    hv_ = test::add_track(e_, test::kH264Caps);
    ha_ = test::add_track(e_, test::kAacCaps);
  }
  ~Source() {
    gst_harness_teardown(ha_);
    gst_harness_teardown(hv_);
    gst_object_unref(e_);
  }
  std::shared_ptr<estuary::BufferRing> ring() { return estuary::estbuffer_get_ring(e_); }

  guint64 video_ms() const { return static_cast<guint64>(v_) * 1000 / 30; }
  guint64 audio_ms() const { return static_cast<guint64>(a_) * 1024 * 1000 / 48000; }
  // Pushes the next unit in time order; returns its track (1 video, 2 audio).
  guint push_next() {
    if (video_ms() <= audio_ms()) {
      g_assert_cmpint(gst_harness_push(hv_, avc_frame(video_ms(), v_ % 30 == 0)), ==, GST_FLOW_OK);
      v_++;
      return 1;
    }
    g_assert_cmpint(gst_harness_push(ha_, test::frame(audio_ms(), true, 21, 200)), ==, GST_FLOW_OK);
    a_++;
    return 2;
  }
  void push_until(guint64 ms) {
    while (video_ms() < ms || audio_ms() < ms) push_next();
  }
  void end() {
    g_assert_true(gst_harness_push_event(hv_, gst_event_new_eos()));
    g_assert_true(gst_harness_push_event(ha_, gst_event_new_eos()));
  }

 private:
  GstElement *e_;
  GstHarness *hv_, *ha_;
  guint v_ = 0, a_ = 0;
};

// The ids of this process's threads. Compared as sets: a thread joined just before (an earlier
// test's, or a GStreamer pool's going idle) may still be listed for a moment.
std::set<std::string> thread_ids() {
  GDir *dir = g_dir_open("/proc/self/task", 0, nullptr);
  g_assert_nonnull(dir);
  std::set<std::string> ids;
  while (const char *name = g_dir_read_name(dir)) ids.insert(name);
  g_dir_close(dir);
  return ids;
}

// How many threads run now that did not in `before`.
int threads_added(const std::set<std::string> &before) {
  int n = 0;
  for (const auto &id : thread_ids()) n += before.count(id) ? 0 : 1;
  return n;
}

// What a branch's sink saw, and on which threads. Shared with the sink so that a call after the
// test let go of the branch is still counted, not a use after free.
struct Probe {
  std::atomic<int> buffers{0}, eos{0}, errors{0}, late{0}, on_producer{0}, on_starter{0};
  std::atomic<int> out_of_order{0};
  std::atomic<bool> stopped{false};
  std::atomic<std::thread::id> producer{};
  std::thread::id starter = std::this_thread::get_id();
  GstClockTime last_dts = 0;  // written by the delivering thread; the feed serialises them

  static FormatBranch::Sink sink(const std::shared_ptr<Probe> &p) {
    FormatBranch::Sink s;
    s.on_headers = [](const std::vector<GstBuffer *> &) {};
    s.on_buffer = [p](GstBuffer *b) {
      if (p->stopped) p->late++;
      const GstClockTime dts = GST_BUFFER_DTS_OR_PTS(b);
      if (GST_CLOCK_TIME_IS_VALID(dts)) {
        if (dts < p->last_dts) p->out_of_order++;
        p->last_dts = dts;
      }
      const std::thread::id self = std::this_thread::get_id();
      if (self == p->producer.load()) p->on_producer++;
      if (self == p->starter) p->on_starter++;
      p->buffers++;
    };
    s.on_eos = [p]() {
      if (p->stopped) p->late++;
      if (std::this_thread::get_id() == p->producer.load()) p->on_producer++;
      p->eos++;
    };
    s.on_error = [p](const std::string &) { p->errors++; };
    return s;
  }
};

// A started branch of `format` with every track of `ring`.
std::unique_ptr<FormatBranch> make_branch(OutputFormat format, estuary::BufferRing &ring,
                                          const std::shared_ptr<Probe> &probe) {
  GError *err = nullptr;
  auto branch = FormatBranch::create(format, "feedtest", &err);
  g_assert_no_error(err);
  branch->set_sink(Probe::sink(probe));
  estuary::StreamMeta meta = ring.snapshot();
  g_assert_cmpuint(meta.tracks.size(), ==, 2);
  for (const auto &t : meta.tracks) {
    g_assert_true(branch->add_track(t.trackid, t.caps.get(), &err));
    g_assert_no_error(err);
  }
  g_assert_true(branch->start(&err));
  g_assert_no_error(err);
  return branch;
}

std::unique_ptr<BranchFeed> make_inline_feed(const std::shared_ptr<estuary::BufferRing> &ring,
                                             FormatBranch *branch) {
  BufferReader::Options o;
  o.start = BufferReader::Start::kLatestKey;
  return std::make_unique<BranchFeed>(std::make_unique<BufferReader>(ring, o), branch,
                                      BranchFeed::Mode::kInline);
}

// Polls `done` under a deadline.
template <typename F>
bool poll(F done, int seconds = 10) {
  const gint64 deadline = g_get_monotonic_time() + seconds * G_TIME_SPAN_SECOND;
  while (!done()) {
    if (g_get_monotonic_time() > deadline) return false;
    g_thread_yield();
  }
  return true;
}

void check_inline(OutputFormat format) {
  Source src;
  src.push_until(2500);
  auto ring = src.ring();
  auto probe = std::make_shared<Probe>();
  auto branch = make_branch(format, *ring, probe);
  g_assert_true(branch->muxes_in_place());

  const auto threads = thread_ids();
  auto feed = make_inline_feed(ring, branch.get());
  feed->start();
  // The catch-up, from the keyframe at 2 s, ran on this thread before start() returned.
  const int caught = probe->buffers;
  g_assert_cmpint(caught, >=, 15 + 23);  // 15 video frames (2.0 .. 2.47 s) and the audio
  g_assert_cmpint(probe->on_starter, ==, caught);
  g_assert_cmpint(threads_added(threads), ==, 0);  // no pump thread

  // Every buffer a producer stores is muxed and reaches the sink before its push returns, on
  // the producer's thread.
  std::atomic<int> not_yet{0};
  std::thread producer([&] {
    probe->producer = std::this_thread::get_id();
    for (int i = 1; i <= 150; i++) {
      src.push_next();
      if (probe->buffers != caught + i) not_yet++;
    }
  });
  producer.join();
  g_assert_cmpint(not_yet, ==, 0);
  g_assert_cmpint(probe->buffers, ==, caught + 150);
  g_assert_cmpint(probe->on_producer, ==, 150);
  g_assert_cmpint(probe->out_of_order, ==, 0);
  g_assert_cmpint(probe->errors, ==, 0);
  g_assert_false(feed->finished());

  // The end of the stream reaches the branch once, on the thread that ended it.
  std::thread ender([&] {
    probe->producer = std::this_thread::get_id();
    src.end();
  });
  ender.join();
  g_assert_cmpint(probe->eos, ==, 1);
  g_assert_true(feed->finished());
  feed->stop();
  feed->stop();
  g_assert_cmpint(probe->eos, ==, 1);
  g_assert_cmpint(probe->late, ==, 0);
  branch->stop();
}

void test_inline_flv() { check_inline(OutputFormat::kFLV); }
void test_inline_ts() { check_inline(OutputFormat::kTS); }

// A feed that starts after the stream ended ends its branch in start(), once.
void test_inline_after_end() {
  Source src;
  src.push_until(1500);
  src.end();
  auto ring = src.ring();
  auto probe = std::make_shared<Probe>();
  auto branch = make_branch(OutputFormat::kFLV, *ring, probe);
  auto feed = make_inline_feed(ring, branch.get());
  feed->start();
  g_assert_cmpint(probe->eos, ==, 1);
  g_assert_true(feed->finished());
  g_assert_cmpint(probe->buffers, >, 0);
  feed.reset();
  g_assert_cmpint(probe->eos, ==, 1);
}

// stop() from this thread while a producer drains into the branch, many times: it returns, and
// nothing reaches the sink after it did.
void test_stop_while_draining() {
  Source src;
  src.push_until(1500);
  auto ring = src.ring();
  std::atomic<bool> run{true};
  std::atomic<int> pushed{0};
  std::atomic<std::thread::id> producer_id{};
  std::thread producer([&] {
    producer_id = std::this_thread::get_id();
    while (run) {
      src.push_next();
      pushed++;
    }
  });
  g_assert_true(poll([&] { return producer_id.load() != std::thread::id(); }));
  const int rounds = 300;
  auto probes = std::vector<std::shared_ptr<Probe>>();
  for (int i = 0; i < rounds; i++) {
    auto probe = std::make_shared<Probe>();
    probe->producer = producer_id.load();
    probes.push_back(probe);
    auto branch = make_branch(i % 2 ? OutputFormat::kTS : OutputFormat::kFLV, *ring, probe);
    auto feed = make_inline_feed(ring, branch.get());
    feed->start();
    // Stop while the producer's drains run: wait until they do.
    g_assert_true(poll([&] { return probe->on_producer >= 3; }));
    feed->stop();
    probe->stopped = true;
    const int at_stop = probe->buffers;
    branch->stop();
    feed.reset();
    branch.reset();
    // None of the producer's next pushes reaches this branch any more.
    const int mark = pushed;
    g_assert_true(poll([&] { return pushed > mark + 3; }));
    g_assert_cmpint(probe->buffers, ==, at_stop);
  }
  run = false;
  producer.join();
  for (auto &p : probes) {
    g_assert_cmpint(p->late, ==, 0);
    g_assert_cmpint(p->errors, ==, 0);
    g_assert_cmpint(p->out_of_order, ==, 0);
  }
}

// The FLV fanout and the HLS store of a live stream, as the HTTP output asks for them.
std::pair<std::shared_ptr<estuary::Fanout>, std::shared_ptr<estuary::SegmentStore>>
open_flv_and_hls(estuary::OutputHub &hub) {
  std::string reason;
  auto fanout = hub.progressive(OutputFormat::kFLV, {}, &reason);
  g_assert_nonnull(fanout.get());
  auto store = hub.hls({}, &reason);
  g_assert_nonnull(store.get());
  return {fanout, store};
}

// Through OutputHub: a live stream's FLV and HLS branches run on the producer's thread (no
// thread added), viewers are woken from it, and stopping the hub while the producer pushes
// returns, many times.
void test_hub_inline() {
  Source src;
  src.push_until(2500);
  auto ring = src.ring();
  const auto at_start = thread_ids();
  for (int round = 0; round < 50; round++) {
    const auto threads = thread_ids();  // with the last round's producer, joined, maybe listed
    estuary::OutputHub hub("feedtest", ring, true, 1000);
    const auto outputs = open_flv_and_hls(hub);
    const auto &fanout = outputs.first;
    const auto &store = outputs.second;
    g_assert_cmpint(threads_added(threads), ==, 0);
    std::atomic<int> wakes_on_producer{0};
    std::atomic<std::thread::id> producer_id{};
    auto viewer = fanout->add_viewer([&] {
      if (std::this_thread::get_id() == producer_id.load()) wakes_on_producer++;
    });
    while (viewer->pull()) {
    }
    std::atomic<bool> run{true};
    std::atomic<int> pushed{0};
    std::thread producer([&] {
      producer_id = std::this_thread::get_id();
      while (run) {
        src.push_next();
        pushed++;
      }
    });
    // The viewer gets what the producer stores, woken from the producer's thread; a segment of
    // 1 s appears once a second keyframe went in.
    g_assert_true(poll([&] {
      while (viewer->pull()) {
      }
      return wakes_on_producer > 2 && store->size() > 0;
    }));
    g_assert_cmpint(threads_added(threads), ==, 1);  // the test's producer only
    hub.stop();
    run = false;
    producer.join();
    g_assert_true(poll([&] {
      while (viewer->pull()) {
      }
      return viewer->closed();
    }));
    g_assert_true(store->ended());
  }
  g_assert_true(poll([&] { return threads_added(at_start) == 0; }));
}

// ESTUARY_TS_MUXER=mpegtsmux / ESTUARY_FLV_MUXER=flvmux: the hub's branches run GStreamer
// muxers, fed by pump threads, and still deliver and stop.
void test_hub_threaded() {
  Source src;
  src.push_until(2500);
  auto ring = src.ring();
  const auto threads = thread_ids();
  g_setenv("ESTUARY_TS_MUXER", "mpegtsmux", TRUE);
  g_setenv("ESTUARY_FLV_MUXER", "flvmux", TRUE);
  {
    estuary::OutputHub hub("feedtest", ring, true, 1000);
    const auto outputs = open_flv_and_hls(hub);
    const auto &fanout = outputs.first;
    const auto &store = outputs.second;
    g_unsetenv("ESTUARY_TS_MUXER");
    g_unsetenv("ESTUARY_FLV_MUXER");
    g_assert_cmpint(threads_added(threads), >=, 2);  // a pump per branch, and the muxers'
    auto viewer = fanout->add_viewer([] {});
    std::atomic<bool> run{true};
    std::thread producer([&] {
      while (run) src.push_next();
    });
    // (h264parse in front of mpegtsmux drops these synthetic slices, so no segment is checked
    // here; tests/server run the HLS outputs with ESTUARY_TS_MUXER=mpegtsmux on real media.)
    guint64 got = 0;
    g_assert_true(poll([&] {
      while (auto b = viewer->pull()) got += gst_buffer_get_size(b.get());
      return got > 100000;
    }));
    hub.stop();
    run = false;
    producer.join();
    g_assert_true(store->ended());
  }
  // The pumps are joined; GStreamer's pooled streaming threads may stay a while, idle.
}

// A branch that needs a muxer pipeline keeps a pump thread and still gets everything.
void test_thread_mode() {
  Source src;
  src.push_until(1200);
  auto ring = src.ring();
  auto probe = std::make_shared<Probe>();
  g_setenv("ESTUARY_FLV_MUXER", "flvmux", TRUE);
  auto branch = make_branch(OutputFormat::kFLV, *ring, probe);
  g_unsetenv("ESTUARY_FLV_MUXER");
  g_assert_false(branch->muxes_in_place());
  BufferReader::Options o;
  o.start = BufferReader::Start::kOldest;
  BranchFeed feed(std::make_unique<BufferReader>(ring, o), branch.get(), BranchFeed::Mode::kThread);
  feed.start();
  src.push_until(2500);
  src.end();
  g_assert_true(poll([&] { return probe->eos.load() == 1; }));
  g_assert_true(feed.finished());
  g_assert_cmpint(probe->buffers, >, 0);
  g_assert_cmpint(probe->on_starter, ==, 0);  // the pipeline's thread, never this one
  feed.stop();
  branch->stop();
  g_assert_cmpint(probe->eos, ==, 1);
}

}  // namespace

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  g_test_init(&argc, &argv, nullptr);
  // The in-place muxers are the subject; the tests that want GStreamer's set these themselves.
  g_unsetenv("ESTUARY_TS_MUXER");
  g_unsetenv("ESTUARY_FLV_MUXER");
  g_test_add_func("/output/feed/inline-flv", test_inline_flv);
  g_test_add_func("/output/feed/inline-ts", test_inline_ts);
  g_test_add_func("/output/feed/inline-after-end", test_inline_after_end);
  g_test_add_func("/output/feed/stop-while-draining", test_stop_while_draining);
  g_test_add_func("/output/feed/hub-inline", test_hub_inline);
  g_test_add_func("/output/feed/hub-threaded", test_hub_threaded);
  g_test_add_func("/output/feed/thread-mode", test_thread_mode);
  return g_test_run();
}
