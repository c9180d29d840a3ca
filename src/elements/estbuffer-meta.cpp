#include "elements/estbuffer-meta.h"

#include <gst/audio/audio.h>

#include <cstring>
#include <string_view>

namespace estuary {
namespace {

GRef<GBytes> buffer_bytes(const GValue *v) {
  if (!v || !GST_VALUE_HOLDS_BUFFER(v)) return nullptr;
  GstBuffer *buf = gst_value_get_buffer(v);
  if (!buf) return nullptr;
  BufferMap map(buf, GST_MAP_READ);
  if (!map.ok()) return nullptr;
  return GRef<GBytes>::adopt(g_bytes_new(map.data(), map.size()));
}

// The stream headers in caps (Vorbis, Theora, FLAC, Opus), as a list of byte strings.
std::vector<std::string> stream_headers(const GstStructure *s) {
  std::vector<std::string> out;
  const GValue *arr = gst_structure_get_value(s, "streamheader");
  if (!arr || !GST_VALUE_HOLDS_ARRAY(arr)) return out;
  for (guint i = 0; i < gst_value_array_get_size(arr); i++) {
    GRef<GBytes> b = buffer_bytes(gst_value_array_get_value(arr, i));
    if (!b) continue;
    gsize n = 0;
    auto *p = static_cast<const char *>(g_bytes_get_data(b.get(), &n));
    out.emplace_back(p ? p : "", n);
  }
  return out;
}

GRef<GBytes> bytes_of(const std::string &s) {
  if (s.empty()) return nullptr;
  return GRef<GBytes>::adopt(g_bytes_new(s.data(), s.size()));
}

// Xiph lacing (count-1, then each size but the last as 255-runs): the Matroska / MistServer layout
// of Vorbis and Theora private data.
GRef<GBytes> xiph_laced(const std::vector<std::string> &headers) {
  if (headers.empty() || headers.size() > 255) return nullptr;
  std::string out(1, static_cast<char>(headers.size() - 1));
  for (size_t i = 0; i + 1 < headers.size(); i++) {
    size_t n = headers[i].size();
    for (; n >= 255; n -= 255) out.push_back(static_cast<char>(255));
    out.push_back(static_cast<char>(n));
  }
  for (const auto &h : headers) out += h;
  return bytes_of(out);
}

// "fLaC" + metadata blocks. flacparse sends the Ogg-FLAC mapping header (0x7F "FLAC" major minor
// count[2]) in front of "fLaC"; strip it.
GRef<GBytes> flac_init(const std::vector<std::string> &headers) {
  std::string out;
  for (const auto &h : headers) {
    if (out.empty() && h.size() >= 13 &&
        h.compare(0, 5,
                  "\x7f"
                  "FLAC") == 0) {
      out += h.substr(9);
    } else {
      out += h;
    }
  }
  return bytes_of(out);
}

guint framerate_fpks(const GstStructure *s) {
  gint num = 0, den = 1;
  if (!gst_structure_get_fraction(s, "framerate", &num, &den) || num <= 0 || den <= 0) return 0;
  return static_cast<guint>((static_cast<guint64>(num) * 1000 + den / 2) / den);
}

void append_fps(std::string *out, guint fpks) {
  GCharPtr fps(fpks % 1000 ? g_strdup_printf("%.2f", fpks / 1000.0)
                           : g_strdup_printf("%u", fpks / 1000));
  *out += fps.get();
}

}  // namespace

bool codec_info_from_caps(GstCaps *caps, CodecInfo *out) {
  if (!caps || gst_caps_is_empty(caps) || gst_caps_is_any(caps)) return false;
  const GstStructure *s = gst_caps_get_structure(caps, 0);
  const std::string name = gst_structure_get_name(s);
  CodecInfo ci;
  ci.init = buffer_bytes(gst_structure_get_value(s, "codec_data"));
  gint v = 0;

  if (name.rfind("video/", 0) == 0 || name == "image/jpeg") {
    if (name == "video/x-raw") return false;  // decoded media is never buffered
    ci.type = TrackType::kVideo;
    if (name == "video/x-h264") {
      ci.codec = "H264";
    } else if (name == "video/x-h265") {
      ci.codec = "HEVC";
    } else if (name == "video/x-vp8") {
      ci.codec = "VP8";
    } else if (name == "video/x-vp9") {
      ci.codec = "VP9";
    } else if (name == "video/x-av1") {
      ci.codec = "AV1";
    } else if (name == "video/mpeg") {
      gst_structure_get_int(s, "mpegversion", &v);
      ci.codec = v == 4 ? "MPEG4" : "MPEG2";
    } else if (name == "video/x-theora") {
      ci.codec = "theora";
      ci.init = xiph_laced(stream_headers(s));
    } else if (name == "image/jpeg") {
      ci.codec = "JPEG";
    } else {
      ci.codec = name.substr(strlen("video/"));
    }
    gint w = 0, h = 0;
    gst_structure_get_int(s, "width", &w);
    gst_structure_get_int(s, "height", &h);
    ci.width = w > 0 ? w : 0;
    ci.height = h > 0 ? h : 0;
    ci.fpks = framerate_fpks(s);
  } else if (name.rfind("audio/", 0) == 0) {
    ci.type = TrackType::kAudio;
    ci.size = 16;  // what MistServer reports for compressed audio
    if (name == "audio/mpeg") {
      gst_structure_get_int(s, "mpegversion", &v);
      if (v == 2 || v == 4) {
        ci.codec = "AAC";
      } else {
        gint layer = 3;
        gst_structure_get_int(s, "layer", &layer);
        ci.codec = layer == 3 ? "MP3" : "MP2";
      }
    } else if (name == "audio/x-opus") {
      ci.codec = "opus";
      auto headers = stream_headers(s);
      if (!headers.empty()) ci.init = bytes_of(headers[0]);  // OpusHead
    } else if (name == "audio/x-vorbis") {
      ci.codec = "vorbis";
      ci.init = xiph_laced(stream_headers(s));
    } else if (name == "audio/x-flac") {
      ci.codec = "FLAC";
      ci.init = flac_init(stream_headers(s));
    } else if (name == "audio/x-ac3") {
      ci.codec = "AC3";
    } else if (name == "audio/x-eac3") {
      ci.codec = "EAC3";
    } else if (name == "audio/x-alaw") {
      ci.codec = "ALAW";
      ci.size = 8;
    } else if (name == "audio/x-mulaw") {
      ci.codec = "ULAW";
      ci.size = 8;
    } else if (name == "audio/x-raw") {
      ci.codec = "PCM";
      const char *fmt = gst_structure_get_string(s, "format");
      const GstAudioFormatInfo *fi =
          fmt ? gst_audio_format_get_info(gst_audio_format_from_string(fmt)) : nullptr;
      if (fi && GST_AUDIO_FORMAT_INFO_WIDTH(fi) > 0) ci.size = GST_AUDIO_FORMAT_INFO_WIDTH(fi);
    } else {
      ci.codec = name.substr(strlen("audio/"));
    }
    gint ch = 0, rate = 0;
    gst_structure_get_int(s, "channels", &ch);
    gst_structure_get_int(s, "rate", &rate);
    ci.channels = ch > 0 ? ch : 0;
    ci.rate = rate > 0 ? rate : 0;
  } else {
    ci.type = TrackType::kMeta;
    ci.codec = "subtitle";  // text/x-raw, WebVTT, SRT, SSA: MistServer calls them all subtitle
    if (name != "text/x-raw" && name.find("subtitle") == std::string::npos &&
        name.find("ssa") == std::string::npos && name.find("ass") == std::string::npos &&
        name != "text/vtt") {
      ci.codec = name;
    }
  }
  *out = std::move(ci);
  return true;
}

const char *track_type_name(TrackType t) {
  switch (t) {
    case TrackType::kVideo:
      return "video";
    case TrackType::kAudio:
      return "audio";
    default:
      return "meta";
  }
}

std::string track_identifier(const TrackMeta &t) {
  std::string id = std::string(track_type_name(t.codec.type)) + "_" + t.codec.codec + "_";
  if (t.codec.type == TrackType::kVideo) {
    id += std::to_string(t.codec.width) + "x" + std::to_string(t.codec.height) + "_";
    append_fps(&id, t.fpks);
    id += "fps_";
  } else if (t.codec.type == TrackType::kAudio) {
    id += std::to_string(t.codec.channels) + "ch_" + std::to_string(t.codec.rate) + "hz_";
  }
  return id + std::to_string(t.trackid);
}

std::string binary_to_json_string(GBytes *bytes) {
  std::string out;
  if (!bytes) return out;
  gsize n = 0;
  auto *p = static_cast<const guint8 *>(g_bytes_get_data(bytes, &n));
  out.reserve(n * 2);
  for (gsize i = 0; i < n; i++) {
    guint8 b = p[i];
    if (b == 0) {
      out += "\xC0\x80";
    } else if (b < 0x80) {
      out.push_back(static_cast<char>(b));
    } else {
      out.push_back(static_cast<char>(0xC0 | (b >> 6)));
      out.push_back(static_cast<char>(0x80 | (b & 0x3F)));
    }
  }
  return out;
}

static JsonObject *keys_to_json(const KeyStats &k) {
  JsonObject *o = json_object_new();
  json_object_set_int_member(o, "frame_ms_max", k.frame_ms_max);
  json_object_set_int_member(o, "frame_ms_min", k.frame_ms_min);
  json_object_set_int_member(o, "frames_max", k.frames_max);
  json_object_set_int_member(o, "frames_min", k.frames_min);
  json_object_set_int_member(o, "ms_max", k.ms_max);
  json_object_set_int_member(o, "ms_min", k.ms_min);
  json_object_set_int_member(o, "bfrms_max", k.bfrms_max);
  json_object_set_int_member(o, "bfrms_min", k.bfrms_min);
  return o;
}

JsonObject *track_meta_to_json(const TrackMeta &t) {
  JsonObject *o = json_object_new();
  json_object_set_int_member(o, "trackid", t.trackid);
  json_object_set_string_member(o, "type", track_type_name(t.codec.type));
  json_object_set_string_member(o, "codec", t.codec.codec.c_str());
  json_object_set_string_member(o, "init", binary_to_json_string(t.codec.init.get()).c_str());
  json_object_set_int_member(o, "firstms", t.firstms);
  json_object_set_int_member(o, "lastms", t.lastms);
  json_object_set_int_member(o, "bps", t.bps);
  json_object_set_int_member(o, "kbits", t.bps * 8 / 1000);
  if (t.codec.type == TrackType::kAudio) {
    json_object_set_int_member(o, "channels", t.codec.channels);
    json_object_set_int_member(o, "rate", t.codec.rate);
    json_object_set_int_member(o, "size", t.codec.size);
  } else if (t.codec.type == TrackType::kVideo) {
    json_object_set_int_member(o, "fpks", t.fpks);
    json_object_set_int_member(o, "width", t.codec.width);
    json_object_set_int_member(o, "height", t.codec.height);
  }
  json_object_set_object_member(o, "keys", keys_to_json(t.keys));
  return o;
}

JsonObject *stream_meta_to_json(const StreamMeta &m) {
  JsonObject *tracks = json_object_new();
  for (const auto &t : m.tracks) {
    json_object_set_object_member(tracks, track_identifier(t).c_str(), track_meta_to_json(t));
  }
  JsonObject *o = json_object_new();
  json_object_set_object_member(o, "tracks", tracks);
  json_object_set_int_member(o, m.live ? "live" : "vod", 1);
  return o;
}

JsonObject *stream_buffer_details_to_json(const StreamMeta &m) {
  JsonObject *o = json_object_new();
  for (const auto &t : m.tracks) {
    JsonObject *d = json_object_new();
    json_object_set_string_member(d, "codec", t.codec.codec.c_str());
    json_object_set_int_member(d, "kbits", t.bps * 8 / 1000);
    json_object_set_object_member(d, "keys", keys_to_json(t.keys));
    if (t.codec.type == TrackType::kVideo) {
      json_object_set_int_member(d, "fpks", t.fpks);
      json_object_set_int_member(d, "height", t.codec.height);
      json_object_set_int_member(d, "width", t.codec.width);
    }
    json_object_set_object_member(o, track_identifier(t).c_str(), d);
  }
  return o;
}

std::string json_to_text(JsonNode *node, bool pretty) {
  GRef<JsonGenerator> gen = GRef<JsonGenerator>::adopt(json_generator_new());
  json_generator_set_root(gen.get(), node);
  json_generator_set_pretty(gen.get(), pretty);
  gsize length = 0;
  GCharPtr text(json_generator_to_data(gen.get(), &length));
  std::string_view in(text.get(), length);
  // C0 80 never occurs in valid UTF-8, so every pair is one of our encoded NUL bytes. And
  // json-glib 1.6 writes U+001F unescaped (its escaper tests `< 0x1f`), which is invalid JSON;
  // the byte can only be inside a string, so escaping it here is safe. Runs of ordinary bytes
  // are appended whole (answers such as `capabilities` are kilobytes long).
  std::string out;
  out.reserve(length);
  gsize run = 0;
  for (gsize i = 0; i < length; i++) {
    const auto c = static_cast<guint8>(in[i]);
    const bool nul = c == 0xC0 && i + 1 < length && static_cast<guint8>(in[i + 1]) == 0x80;
    if (!nul && c != 0x1f) continue;
    out.append(in.substr(run, i - run));
    out += nul ? "\\u0000" : "\\u001f";
    if (nul) i++;
    run = i + 1;
  }
  out.append(in.substr(run));
  return out;
}

}  // namespace estuary
