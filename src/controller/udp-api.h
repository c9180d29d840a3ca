// The local-only UDP API (manual 4.2): raw JSON requests on 127.0.0.1 at the API port number,
// run as minimal calls; no answer is sent. Control context.
#pragma once

#include <gio/gio.h>

#include "common/gref.h"

namespace estuary {

class Controller;

class UdpApi {
 public:
  explicit UdpApi(Controller &ctl) : ctl_(ctl) {}
  ~UdpApi();
  bool listen(guint16 port, GError **error);

 private:
  static gboolean on_readable(GSocket *socket, GIOCondition, gpointer self);

  Controller &ctl_;
  GRef<GSocket> socket_;
  GRef<GSource> source_;
};

}  // namespace estuary
