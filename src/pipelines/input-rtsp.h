// The `rtsp://` input: pulls a stream from a camera or another server with rtspsrc (RTP over
// UDP, falling back to TCP interleaved), depayloads each announced track and exposes it with the
// canonical caps of input-pads.h. Live.
#pragma once

#include <gst/gst.h>

#include <string_view>

#include "pipelines/inputs.h"

namespace estuary {

// InputBuilder for "rtsp://" sources. Fails with INPUT_ERROR_UNSUPPORTED when rtspsrc is not
// installed; connection errors arrive later as bus messages. Transfer full (floating).
GstElement *input_rtsp_build(const InputDescriptor &input, std::string_view source,
                             std::string_view stream_name, GError **error);

}  // namespace estuary
