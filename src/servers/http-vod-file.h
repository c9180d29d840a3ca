// VodDownload: one HTTP viewer of a VoD stream in a progressive format (/NAME.mp4 ...). The hub
// muxes the whole file once (OutputHub::vod_file) and keeps it; every viewer is served from the
// same GBytes, with Range requests answered by libsoup (206), so players can seek.
//
// HTTP thread only. A download is a session from the request until the response is finished.
#pragma once

#include <libsoup/soup.h>

#include <memory>
#include <string>

#include "pipelines/live-stream.h"
#include "pipelines/output-formats.h"
#include "servers/http-exchange.h"

namespace estuary {

class VodDownload {
 public:
  // Answers `msg` (paused or not): waits for the file, then 200/206 with it, or 415 with the
  // reason when the format cannot carry the stream.
  static void serve(HttpServerState &state, SoupServerMessage *msg,
                    std::shared_ptr<LiveStream> stream, OutputFormat format,
                    const TrackRequest &tracks);
};

}  // namespace estuary
