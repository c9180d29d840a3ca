// TsSegmenter: cuts the TS branch output into HLS segments and adds them to a SegmentStore.
//
// A segment starts at a start point (a buffer without DELTA_UNIT: a video keyframe, or any unit
// for audio-only streams, as FormatBranch marks them) and is closed at the first start point at
// least `target_ms` later, so segments begin with a keyframe and are never shorter than the
// target (except the last one). Each segment begins with PAT/PMT. A timestamp jump backwards or
// of more than 10 s ends the segment and flags the next one as a discontinuity.
//
// Not thread-safe: fed from the branch's streaming thread (via sink()).
#pragma once

#include <atomic>

#include <gst/gst.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "common/gref.h"
#include "pipelines/output-branch.h"
#include "pipelines/segment-store.h"

namespace estuary {

class TsSegmenter {
 public:
  explicit TsSegmenter(std::shared_ptr<SegmentStore> store, uint64_t target_ms = 2000);

  // The source resumed at stream time `ts` (estbuffer's discont): the first start point at or
  // after it begins a new segment flagged EXT-X-DISCONTINUITY, whether timestamps jumped or not.
  // Thread-safe: called by the thread feeding the branch.
  void discontinuity_at(GstClockTime ts);
  void on_headers(const std::vector<GstBuffer *> &headers);  // transfer none
  void on_buffer(GstBuffer *buf);                            // transfer none
  // Closes the segment in progress; with `end_store` also ends the store (#EXT-X-ENDLIST).
  void finish(bool end_store);

  // A branch sink feeding this segmenter; the segmenter must outlive the branch. EOS finishes
  // and ends the store.
  FormatBranch::Sink sink();

 private:
  void close_segment(GstClockTime end);

  std::shared_ptr<SegmentStore> store_;
  uint64_t target_ms_;
  std::vector<GRef<GstBuffer>> headers_;  // PAT + PMT
  std::vector<GRef<GstBuffer>> pending_;  // buffers of the segment in progress
  GstClockTime seg_start_ = GST_CLOCK_TIME_NONE;
  GstClockTime last_ts_ = GST_CLOCK_TIME_NONE;
  GstClockTime last_step_ = 0;  // last timestamp increment, to estimate the final duration
  std::atomic<GstClockTime> discont_at_{GST_CLOCK_TIME_NONE};  // set by the feeding thread
  // Where the last discontinuity was marked: each track of a resumed source reports it, and the
  // ones that come after the cut must not cut again (feeding thread).
  std::atomic<GstClockTime> marked_at_{GST_CLOCK_TIME_NONE};
};

// A sink that hands every callback to both `a` and `b` (e.g. a Fanout and a TsSegmenter).
FormatBranch::Sink tee_sinks(FormatBranch::Sink a, FormatBranch::Sink b);

}  // namespace estuary
