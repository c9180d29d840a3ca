#include "pipelines/output-formats.h"

#include <glib.h>

#include <cstring>

namespace estuary {

Codec codec_from_caps(const GstCaps *caps) {
  if (!caps || gst_caps_is_empty(caps) || gst_caps_is_any(caps)) return Codec::kUnknown;
  const GstStructure *s = gst_caps_get_structure(caps, 0);
  const char *name = gst_structure_get_name(s);
  if (!strcmp(name, "video/x-h264")) return Codec::kH264;
  if (!strcmp(name, "video/x-h265")) return Codec::kH265;
  if (!strcmp(name, "video/x-vp8")) return Codec::kVP8;
  if (!strcmp(name, "video/x-vp9")) return Codec::kVP9;
  if (!strcmp(name, "video/x-av1")) return Codec::kAV1;
  if (!strcmp(name, "audio/x-opus")) return Codec::kOpus;
  if (!strcmp(name, "audio/x-vorbis")) return Codec::kVorbis;
  if (!strcmp(name, "audio/x-flac")) return Codec::kFLAC;
  if (!strcmp(name, "audio/x-raw")) return Codec::kPCM;
  if (!strcmp(name, "text/x-raw")) return Codec::kText;
  if (!strcmp(name, "audio/mpeg")) {
    int version = 0, layer = 0;
    gst_structure_get_int(s, "mpegversion", &version);
    if (version == 2 || version == 4) return Codec::kAAC;
    if (version == 1 && gst_structure_get_int(s, "layer", &layer) && layer == 3) return Codec::kMP3;
  }
  return Codec::kUnknown;
}

TrackKind kind_of(Codec codec) {
  switch (codec) {
    case Codec::kH264:
    case Codec::kH265:
    case Codec::kVP8:
    case Codec::kVP9:
    case Codec::kAV1:
      return TrackKind::kVideo;
    case Codec::kAAC:
    case Codec::kMP3:
    case Codec::kOpus:
    case Codec::kVorbis:
    case Codec::kFLAC:
    case Codec::kPCM:
      return TrackKind::kAudio;
    case Codec::kText:
      return TrackKind::kSubtitle;
    default:
      return TrackKind::kOther;
  }
}

const char *codec_name(Codec codec) {
  switch (codec) {
    case Codec::kH264:
      return "H264";
    case Codec::kH265:
      return "HEVC";
    case Codec::kVP8:
      return "VP8";
    case Codec::kVP9:
      return "VP9";
    case Codec::kAV1:
      return "AV1";
    case Codec::kAAC:
      return "AAC";
    case Codec::kMP3:
      return "MP3";
    case Codec::kOpus:
      return "opus";
    case Codec::kVorbis:
      return "vorbis";
    case Codec::kFLAC:
      return "FLAC";
    case Codec::kPCM:
      return "PCM";
    case Codec::kText:
      return "subtitle";
    default:
      return "unknown";
  }
}

namespace {

struct FormatInfo {
  OutputFormat format;
  const char *name;
  const char *mime;
  std::vector<Codec> codecs;
  // How many tracks of one kind the format takes; 0 = unlimited.
  int max_per_kind;
  // Elementary formats carry exactly one track in total.
  bool single_track;
};

const std::vector<FormatInfo> &format_table() {
  using C = Codec;
  static const std::vector<FormatInfo> table = {
      {OutputFormat::kTS,
       "TS",
       "video/mp2t",
       {C::kH264, C::kH265, C::kAAC, C::kMP3, C::kOpus},
       0,
       false},
      {OutputFormat::kFLV, "FLV", "video/x-flv", {C::kH264, C::kAAC, C::kMP3}, 1, false},
      {OutputFormat::kFMP4,
       "MP4",
       "video/mp4",
       {C::kH264, C::kH265, C::kVP9, C::kAV1, C::kAAC, C::kMP3, C::kOpus},
       0,
       false},
      {OutputFormat::kWebM,
       "WebM",
       "video/webm",
       {C::kVP8, C::kVP9, C::kAV1, C::kOpus, C::kVorbis},
       0,
       false},
      {OutputFormat::kMKV,
       "MKV",
       "video/x-matroska",
       {C::kH264, C::kH265, C::kVP8, C::kVP9, C::kAV1, C::kAAC, C::kMP3, C::kOpus, C::kVorbis,
        C::kFLAC, C::kPCM, C::kText},
       0,
       false},
      {OutputFormat::kMP3, "MP3", "audio/mpeg", {C::kMP3}, 1, true},
      {OutputFormat::kAAC, "AAC", "audio/aac", {C::kAAC}, 1, true},
      {OutputFormat::kOGG, "OGG", "audio/ogg", {C::kOpus, C::kVorbis, C::kFLAC}, 0, false},
      {OutputFormat::kWAV, "WAV", "audio/wav", {C::kPCM}, 1, true},
      {OutputFormat::kWebVTT, "WebVTT", "text/vtt", {C::kText}, 1, true},
      {OutputFormat::kSRT, "SRT", "text/plain", {C::kText}, 1, true},
  };
  return table;
}

const FormatInfo &info(OutputFormat f) {
  for (const auto &i : format_table())
    if (i.format == f) return i;
  return format_table().front();
}

}  // namespace

const char *format_name(OutputFormat format) { return info(format).name; }
const char *format_mime_type(OutputFormat format) { return info(format).mime; }

std::optional<OutputFormat> format_from_name(const std::string &name) {
  struct Alias {
    const char *name;
    OutputFormat format;
  };
  static const Alias aliases[] = {
      {"ts", OutputFormat::kTS},      {"flv", OutputFormat::kFLV},
      {"mp4", OutputFormat::kFMP4},   {"fmp4", OutputFormat::kFMP4},
      {"webm", OutputFormat::kWebM},  {"mkv", OutputFormat::kMKV},
      {"mp3", OutputFormat::kMP3},    {"aac", OutputFormat::kAAC},
      {"ogg", OutputFormat::kOGG},    {"wav", OutputFormat::kWAV},
      {"vtt", OutputFormat::kWebVTT}, {"webvtt", OutputFormat::kWebVTT},
      {"srt", OutputFormat::kSRT},
  };
  for (const auto &a : aliases)
    if (g_ascii_strcasecmp(a.name, name.c_str()) == 0) return a.format;
  return std::nullopt;
}

bool format_carries(OutputFormat format, Codec codec) {
  for (Codec c : info(format).codecs)
    if (c == codec) return true;
  return false;
}

TrackSelection select_tracks(OutputFormat format, const std::vector<TrackRef> &tracks) {
  const FormatInfo &fi = info(format);
  TrackSelection sel;
  int per_kind[4] = {0, 0, 0, 0};
  for (const auto &t : tracks) {
    std::string label = "track " + std::to_string(t.id) + " (" + codec_name(t.codec) + ")";
    if (!format_carries(format, t.codec)) {
      sel.skipped.push_back(label + ": " + fi.name + " cannot carry " + codec_name(t.codec));
      continue;
    }
    int kind = static_cast<int>(kind_of(t.codec));
    if ((fi.single_track && !sel.selected.empty()) ||
        (fi.max_per_kind > 0 && per_kind[kind] >= fi.max_per_kind)) {
      sel.skipped.push_back(label + ": " + fi.name + " carries only one track of this kind");
      continue;
    }
    per_kind[kind]++;
    sel.selected.push_back(t.id);
  }
  if (sel.selected.empty()) {
    std::string have, can;
    for (const auto &t : tracks)
      have += std::string(have.empty() ? "" : ", ") + codec_name(t.codec);
    for (Codec c : fi.codecs) can += std::string(can.empty() ? "" : ", ") + codec_name(c);
    sel.error = std::string(fi.name) + " cannot carry any track of this stream (" +
                (have.empty() ? "no tracks" : have) + "); " + fi.name + " carries " + can;
  }
  return sel;
}

}  // namespace estuary
