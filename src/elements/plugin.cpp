#include "elements/plugin.h"

#include "elements/estbuffer.h"
#include "estuary-config.h"

static gboolean plugin_init(GstPlugin *plugin) {
  gboolean ok = TRUE;
  ok &= GST_ELEMENT_REGISTER(estbuffer, plugin);
  return ok;
}

#define PACKAGE "estuary"
GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, estuary,
                  "Estuary streaming server elements", plugin_init, ESTUARY_VERSION, "LGPL",
                  "estuary", "Unknown package origin")

gboolean estuary_elements_register(void) {
  static gsize done = 0;
  static gboolean ok = FALSE;
  if (g_once_init_enter(&done)) {
    ok = gst_plugin_register_static(
        GST_VERSION_MAJOR, GST_VERSION_MINOR, "estuary", "Estuary streaming server elements",
        plugin_init, ESTUARY_VERSION, "LGPL", "estuary", "estuary", "Unknown package origin");
    g_once_init_leave(&done, 1);
  }
  return ok;
}
