// ProgressiveViewer: one HTTP viewer of a live progressive format (/NAME.flv, .ts, .mp4, ...).
//
// The HTTP core parses the request; then the viewer takes the connection over
// (HttpExchange::steal), writes the response head itself and sends the body close-delimited
// (`Connection: close`), straight from the stream's shared Fanout: every buffer is mapped once
// for all viewers and a viewer writes all it has with one sendmsg(), no copy, no chunk framing.
//
// Wakes from the fanout are batched per server (ProgressiveWakes): the viewers that got data
// are pumped together every few tens of milliseconds.
//
// HTTP thread only. The viewer is a session (StreamDirectory::session_open) from the first byte
// until the connection closes.
#pragma once

#include <gio/gio.h>

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
  struct Wake;

  // Answers `ex` with the stream in `format`: 415 with the reason when the format cannot carry
  // the stream's tracks, the headers alone for HEAD, else takes the connection and streams.
  static void serve(HttpServerState &state, const http::Exchange &ex,
                    std::shared_ptr<LiveStream> stream, OutputFormat format,
                    const TrackRequest &tracks);

  // Leaves the fanout, closes the session and the connection. Idempotent; server shutdown
  // calls it too.
  void stop();

  ProgressiveViewer(HttpServerState &state, std::string stream, OutputFormat format,
                    std::string host);
  ~ProgressiveViewer();

 private:
  friend struct ProgressiveWakes;
  static gboolean on_writable(GSocket *socket, GIOCondition cond, gpointer self);
  void start(std::shared_ptr<Fanout> fanout, GRef<GSocket> socket, std::string head);
  void pump();                   // takes what the fanout has (up to the pending limit) and writes
  void write();                  // sends pending bytes until the socket would block
  void finish(const char *why);  // stop() and leave the server's set, from a fresh dispatch
  void report(bool force);

  HttpServerState &state_;
  const std::string stream_;
  const OutputFormat format_;
  const std::string host_;
  std::shared_ptr<Fanout> fanout_;
  std::shared_ptr<FanoutViewer> viewer_;
  std::shared_ptr<Wake> wake_;
  std::shared_ptr<guint64> session_;
  GRef<GSocket> socket_;              // taken from the HTTP core; closed by stop()
  GSource *write_source_ = nullptr;   // owned; attached while the socket is full
  std::deque<GRef<GBytes>> pending_;  // the response head, then buffers shared with the fanout
  gsize pending_offset_ = 0;          // bytes of pending_.front() already sent
  gsize pending_bytes_ = 0;           // bytes in pending_ not sent
  guint64 bytes_written_ = 0;
  gint64 position_ms_ = 0;
  gint64 last_report_us_ = 0;
  bool ending_ = false;  // the stream ended: close once pending_ is sent
  bool stopped_ = false;
};

}  // namespace estuary
