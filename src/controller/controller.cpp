#include "controller/controller.h"

#include "controller/log.h"
#include "pipelines/inputs.h"
#include "servers/http-output.h"
#include "servers/srt-listener.h"
#include "servers/ts-listener.h"
#include "servers/rtmp-server.h"
#include "servers/rtsp-server.h"

namespace estuary {

Controller::Controller() {
  guint8 random[8];
  for (auto &b : random) b = static_cast<guint8>(g_random_int_range(0, 256));
  GCharPtr hex(g_compute_checksum_for_data(G_CHECKSUM_SHA1, random, sizeof random));
  instance_id_.assign(hex.get(), 8);

  GRef<GBytes> bytes = GRef<GBytes>::adopt(g_resources_lookup_data(
      "/org/estuary/capabilities.json", G_RESOURCE_LOOKUP_FLAGS_NONE, nullptr));
  GRef<JsonParser> parser = GRef<JsonParser>::adopt(json_parser_new());
  gsize size = 0;
  const char *data = bytes ? static_cast<const char *>(g_bytes_get_data(bytes.get(), &size)) : "{}";
  if (!json_parser_load_from_data(parser.get(), data, static_cast<gssize>(size), nullptr) ||
      !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser.get()))) {
    g_error("capabilities.json in the resources is not a JSON object");  // a build defect
  }
  capabilities_ = GRef<JsonNode>::adopt(json_node_copy(json_parser_get_root(parser.get())));

  JsonObject *conns = connectors();
  GList *names = json_object_get_members(conns);
  for (GList *l = names; l; l = l->next) {
    const char *name = static_cast<const char *>(l->data);
    JsonNode *c = json_object_get_member(conns, name);
    const char *dep = JSON_NODE_HOLDS_OBJECT(c) ? json_string_or(json_node_get_object(c), "deps", nullptr)
                                                : nullptr;
    if (dep) protocols.set_dependency(name, dep);
  }
  g_list_free(names);
  register_listeners();
}

// One factory per connector that has a listener of its own; the others are served by these.
void Controller::register_listeners() {
  catalog_ = std::make_shared<OutputCatalog>(connectors());
  protocols.register_factory("HTTP", [this](JsonObject *settings, GError **error) {
    return make_http_listener(media.directory(), catalog_, settings, error);
  });
  protocols.register_factory("TSSRT", [this](JsonObject *settings, GError **error) {
    return make_srt_listener(media.directory(), settings, error);
  });
  protocols.register_factory("TS", [this](JsonObject *settings, GError **error) {
    return make_ts_listener(media.directory(), settings, error);
  });
  protocols.register_factory("RTMP", [this](JsonObject *settings, GError **error) {
    return make_rtmp_listener(media.directory(), settings, error);
  });
  protocols.register_factory("RTSP", [this](JsonObject *settings, GError **error) {
    return make_rtsp_listener(media.directory(), settings, error);
  });
}

JsonObject *Controller::connectors() const {
  JsonObject *caps = json_node_get_object(capabilities_.get());
  JsonNode *c = json_object_get_member(caps, "connectors");
  return c && JSON_NODE_HOLDS_OBJECT(c) ? json_node_get_object(c) : caps;
}

JsonObject *Controller::inputs_capabilities() const {
  return estuary::inputs_capabilities();
}

void Controller::apply_config() {
  JsonObject *ctl = config.controller();
  // `config.debug` is where MistServer keeps the level too; the controller's setting wins.
  gint64 level = json_int_or(ctl, "debug", json_int_or(config.config(), "debug", log::kDefaultLevel));
  log::set_level(static_cast<int>(level));
  catalog_->set_protocols(config.protocols());
  protocols.apply(config.protocols());
  media.apply_config();
}

}  // namespace estuary
