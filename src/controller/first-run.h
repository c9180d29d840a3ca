// First-time setup on the terminal (manual 1.5): account and default protocols.
#pragma once

namespace estuary {

class Controller;

// Adds one `{"connector": NAME}` entry per known connector that is not configured yet.
void enable_default_protocols(Controller &ctl);

// Adds the `demo` stream: a live test picture with a tone, H.264 640x360 + AAC, a keyframe
// every 2 s, made by GStreamer (`gst:` source). Kept running (always_on).
void add_demo_stream(Controller &ctl);

// Asks on the terminal for a user name, a password (not echoed) and whether to enable the
// default protocols. Returns false when the terminal closed before an account was made.
bool first_run_setup(Controller &ctl);

}  // namespace estuary
