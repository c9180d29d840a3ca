// Keeps one listener running per enabled `config.protocols` entry: started, stopped and moved
// live when the configuration changes. Control thread only.
#pragma once

#include <json-glib/json-glib.h>

#include <functional>
#include <map>
#include <set>
#include <memory>
#include <string>

namespace estuary {

// A running server for one protocol entry (e.g. the HTTP listener on 8080).
class Listener {
 public:
  virtual ~Listener() = default;
  virtual bool running() const = 0;
};

// Builds a listener from the entry's settings (transfer none); nullptr with `error` set when it
// cannot start (port taken, bad interface...).
using ListenerFactory = std::function<std::unique_ptr<Listener>(JsonObject *settings, GError **error)>;

class ProtocolSupervisor {
 public:
  // Connectors without a factory are served by another (their `deps`, e.g. HLS by HTTP) or are
  // not implemented; their state is derived in online_state().
  void register_factory(const std::string &connector, ListenerFactory factory);
  // `connector` is served by `dependency`'s listener (capabilities' `deps`, e.g. HLS by HTTP).
  void set_dependency(const std::string &connector, const std::string &dependency);

  // Brings the running listeners in line with `protocols`: entries that are gone or changed are
  // stopped, new or changed ones started. A protocol's `debug` sets its module's log level.
  void apply(JsonArray *protocols);

  // Manual 4.1.6: 0 = offline, 1 = online, 2 = enabled (served on demand by its dependency).
  int online_state(JsonObject *protocol) const;

  void stop_all();

 private:
  struct Running {
    std::string connector;
    std::unique_ptr<Listener> listener;
  };
  std::map<std::string, ListenerFactory> factories_;
  std::map<std::string, std::string> dependencies_;
  std::map<std::string, Running> running_;  // canonical JSON of the entry -> its listener
  std::set<std::string> leveled_modules_;   // categories a protocol's `debug` has set
};

// Canonical text of a JSON node (sorted members), used as an identity key.
std::string canonical_json(JsonNode *node);

}  // namespace estuary
