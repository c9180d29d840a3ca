// FormatBranch: one muxing branch per stream and output format, shared by every viewer.
//
//   appsrc (one per track) -> [converting parser] -> muxer -> appsink -> OutputFraming -> Sink
//
// Tracks arrive as parsed, never decoded, GstBuffers (see output-formats.h for codecs). The
// branch runs its own non-live pipeline: the muxer waits for every track, so the feeder must
// interleave tracks by time (estbuffer does) and call end_track() for a track that stops.
// Subtitle-only formats (WebVTT, SRT) need no pipeline and are formatted directly, and neither
// do TS and FLV when every track is H.264 (AVC) or AAC: TsDirectMux / FlvDirectMux mux them on
// the pusher's thread (output-direct-mux.h), so Sink callbacks then run there.
//
// Usage:
//   GError *err = nullptr;
//   auto branch = FormatBranch::create(OutputFormat::kTS, "live", &err);
//   branch->set_sink(FormatBranch::sink_for(fanout));
//   branch->add_track(1, video_caps, &err);   // false + reason when the format can't carry it
//   branch->add_track(2, audio_caps, &err);
//   branch->start(&err);
//   branch->push(1, buffer);                  // from any thread
//   branch->end();                            // EOS: sink.on_eos follows once drained
//
// Threading: push/end_track/end are thread-safe. Sink callbacks run on the muxer's streaming
// thread (never with a branch lock held) and must not call stop() or destroy the branch.
#pragma once

#include <gst/gst.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "pipelines/output-formats.h"

namespace estuary {

class Fanout;

class FormatBranch {
 public:
  struct Sink {
    // Headers a new viewer needs first; may come again if the muxer's caps change.
    std::function<void(const std::vector<GstBuffer *> &)> on_headers;
    // Muxed output, transfer none; DELTA_UNIT is cleared where a viewer may start.
    std::function<void(GstBuffer *)> on_buffer;
    std::function<void()> on_eos;
    std::function<void(const std::string &)> on_error;
  };
  // A sink that feeds `fanout` (headers, buffers, end at EOS and on error).
  static Sink sink_for(std::shared_ptr<Fanout> fanout);

  // Returns null with `error` set when the muxer for `format` is not installed.
  static std::unique_ptr<FormatBranch> create(OutputFormat format, const std::string &stream,
                                              GError **error);
  ~FormatBranch();  // stops the pipeline; no callbacks after it returns
  FormatBranch(const FormatBranch &) = delete;
  FormatBranch &operator=(const FormatBranch &) = delete;

  void set_sink(Sink sink);  // before start()

  // Adds a track before start(). `caps` transfer none. Returns false, with the reason in
  // `error`, when the format cannot carry the track (the branch stays usable without it).
  bool add_track(uint32_t track_id, GstCaps *caps, GError **error);
  bool start(GError **error);

  // `buf` transfer full. Buffers for unknown tracks are dropped (returns false).
  bool push(uint32_t track_id, GstBuffer *buf);
  // The track's caps changed mid-stream (a publisher that resumed with other encoder settings).
  // Branches muxed in place follow: new viewers get new headers and players already connected
  // get the new configuration in band. Muxer pipelines keep the caps they started with (their
  // muxers refuse codec_data changes mid-stream); false then, and when the new caps cannot be
  // carried. Same thread as push().
  bool update_track(uint32_t track_id, GstCaps *caps);
  void end_track(uint32_t track_id);
  void end();
  void stop();

  OutputFormat format() const;
  std::vector<uint32_t> tracks() const;
  bool has_video() const;
  // After a successful start(): true when push() muxes on the caller's thread and reaches the
  // Sink before it returns, never blocking (TsDirectMux / FlvDirectMux, subtitle text); false
  // when a muxer pipeline with threads of its own runs (its appsrc may queue or drop).
  bool muxes_in_place() const;

  struct Impl;

 private:
  explicit FormatBranch(std::unique_ptr<Impl> impl);
  bool start_direct();  // TS muxed in place (output-ts-direct.h); false: use the pipeline
  std::unique_ptr<Impl> impl_;
};

}  // namespace estuary
