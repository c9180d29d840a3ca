#include "pipelines/output-feed.h"

#include "common/gref.h"
#include "pipelines/output-branch.h"

namespace estuary {

BranchFeed::BranchFeed(std::unique_ptr<BufferReader> reader, FormatBranch *branch, Mode mode,
                       DiscontHook on_discont)
    : reader_(std::move(reader)), branch_(branch), mode_(mode), on_discont_(std::move(on_discont)) {
  g_mutex_init(&drain_lock_);
}

BranchFeed::~BranchFeed() {
  stop();
  g_mutex_clear(&drain_lock_);
}

void BranchFeed::start() {
  if (mode_ == Mode::kThread) {
    pump_ = std::thread([this] { run_pump(); });
    return;
  }
  // The wakeup first, then the catch-up (from the latest keyframe for live: a GOP). A producer
  // whose wakeup comes meanwhile waits for the catch-up, once per new branch, and stores nothing
  // more while it waits, so the catch-up ends. Catching up before the wakeup was installed, with
  // no producer waiting, would not end when the producer outpaces the muxing (seen with a
  // producer pushing as fast as it can into a debug build).
  reader_->set_wakeup([this] { kick(); });
  kick();
}

void BranchFeed::stop() {
  if (mode_ == Mode::kThread) {
    stopping_ = true;
    if (pump_.joinable()) pump_.join();
    return;
  }
  // A producer drains with the ring's listeners lock held, which set_wakeup() takes: once it
  // returns no drain runs on a producer's thread, and none starts there again.
  reader_->set_wakeup(nullptr);
  MutexLock l(&drain_lock_);  // a catch-up in start() on another thread, if any, is done too
  stopped_ = true;
}

// Producers call this one at a time (the ring's listeners lock serialises them); start() may call
// it at the same time, and then one waits for the other's drain. A drain takes what the ring holds
// now, so a wakeup that waited finds its buffer either delivered or still to read.
void BranchFeed::kick() {
  MutexLock l(&drain_lock_);
  drain_locked();
}

void BranchFeed::drain_locked() {
  if (stopped_ || ended_) return;
  ReadItem item;
  for (;;) {
    switch (reader_->next(&item)) {
      case BufferReader::Status::kItem:
        deliver(&item);
        break;
      case BufferReader::Status::kEnded:
        ended_ = true;
        branch_->end();
        finished_ = true;
        return;
      case BufferReader::Status::kEmpty:
        return;
    }
  }
}

void BranchFeed::deliver(ReadItem *item) {
  // The first item of each track has caps_changed too; the branch ignores equal caps.
  if (item->caps_changed && item->caps) branch_->update_track(item->track_id, item->caps.get());
  if (item->discont && on_discont_) on_discont_(GST_BUFFER_DTS_OR_PTS(item->buffer.get()));
  branch_->push(item->track_id, item->buffer.release());
}

void BranchFeed::run_pump() {
  ReadItem item;
  while (!stopping_) {
    BufferReader::Status st = reader_->next(&item);
    if (st == BufferReader::Status::kItem) {
      deliver(&item);
      continue;
    }
    if (st == BufferReader::Status::kEnded) {
      branch_->end();
      finished_ = true;
      return;
    }
    // The timeout only bounds how long stop() waits for this thread.
    reader_->wait(g_get_monotonic_time() + 100 * G_TIME_SPAN_MILLISECOND);
  }
}

}  // namespace estuary
