// The output side shared by every input bin: turns a parsed elementary-stream pad inside the bin
// into a canonical, ghosted src pad named video_%u / audio_%u / subtitle_%u.
//
// Canonical caps (what everything downstream of an input may rely on):
//   H.264   video/x-h264,stream-format=avc,alignment=au (codec_data)
//   H.265   video/x-h265,stream-format={hvc1,hev1},alignment=au (codec_data)
//   AAC     audio/mpeg,mpegversion=4,stream-format=raw (codec_data)
//   MP3     audio/mpeg,mpegversion=1,layer=3,parsed=true
//   Opus, Vorbis, FLAC, Theora, VP9, AV1, AC-3, MPEG-1/2/4 video: through their parser
//   PCM     audio/x-raw (WAV)
//   text    text/x-raw,format=utf8 (markup stripped) or application/x-subtitle-vtt
// Other audio/video caps pass unchanged; anything else (metadata, private data) is discarded.
// H.264/H.265 buffers always carry a DTS: where the source has none (Matroska, RTP) a timestamper
// rebuilds it (input-timestamps.h).
#pragma once

#include <gst/gst.h>

#include <string>
#include <string_view>

namespace estuary {

// Adds to `bin` the parser and caps filter that make `pad`'s stream canonical, links `pad` (a src
// pad of an element in `bin`, caps known or soon known) to them, and adds a ghost src pad named
// after the stream's kind. `caps` (transfer none) are the pad's caps. Returns the ghost pad
// (transfer none, owned by the bin), or nullptr when the stream is discarded. Safe from a
// streaming thread (pad-added handlers); pad names never repeat within one bin.
GstPad *input_expose_pad(GstBin *bin, GstPad *pad, const GstCaps *caps);

// Emits "no-more-pads" on `bin`: call once every stream has gone through input_expose_pad.
void input_expose_done(GstBin *bin);

// The text of a Pango-markup string: tags removed, entities (&amp; &lt; &gt; &quot; &apos; and
// numeric &#N; / &#xN;) decoded. Malformed input is kept as text rather than dropped.
std::string pango_markup_to_text(std::string_view markup);

}  // namespace estuary
