// The debug category shared by every input builder: GST_DEBUG=estuary-inputs:5.
#pragma once

#include <gst/gst.h>

namespace estuary {

inline GstDebugCategory *inputs_debug_category() {
  static GstDebugCategory *category = [] {
    GstDebugCategory *c = nullptr;
    GST_DEBUG_CATEGORY_INIT(c, "estuary-inputs", 0, "estuary input builders");
    return c;
  }();
  return category;
}

}  // namespace estuary

#ifndef GST_CAT_DEFAULT
#define GST_CAT_DEFAULT (estuary::inputs_debug_category())
#endif
