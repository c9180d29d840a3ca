// BranchFeed: moves a stream's buffers from a BufferReader into a FormatBranch, until the stream
// ends (then FormatBranch::end(), once) or stop().
//
// Two ways to drive it:
// - kInline: no thread of its own. The reader's wakeup drains it into the branch on the
//   producer's thread (the RTMP server thread for RTMP publishers, a GStreamer streaming thread
//   for files and pulls), right after each new buffer. Only for branches that mux in place
//   (FormatBranch::muxes_in_place()): the muxing is cheap and never blocks, and a thread that
//   waited for each of ~75 frames/s only added two context switches per frame.
// - kThread: a pump thread waits on the reader and pushes. For muxer pipelines (their appsrc
//   may queue or drop), and for VoD, whose first drain is the whole file: done inline it would
//   hold the thread that asked for the branch, and then the input's threads, for that long.
//
// Locks, in the order they are taken on the producer's thread in kInline mode:
//   the ring's listeners lock (BufferRing::notify() holds it while calling the wakeup)
//   -> drain_lock_ (one thread at a time uses the reader and pushes into the branch)
//   -> the ring's lock_ (BufferReader::next(), only to copy a reference out)
//   -> FormatBranch's direct lock -> Fanout's lock / SegmentStore's lock (each released before
//      their own wakeups run: viewer and HLS-waiter wakeups post to server main contexts).
// Nothing reached from a drain takes OutputHub::lock_ or the ring's listeners lock, or waits for
// another thread: Fanout::push only queues (a slow viewer is skipped or dropped, never waited
// for), TsSegmenter writes one memfd per closed segment, and viewer / HLS-waiter wakeups post to
// the servers' main contexts. Producers never contend among themselves for drain_lock_ (the
// listeners lock serialises them); a producer may find it held only by start()'s catch-up (a GOP
// muxed in place, about a millisecond, once per new branch), or by stop() setting a flag. start()
// and stop() may run under OutputHub::lock_; they take the listeners lock (set_wakeup) but never
// while holding drain_lock_.
#pragma once

#include <gst/gst.h>

#include <atomic>
#include <functional>
#include <memory>
#include <thread>

#include "elements/estbuffer-reader.h"

namespace estuary {

class FormatBranch;

class BranchFeed {
 public:
  enum class Mode { kInline, kThread };
  // Called before the first buffer of a track after the source resumed (estbuffer's discont),
  // with its stream time, on the thread that pushes; e.g. TsSegmenter::discontinuity_at.
  using DiscontHook = std::function<void(GstClockTime)>;

  // `branch` (transfer none) must be started and outlive the feed, or its stop().
  BranchFeed(std::unique_ptr<BufferReader> reader, FormatBranch *branch, Mode mode,
             DiscontHook on_discont = nullptr);
  ~BranchFeed();  // stop()
  BranchFeed(const BranchFeed &) = delete;
  BranchFeed &operator=(const BranchFeed &) = delete;

  // kInline: installs the reader's wakeup, then catches up (from the reader's start position)
  // on the calling thread. kThread: starts the pump thread. Call once, before stop().
  void start();
  // Once it returns, nothing more is pushed into the branch and no drain runs. Not from inside
  // a branch Sink callback (it would wait for itself). Idempotent.
  void stop();

  // The stream ended and FormatBranch::end() was called.
  bool finished() const { return finished_; }
  Mode mode() const { return mode_; }

 private:
  void kick();          // kInline: the reader's wakeup
  void drain_locked();  // with drain_lock_
  void deliver(ReadItem *item);
  void run_pump();  // kThread

  const std::unique_ptr<BufferReader> reader_;
  FormatBranch *const branch_;
  const Mode mode_;
  const DiscontHook on_discont_;
  std::atomic<bool> finished_{false};

  // kInline.
  GMutex drain_lock_;  // held while draining (one thread uses the reader); guards the two below
  bool stopped_ = false;
  bool ended_ = false;

  // kThread.
  std::thread pump_;
  std::atomic<bool> stopping_{false};
};

}  // namespace estuary
