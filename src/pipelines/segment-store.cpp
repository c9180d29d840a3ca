#include "pipelines/segment-store.h"

#include <algorithm>
#include <vector>

namespace estuary {

SegmentStore::SegmentStore() : SegmentStore(Options()) {}

SegmentStore::SegmentStore(const Options &options)
    : options_(options), next_sequence_(options.first_sequence) {
  if (options_.window == 0) options_.window = 1;
  g_mutex_init(&lock_);
}

SegmentStore::~SegmentStore() { g_mutex_clear(&lock_); }

uint64_t SegmentStore::add(GBytes *data, GstClockTime start, uint64_t duration_ms) {
  return add(memfd_bytes_from_bytes("estuary-hls-segment", data), start, duration_ms);
}

uint64_t SegmentStore::add(MemfdBytes data, GstClockTime start, uint64_t duration_ms) {
  uint64_t seq;
  {
    MutexLock l(&lock_);
    HlsSegment s;
    s.sequence = seq = next_sequence_++;
    s.start = start;
    s.duration_ms = duration_ms;
    s.data = std::move(data.bytes);
    s.fd = data.fd;
    s.discontinuity = pending_discontinuity_ && !segments_.empty();
    pending_discontinuity_ = false;
    bytes_ += g_bytes_get_size(s.data.get());
    longest_ms_ = std::max(longest_ms_, duration_ms);
    segments_.push_back(std::move(s));
    if (options_.live) {
      while (segments_.size() > options_.window + options_.keep_after_window) {
        if (segments_.front().discontinuity) evicted_discontinuities_++;
        bytes_ -= g_bytes_get_size(segments_.front().data.get());
        segments_.pop_front();
      }
    }
  }
  notify_listeners();
  return seq;
}

void SegmentStore::mark_discontinuity() {
  MutexLock l(&lock_);
  pending_discontinuity_ = true;
}

void SegmentStore::end() {
  {
    MutexLock l(&lock_);
    ended_ = true;
  }
  notify_listeners();
}

std::optional<HlsSegment> SegmentStore::get(uint64_t sequence) const {
  MutexLock l(&lock_);
  if (segments_.empty() || sequence < segments_.front().sequence ||
      sequence > segments_.back().sequence)
    return std::nullopt;
  return segments_[sequence - segments_.front().sequence];
}

hls::MediaPlaylist SegmentStore::media_playlist(const std::string &uri_prefix,
                                                const std::string &uri_suffix) const {
  MutexLock l(&lock_);
  hls::MediaPlaylist pl;
  pl.vod = !options_.live && ended_;
  pl.ended = ended_;
  pl.target_duration_s = hls::target_duration_for(longest_ms_);
  size_t first = 0;
  if (options_.live && segments_.size() > options_.window)
    first = segments_.size() - options_.window;
  pl.discontinuity_sequence = evicted_discontinuities_;
  for (size_t i = 0; i < first; i++)
    if (segments_[i].discontinuity) pl.discontinuity_sequence++;
  pl.media_sequence = first < segments_.size() ? segments_[first].sequence : next_sequence_;
  for (size_t i = first; i < segments_.size(); i++) {
    const HlsSegment &s = segments_[i];
    pl.segments.push_back(
        {s.duration_ms, uri_prefix + std::to_string(s.sequence) + uri_suffix, s.discontinuity});
  }
  return pl;
}

size_t SegmentStore::size() const {
  MutexLock l(&lock_);
  return segments_.size();
}

uint64_t SegmentStore::bytes() const {
  MutexLock l(&lock_);
  return bytes_;
}

uint64_t SegmentStore::longest_ms() const {
  MutexLock l(&lock_);
  return longest_ms_;
}

uint64_t SegmentStore::bandwidth_bps() const {
  MutexLock l(&lock_);
  uint64_t peak = 0;
  for (const auto &s : segments_)
    if (s.duration_ms > 0)
      peak = std::max<uint64_t>(peak, g_bytes_get_size(s.data.get()) * 8000 / s.duration_ms);
  return peak;
}

bool SegmentStore::ended() const {
  MutexLock l(&lock_);
  return ended_;
}

uint64_t SegmentStore::add_listener(std::function<void()> fn) {
  MutexLock l(&lock_);
  const uint64_t id = next_listener_++;
  listeners_[id] = std::make_shared<std::function<void()>>(std::move(fn));
  return id;
}

void SegmentStore::remove_listener(uint64_t id) {
  MutexLock l(&lock_);
  listeners_.erase(id);
}

void SegmentStore::notify_listeners() {
  std::vector<std::shared_ptr<std::function<void()>>> calls;
  {
    MutexLock l(&lock_);
    calls.reserve(listeners_.size());
    for (const auto &entry : listeners_) calls.push_back(entry.second);
  }
  for (const auto &fn : calls) (*fn)();
}

}  // namespace estuary
