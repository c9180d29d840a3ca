// The estuary GStreamer plugin: our elements, loadable from GST_PLUGIN_PATH (libgstestuary.so)
// and registered in-process by the server.
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

// Registers the estuary elements (estbuffer, ...) with the default registry as a static plugin,
// so gst_element_factory_make("estbuffer", ...) and pipeline descriptions find them. Call after
// gst_init(); idempotent and thread-safe. Returns FALSE if registration failed.
gboolean estuary_elements_register(void);

G_END_DECLS
