// OutputCatalog: what the HTTP info handler needs from the configuration (the capabilities'
// connectors and the enabled protocols), as a snapshot the media threads can read.
//
// The control thread owns the configuration; it calls set_protocols() after every change, and
// the HTTP thread takes a snapshot per info request. The HTTP listener is not recreated when
// another protocol is enabled, which is why the list is shared rather than passed at creation.
//
// Thread-safe: one mutex guards the snapshot; snapshots are immutable once published.
#pragma once

#include <json-glib/json-glib.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/gref.h"
#include "protocols/stream-info.h"
#include "servers/http-routes.h"

namespace estuary {

class OutputCatalog {
 public:
  struct Snapshot {
    GRef<JsonObject> connectors;  // capabilities `connectors`; never modified after publishing
    std::vector<info::EnabledProtocol> enabled;

    // The connector whose URLs `route` is one of: the one whose `url_prefix` is "/hls/$/" for
    // HLS, the one whose `url_match`/`url_rel` is "/$.EXT" for a progressive format. "" for the
    // HTTP listener's own pages (info handler, player, crossdomain) and for URLs no connector
    // claims.
    std::string connector_of(const HttpRoute &route) const;
    // The connector that serves `route` when it is not in the configuration's protocols (its
    // URLs answer 404 then), else "".
    std::string disabled_connector(const HttpRoute &route) const;
  };

  // `connectors` (transfer none) is deep-copied.
  explicit OutputCatalog(JsonObject *connectors);

  // Control thread, after each configuration change: `protocols` is `config.protocols`
  // (transfer none; read now, not kept).
  void set_protocols(JsonArray *protocols);

  // Any thread.
  std::shared_ptr<const Snapshot> snapshot() const;

 private:
  mutable std::mutex lock_;  // guards snapshot_
  std::shared_ptr<const Snapshot> snapshot_;
};

}  // namespace estuary
