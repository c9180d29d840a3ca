// BufferRing: the storage behind estbuffer. Buffers of all tracks in arrival order, each with a
// sequence number, indexed by the keys of a main track; the DVR window, cut time, resume and the
// live metadata. Outputs read it through BufferReader (estbuffer-reader.h); the element is only
// the GStreamer face that feeds it.
//
// Threads: producers (pad streaming threads) call the "producer" methods, readers and the control
// thread call the rest, all at the same time. One mutex, lock_, guards everything but the listener
// list; readers hold it only to copy a reference out, so they never stall the producer.
// Lock order: listeners_lock_ may be held when taking lock_, never the reverse.
#pragma once

#include <gst/gst.h>

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/gref.h"
#include "elements/estbuffer-meta.h"

// Debug category "estuary-buffer", shared by the element and its helpers.
GST_DEBUG_CATEGORY_EXTERN(estuary_buffer_debug);

namespace estuary {

// Settings; the element's properties of the same names (defaults documented there).
struct RingSettings {
  guint64 buffer_time_ms = 50000;
  guint64 cut_time_ms = 0;
  guint64 segment_size_ms = 1900;
  guint64 resume_time_ms = 20000;
  bool resume = false;
  bool live = true;
};

// One stored buffer. The buffer's DTS/PTS are on the stream timeline (see push()).
struct RingEntry {
  guint64 seq = 0;
  guint track_id = 0;
  GRef<GstBuffer> buffer;
  GRef<GstCaps> caps;    // caps of the track when the buffer arrived
  guint64 time_ns = 0;   // decode time on the stream timeline
  bool key = false;      // a point a decoder can start from (every non-video buffer is one)
  bool discont = false;  // first buffer of this track after the source resumed
};

class BufferReader;

class BufferRing {
 public:
  explicit BufferRing(std::string name);
  ~BufferRing();
  BufferRing(const BufferRing &) = delete;
  BufferRing &operator=(const BufferRing &) = delete;

  const std::string &name() const { return name_; }

  // --- Settings (any thread). Changing them trims at once.
  void set_settings(const RingSettings &s);
  RingSettings settings() const;
  // Asks for a window of at least `ms` (an output needing more than buffer-time, e.g. a DVR
  // player or HLS with many segments). The window is max(buffer-time, largest request).
  void require_window(guint64 ms);
  guint64 window_ms() const;

  // --- Producer side (pad streaming threads).
  enum class EndResult { kRunning, kStopped, kEnded };
  // A pad exists that has not bound a track yet: the start of the timeline waits for it (see
  // push()). Each await_pad() is matched by one unawait_pad() once the pad bound a track, was
  // refused, reached EOS without caps or was released.
  void await_pad();
  EndResult unawait_pad(guint64 *generation);  // see end_track()
  // A pad got its first caps: returns the track id (from 1), reusing a track that reached EOS
  // with the same type and codec (resume), or 0 when the caps are not storable or the buffer ended.
  guint bind_track(GstCaps *caps);
  // The track's caps changed mid-stream (caps transfer none).
  void set_caps(guint track, GstCaps *caps);
  enum class PushResult { kStored, kDropped, kEnded };
  // Stores `buf` (transfer full). Times are running times in ns (GST_CLOCK_STIME_NONE if unknown).
  // The stream timeline is the running time of the first source, shifted to start at >= 0; after
  // a resume the new source is shifted to continue where the old one ended. When the buffer's
  // timestamps must change it is made writable first (a cheap metadata copy if shared).
  PushResult push(guint track, GstBuffer *buf, gint64 running_dts, gint64 running_pts);
  // The track's pad reached EOS (or was released). When no track is active any more and no pad
  // is still to bind one, the source has stopped: kEnded without resume (post EOS), else kStopped
  // and the caller calls expire(generation) after resume-time. Each is returned once; kRunning
  // means nothing changed.
  EndResult end_track(guint track, guint64 *generation);
  // Ends the buffer if it is still stopped since `generation`. Returns true if it ended now.
  bool expire(guint64 generation);

  // --- Readers and control (any thread).
  StreamMeta snapshot() const;
  bool ended() const;

 private:
  friend class BufferReader;
  struct KeyRecord {
    guint64 seq = 0;
    guint64 time_ns = 0;
    guint64 last_ns = 0;  // time of the latest frame belonging to this key
    guint frames = 0;
    guint64 frame_ms_min = G_MAXUINT64, frame_ms_max = 0;
    gint64 bfr_ms_min = G_MAXINT64, bfr_ms_max = G_MININT64;
    bool segment_start = false;
    bool discont = false;
  };
  struct Track {
    guint id = 0;
    CodecInfo codec;
    GRef<GstCaps> caps;
    bool active = true;
    bool have_key = false;    // in this epoch; video deltas before the first key are dropped
    bool epoch_first = true;  // next stored buffer is this track's first of the epoch
    guint64 entries = 0, bytes = 0;
    guint64 first_ns = 0, last_ns = 0;
    guint64 last_frame_ns = 0;  // duration of the last frame, for the stream end
    std::deque<KeyRecord> keys;
    guint64 segment_start_ns = 0;
    bool have_segment = false;
  };

  // A buffer held until the source's timeline offset is known (see push()).
  struct Pending {
    guint track = 0;
    GRef<GstBuffer> buf;
    gint64 rdts = 0, rpts = 0;
  };
  // How far (running time) the first buffers of a source may spread before the timeline offset
  // is fixed even though some pad or track has not delivered yet (e.g. sparse subtitles, or an
  // encoder still in its lookahead). VoD inputs run faster than real time, so they may wait more.
  static constexpr guint64 kEpochWaitLiveMs = 2000;
  static constexpr guint64 kEpochWaitVodMs = 10000;

  // All *_locked methods need lock_.
  Track *track_locked(guint id);
  bool epoch_ready_locked() const;
  void start_epoch_locked();
  EndResult check_end_locked(guint64 *generation);
  PushResult store_locked(Track *t, GRef<GstBuffer> buf, gint64 rdts, gint64 rpts);
  const Track *main_track_locked() const;
  void trim_locked();
  void drop_front_locked(guint64 seq);
  guint64 seq_end_locked() const { return first_seq_ + entries_.size(); }
  // Reader support.
  guint64 latest_key_seq_locked() const;
  guint64 time_seq_locked(guint64 ms) const;
  void add_listener(BufferReader *r);
  void remove_listener(BufferReader *r);
  void notify();

  const std::string name_;

  mutable GMutex lock_;
  GCond cond_;  // broadcast (with lock_) on every new buffer and on the end
  // Guarded by lock_:
  RingSettings settings_;
  guint64 required_window_ms_ = 0;
  std::deque<RingEntry> entries_;
  guint64 first_seq_ = 0;
  std::vector<Track> tracks_;  // sorted by id
  guint next_track_id_ = 1;
  bool epoch_started_ = false;   // the current source's timeline offset is fixed
  std::deque<Pending> pending_;  // first buffers of a source, before epoch_started_
  guint awaited_pads_ = 0;       // pads without a track yet
  bool resumed_epoch_ = false;   // the current source is a resumed one (not the first)
  gint64 offset_ns_ = 0;         // running time -> stream time
  guint64 end_ns_ = 0;           // end of the latest stored frame, on the stream timeline
  bool stopped_ = false;         // all tracks reached EOS, waiting resume-time for a new source
  bool ended_ = false;
  guint64 stop_generation_ = 0;
  std::vector<guint64> discontinuities_ms_;

  GMutex listeners_lock_;
  std::vector<BufferReader *> listeners_;  // guarded by listeners_lock_
};

// Initialises estuary_buffer_debug; safe to call many times.
void estbuffer_debug_init();

}  // namespace estuary
