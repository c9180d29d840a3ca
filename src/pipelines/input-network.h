// Network pull inputs for MPEG-TS carried live (manual 3.3.3, 3.3.4), each a source element
// feeding the shared parse chain (input-parse.h):
//   srt://host:port[?query]  SRT caller (srtsrc; the query takes srtsrc's URI options, e.g.
//                            streamid=, passphrase=, latency=); srt://:port listens instead
//   tsudp://[host]:port[/interface,...]  UDP unicast or multicast (udpsrc); interfaces are given
//                            by IP address (or by name) and joined for multicast
//   http(s)://....ts         HTTP-TS (souphttpsrc, live)
//   http(s)://....m3u8, /path/x.m3u8   HLS pull (hlsdemux; TS segments), live or VoD playlists
#pragma once

#include <gst/gst.h>

#include <string_view>

#include "pipelines/inputs.h"

namespace estuary {

// InputBuilders. Each fails with INPUT_ERROR_INVALID when the source is malformed and
// INPUT_ERROR_UNSUPPORTED when the GStreamer element it needs is missing. Transfer full
// (floating). Connection failures arrive later as bus errors (the stream fails; always_on
// streams are retried by the stream manager).
GstElement *input_srt_build(const InputDescriptor &input, std::string_view source,
                            std::string_view stream_name, GError **error);
GstElement *input_tsudp_build(const InputDescriptor &input, std::string_view source,
                              std::string_view stream_name, GError **error);
GstElement *input_httpts_build(const InputDescriptor &input, std::string_view source,
                               std::string_view stream_name, GError **error);
GstElement *input_hls_build(const InputDescriptor &input, std::string_view source,
                            std::string_view stream_name, GError **error);

}  // namespace estuary
