// What the RTSP server's parts share: the stream directory, the publishers admitted on each
// connection while their RECORD media is being built, and the mounted paths.
#pragma once

#include <gst/rtsp-server/rtsp-server.h>

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "common/gref.h"
#include "pipelines/live-stream.h"

namespace estuary {

struct RtspServerState {
  explicit RtspServerState(StreamDirectory &d) : streams(d) {}
  StreamDirectory &streams;
  GRef<GstRTSPServer> server;  // set once before the server runs

  std::mutex lock;  // guards the members below
  // Feeds accepted at ANNOUNCE, taken by the factory when it builds that connection's media.
  std::map<GstRTSPClient *, std::shared_ptr<PushFeed>> admitted;
  std::set<std::string> mounted;  // paths the factory is mounted at
};

// The stream name a request path names ("/live" -> "live"), or "" when it does not name one.
std::string rtsp_stream_from_path(const char *abspath);

}  // namespace estuary
