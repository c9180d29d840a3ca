// Shared by the input tests: generates media with tests/media/make-media.sh, runs an input bin
// into queue ! fakesink per exposed pad, and records what came out.
#pragma once

#include <glib/gstdio.h>
#include <gst/gst.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/gref.h"
#include "pipelines/inputs.h"

namespace estuary::test {

// What one exposed pad delivered.
struct PadRecord {
  std::string name;
  GRef<GstCaps> caps;  // the last caps seen on the pad
  guint buffers = 0;
  GstClockTime first_pts = GST_CLOCK_TIME_NONE;
  GstClockTime last_pts = GST_CLOCK_TIME_NONE;
  std::string first_bytes;  // up to 256 bytes of the first buffer (subtitle text)
};

struct RunResult {
  std::vector<PadRecord> pads;  // in pad-added order
  bool no_more_pads = false;
  bool eos = false;
  std::string error;                            // first ERROR message, "" when none
  GstClockTime duration = GST_CLOCK_TIME_NONE;  // answered after preroll (VoD only)
  GstStateChangeReturn paused_return = GST_STATE_CHANGE_FAILURE;
  bool latency_live = false;  // from a latency query once playing

  const PadRecord *pad(const std::string &name) const {
    for (const PadRecord &p : pads)
      if (p.name == name) return &p;
    return nullptr;
  }
};

// Holds everything the streaming-thread callbacks touch; guarded by `lock`.
struct RunState {
  GMutex lock;
  RunResult result;
  RunState() { g_mutex_init(&lock); }
  ~RunState() { g_mutex_clear(&lock); }
};

inline GstPadProbeReturn record_probe(GstPad *pad, GstPadProbeInfo *info, gpointer user_data) {
  auto *state = static_cast<RunState *>(user_data);
  MutexLock guard(&state->lock);
  GCharPtr name(gst_pad_get_name(pad));
  PadRecord *record = nullptr;
  for (PadRecord &p : state->result.pads)
    if (p.name == name.get()) record = &p;
  if (!record) return GST_PAD_PROBE_OK;
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER(info);
    if (record->buffers++ == 0) {
      BufferMap map(buffer, GST_MAP_READ);
      if (map.ok())
        record->first_bytes.assign(reinterpret_cast<const char *>(map.data()),
                                   std::min<gsize>(map.size(), 256));
    }
    GstClockTime pts = GST_BUFFER_PTS(buffer);
    if (GST_CLOCK_TIME_IS_VALID(pts)) {
      if (!GST_CLOCK_TIME_IS_VALID(record->first_pts) || pts < record->first_pts)
        record->first_pts = pts;
      if (!GST_CLOCK_TIME_IS_VALID(record->last_pts) || pts > record->last_pts)
        record->last_pts = pts;
    }
  } else if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT(info);
    if (GST_EVENT_TYPE(event) == GST_EVENT_CAPS) {
      GstCaps *caps = nullptr;
      gst_event_parse_caps(event, &caps);
      record->caps = GRef<GstCaps>::ref(caps);
    }
  }
  return GST_PAD_PROBE_OK;
}

inline void on_input_pad_added(GstElement *input, GstPad *pad, gpointer user_data) {
  auto *state = static_cast<RunState *>(user_data);
  {
    MutexLock guard(&state->lock);
    PadRecord record;
    record.name = GCharPtr(gst_pad_get_name(pad)).get();
    state->result.pads.push_back(std::move(record));
  }
  gst_pad_add_probe(
      pad,
      static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
      record_probe, state, nullptr);
  // A queue per stream: one demuxer thread feeds every sink, and a prerolled sink blocks it.
  GstElement *bin = GST_ELEMENT(gst_element_get_parent(input));
  GstElement *queue = gst_element_factory_make("queue", nullptr);
  GstElement *sink = gst_element_factory_make("fakesink", nullptr);
  g_object_set(sink, "sync", FALSE, nullptr);
  gst_bin_add_many(GST_BIN(bin), queue, sink, nullptr);
  gst_element_link(queue, sink);
  GRef<GstPad> queue_sink = GRef<GstPad>::adopt(gst_element_get_static_pad(queue, "sink"));
  g_assert_cmpint(gst_pad_link(pad, queue_sink.get()), ==, GST_PAD_LINK_OK);
  gst_element_sync_state_with_parent(sink);
  gst_element_sync_state_with_parent(queue);
  gst_object_unref(bin);
}

inline void on_input_no_more_pads(GstElement *, gpointer user_data) {
  auto *state = static_cast<RunState *>(user_data);
  MutexLock guard(&state->lock);
  state->result.no_more_pads = true;
}

// Runs `input` (transfer full, floating ok) to EOS or error, for at most `timeout_s` seconds.
// VoD inputs are prerolled first so the duration can be asked.
inline RunResult run_input(GstElement *input_element, bool live, int timeout_s = 20) {
  RunState state;
  GRef<GstElement> pipeline = GRef<GstElement>::adopt(gst_pipeline_new("test"));
  GRef<GstElement> input = GRef<GstElement>::adopt(input_element);
  g_signal_connect(input.get(), "pad-added", G_CALLBACK(on_input_pad_added), &state);
  g_signal_connect(input.get(), "no-more-pads", G_CALLBACK(on_input_no_more_pads), &state);
  gst_bin_add(GST_BIN(pipeline.get()), GST_ELEMENT(g_object_ref(input.get())));

  GRef<GstBus> bus = GRef<GstBus>::adopt(gst_element_get_bus(pipeline.get()));
  const gint64 deadline = g_get_monotonic_time() + timeout_s * G_TIME_SPAN_SECOND;
  auto remaining = [&] {
    gint64 left = deadline - g_get_monotonic_time();
    return left > 0 ? static_cast<GstClockTime>(left) * GST_USECOND : 0;
  };

  state.result.paused_return = gst_element_set_state(pipeline.get(), GST_STATE_PAUSED);
  if (!live) {
    // The bin has no sinks until its pads appear, so PAUSED may "succeed" before anything is
    // prerolled: poll the duration under the deadline instead, watching for errors.
    while (true) {
      GRef<GstMessage> msg = GRef<GstMessage>::adopt(gst_bus_timed_pop_filtered(
          bus.get(), std::min<GstClockTime>(remaining(), 10 * GST_MSECOND), GST_MESSAGE_ERROR));
      if (msg) {
        GError *e = nullptr;
        gst_message_parse_error(msg.get(), &e, nullptr);
        GErrorPtr err(e);
        state.result.error = err->message;
        break;
      }
      gint64 duration = -1;
      if (gst_element_query_duration(pipeline.get(), GST_FORMAT_TIME, &duration) && duration >= 0) {
        state.result.duration = static_cast<GstClockTime>(duration);
        break;
      }
      if (remaining() == 0) {
        state.result.error = "timed out waiting for a duration";
        break;
      }
    }
  }
  if (state.result.error.empty()) {
    gst_element_set_state(pipeline.get(), GST_STATE_PLAYING);
    bool latency_asked = false;
    while (true) {
      GRef<GstMessage> msg = GRef<GstMessage>::adopt(gst_bus_timed_pop_filtered(
          bus.get(), std::min<GstClockTime>(remaining(), 100 * GST_MSECOND),
          static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR)));
      if (!latency_asked) {
        // Ask once data flows: a latency query needs linked, running sinks.
        bool flowing = false;
        {
          MutexLock guard(&state.lock);
          for (const PadRecord &p : state.result.pads) flowing = flowing || p.buffers > 0;
        }
        if (flowing) {
          // Asked of the input's own pad: a fakesink with sync=false hides upstream liveness.
          std::unique_ptr<GstIterator, void (*)(GstIterator *)> it(
              gst_element_iterate_src_pads(input.get()), gst_iterator_free);
          GValue item = G_VALUE_INIT;
          if (gst_iterator_next(it.get(), &item) == GST_ITERATOR_OK) {
            auto *pad = GST_PAD(g_value_get_object(&item));
            GRef<GstQuery> q = GRef<GstQuery>::adopt(gst_query_new_latency());
            if (gst_pad_query(pad, q.get())) {
              gboolean is_live = FALSE;
              gst_query_parse_latency(q.get(), &is_live, nullptr, nullptr);
              state.result.latency_live = is_live;
            }
            g_value_unset(&item);
          }
          latency_asked = true;
        }
      }
      if (msg && GST_MESSAGE_TYPE(msg.get()) == GST_MESSAGE_EOS) {
        state.result.eos = true;
        break;
      }
      if (msg) {
        GError *e = nullptr;
        gst_message_parse_error(msg.get(), &e, nullptr);
        GErrorPtr err(e);
        state.result.error = err->message;
        break;
      }
      if (remaining() == 0) {
        state.result.error = "timed out waiting for EOS";
        break;
      }
    }
  }
  gst_element_set_state(pipeline.get(), GST_STATE_NULL);
  MutexLock guard(&state.lock);
  return state.result;
}

// Creates a temporary folder and fills it with make-media.sh. Returns "" and sets `skip_reason`
// when ffmpeg is missing (the script exits 77); fails the test on other errors.
inline std::string make_media(std::string *skip_reason) {
  GError *error = nullptr;
  GCharPtr dir(g_dir_make_tmp("estuary-inputs-XXXXXX", &error));
  g_assert_no_error(error);
  const char *argv[] = {"/bin/sh", ESTUARY_MEDIA_SCRIPT, dir.get(), nullptr};
  gint status = 0;
  GCharPtr err_out;
  gchar *err_text = nullptr;
  g_spawn_sync(nullptr, const_cast<gchar **>(argv), nullptr, G_SPAWN_DEFAULT, nullptr, nullptr,
               nullptr, &err_text, &status, &error);
  err_out.reset(err_text);
  g_assert_no_error(error);
  if (g_spawn_check_wait_status(status, nullptr)) return dir.get();
  if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
    *skip_reason = "ffmpeg is not installed: " + std::string(err_out.get() ? err_out.get() : "");
    return "";
  }
  g_error("make-media.sh failed (%d): %s", status, err_out.get());
  return "";
}

// Removes `dir` and everything in it (one level of subfolders, as the tests create).
inline void remove_tree(const std::string &dir) {
  if (dir.empty()) return;
  GDir *handle = g_dir_open(dir.c_str(), 0, nullptr);
  if (handle) {
    while (const char *entry = g_dir_read_name(handle)) {
      std::string path = dir + "/" + entry;
      if (g_file_test(path.c_str(), G_FILE_TEST_IS_DIR) &&
          !g_file_test(path.c_str(), G_FILE_TEST_IS_SYMLINK))
        remove_tree(path);
      else
        g_unlink(path.c_str());
    }
    g_dir_close(handle);
  }
  g_rmdir(dir.c_str());
}

inline GstClockTime abs_diff(GstClockTime a, GstClockTime b) { return a > b ? a - b : b - a; }

}  // namespace estuary::test
