// The media element of an RTSP RECORD (ANNOUNCE) ingest, built from the announced SDP: one
// depayloader per SDP media, named "depay%d" in SDP order as gst-rtsp-server's media expects
// whatever the order of video and audio, then parsers, a muxer (MPEG-TS when it can carry every
// track, else streamable Matroska) and an appsink that writes the container into the stream's
// PushFeed.
#pragma once

#include <gst/gst.h>
#include <gst/sdp/gstsdpmessage.h>

#include <functional>
#include <memory>
#include <string>

#include "pipelines/input-push.h"

namespace estuary {

// The container a RECORD of `sdp` (transfer none) is muxed into, as caps for the push input.
std::string rtsp_record_container(const GstSDPMessage *sdp);

// Builds the bin. `on_refused` runs (once, on a streaming thread) when the stream side closed the
// feed: the publisher should be disconnected. The feed ends when the bin is destroyed or
// rtsp_record_end() is called. Floating reference, or nullptr with `error` when the SDP has no
// media or too many. Any thread.
GstElement *rtsp_record_bin_new(const std::string &stream, const GstSDPMessage *sdp,
                                std::shared_ptr<PushFeed> feed, std::function<void()> on_refused,
                                GError **error);

// The publisher is gone: ends the bin's feed (idempotent). `bin` transfer none.
void rtsp_record_end(GstElement *bin);

}  // namespace estuary
