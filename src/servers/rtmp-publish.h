// Internal to the RTMP server: one accepted publisher. Its audio, video and data messages become
// an FLV byte stream (file header, then one tag per message) written into the stream's PushFeed,
// where the push input demuxes it like any FLV. RTMP server thread only.
#pragma once

#include <glib.h>

#include <memory>
#include <string>
#include <vector>

#include "pipelines/live-stream.h"
#include "protocols/rtmp/message.h"

namespace estuary {

class RtmpPublish {
 public:
  // `feed` is what StreamDirectory::accept_push gave; opens the publisher's session.
  RtmpPublish(StreamDirectory &streams, std::shared_ptr<PushFeed> feed, std::string host,
              std::string stream);
  ~RtmpPublish();  // ends the feed (the stream may resume with another publisher) and the session

  // Queues the FLV tag of an audio (8), video (9) or data (18, "onMetaData") message.
  void add(const rtmp::Message &m);
  // Writes what add() queued in one piece. False when the stream closed the feed: disconnect.
  bool flush();
  // Updates the session's statistics (bytes the connection sent and received).
  void report(guint64 down, guint64 up);
  const std::string &stream() const { return stream_; }

 private:
  void write_header();

  StreamDirectory &streams_;
  std::shared_ptr<PushFeed> feed_;
  const std::string stream_;
  std::shared_ptr<guint64> session_;
  // Tags held until we know which kinds the publisher sends, so the FLV header's audio/video
  // flags are right (flvdemux waits for every kind the header announces).
  std::vector<rtmp::Message> early_;
  size_t early_bytes_ = 0;
  bool header_written_ = false;
  bool seen_audio_ = false, seen_video_ = false;
  std::vector<uint8_t> pending_;  // FLV bytes not written yet
  gint64 position_ms_ = 0;
  bool ok_ = true;
};

}  // namespace estuary
