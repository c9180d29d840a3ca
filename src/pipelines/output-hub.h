// OutputHub: the outputs of one running stream, each format muxed once and shared by every viewer
// of it (DESIGN.md "A stream"). Branches are made on first demand and fed from the stream's
// buffer (BranchFeed, output-feed.h: live branches that mux in place on the producer's thread,
// the others by a pump thread each); they stop when the stream stops.
//
// Thread-safe: HTTP/RTMP server threads call it concurrently. One mutex guards the branch map;
// it is taken before any lock of a branch's feed (see output-feed.h), and nothing a feed calls
// takes it.
#pragma once

#include <gst/gst.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/gref.h"
#include "pipelines/fanout.h"
#include "pipelines/output-formats.h"
#include "pipelines/segment-store.h"

namespace estuary {

class BufferRing;
struct OutputBranchState;

// Which tracks a viewer asked for (`?video=`/`?audio=`): track ids, or empty for "the default".
// A value of "none" / "0" excludes that kind.
struct TrackRequest {
  std::vector<guint> video;
  std::vector<guint> audio;
  bool no_video = false;
  bool no_audio = false;
  std::string key() const;  // identifies the selection, for sharing branches
  // Parses the `video`/`audio` query values (either may be null).
  static TrackRequest parse(const char *video, const char *audio);
};

class OutputHub {
 public:
  OutputHub(std::string stream, std::shared_ptr<BufferRing> ring, bool live, guint64 segment_ms);
  ~OutputHub();  // stops every branch
  OutputHub(const OutputHub &) = delete;
  OutputHub &operator=(const OutputHub &) = delete;

  // LIVE streams: the shared live byte stream of `format` for the requested tracks; viewers
  // attach with Fanout::add_viewer() and start at the headers + latest keyframe. nullptr with
  // `reason` set when the stream's codecs cannot be carried (HTTP 415) or the muxer fails.
  std::shared_ptr<Fanout> progressive(OutputFormat format, const TrackRequest &tracks,
                                      std::string *reason);

  // VoD streams: the whole file in `format`, muxed once and kept (serve it with HTTP Range).
  // `done` runs once, on a hub thread or at once if cached, with the bytes (transfer none) or
  // null and the reason.
  using FileReady = std::function<void(GBytes *file, const std::string &reason)>;
  void vod_file(OutputFormat format, const TrackRequest &tracks, FileReady done);

  // The HLS segment store (TS segments) for the requested tracks; created on first use. For
  // live streams segments appear as the stream goes; for VoD the whole stream is segmented as
  // fast as it can be read.
  std::shared_ptr<SegmentStore> hls(const TrackRequest &tracks, std::string *reason);

  // Tracks of the stream right now (id, codec), for selection and playlists.
  std::vector<TrackRef> tracks() const;

  void stop();

 private:
  enum class Target { kFanout, kHls, kFile };
  std::shared_ptr<OutputBranchState> start_branch(OutputFormat format, const TrackRequest &tracks,
                                                   Target target, std::string *reason);

  const std::string stream_;
  const std::shared_ptr<BufferRing> ring_;
  const bool live_;
  const guint64 segment_ms_;
  std::mutex lock_;  // guards branches_ and stopped_
  std::map<std::string, std::shared_ptr<OutputBranchState>> branches_;  // by format + tracks
  bool stopped_ = false;
};

}  // namespace estuary
