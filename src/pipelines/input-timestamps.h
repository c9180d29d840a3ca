// Decode times for inputs whose container stores presentation times only, and one segment per
// track for demuxers that restart it. Used by the canonical chain (input-pads) and the parse chain
// (input-parse).
//
// Matroska/WebM (and RTP) carry no decode time: matroskademux hands out H.264/H.265 access units
// with a PTS and no DTS. Muxers downstream then take DTS = PTS, which goes backwards with
// B-frames (ffmpeg: "non monotonically increasing dts"). GStreamer's codec timestamper rebuilds
// DTS from the reorder depth in the SPS; it is inserted only into tracks that need it, so inputs
// that carry DTS keep theirs untouched.
#pragma once

#include <gst/gst.h>

namespace estuary {

// Drops the segment events on `pad` (a demuxer src pad; transfer none) that, without a flush in
// between, only move the start of the current segment (same rate, base and stream time):
// matroskademux 1.22 sends one segment at the first cluster's time and another at 0 after two
// frames, which would restart every element that drains on a new segment (the timestamper
// among them: its decode times would jump back). A flush lets the next segment through. Any
// thread; the probe lives as long as the pad.
void input_fold_segment_updates(GstPad *pad);

// Watches the first buffer on `parser_src` (transfer none: the linked src pad of an H.264/H.265
// parser inside a bin, before data flows). When it has a PTS but no DTS, links `timestamper`
// ("h264timestamper" / "h265timestamper") between `parser_src` and its peer, and takes back the
// timestamper's 1000-hour shift as far as decode times allow (a DTS before 0 stays at 0, the
// segment moves with it so running times are kept, as qtdemux does with an edit list). Buffers
// that arrive with a DTS pass as they are. Does nothing but log when the timestamper is not
// installed.
void input_rebuild_decode_times(GstPad *parser_src, const char *timestamper);

}  // namespace estuary
