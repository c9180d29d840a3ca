// The debug category of the RTSP server: GST_DEBUG=estuary-rtsp:5.
#pragma once

#include <gst/gst.h>

GST_DEBUG_CATEGORY_EXTERN(estuary_rtsp_debug);

namespace estuary {
// Initialises estuary_rtsp_debug; safe to call many times, from any thread.
void rtsp_debug_init();
}  // namespace estuary
