// The media element of an RTSP PLAY: one appsrc -> RTP payloader ("pay%d", what
// gst-rtsp-server's media factory collects) per track of a running stream, fed from the stream's
// buffer ring by a feeder thread. The very GstBuffers the input produced go to the payloaders
// (no copy, no remux). One such element serves every viewer of the stream (shared media).
#pragma once

#include <gst/gst.h>

#include <memory>

#include "pipelines/live-stream.h"

namespace estuary {

// Builds the bin for `stream` (its payloadable tracks right now: H.264, H.265, AAC, MP3, Opus,
// AC-3, VP8, VP9, MPEG-1/2 video). Feeding starts when the media pipeline first asks for data,
// from the latest keyframe; it stops when the bin is destroyed. Floating reference, or nullptr
// with `error` when the stream has no track RTP can carry. Any thread.
GstElement *rtsp_play_bin_new(const std::shared_ptr<LiveStream> &stream, GError **error);

// The media's RTP sinks must not wait for the clock: buffers carry the stream's own timeline and
// the feeder already paces them as they arrive live. Call with the media pipeline (transfer
// none) before it is prepared; applies to sinks added later too.
void rtsp_play_unsync_sinks(GstElement *pipeline);

}  // namespace estuary
