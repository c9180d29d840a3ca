// Per-track metadata of a stream buffer, in MistServer's terms (manual 4.3.1 "json_" info and
// 4.4.15 STREAM_BUFFER "keys"), and its JSON form.
//
// TrackMeta is a plain value: BufferRing fills it under its lock and hands out copies, so any
// thread may read a snapshot without further locking.
#pragma once

#include <gst/gst.h>
#include <json-glib/json-glib.h>

#include <string>
#include <vector>

#include "common/gref.h"

namespace estuary {

enum class TrackType { kVideo, kAudio, kMeta };

// What the caps of a pad say about a track. Parsed from caps only; no media is inspected.
struct CodecInfo {
  TrackType type = TrackType::kMeta;
  std::string codec;  // MistServer name: H264, HEVC, VP8, VP9, AV1, AAC, MP3, opus, ...
  GRef<GBytes> init;  // codec private data (avcC, hvcC, AudioSpecificConfig, ...); may be null
  guint width = 0, height = 0;
  guint fpks = 0;  // from caps framerate; 0 when the caps do not say (measured later)
  guint channels = 0, rate = 0, size = 0;
};

// Parses `caps` (transfer none). Returns false for caps the buffer does not store (decoded video,
// or no structure at all).
bool codec_info_from_caps(GstCaps *caps, CodecInfo *out);

// Keyframe statistics over the keys in the window (manual 4.4.15 "keys"). A "key" is a keyframe
// for video; for other tracks it is an index point placed every segment-size milliseconds.
// bfrms_* is the spread of presentation-minus-decode offsets (B-frame reordering) in ms.
struct KeyStats {
  guint keys = 0;  // number of keys in the window
  guint frames_min = 0, frames_max = 0;
  guint64 ms_min = 0, ms_max = 0;
  guint64 frame_ms_min = 0, frame_ms_max = 0;
  gint64 bfrms_min = 0, bfrms_max = 0;
};

struct TrackMeta {
  guint trackid = 0;
  CodecInfo codec;
  GRef<GstCaps> caps;  // the caps the track currently carries
  guint64 firstms = 0, lastms = 0;
  guint64 bps = 0;     // average bytes per second over the window
  guint64 bytes = 0;   // bytes in the window
  guint64 frames = 0;  // buffers in the window
  guint fpks = 0;      // caps framerate, else measured over the window (video only)
  bool active = true;  // false once the track's pad reached EOS
  KeyStats keys;
};

// A segment of the main (index) track: whole keys concatenated until segment-size is reached.
// Used by segmented outputs (HLS, DASH). duration_ms is 0 for the last, still growing segment.
struct SegmentInfo {
  guint64 seq = 0;  // ring sequence number of the segment's first buffer (a key)
  guint64 start_ms = 0;
  guint64 duration_ms = 0;
  bool discont = false;  // first segment after a resume (HLS: EXT-X-DISCONTINUITY)
};

struct StreamMeta {
  bool live = true;
  bool ended = false;  // the source stopped and the buffer will not resume
  std::vector<TrackMeta> tracks;
  std::vector<SegmentInfo> segments;
  std::vector<guint64> discontinuities_ms;  // stream times where a resumed source continued
};

const char *track_type_name(TrackType t);  // "video", "audio", "meta"

// MistServer-style unique identifier, e.g. "video_H264_854x480_25fps_1", "audio_AAC_2ch_48000hz_2".
std::string track_identifier(const TrackMeta &t);

// Builds the json_ track object (trackid, type, codec, init, firstms, lastms, bps, width, height,
// fpks / channels, rate, size) plus "keys" and "kbits" from STREAM_BUFFER. Transfer full.
// "init" holds the raw bytes as code points U+0000-U+00FF; json-glib strings cannot contain NUL, so
// a 0x00 byte is stored as the overlong pair C0 80: serialise with json_to_text() below.
JsonObject *track_meta_to_json(const TrackMeta &t);

// {"tracks": {identifier: track, ...}, "live": 1 | "vod": 1}. Transfer full.
JsonObject *stream_meta_to_json(const StreamMeta &m);

// The STREAM_BUFFER details object: {identifier: {codec, kbits, keys, fpks, width, height}}.
JsonObject *stream_buffer_details_to_json(const StreamMeta &m);

// Serialises like json_to_string() but writes the C0 80 pairs produced above as "\u0000", so the
// output is valid UTF-8 JSON with the exact init bytes. Use it for anything holding track meta.
std::string json_to_text(JsonNode *node, bool pretty = false);

// Bytes as a UTF-8 string of code points U+0000-U+00FF (0x00 as C0 80, see above).
std::string binary_to_json_string(GBytes *bytes);

}  // namespace estuary
