// Decode times and segments out of the file input (src/pipelines/input-timestamps): Matroska
// stores no DTS, so H.264/H.265 with B-frames get one rebuilt, the demuxer's restarted segment is
// folded into one, and inputs that carry DTS (MP4) keep their timestamps untouched. Real
// pipelines over clips made by tests/media/make-media.sh.
#include <gst/gst.h>

#include <algorithm>
#include <set>

#include "test-inputs-harness.h"

using namespace estuary;
using namespace estuary::test;

namespace {

std::string g_media;  // folder of generated clips, "" when skipped
std::string g_skip_reason;

// Everything one exposed pad delivered that concerns time. Guarded by `lock`.
struct Timeline {
  GMutex lock;
  std::map<std::string, std::vector<std::pair<GstClockTime, GstClockTime>>> frames;  // dts, pts
  std::map<std::string, guint> segments;      // segment events after the first buffer
  std::map<std::string, GstSegment> segment;  // the last one
  std::map<std::string, gint64> first_running_time;
  Timeline() { g_mutex_init(&lock); }
  ~Timeline() { g_mutex_clear(&lock); }
};

GstPadProbeReturn note_time(GstPad *pad, GstPadProbeInfo *info, gpointer data) {
  auto *t = static_cast<Timeline *>(data);
  GCharPtr name(gst_pad_get_name(pad));
  MutexLock guard(&t->lock);
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);
    t->frames[name.get()].emplace_back(GST_BUFFER_DTS(buf), GST_BUFFER_PTS(buf));
    if (!t->first_running_time.count(name.get()) && t->segment.count(name.get())) {
      GstClockTime ts = GST_BUFFER_DTS_OR_PTS(buf);
      guint64 rt = 0;
      int sign =
          gst_segment_to_running_time_full(&t->segment[name.get()], GST_FORMAT_TIME, ts, &rt);
      t->first_running_time[name.get()] = sign >= 0 ? static_cast<gint64>(rt) : -gint64(rt);
    }
    return GST_PAD_PROBE_OK;
  }
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT(info);
  if (GST_EVENT_TYPE(event) == GST_EVENT_SEGMENT) {
    const GstSegment *segment = nullptr;
    gst_event_parse_segment(event, &segment);
    if (t->frames.count(name.get())) t->segments[name.get()]++;
    t->segment[name.get()] = *segment;
  }
  return GST_PAD_PROBE_OK;
}

void on_pad(GstElement *, GstPad *pad, gpointer data) {
  gst_pad_add_probe(
      pad,
      static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
      note_time, data, nullptr);
}

// Runs the file input over `clip`; `t` gets what each pad delivered.
void run(const char *clip, Timeline *t) {
  std::string path = g_media + "/" + clip;
  GError *error = nullptr;
  GstElement *input = build_input(path, "clip", &error);
  g_assert_no_error(error);
  g_assert_nonnull(input);
  g_signal_connect(input, "pad-added", G_CALLBACK(on_pad), t);  // before run_input's handler
  RunResult r = run_input(input, false);
  if (!r.error.empty()) g_error("%s: %s", clip, r.error.c_str());
  g_assert_true(r.eos);
}

// The video of every clip here has B-frames: presentation order differs from decode order.
void assert_decode_order(const char *clip, const Timeline &t) {
  auto it = t.frames.find("video_0");
  g_assert_true(it != t.frames.end());
  const auto &frames = it->second;
  g_assert_cmpuint(frames.size(), ==, 75);  // 3 s at 25 fps
  bool reordered = false;
  std::set<GstClockTime> pts;
  for (size_t i = 0; i < frames.size(); i++) {
    const auto [dts, p] = frames[i];
    if (!GST_CLOCK_TIME_IS_VALID(dts) || !GST_CLOCK_TIME_IS_VALID(p)) {
      g_error("%s: frame %zu has dts %" GST_TIME_FORMAT " pts %" GST_TIME_FORMAT, clip, i,
              GST_TIME_ARGS(dts), GST_TIME_ARGS(p));
    }
    if (dts > p) g_error("%s: frame %zu decodes after it is shown", clip, i);
    if (i > 0 && dts <= frames[i - 1].first) {
      g_error("%s: frame %zu dts %" GST_TIME_FORMAT " after %" GST_TIME_FORMAT, clip, i,
              GST_TIME_ARGS(dts), GST_TIME_ARGS(frames[i - 1].first));
    }
    if (i > 0 && p < frames[i - 1].second) reordered = true;
    // Not the timestamper's 1000-hour shift: the times are the source's (within its first PTS
    // and the reorder delay).
    g_assert_cmpuint(p, <, 4 * GST_SECOND);
    pts.insert(p);
  }
  g_assert_true(reordered);
  g_assert_cmpuint(pts.size(), ==, frames.size());
  // One frame every 40 ms in presentation order.
  GstClockTime previous = GST_CLOCK_TIME_NONE;
  for (GstClockTime p : pts) {
    if (GST_CLOCK_TIME_IS_VALID(previous) &&
        abs_diff(p - previous, 40 * GST_MSECOND) > GST_MSECOND) {
      g_error("%s: presentation step %" GST_TIME_FORMAT, clip, GST_TIME_ARGS(p - previous));
    }
    previous = p;
  }
}

void test_matroska(const char *clip) {
  if (g_media.empty()) {
    g_test_skip(g_skip_reason.c_str());
    return;
  }
  Timeline t;
  run(clip, &t);
  assert_decode_order(clip, t);
  // matroskademux restarts the segment after two frames; the tracks never see it.
  g_assert_cmpuint(t.segments["video_0"], ==, 0);
  g_assert_cmpuint(t.segments["audio_0"], ==, 0);
  // Audio and video start together: the video's first decode time runs ahead of its first
  // presentation by the reorder delay (two or three frames), never by more.
  const gint64 video = t.first_running_time.at("video_0");
  const gint64 audio = t.first_running_time.at("audio_0");
  g_assert_cmpint(video, <=, audio + 5 * GST_MSECOND);
  g_assert_cmpint(video, >=, audio - 200 * GST_MSECOND);
  const GstSegment &segment = t.segment.at("video_0");
  // The running time of the first presented frame is 0, as for every other container.
  GstClockTime first_pts = GST_CLOCK_TIME_NONE;
  for (const auto &f : t.frames.at("video_0")) first_pts = std::min(first_pts, f.second);
  g_assert_cmpuint(gst_segment_to_running_time(&segment, GST_FORMAT_TIME, first_pts), <,
                   30 * GST_MSECOND);
}

void test_h264() { test_matroska("clip.mkv"); }
void test_h265() {
  if (!gst_element_factory_find("h265timestamper")) {
    g_test_skip("h265timestamper is not installed");
    return;
  }
  test_matroska("hevc.mkv");
}

// MP4 carries decode times: they pass as qtdemux gives them (DTS from 0, PTS after the edit).
void test_mp4_untouched() {
  if (g_media.empty()) {
    g_test_skip(g_skip_reason.c_str());
    return;
  }
  Timeline t;
  run("clip.mp4", &t);
  assert_decode_order("clip.mp4", t);
  const auto &frames = t.frames.at("video_0");
  g_assert_cmpuint(frames[0].first, ==, 0);
  g_assert_cmpuint(frames[0].second, ==, 80 * GST_MSECOND);  // two B-frames of delay
}

std::string make_clips() {
  GError *error = nullptr;
  GCharPtr dir(g_dir_make_tmp("estuary-timestamps-XXXXXX", &error));
  g_assert_no_error(error);
  const char *argv[] = {"/bin/sh",  ESTUARY_MEDIA_SCRIPT, dir.get(), "clip.mkv",
                        "hevc.mkv", "clip.mp4",           nullptr};
  gint status = 0;
  gchar *err_text = nullptr;
  g_spawn_sync(nullptr, const_cast<gchar **>(argv), nullptr, G_SPAWN_DEFAULT, nullptr, nullptr,
               nullptr, &err_text, &status, &error);
  GCharPtr err_out(err_text);
  g_assert_no_error(error);
  if (g_spawn_check_wait_status(status, nullptr)) return dir.get();
  remove_tree(dir.get());
  if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
    g_skip_reason = "ffmpeg is not installed";
    return "";
  }
  g_error("make-media.sh failed (%d): %s", status, err_out.get());
  return "";
}

}  // namespace

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  g_test_init(&argc, &argv, nullptr);
  g_media = make_clips();
  g_test_add_func("/input-timestamps/matroska-h264", test_h264);
  g_test_add_func("/input-timestamps/matroska-h265", test_h265);
  g_test_add_func("/input-timestamps/mp4-untouched", test_mp4_untouched);
  int rc = g_test_run();
  remove_tree(g_media);
  return rc;
}
