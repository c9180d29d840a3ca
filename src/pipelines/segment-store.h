// SegmentStore: the in-memory HLS segments of one stream rendition, served straight from memory.
// Each segment's bytes sit in a sealed memfd (MemfdBytes), mapped read-only for GBytes readers,
// so the HTTP output can sendfile() them without copying them into the socket.
//
// Live: a sliding window with media sequence numbers; the playlist lists the newest `window`
// segments and a few older ones stay fetchable for players that loaded a playlist just before
// it moved on. VoD: everything is kept. Discontinuity flags and the discontinuity sequence follow
// RFC 8216.
//
// Thread-safe: the segmenter adds from the muxer's streaming thread while HTTP threads read. One
// mutex guards all state; callbacks run without it held.
#pragma once

#include <gst/gst.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "common/gref.h"
#include "pipelines/memfd-bytes.h"
#include "protocols/hls/playlist.h"

namespace estuary {

struct HlsSegment {
  uint64_t sequence = 0;
  GstClockTime start = GST_CLOCK_TIME_NONE;  // timestamp of the first buffer
  uint64_t duration_ms = 0;
  GRef<GBytes> data;  // immutable; share it, never copy
  // Sealed memfd holding `data`, for sendfile(); valid while `data` is held (a copy of this
  // struct keeps it open); -1 when the bytes are on the heap (no memfd could be had).
  int fd = -1;
  bool discontinuity = false;
};

class SegmentStore {
 public:
  struct Options {
    bool live = true;
    size_t window = 6;             // segments listed in a live playlist
    size_t keep_after_window = 3;  // still served after leaving the playlist
    uint64_t first_sequence = 0;   // media sequence number of the first segment
  };

  SegmentStore();
  explicit SegmentStore(const Options &options);
  ~SegmentStore();
  SegmentStore(const SegmentStore &) = delete;
  SegmentStore &operator=(const SegmentStore &) = delete;

  // Adds a finished segment and returns its sequence number.
  uint64_t add(MemfdBytes data, GstClockTime start, uint64_t duration_ms);
  // Same from plain bytes (transfer none), copied once into a memfd.
  uint64_t add(GBytes *data, GstClockTime start, uint64_t duration_ms);
  // The next segment added starts after a discontinuity (source restarted, timestamps jumped).
  void mark_discontinuity();
  // No more segments: playlists get #EXT-X-ENDLIST.
  void end();

  std::optional<HlsSegment> get(uint64_t sequence) const;
  // Media playlist with segment URIs `<prefix><sequence><suffix>`, e.g. "" + 12 + ".ts".
  hls::MediaPlaylist media_playlist(const std::string &uri_prefix = "",
                                    const std::string &uri_suffix = ".ts") const;

  size_t size() const;             // segments kept (listed or not)
  uint64_t bytes() const;          // bytes kept
  uint64_t longest_ms() const;     // longest segment ever added
  uint64_t bandwidth_bps() const;  // peak bits per second over kept segments, for BANDWIDTH
  bool ended() const;

  // `fn` is called (from the adding thread, no lock held) after each add() and end(), e.g. to
  // answer a playlist request waiting for a segment. Returns an id for remove_listener(); once
  // that returns, only a change already calling listeners on another thread may still call `fn`
  // (it must tolerate one late call).
  uint64_t add_listener(std::function<void()> fn);
  void remove_listener(uint64_t id);

 private:
  Options options_;
  mutable GMutex lock_;  // guards everything below
  std::deque<HlsSegment> segments_;
  uint64_t next_sequence_ = 0;
  uint64_t evicted_discontinuities_ = 0;
  uint64_t longest_ms_ = 0;
  uint64_t bytes_ = 0;
  bool pending_discontinuity_ = false;
  bool ended_ = false;
  std::map<uint64_t, std::shared_ptr<std::function<void()>>> listeners_;
  uint64_t next_listener_ = 1;
  void notify_listeners();
};

}  // namespace estuary
