// Which output formats exist, which codecs each can carry, and how a stream's tracks are chosen
// for a format. Pure table logic; the HTTP layer answers 415 with `reason` when nothing fits.
#pragma once

#include <gst/gst.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace estuary {

enum class Codec {
  kUnknown,
  kH264,
  kH265,
  kVP8,
  kVP9,
  kAV1,
  kAAC,
  kMP3,
  kOpus,
  kVorbis,
  kFLAC,
  kPCM,
  kText
};
enum class TrackKind { kVideo, kAudio, kSubtitle, kOther };

enum class OutputFormat {
  kTS,      // MPEG-TS (HTTP-TS, HLS segments, SRT/UDP pushes)
  kFLV,     // streamable FLV (HTTP-FLV, RTMP)
  kFMP4,    // fragmented MP4 for live progressive playback
  kWebM,    // streamable WebM
  kMKV,     // streamable Matroska
  kMP3,     // elementary MP3
  kAAC,     // elementary AAC in ADTS
  kOGG,     // Ogg (Opus, Vorbis, FLAC)
  kWAV,     // RIFF WAVE, PCM
  kWebVTT,  // WebVTT text from a subtitle track
  kSRT,     // SubRip text from a subtitle track
};

// Codec of a parsed track's caps; kUnknown for anything we do not carry.
Codec codec_from_caps(const GstCaps *caps);
TrackKind kind_of(Codec codec);
const char *codec_name(Codec codec);  // MistServer spelling: "H264", "AAC", "opus", ...

const char *format_name(OutputFormat format);       // "TS", "FLV", ...
const char *format_mime_type(OutputFormat format);  // "video/mp2t", ...
// Accepts format names and file extensions, case-insensitively: "ts", "flv", "mp4", "webm",
// "mkv", "mp3", "aac", "ogg", "wav", "vtt"/"webvtt", "srt".
std::optional<OutputFormat> format_from_name(const std::string &name);

bool format_carries(OutputFormat format, Codec codec);

struct TrackRef {
  uint32_t id = 0;
  Codec codec = Codec::kUnknown;
};

struct TrackSelection {
  std::vector<uint32_t> selected;    // in the order given
  std::vector<std::string> skipped;  // "track 3 (VP9): FLV cannot carry VP9", for logs
  std::string error;                 // non-empty when nothing could be selected; says why
};

// Picks the tracks `format` carries: every compatible track for multi-track containers, the
// first of each kind for FLV, the first compatible one for elementary formats.
TrackSelection select_tracks(OutputFormat format, const std::vector<TrackRef> &tracks);

}  // namespace estuary
