// The `gst:` input: "gst:PIPELINE" runs a gst-launch description whose one unlinked src pad
// carries the stream's media: elementary streams (raw encoded or parsed) or a muxed stream such
// as MPEG-TS. What comes out is typefound and parsed to the canonical caps (input-pads.h), so a
// GStreamer user can script any source. Live when the description's source is live.
#pragma once

#include <gst/gst.h>

#include <string_view>

#include "pipelines/inputs.h"

namespace estuary {

// InputBuilder for "gst:" sources. Fails with INPUT_ERROR_INVALID when the description does not
// parse, names an element that is not installed, needs input (has an unlinked sink pad) or has
// no unlinked src pad. Transfer full (floating).
GstElement *input_gst_build(const InputDescriptor &input, std::string_view source,
                            std::string_view stream_name, GError **error);

}  // namespace estuary
