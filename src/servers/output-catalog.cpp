#include "servers/output-catalog.h"

namespace estuary {

namespace {

GRef<JsonObject> copy_object(JsonObject *o) {
  if (!o) return GRef<JsonObject>::adopt(json_object_new());
  GRef<JsonNode> node = GRef<JsonNode>::adopt(json_node_init_object(json_node_alloc(), o));
  GRef<JsonNode> copy = GRef<JsonNode>::adopt(json_node_copy(node.get()));
  return GRef<JsonObject>::ref(json_node_get_object(copy.get()));
}

}  // namespace

OutputCatalog::OutputCatalog(JsonObject *connectors) {
  auto s = std::make_shared<Snapshot>();
  s->connectors = copy_object(connectors);
  snapshot_ = std::move(s);
}

void OutputCatalog::set_protocols(JsonArray *protocols) {
  auto s = std::make_shared<Snapshot>();
  std::lock_guard<std::mutex> guard(lock_);
  s->connectors = snapshot_->connectors;
  s->enabled = info::enabled_protocols_from_config(protocols);
  snapshot_ = std::move(s);
}

std::shared_ptr<const OutputCatalog::Snapshot> OutputCatalog::snapshot() const {
  std::lock_guard<std::mutex> guard(lock_);
  return snapshot_;
}

}  // namespace estuary
