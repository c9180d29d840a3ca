// The demuxing/parsing chain shared by the inputs that read a byte stream (files, gst: pipelines):
// parsebin finds the container and the elementary streams, input-pads makes them canonical.
#pragma once

#include <gst/gst.h>

namespace estuary {

// Adds a parsebin to `bin`, links `src` (a src pad of an element already in `bin`, transfer none)
// to it, and exposes every elementary stream it finds on `bin` (input_expose_pad), followed by
// "no-more-pads". Returns false with `error` set when parsebin is not installed or cannot be
// linked. Content errors (unknown type, corrupt data) arrive later as bus messages.
bool input_parse_attach(GstBin *bin, GstPad *src, GError **error);

}  // namespace estuary
