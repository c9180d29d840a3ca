// The streams that exist right now (configured streams that were asked for, wildcard and
// temporary streams), their state and the reason for its last change. Owned by the control
// thread; media code reports through the control context.
#pragma once

#include <glib.h>

#include <map>
#include <string>
#include <vector>

namespace estuary {

enum class StreamState { kOffline, kBooting, kWaiting, kReady, kShuttingDown };

const char *stream_state_name(StreamState state);

struct StreamStatus {
  StreamState state = StreamState::kOffline;
  std::string reason;  // why the state last changed, for the log and the API
  gint64 firstms = 0;
  gint64 lastms = 0;
  bool live = true;
};

class StreamRegistry {
 public:
  // Records a state change; logs it with the reason.
  void set_state(const std::string &name, StreamState state, const std::string &reason);
  void set_times(const std::string &name, gint64 firstms, gint64 lastms, bool live);

  // Streams not offline, sorted by name.
  std::vector<std::string> active_names() const;
  // Every stream seen since start, offline ones included (their last reason is kept).
  std::vector<std::string> all_names() const;
  // Null when the stream is unknown. Transfer none; valid until the next change.
  const StreamStatus *find(const std::string &name) const;

 private:
  std::map<std::string, StreamStatus> streams_;
};

}  // namespace estuary
