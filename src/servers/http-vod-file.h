// VodDownload: one HTTP viewer of a VoD stream in a progressive format (/NAME.mp4 ...). The hub
// muxes the whole file once (OutputHub::vod_file) and keeps it; every viewer is served from the
// same GBytes, with Range requests answered by the HTTP core (206), so players can seek.
//
// HTTP thread only. A download is a session from the answer until its bytes are all sent (or
// no byte moved for longer than the core's send timeout: the client is gone).
#pragma once

#include <memory>
#include <string>

#include "pipelines/live-stream.h"
#include "pipelines/output-formats.h"
#include "servers/http-exchange.h"

namespace estuary {

class VodDownload {
 public:
  // Answers `ex`: waits for the file, then 200/206 with it, or 415 with the reason when the
  // format cannot carry the stream.
  static void serve(HttpServerState &state, const http::Exchange &ex,
                    std::shared_ptr<LiveStream> stream, OutputFormat format,
                    const TrackRequest &tracks);
};

}  // namespace estuary
