// The state the control thread owns: configuration, accounts, protocols, sessions. One instance
// per daemon (tests may make several). Control thread only.
#pragma once

#include <json-glib/json-glib.h>

#include <string>

#include "common/gref.h"
#include "controller/auth.h"
#include "controller/config.h"
#include "controller/protocol-supervisor.h"
#include "controller/sessions.h"
#include "controller/stream-manager.h"
#include "controller/stream-registry.h"
#include "servers/output-catalog.h"

namespace estuary {

class Controller {
 public:
  Controller();

  Config config;
  Auth auth{config};
  ProtocolSupervisor protocols;
  Sessions sessions;
  StreamRegistry streams;
  StreamManager media{*this};  // after everything it uses

  const std::string &instance_id() const { return instance_id_; }
  // capabilities.json from the resources: {"connectors": {...}}. Transfer none.
  JsonObject *connectors() const;
  // The `inputs` part of capabilities. Transfer full.
  JsonObject *inputs_capabilities() const;

  // Re-applies what the configuration drives: debug levels, protocol listeners. Call after every
  // change of `config`.
  void apply_config();

  bool save(GError **error) { return config.save(error); }

 private:
  void register_listeners();

  std::string instance_id_;
  GRef<JsonNode> capabilities_;
  std::shared_ptr<OutputCatalog> catalog_;  // what the HTTP info handler reads
};

}  // namespace estuary
