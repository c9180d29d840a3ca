// Helpers for output tests: a real H.264/AAC (or other) source pipeline feeding a FormatBranch
// in timestamp order, a collector sink, and ffprobe.
#pragma once

#include <glib/gstdio.h>
#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "common/gref.h"
#include "pipelines/output-branch.h"

namespace estuary::test {

// Runs `desc`, a gst-launch description with appsinks named t1, t2, ... (one per track).
class TrackSource {
 public:
  explicit TrackSource(const std::string &desc) {
    GError *err = nullptr;
    pipe_ = GRef<GstElement>::adopt(gst_parse_launch(desc.c_str(), &err));
    if (err) {
      g_printerr("pipeline: %s\n", err->message);
      g_error_free(err);
    }
    g_assert_nonnull(pipe_.get());
    for (int i = 1;; i++) {
      std::string name = "t" + std::to_string(i);
      GstElement *s = gst_bin_get_by_name(GST_BIN(pipe_.get()), name.c_str());
      if (!s) break;
      g_object_set(s, "sync", FALSE, "max-buffers", 64u, "emit-signals", FALSE, nullptr);
      sinks_.push_back(GRef<GstElement>::adopt(s));
    }
    g_assert_cmpint(gst_element_set_state(pipe_.get(), GST_STATE_PLAYING), !=,
                    GST_STATE_CHANGE_FAILURE);
    for (auto &s : sinks_) pending_.push_back(pull(s.get()));
  }
  ~TrackSource() { gst_element_set_state(pipe_.get(), GST_STATE_NULL); }

  size_t tracks() const { return sinks_.size(); }
  GstCaps *caps(size_t i) const {
    return pending_[i] ? gst_sample_get_caps(pending_[i].get()) : nullptr;
  }

  // Adds every track (ids 1..n) to `b`; returns how many it accepted.
  size_t add_tracks(FormatBranch &b) {
    size_t ok = 0;
    for (size_t i = 0; i < sinks_.size(); i++) {
      GError *err = nullptr;
      if (b.add_track(i + 1, caps(i), &err)) ok++;
      if (err) {
        g_printerr("# track %zu: %s\n", i + 1, err->message);
        g_error_free(err);
      }
    }
    return ok;
  }

  // Pushes all buffers in timestamp order, then ends the branch.
  void feed(FormatBranch &b) {
    for (;;) {
      int best = -1;
      GstClockTime best_ts = GST_CLOCK_TIME_NONE;
      for (size_t i = 0; i < pending_.size(); i++) {
        if (!pending_[i]) continue;
        GstClockTime ts = GST_BUFFER_DTS_OR_PTS(gst_sample_get_buffer(pending_[i].get()));
        if (best < 0 || ts < best_ts) {
          best = int(i);
          best_ts = ts;
        }
      }
      if (best < 0) break;
      GstBuffer *buf = gst_sample_get_buffer(pending_[best].get());
      b.push(best + 1, gst_buffer_ref(buf));
      pending_[best] = pull(sinks_[best].get());
      if (!pending_[best]) b.end_track(best + 1);
    }
    b.end();
  }

 private:
  static GRef<GstSample> pull(GstElement *sink) {
    return GRef<GstSample>::adopt(gst_app_sink_pull_sample(GST_APP_SINK(sink)));
  }
  GRef<GstElement> pipe_;
  std::vector<GRef<GstElement>> sinks_;
  std::vector<GRef<GstSample>> pending_;
};

// H.264 (avc, 1 s GOP at 30 fps) + AAC (raw) for `seconds`.
inline std::string h264_aac_desc(int seconds) {
  return "videotestsrc num-buffers=" + std::to_string(seconds * 30) +
         " ! video/x-raw,width=320,height=240,framerate=30/1"
         " ! x264enc key-int-max=30 tune=zerolatency speed-preset=ultrafast bitrate=500"
         " ! h264parse ! video/x-h264,stream-format=avc,alignment=au ! appsink name=t1 "
         "audiotestsrc num-buffers=" +
         std::to_string(seconds * 44100 / 1024) +
         " samplesperbuffer=1024 ! audio/x-raw,rate=44100,channels=2 ! avenc_aac"
         " ! aacparse ! audio/mpeg,stream-format=raw ! appsink name=t2";
}

// Collects a branch's output.
class Collector {
 public:
  Collector() {
    g_mutex_init(&lock_);
    g_cond_init(&cond_);
  }
  ~Collector() {
    g_mutex_clear(&lock_);
    g_cond_clear(&cond_);
  }
  FormatBranch::Sink sink() {
    FormatBranch::Sink s;
    s.on_headers = [this](const std::vector<GstBuffer *> &h) {
      MutexLock l(&lock_);
      headers.clear();
      for (GstBuffer *b : h) headers.push_back(GRef<GstBuffer>::ref(b));
    };
    s.on_buffer = [this](GstBuffer *b) {
      MutexLock l(&lock_);
      buffers.push_back(GRef<GstBuffer>::ref(b));
    };
    s.on_eos = [this]() { finish(""); };
    s.on_error = [this](const std::string &m) { finish(m); };
    return s;
  }
  // Waits up to `seconds` for EOS or an error; true on EOS.
  bool wait(int seconds) {
    gint64 deadline = g_get_monotonic_time() + seconds * G_TIME_SPAN_SECOND;
    MutexLock l(&lock_);
    while (!done_)
      if (!g_cond_wait_until(&cond_, &lock_, deadline)) break;
    return done_ && error.empty();
  }
  std::string bytes() {
    std::string out;
    MutexLock l(&lock_);
    for (auto *list : {&headers, &buffers})
      for (auto &b : *list) {
        BufferMap m(b.get(), GST_MAP_READ);
        out.append(reinterpret_cast<const char *>(m.data()), m.size());
      }
    return out;
  }
  std::vector<GRef<GstBuffer>> headers, buffers;
  std::string error;

 private:
  void finish(const std::string &m) {
    MutexLock l(&lock_);
    error = m;
    done_ = true;
    g_cond_broadcast(&cond_);
  }
  GMutex lock_;
  GCond cond_;
  bool done_ = false;
};

// Writes `data` to a temp file with `ext` and returns its path ("" on failure).
inline std::string write_temp(const std::string &data, const char *ext) {
  std::string tmpl = std::string("estuary-out-XXXXXX") + ext;
  gchar *path = nullptr;
  gint fd = g_file_open_tmp(tmpl.c_str(), &path, nullptr);
  if (fd < 0) return "";
  close(fd);
  GCharPtr owned(path);
  if (!g_file_set_contents(path, data.data(), data.size(), nullptr)) return "";
  return path;
}

// Runs ffprobe with `args` on `path` and returns its stdout ("" if it failed).
inline std::string ffprobe(const std::string &args, const std::string &path) {
  std::string cmd = "ffprobe -v error " + args + " '" + path + "'";
  gchar *out = nullptr;
  gint status = 0;
  if (!g_spawn_command_line_sync(cmd.c_str(), &out, nullptr, &status, nullptr)) return "";
  GCharPtr owned(out);
  return g_spawn_check_wait_status(status, nullptr) && out ? out : "";
}

// Codec names of the streams, in order ("h264 aac"). MPEG-TS lists streams again per program,
// so streams are deduplicated by index.
inline std::string stream_codecs(const std::string &path) {
  std::string s = ffprobe("-show_entries stream=index,codec_name -of csv=p=0", path);
  std::string out;
  std::vector<std::string> seen;
  GStrvPtr lines(g_strsplit(s.c_str(), "\n", -1));
  for (gchar **l = lines.get(); *l; l++) {
    GStrvPtr f(g_strsplit(*l, ",", 2));
    if (!f.get()[0] || !f.get()[1]) continue;
    std::string idx = f.get()[0];
    bool dup = false;
    for (auto &x : seen) dup = dup || x == idx;
    if (dup) continue;
    seen.push_back(idx);
    out += std::string(out.empty() ? "" : " ") + f.get()[1];
  }
  return out;
}

inline bool have_ffprobe() {
  GCharPtr p(g_find_program_in_path("ffprobe"));
  return p != nullptr;
}

}  // namespace estuary::test
