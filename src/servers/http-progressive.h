// ProgressiveViewer: one HTTP viewer of a progressive format (/NAME.flv, .ts, .mp4, ...). The
// stream's shared Fanout hands it refcounted GstBuffers; their memory goes into the chunked (or,
// for HTTP/1.0, close-delimited) response as GBytes without copying. The response is paused
// while the viewer's queue is empty and resumed when the fanout wakes it.
//
// HTTP thread only. The viewer is a session (StreamDirectory::session_open) from the first byte
// until the connection closes.
#pragma once

#include <libsoup/soup.h>

#include <atomic>
#include <deque>
#include <memory>
#include <string>

#include "pipelines/fanout.h"
#include "pipelines/live-stream.h"
#include "pipelines/output-formats.h"
#include "servers/http-exchange.h"

namespace estuary {

// Connector name of a format for sessions and `clients` (capabilities names: "FLV", "HTTPTS",
// "MP4", "EBML", ...).
const char *progressive_protocol_name(OutputFormat format);

class ProgressiveViewer : public std::enable_shared_from_this<ProgressiveViewer> {
 public:
  // Answers `msg` (paused or not) with the stream in `format`: 415 with the reason when the
  // format cannot carry the stream's tracks, else a streaming 200.
  static void serve(HttpServerState &state, SoupServerMessage *msg,
                    std::shared_ptr<LiveStream> stream, OutputFormat format,
                    const TrackRequest &tracks);

  // Server shutdown: leaves the fanout and closes the session. The message is left to libsoup.
  void stop();

  ProgressiveViewer(HttpServerState &state, SoupServerMessage *msg, std::string stream,
                    OutputFormat format);
  ~ProgressiveViewer();

 private:
  struct Wake;
  static void on_wrote_chunk(SoupServerMessage *msg, gpointer self);
  static void on_finished(SoupServerMessage *msg, gpointer self);
  void start(std::shared_ptr<Fanout> fanout);
  void pump();
  void report(bool force);

  HttpServerState &state_;
  GRef<SoupServerMessage> msg_;
  const std::string stream_;
  const OutputFormat format_;
  std::shared_ptr<Fanout> fanout_;
  std::shared_ptr<FanoutViewer> viewer_;
  std::shared_ptr<Wake> wake_;
  std::shared_ptr<guint64> session_;
  std::deque<gsize> in_flight_;  // sizes of the chunks handed to libsoup, not written yet
  gsize in_flight_bytes_ = 0;
  guint64 bytes_written_ = 0;
  gint64 position_ms_ = 0;
  gint64 last_report_us_ = 0;
  bool completed_ = false;  // the body was completed
  bool stopped_ = false;
  gulong wrote_chunk_id_ = 0, finished_id_ = 0;
};

}  // namespace estuary
