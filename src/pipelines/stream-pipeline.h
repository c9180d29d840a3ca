// StreamPipeline: the running media of one stream, `input bin -> estbuffer`, and the bus watch
// that tells its owner how it goes. Created and destroyed on the control thread; its callbacks
// run on the control context (the thread-default context when created).
#pragma once

#include <gst/gst.h>
#include <json-glib/json-glib.h>

#include <functional>
#include <memory>
#include <string>

#include "common/gref.h"

namespace estuary {

class BufferRing;

class StreamPipeline {
 public:
  struct Callbacks {
    std::function<void()> on_ready;                      // first media is buffered
    std::function<void(const std::string &)> on_failed;  // the source failed; reason for users
    std::function<void()> on_ended;                      // the source ended (live: gone for good)
  };

  // Builds and starts the pipeline for `source` (settings: the stream's config object, transfer
  // none: DVR, cut, segmentsize, resume). nullptr with `error` when the source cannot be built.
  static std::unique_ptr<StreamPipeline> create(const std::string &name, const std::string &source,
                                                JsonObject *settings, Callbacks callbacks,
                                                GError **error);
  // A pipeline with no input yet, for a push-input stream: publishers attach inputs as they
  // come (a publisher that reconnects within the resume window continues the same buffer).
  static std::unique_ptr<StreamPipeline> create_push(const std::string &name, JsonObject *settings,
                                                     Callbacks callbacks, GError **error);
  // Adds an input bin (transfer none; a reference is taken) and starts it. The previous input,
  // if any, is removed.
  void attach_input(GstElement *input);

  ~StreamPipeline();
  StreamPipeline(const StreamPipeline &) = delete;
  StreamPipeline &operator=(const StreamPipeline &) = delete;

  const std::shared_ptr<BufferRing> &ring() const { return ring_; }
  bool live() const { return live_; }
  guint64 segment_ms() const { return segment_ms_; }

 private:
  StreamPipeline() = default;
  bool setup(const std::string &name, JsonObject *settings, bool live, GError **error);
  static gboolean on_bus(GstBus *, GstMessage *message, gpointer self);
  static gboolean on_poll(gpointer self);
  static void on_pad_added(GstElement *input, GstPad *pad, gpointer self);
  static void on_no_more_pads(GstElement *input, gpointer self);

  std::string name_;
  GRef<GstElement> pipeline_;
  GRef<GstElement> buffer_;
  GRef<GstElement> input_;
  std::shared_ptr<BufferRing> ring_;
  Callbacks callbacks_;
  bool live_ = true;
  bool ready_ = false;
  // Readiness waits for every track, so outputs made early carry them all.
  gint pads_linked_ = 0;  // atomic: pad-added runs on streaming threads
  gint no_more_pads_ = 0;  // atomic, as a gboolean
  gint64 first_key_us_ = 0;  // when the first track had a keyframe
  bool done_ = false;  // failed or ended was reported
  guint64 segment_ms_ = 1900;
  guint bus_watch_ = 0;
  guint poll_ = 0;
};

}  // namespace estuary
