// HLS over the HTTP output: /hls/NAME/index.m3u8 (master playlist, one variant per track
// selection), /hls/NAME/RENDITION/index.m3u8 (media playlist from the stream's SegmentStore) and
// /hls/NAME/RENDITION/SEQ.ts (segments sent with sendfile() from their sealed memfds, never
// copied in user space).
//
// HLS viewers make stateless requests, so a viewer is a session per client host, stream and user
// agent, closed after kHlsSessionIdleUs without requests.
//
// HTTP thread only.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "servers/http-exchange.h"
#include "servers/http-routes.h"

namespace estuary {

constexpr gint64 kHlsSessionIdleUs = 30 * G_USEC_PER_SEC;

class HlsSessions {
 public:
  explicit HlsSessions(HttpServerState &state);
  ~HlsSessions();  // closes every session
  HlsSessions(const HlsSessions &) = delete;
  HlsSessions &operator=(const HlsSessions &) = delete;

  // A request `ex` for `stream` that sent `bytes` (playlist or segment); position_ms < 0 leaves
  // the reported position as it was.
  void touch(const HttpExchange &ex, const std::string &stream, guint64 bytes, gint64 position_ms);
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::shared_ptr<guint64> id;
    guint64 down = 0;
    gint64 position_ms = 0;
    gint64 last_us = 0;
    gint64 reported_us = 0;  // last session_update (each one is a post to the control thread)
  };
  static gboolean on_sweep(gpointer self);
  void sweep(gint64 now_us);

  HttpServerState &state_;
  std::map<std::string, Entry> entries_;  // host "\n" stream "\n" user agent
  GSource *timer_ = nullptr;              // on the HTTP context
};

namespace hls_handler {

// `route` is one of the kHls* kinds.
void serve(HttpServerState &state, const http::Exchange &ex, const HttpRoute &route);

}  // namespace hls_handler
}  // namespace estuary
