#include "servers/rtmp-publish.h"

#include "protocols/rtmp/flv-tag.h"
#include "servers/rtmp-connection.h"

#define GST_CAT_DEFAULT estuary_rtmp_debug

namespace estuary {

namespace {
// How long we wait to learn whether both audio and video come, before writing the FLV header
// with only the kinds seen. Publishers send both sequence headers first, so this rarely waits.
constexpr size_t kMaxEarlyMessages = 48;
constexpr size_t kMaxEarlyBytes = 4 * 1024 * 1024;
constexpr uint32_t kMaxEarlySpanMs = 1000;
}  // namespace

RtmpPublish::RtmpPublish(StreamDirectory &streams, std::shared_ptr<PushFeed> feed, std::string host,
                         std::string stream)
    : streams_(streams), feed_(std::move(feed)), stream_(std::move(stream)) {
  session_ = streams_.session_open(ViewerReport{std::move(host), stream_, "RTMP"});
}

RtmpPublish::~RtmpPublish() {
  if (feed_) feed_->end();
  if (session_) streams_.session_close(session_);
}

void RtmpPublish::add(const rtmp::Message &m) {
  if (m.type == rtmp::kMsgAudio) seen_audio_ = true;
  if (m.type == rtmp::kMsgVideo) seen_video_ = true;
  if (m.type == rtmp::kMsgAudio || m.type == rtmp::kMsgVideo) position_ms_ = m.timestamp;
  if (!header_written_) {
    early_.push_back(m);
    early_bytes_ += m.payload.size();
    const uint32_t span = early_.back().timestamp - early_.front().timestamp;
    if ((seen_audio_ && seen_video_) || early_.size() >= kMaxEarlyMessages ||
        early_bytes_ >= kMaxEarlyBytes || span >= kMaxEarlySpanMs)
      write_header();
    return;
  }
  if (!rtmp::flv_append_message(m, &pending_))
    GST_DEBUG("%s: publisher message of type %u not carried in FLV", stream_.c_str(), m.type);
}

void RtmpPublish::write_header() {
  std::vector<uint8_t> header = rtmp::flv_file_header(seen_audio_, seen_video_);
  GST_INFO("%s: FLV from the publisher with%s audio, with%s video", stream_.c_str(),
           seen_audio_ ? "" : "out", seen_video_ ? "" : "out");
  pending_.insert(pending_.begin(), header.begin(), header.end());
  header_written_ = true;
  std::vector<rtmp::Message> early = std::move(early_);
  early_.clear();
  early_bytes_ = 0;
  for (const rtmp::Message &m : early) add(m);
}

bool RtmpPublish::flush() {
  if (!ok_) return false;
  if (pending_.empty()) return true;
  // The GBytes takes the vector over: no copy on the way into the pipeline.
  GRef<GBytes> wrapped = bytes_taking(std::move(pending_));
  pending_.clear();
  ok_ = feed_->write(wrapped.get());
  if (!ok_) GST_INFO("%s: the stream stopped taking data from its publisher", stream_.c_str());
  return ok_;
}

void RtmpPublish::report(guint64 down, guint64 up) {
  if (session_) streams_.session_update(session_, position_ms_, down, up);
}

}  // namespace estuary
