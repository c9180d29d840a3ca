#include "elements/estbuffer-reader.h"

#include <algorithm>

#define GST_CAT_DEFAULT estuary_buffer_debug

namespace estuary {

BufferReader::BufferReader(std::shared_ptr<BufferRing> ring) : BufferReader(std::move(ring), {}) {}

BufferReader::BufferReader(std::shared_ptr<BufferRing> ring, const Options &opts)
    : ring_(std::move(ring)), tracks_(opts.tracks) {
  {
    MutexLock l(&ring_->lock_);
    switch (opts.start) {
      case Start::kLatestKey:
        pos_ = ring_->latest_key_seq_locked();
        break;
      case Start::kTime:
        pos_ = ring_->time_seq_locked(opts.time_ms);
        break;
      case Start::kOldest:
        pos_ = ring_->first_seq_;
        break;
    }
  }
  ring_->add_listener(this);
}

BufferReader::~BufferReader() { ring_->remove_listener(this); }

bool BufferReader::wanted(guint track) const {
  return tracks_.empty() || std::find(tracks_.begin(), tracks_.end(), track) != tracks_.end();
}

void BufferReader::reset_tracks() {
  for (auto &c : cursors_) c.second.have_key = false;
}

BufferReader::Status BufferReader::next(ReadItem *item) {
  MutexLock l(&ring_->lock_);
  for (;;) {
    if (pos_ < ring_->first_seq_) {
      // Fell out of the window: the front of the ring is always a keyframe of the main track.
      GST_DEBUG("%s: reader fell behind by %" G_GUINT64_FORMAT " buffers, skipping forward",
                ring_->name().c_str(), ring_->first_seq_ - pos_);
      pos_ = ring_->first_seq_;
      skips_++;
      pending_skip_ = true;
      reset_tracks();
    }
    if (pos_ >= ring_->seq_end_locked()) return ring_->ended_ ? Status::kEnded : Status::kEmpty;
    const RingEntry &e = ring_->entries_[pos_ - ring_->first_seq_];
    pos_++;
    if (!wanted(e.track_id)) continue;
    TrackCursor &c = cursors_[e.track_id];
    if (!c.have_key) {
      if (!e.key) continue;  // a decoder cannot start on a delta frame
      c.have_key = true;
    }
    item->track_id = e.track_id;
    item->buffer = e.buffer;
    item->caps = e.caps;
    item->caps_changed =
        !c.caps || (c.caps.get() != e.caps.get() && !gst_caps_is_equal(c.caps.get(), e.caps.get()));
    if (item->caps_changed) c.caps = e.caps;
    item->keyframe = e.key;
    item->discont = e.discont;
    item->skipped = std::exchange(pending_skip_, false);
    item->seq = e.seq;
    item->time_ms = e.time_ns / GST_MSECOND;
    return Status::kItem;
  }
}

bool BufferReader::wait(gint64 end_time) {
  MutexLock l(&ring_->lock_);
  while (pos_ >= ring_->seq_end_locked() && !ring_->ended_) {
    if (!g_cond_wait_until(&ring_->cond_, &ring_->lock_, end_time)) {
      return pos_ < ring_->seq_end_locked() || ring_->ended_;
    }
  }
  return true;
}

void BufferReader::set_wakeup(std::function<void()> fn) {
  MutexLock l(&ring_->listeners_lock_);
  wakeup_ = std::move(fn);
}

void BufferReader::wake() {
  if (wakeup_) wakeup_();
}

void BufferReader::seek(guint64 ms) {
  MutexLock l(&ring_->lock_);
  pos_ = ring_->time_seq_locked(ms);
  pending_skip_ = false;
  reset_tracks();
}

}  // namespace estuary
