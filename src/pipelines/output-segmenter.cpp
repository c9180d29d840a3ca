#include "pipelines/output-segmenter.h"

#include <cstring>

GST_DEBUG_CATEGORY_STATIC(segmenter_debug);
#define GST_CAT_DEFAULT segmenter_debug

namespace estuary {

namespace {

constexpr GstClockTime kMaxJump = 10 * GST_SECOND;
// Without a start point for this many targets the segment is cut anyway, to bound memory.
constexpr uint64_t kForceCutFactor = 10;

bool starts_with_pat(GstBuffer *buf) {
  guint8 h[3];
  if (gst_buffer_extract(buf, 0, h, 3) != 3 || h[0] != 0x47) return false;
  return (((h[1] & 0x1f) << 8) | h[2]) == 0;
}

}  // namespace

TsSegmenter::TsSegmenter(std::shared_ptr<SegmentStore> store, uint64_t target_ms)
    : store_(std::move(store)), target_ms_(target_ms ? target_ms : 2000) {
  static gsize once = 0;
  if (g_once_init_enter(&once)) {
    GST_DEBUG_CATEGORY_INIT(segmenter_debug, "estuary-segmenter", 0, "Estuary HLS segmenter");
    g_once_init_leave(&once, 1);
  }
}

void TsSegmenter::on_headers(const std::vector<GstBuffer *> &headers) {
  headers_.clear();
  for (GstBuffer *h : headers) headers_.push_back(GRef<GstBuffer>::ref(h));
}

void TsSegmenter::on_buffer(GstBuffer *buf) {
  const bool start_point = !GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_DELTA_UNIT);
  const GstClockTime ts = GST_BUFFER_DTS_OR_PTS(buf);
  if (pending_.empty() && !start_point) return;  // wait for the first keyframe

  // Muxer output times can lead their input slightly; 100 ms of slack keeps the cut at the
  // resumed source's first keyframe rather than the one before it.
  const GstClockTime disc = discont_at_.load();
  if (GST_CLOCK_TIME_IS_VALID(disc) && start_point && GST_CLOCK_TIME_IS_VALID(ts) &&
      ts + 100 * GST_MSECOND >= disc) {
    discont_at_ = GST_CLOCK_TIME_NONE;
    marked_at_ = ts;
    if (!pending_.empty()) close_segment(ts);
    store_->mark_discontinuity();
    GST_INFO("source resumed at %" GST_TIME_FORMAT ": discontinuity", GST_TIME_ARGS(ts));
  }

  if (GST_CLOCK_TIME_IS_VALID(ts) && GST_CLOCK_TIME_IS_VALID(last_ts_) && !pending_.empty()) {
    const bool jumped = ts + GST_SECOND < last_ts_ || ts > last_ts_ + kMaxJump;
    if (jumped) {
      GST_INFO("timestamp jump %" GST_TIME_FORMAT " -> %" GST_TIME_FORMAT ", discontinuity",
               GST_TIME_ARGS(last_ts_), GST_TIME_ARGS(ts));
      close_segment(last_ts_ + last_step_);
      store_->mark_discontinuity();
      last_ts_ = GST_CLOCK_TIME_NONE;
      if (!start_point) return;
    }
  }
  if (!pending_.empty() && GST_CLOCK_TIME_IS_VALID(ts) && GST_CLOCK_TIME_IS_VALID(seg_start_) &&
      ts >= seg_start_) {
    const uint64_t elapsed_ms = (ts - seg_start_) / GST_MSECOND;
    if ((start_point && elapsed_ms >= target_ms_) || elapsed_ms >= target_ms_ * kForceCutFactor) {
      if (!start_point)
        GST_WARNING("no keyframe for %" G_GUINT64_FORMAT " ms, cutting", elapsed_ms);
      close_segment(ts);
    }
  }
  if (pending_.empty()) {
    seg_start_ = ts;
    if (!starts_with_pat(buf))
      for (auto &h : headers_) pending_.push_back(h);
  }
  if (GST_CLOCK_TIME_IS_VALID(ts)) {
    if (GST_CLOCK_TIME_IS_VALID(last_ts_) && ts > last_ts_) last_step_ = ts - last_ts_;
    if (!GST_CLOCK_TIME_IS_VALID(last_ts_) || ts > last_ts_) last_ts_ = ts;
    if (!GST_CLOCK_TIME_IS_VALID(seg_start_)) seg_start_ = ts;
  }
  pending_.push_back(GRef<GstBuffer>::ref(buf));
}

void TsSegmenter::close_segment(GstClockTime end) {
  if (pending_.empty()) return;
  std::vector<GstBuffer *> parts;
  parts.reserve(pending_.size());
  for (auto &b : pending_) parts.push_back(b.get());
  // One copy, into the segment's memfd (HTTP sends it from there with sendfile()).
  MemfdBytes bytes = memfd_bytes_from_buffers("estuary-hls-segment", parts);
  const gsize size = bytes.size();
  uint64_t dur_ms = 0;
  if (GST_CLOCK_TIME_IS_VALID(end) && GST_CLOCK_TIME_IS_VALID(seg_start_) && end > seg_start_)
    dur_ms = (end - seg_start_) / GST_MSECOND;
  uint64_t seq = store_->add(std::move(bytes), seg_start_, dur_ms);
  GST_DEBUG("segment %" G_GUINT64_FORMAT ": %" G_GUINT64_FORMAT " ms, %" G_GSIZE_FORMAT " bytes",
            seq, dur_ms, size);
  pending_.clear();
  seg_start_ = GST_CLOCK_TIME_NONE;
}

void TsSegmenter::discontinuity_at(GstClockTime ts) {
  // The other tracks of the same resume start within a second of the one that cut.
  const GstClockTime marked = marked_at_.load();
  if (GST_CLOCK_TIME_IS_VALID(marked) && GST_CLOCK_TIME_IS_VALID(ts) && ts < marked + GST_SECOND)
    return;
  discont_at_ = ts;
}

void TsSegmenter::finish(bool end_store) {
  if (GST_CLOCK_TIME_IS_VALID(last_ts_))
    close_segment(last_ts_ + last_step_);
  else
    close_segment(GST_CLOCK_TIME_NONE);
  if (end_store) store_->end();
}

FormatBranch::Sink TsSegmenter::sink() {
  FormatBranch::Sink s;
  s.on_headers = [this](const std::vector<GstBuffer *> &h) { on_headers(h); };
  s.on_buffer = [this](GstBuffer *b) { on_buffer(b); };
  s.on_eos = [this]() { finish(true); };
  s.on_error = [this](const std::string &) { finish(true); };
  return s;
}

FormatBranch::Sink tee_sinks(FormatBranch::Sink a, FormatBranch::Sink b) {
  FormatBranch::Sink s;
  s.on_headers = [a, b](const std::vector<GstBuffer *> &h) {
    if (a.on_headers) a.on_headers(h);
    if (b.on_headers) b.on_headers(h);
  };
  s.on_buffer = [a, b](GstBuffer *buf) {
    if (a.on_buffer) a.on_buffer(buf);
    if (b.on_buffer) b.on_buffer(buf);
  };
  s.on_eos = [a, b]() {
    if (a.on_eos) a.on_eos();
    if (b.on_eos) b.on_eos();
  };
  s.on_error = [a, b](const std::string &m) {
    if (a.on_error) a.on_error(m);
    if (b.on_error) b.on_error(m);
  };
  return s;
}

}  // namespace estuary
