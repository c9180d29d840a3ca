// Viewer and publisher sessions, and the statistics the API reports about them (manual 4.1.15 -
// 4.1.18): current clients, totals over the last ten minutes, per-stream viewer counts.
// Control thread only: media threads report through the control context.
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include <deque>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace estuary {

struct SessionInfo {
  std::string host;
  std::string stream;
  std::string protocol;
  gint64 start_s = 0;     // unix time the connection opened
  gint64 position_ms = 0; // playback position
  guint64 down = 0;       // bytes sent to the client
  guint64 up = 0;         // bytes received from the client
  guint64 downbps = 0;
  guint64 upbps = 0;
};

class Sessions {
 public:
  static constexpr gint64 kHistorySeconds = 600;

  // Returns the session id.
  guint64 open(SessionInfo info);
  // Updates counters; bps figures are derived from the change since the previous update.
  void update(guint64 id, gint64 position_ms, guint64 down, guint64 up);
  void close(guint64 id);

  // Records a totals sample for "now" (call about once a second) and forgets old samples.
  void sample(gint64 now_s);

  // The `clients` answer for one request object (may be null: all streams, protocols, fields).
  JsonObject *clients_answer(JsonObject *request, gint64 now_s) const;
  // The `totals` answer for one request object.
  JsonObject *totals_answer(JsonObject *request, gint64 now_s) const;

  // Current viewers of `stream`.
  guint count_for(const std::string &stream) const;
  // Streams with statistics in the history window (current sessions included).
  std::set<std::string> streams_with_stats() const;

  void clear_history();

 private:
  struct Live {
    SessionInfo info;
    gint64 last_update_us = 0;
  };
  struct Sample {
    gint64 time_s;
    std::map<std::pair<std::string, std::string>, std::vector<guint64>> by_stream_protocol;
    // values: clients, downbps, upbps
  };
  guint64 next_id_ = 1;
  std::map<guint64, Live> live_;
  std::deque<Sample> history_;
};

}  // namespace estuary
