// Fanout: hands one muxed byte stream to many viewers, the way multisocketsink does, but without
// owning sockets so an asynchronous HTTP/RTMP server can write at its own pace.
//
// Every viewer receives the SAME refcounted GstBuffers (never copies). The fanout keeps the stream
// headers and the buffers since the latest keyframe, so a new viewer starts with the headers and
// then the latest keyframe. Each viewer has a bounded backlog: a viewer that falls behind is
// skipped forward to the next keyframe once, and dropped if it is still behind the next time, so
// a slow viewer never stalls the others or grows memory without bound.
//
// Format-agnostic conventions (FormatBranch produces them): a buffer WITHOUT
// GST_BUFFER_FLAG_DELTA_UNIT is a point where a viewer may start; headers are given explicitly
// with set_headers(). Buffer timestamps (DTS, else PTS) are used for the time limit only.
//
// Threading: all methods are thread-safe. push()/set_headers()/end() are called from the muxer's
// streaming thread; viewers are pulled from server threads. One mutex guards all state.
#pragma once

#include <gst/gst.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/gref.h"

namespace estuary {

class FanoutViewer;

class Fanout {
 public:
  struct Limits {
    uint64_t max_backlog_bytes = 16 * 1024 * 1024;    // per viewer, bytes queued and not pulled
    GstClockTime max_backlog_time = 10 * GST_SECOND;  // per viewer, timestamp span queued
    uint64_t max_gop_bytes = 64 * 1024 * 1024;        // keyframe cache; beyond it new viewers wait
  };

  // `name` is only used in log lines (the stream name and format).
  static std::shared_ptr<Fanout> create(const std::string &name, const Limits &limits);
  static std::shared_ptr<Fanout> create(const std::string &name) { return create(name, Limits()); }
  ~Fanout();

  // Replaces the headers new viewers get first (transfer none: refs are taken). Viewers that
  // already started keep going; muxers repeat what they need in-band.
  void set_headers(const std::vector<GstBuffer *> &headers);
  // Queues `buf` for every viewer (transfer none: each queue takes a reference).
  void push(GstBuffer *buf);
  // End of stream: viewers drain what they have, then report closed().
  void end();

  // A new viewer. `wakeup` is called (from the pushing thread, without locks held) when the
  // viewer's queue goes from empty to non-empty and when it gets closed; it must be cheap and
  // thread-safe, typically posting to the server's main context. It may be called once more
  // after the viewer was closed by its owner.
  std::shared_ptr<FanoutViewer> add_viewer(std::function<void()> wakeup);

  size_t viewer_count() const;
  uint64_t gop_bytes() const;  // bytes in the keyframe cache
  uint64_t buffers_pushed() const;

  struct Impl;

 private:
  explicit Fanout(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

class FanoutViewer {
 public:
  // Next buffer to send (transfer full), or null when nothing is queued right now. Never blocks.
  GRef<GstBuffer> pull();
  // Like pull(), but the buffer's bytes (transfer full; null when nothing is queued) and its
  // timestamp (DTS, else PTS) in `timestamp` when given. The buffer is mapped once when it is
  // pushed and every viewer shares that mapping: a writer can keep the bytes until the socket
  // took them without mapping the memory once per viewer (GstMemory counts at most 255
  // concurrent maps).
  GRef<GBytes> pull_bytes(GstClockTime *timestamp = nullptr);
  // True once nothing more will come: the stream ended and the queue is drained, the viewer was
  // dropped for being too slow, or close() was called.
  bool closed() const;
  std::string close_reason() const;  // "", "end of stream", "too slow", "closed"
  // The viewer leaves; its queue is released at once. Idempotent.
  void close();

  uint64_t bytes_sent() const;    // bytes handed out by pull()
  uint64_t skips() const;         // times it was skipped forward to a keyframe
  uint64_t queued_bytes() const;  // backlog not pulled yet

  struct State;
  FanoutViewer(std::shared_ptr<Fanout::Impl> fanout, std::shared_ptr<State> state);
  ~FanoutViewer();

 private:
  std::shared_ptr<Fanout::Impl> fanout_;
  std::shared_ptr<State> state_;
};

}  // namespace estuary
