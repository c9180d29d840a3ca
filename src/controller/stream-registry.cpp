#include "controller/stream-registry.h"

#include "controller/log.h"

namespace estuary {

const char *stream_state_name(StreamState state) {
  switch (state) {
    case StreamState::kOffline: return "Offline";
    case StreamState::kBooting: return "Initializing";
    case StreamState::kWaiting: return "Booting";
    case StreamState::kReady: return "Online";
    case StreamState::kShuttingDown: return "Shutting down";
  }
  return "Unknown";
}

void StreamRegistry::set_state(const std::string &name, StreamState state, const std::string &reason) {
  StreamStatus &s = streams_[name];
  s.state = state;
  s.reason = reason;
  GST_CAT_INFO(log::cat_streams, "stream %s: %s (%s)", name.c_str(), stream_state_name(state),
               reason.c_str());
}

void StreamRegistry::set_times(const std::string &name, gint64 firstms, gint64 lastms, bool live) {
  auto it = streams_.find(name);
  if (it == streams_.end()) return;
  it->second.firstms = firstms;
  it->second.lastms = lastms;
  it->second.live = live;
}


std::vector<std::string> StreamRegistry::active_names() const {
  std::vector<std::string> out;
  for (const auto &[name, s] : streams_)
    if (s.state != StreamState::kOffline) out.push_back(name);
  return out;
}

std::vector<std::string> StreamRegistry::all_names() const {
  std::vector<std::string> out;
  for (const auto &[name, s] : streams_) out.push_back(name);
  return out;
}

const StreamStatus *StreamRegistry::find(const std::string &name) const {
  auto it = streams_.find(name);
  return it == streams_.end() ? nullptr : &it->second;
}

}  // namespace estuary
