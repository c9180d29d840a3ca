// Choosing RTP depayloaders from what an SDP or an RTSP source announces, shared by the `rtsp://`
// pull input and the RTSP server's RECORD ingest. Pure registry lookups, no pipeline state.
#pragma once

#include <gst/gst.h>

namespace estuary {

// A new depayloader for `rtp_caps` (transfer none; application/x-rtp with media and
// encoding-name, as rtspsrc pads or gst_sdp_media_get_caps_from_media() give them): the
// highest-ranked installed depayloader whose sink accepts them. Floating, or nullptr when none
// does. Any thread.
GstElement *rtp_depayloader_new(const GstCaps *rtp_caps);

// The parser that frames what the depayloader of `encoding_name` ("H264", "MPEG4-GENERIC"...,
// case-insensitive) outputs, so a muxer gets complete access units; nullptr when none is needed
// or the encoding is unknown.
const char *rtp_parser_name(const char *encoding_name);

// Caps to force after the parser so a muxer gets whole, timestamped frames: access units for
// H.264/H.265 (byte-stream for MPEG-TS, avc/hvc1 otherwise) and ADTS for AAC in MPEG-TS (the AAC
// depayloaders stamp only the first of several frames per packet; a converting parser stamps
// them all). nullptr when the parser's output needs no constraint.
const char *rtp_framing_caps(const char *encoding_name, bool for_ts);

// RTP carries presentation times only: for codecs with frame reordering (H.264, H.265) the
// element that rebuilds decode times after the parser ("h264timestamper"), else nullptr.
const char *rtp_timestamper_name(const char *encoding_name);

// GStreamer 1.22's codec timestamper shifts its output buffers by 1000 hours (room for decode
// times before the first presentation time) but for some streams (rtspclientsink's H.264
// without B-frames) forwards the segment unshifted: the track's running time jumps 1000 hours
// ahead of its siblings and the muxer waits for it forever. Adds probes on `timestamper`
// (transfer none) that compare the running time of the first frame going in and coming out and,
// when they differ by more than a second, correct the outgoing segments so running times are
// kept.
void rtp_timestamper_keep_running_time(GstElement *timestamper);

// Audio depayloaders that unpack several frames from one packet stamp only the first (AAC,
// MP3). Adds a probe on `depay_src` (transfer none) that gives the others the time that follows
// from the frame size and the clock rate of `rtp_caps`; does nothing for other encodings.
void rtp_fill_timestamps(GstPad *depay_src, const GstCaps *rtp_caps);

// Whether an MPEG-TS muxer can carry the encoding (H.264/H.265, AAC, MP3, AC-3, Opus).
bool rtp_encoding_fits_ts(const char *encoding_name);

}  // namespace estuary
