// The SRT server's debug category, `estuary-tssrt` (set with the TSSRT protocol's `debug`).
#pragma once

#include <gst/gst.h>

GST_DEBUG_CATEGORY_EXTERN(estuary_srt_debug);
