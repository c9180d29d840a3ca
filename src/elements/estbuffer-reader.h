// BufferReader: how an output reads a stream buffer. It walks the ring in arrival order and hands
// out references to the very GstBuffers the source produced (no copy, no new buffer): treat them
// as read-only; gst_buffer_make_writable() gives a private metadata copy if one must change.
//
//   auto reader = std::make_unique<estuary::BufferReader>(estuary::estbuffer_get_ring(buf));
//   reader->set_wakeup([ctx] { g_main_context_wakeup(ctx); });   // or: reader->wait(deadline)
//   estuary::ReadItem item;
//   while (reader->next(&item) == estuary::BufferReader::Status::kItem) {
//     if (item.caps_changed) configure_track(item.track_id, item.caps.get());
//     push(item.track_id, item.buffer.get());   // stream timeline timestamps, ns
//   }
//
// Threads: one reader is used by one thread at a time (it is the output's cursor). It never blocks
// the producer: it takes the ring lock only to copy one reference out. A reader that is still
// behind when its position leaves the window is moved to the oldest keyframe in the window, and
// the next item has `skipped` set.
#pragma once

#include <gst/gst.h>

#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "common/gref.h"
#include "elements/estbuffer-ring.h"

namespace estuary {

struct ReadItem {
  guint track_id = 0;
  GRef<GstBuffer> buffer;     // the stored buffer itself (shared, read-only)
  GRef<GstCaps> caps;         // the track's caps for this buffer
  bool caps_changed = false;  // first item of this track for this reader, or new caps since
  bool keyframe = false;
  bool discont = false;  // first buffer of this track after the source resumed (timestamps go on)
  bool skipped = false;  // the reader fell out of the window and was moved to this keyframe
  guint64 seq = 0;       // ring sequence number
  guint64 time_ms = 0;   // decode time on the stream timeline
};

class BufferReader {
 public:
  enum class Start {
    kLatestKey,  // live: the latest keyframe of the main track
    kTime,       // VoD/DVR: the last keyframe at or before Options::time_ms
    kOldest,     // the start of the window (VoD: the start of the file)
  };
  struct Options {
    Start start = Start::kLatestKey;
    guint64 time_ms = 0;
    std::vector<guint> tracks;  // track ids to read; empty means all
  };

  // Attaches to `ring` (kept alive by the reader). Thread-safe against the producer.
  explicit BufferReader(std::shared_ptr<BufferRing> ring);
  BufferReader(std::shared_ptr<BufferRing> ring, const Options &opts);
  // Detaches; once it returns the wakeup callback is never called again.
  ~BufferReader();
  BufferReader(const BufferReader &) = delete;
  BufferReader &operator=(const BufferReader &) = delete;

  enum class Status {
    kItem,   // *item is filled
    kEmpty,  // nothing new yet: wait() or get woken
    kEnded,  // the source stopped for good and everything has been read
  };
  // Non-blocking. Skips the other tracks' buffers and, per video track, delta frames until the
  // track's first keyframe for this reader.
  Status next(ReadItem *item);

  // Blocks until next() has something to return (an item or the end) or until `end_time`
  // (g_get_monotonic_time() scale). Returns false on timeout. With a track filter it may return
  // true for another track's buffer, after which next() says kEmpty: just wait again.
  bool wait(gint64 end_time);

  // `fn` runs on a producer streaming thread, without the ring lock, after each new buffer and
  // on the end. It must be quick (signal a GMainContext, a GCond, an eventfd); it may call
  // next() but must not destroy this reader. Pass nullptr to remove. Not for use from inside fn.
  void set_wakeup(std::function<void()> fn);

  // Moves to the last keyframe at or before `ms` (DVR / VoD seek).
  void seek(guint64 ms);

  guint64 skip_count() const { return skips_; }
  const std::shared_ptr<BufferRing> &ring() const { return ring_; }

 private:
  friend class BufferRing;
  void wake();  // called by BufferRing::notify() under its listeners lock
  void reset_tracks();
  bool wanted(guint track) const;

  std::shared_ptr<BufferRing> ring_;
  std::vector<guint> tracks_;
  // Cursor state; touched only by the thread using the reader.
  guint64 pos_ = 0;
  guint64 skips_ = 0;
  bool pending_skip_ = false;  // a skip not yet reported through ReadItem::skipped
  struct TrackCursor {
    GRef<GstCaps> caps;  // last caps handed out for the track
    bool have_key = false;
  };
  std::map<guint, TrackCursor> cursors_;
  // Guarded by the ring's listeners lock.
  std::function<void()> wakeup_;
};

}  // namespace estuary
