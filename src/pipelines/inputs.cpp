#include "pipelines/inputs.h"

#include "common/gref.h"
#include "pipelines/input-debug.h"
#include "pipelines/input-exec.h"
#include "pipelines/input-file.h"
#include "pipelines/input-folder.h"
#include "pipelines/input-gst.h"
#include "pipelines/input-network.h"
#include "pipelines/input-rtsp.h"
#include "pipelines/input-subtitle.h"

namespace estuary {
namespace {

using Codecs = std::vector<std::vector<std::vector<std::string>>>;

const InputParam kDebugParam = {
    "debug", "debug", "The debug level at which messages need to be printed.", "debug", "--debug"};
const InputParam kBufferParam = {"DVR", "Buffer time (ms)",
                                 "The target available buffer time for this live stream, in "
                                 "milliseconds. This is the time available to seek around in, "
                                 "and will automatically be extended to fit whole keyframes.",
                                 "uint", "--buffer"};

// Every file input is a VoD input at the same priority; the pattern tells them apart.
InputDescriptor file_input(std::string name, std::string desc, std::vector<std::string> match,
                           Codecs codecs, InputBuilder build = input_file_build) {
  InputDescriptor d;
  d.name = std::move(name);
  d.desc = std::move(desc);
  d.source_match = std::move(match);
  d.priority = 9;
  d.codecs = std::move(codecs);
  d.optional = {kDebugParam};
  d.build = build;
  return d;
}

std::vector<InputDescriptor> make_registry() {
  std::vector<InputDescriptor> inputs;
  inputs.push_back(file_input(
      "MP4", "Enables MP4 and MOV file input.", {"/*.mp4", "/*.mov", "/*.m4v", "/*.m4a", "/*.3gp"},
      {{{"H264", "HEVC", "AV1", "VP9"}, {"AAC", "MP3", "opus", "FLAC", "AC3"}, {"subtitle"}}}));
  inputs.push_back(file_input("EBML", "Enables Matroska (MKV) and WebM file input.",
                              {"/*.mkv", "/*.mka", "/*.webm"},
                              {{{"H264", "HEVC", "VP8", "VP9", "AV1", "theora"},
                                {"AAC", "MP3", "opus", "vorbis", "FLAC", "AC3", "PCM"},
                                {"subtitle"}}}));
  inputs.push_back(
      file_input("FLV", "Enables FLV file input.", {"/*.flv"}, {{{"H264"}, {"AAC", "MP3"}}}));
  inputs.push_back(file_input("TS", "Enables MPEG2-TS file input.", {"/*.ts", "/*.m2ts", "/*.mts"},
                              {{{"H264", "HEVC", "MPEG2"}, {"AAC", "MP3", "AC3", "opus"}}}));
  inputs.push_back(file_input("MP3", "Enables MP3 file input.", {"/*.mp3"}, {{{"MP3"}}}));
  inputs.push_back(
      file_input("AAC", "Enables raw AAC (ADTS) file input.", {"/*.aac"}, {{{"AAC"}}}));
  inputs.push_back(file_input("OGG", "Enables OGG file input (Theora, Vorbis, Opus, FLAC).",
                              {"/*.ogg", "/*.oga", "/*.ogv", "/*.opus"},
                              {{{"theora"}, {"vorbis", "opus", "FLAC"}}}));
  inputs.push_back(file_input("WAV", "Enables WAV (PCM) file input.", {"/*.wav"}, {{{"PCM"}}}));
  inputs.push_back(file_input("FLAC", "Enables FLAC file input.", {"/*.flac"}, {{{"FLAC"}}}));
  inputs.push_back(file_input("SubRip", "Enables SubRip (SRT) and WebVTT subtitle file input.",
                              {"/*.srt", "/*.vtt"}, {{{"subtitle"}}}, input_subtitle_build));

  InputDescriptor folder = file_input(
      "Folder", "Folder input: serves every media file in the folder as the stream name+filename.",
      {"/*/"}, {{{"*"}, {"*"}, {"*"}}}, input_folder_build);
  folder.priority = 8;
  inputs.push_back(std::move(folder));

  InputDescriptor gst;
  gst.name = "GStreamer";
  gst.desc =
      "Live input from a GStreamer pipeline description (gst-launch syntax) whose unlinked src "
      "pad carries elementary or muxed streams, e.g. gst:videotestsrc is-live=true ! x264enc ! "
      "h264parse";
  gst.source_match = {"gst:*"};
  gst.priority = 9;
  gst.codecs = {{{"*"}, {"*"}, {"*"}}};
  gst.optional = {kBufferParam, kDebugParam};
  gst.live = true;
  gst.build = input_gst_build;
  inputs.push_back(std::move(gst));

  // Live MPEG-TS transports and exec inputs (manual 3.3.3-3.3.5).
  auto live_input = [](std::string name, std::string desc, std::vector<std::string> match,
                       Codecs codecs, InputBuilder build) {
    InputDescriptor d;
    d.name = std::move(name);
    d.desc = std::move(desc);
    d.source_match = std::move(match);
    d.priority = 9;
    d.codecs = std::move(codecs);
    d.optional = {kBufferParam, kDebugParam};
    d.live = true;
    d.build = build;
    return d;
  };
  const Codecs ts_codecs = {{{"H264", "HEVC", "MPEG2"}, {"AAC", "MP3", "AC3", "opus"}}};
  inputs.push_back(live_input("TSSRT", "Live MPEG-TS pulled over SRT: srt://host:port (caller).",
                              {"srt://*"}, ts_codecs, input_srt_build));
  inputs.push_back(live_input(
      "TSUDP", "Live MPEG-TS over UDP, unicast or multicast: tsudp://[host]:port[/interface,...]",
      {"tsudp://*"}, ts_codecs, input_tsudp_build));
  inputs.push_back(live_input("HTTPTS", "Live MPEG-TS pulled over HTTP(S).",
                              {"http://*.ts", "https://*.ts"}, ts_codecs, input_httpts_build));
  inputs.push_back(live_input("HLS", "Live HLS pull (TS segments) over HTTP(S).",
                              {"http://*.m3u8", "https://*.m3u8", "http://*.m3u", "https://*.m3u"},
                              ts_codecs, input_hls_build));
  // A playlist on disk is VoD (manual 3.3.3), like the other files.
  InputDescriptor hls_file = live_input("HLSFile", "HLS VoD from a local playlist (TS segments).",
                                        {"/*.m3u8", "/*.m3u"}, ts_codecs, input_hls_build);
  hls_file.live = false;
  inputs.push_back(std::move(hls_file));
  inputs.push_back(live_input("TSExec",
                              "MPEG-TS from a command's standard output: ts-exec:COMMAND (no "
                              "shell; restarted when it exits).",
                              {"ts-exec:*"}, ts_codecs, input_exec_build));
  inputs.push_back(live_input("H264Exec",
                              "Annex B H.264 from a command's standard output: h264-exec:COMMAND "
                              "(no shell; restarted when it exits).",
                              {"h264-exec:*"}, {{{"H264"}}}, input_exec_build));

  InputDescriptor rtsp;
  rtsp.name = "RTSP";
  rtsp.desc = "Live input pulled from an RTSP server or camera: rtsp://host[:port]/path";
  rtsp.source_match = {"rtsp://*"};
  rtsp.priority = 9;
  rtsp.codecs = {{{"H264", "HEVC", "VP8", "VP9"}, {"AAC", "MP3", "opus", "AC3"}}};
  rtsp.optional = {kBufferParam, kDebugParam};
  rtsp.live = true;
  rtsp.build = input_rtsp_build;
  inputs.push_back(std::move(rtsp));
  return inputs;
}

JsonNode *string_array(const std::vector<std::string> &values) {
  JsonArray *array = json_array_new();
  for (const std::string &v : values) json_array_add_string_element(array, v.c_str());
  JsonNode *node = json_node_new(JSON_NODE_ARRAY);
  json_node_take_array(node, array);
  return node;
}

JsonObject *params_object(const std::vector<InputParam> &params) {
  JsonObject *object = json_object_new();
  for (const InputParam &p : params) {
    JsonObject *param = json_object_new();
    json_object_set_string_member(param, "name", p.name.c_str());
    json_object_set_string_member(param, "help", p.help.c_str());
    json_object_set_string_member(param, "type", p.type.c_str());
    json_object_set_string_member(param, "option", p.option.c_str());
    json_object_set_object_member(object, p.key.c_str(), param);
  }
  return object;
}

JsonObject *descriptor_object(const InputDescriptor &d) {
  JsonObject *object = json_object_new();
  json_object_set_string_member(object, "name", d.name.c_str());
  json_object_set_string_member(object, "desc", d.desc.c_str());
  // One pattern is a string, several an array, as MistServer sends them.
  if (d.source_match.size() == 1) {
    json_object_set_string_member(object, "source_match", d.source_match[0].c_str());
  } else {
    json_object_set_member(object, "source_match", string_array(d.source_match));
  }
  json_object_set_int_member(object, "priority", d.priority);
  JsonArray *codecs = json_array_new();
  for (const auto &combination : d.codecs) {
    JsonArray *tracks = json_array_new();
    for (const auto &track : combination) json_array_add_element(tracks, string_array(track));
    json_array_add_array_element(codecs, tracks);
  }
  json_object_set_array_member(object, "codecs", codecs);
  json_object_set_object_member(object, "required", params_object(d.required));
  json_object_set_object_member(object, "optional", params_object(d.optional));
  return object;
}

bool ascii_equal_nocase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && g_ascii_strncasecmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

GQuark input_error_quark() { return g_quark_from_static_string("estuary-input-error-quark"); }

const std::vector<InputDescriptor> &all_inputs() {
  static const std::vector<InputDescriptor> registry = make_registry();
  return registry;
}

bool source_matches(std::string_view pattern, std::string_view source) {
  const size_t star = pattern.find('*');
  if (star == std::string_view::npos) return ascii_equal_nocase(pattern, source);
  std::string_view prefix = pattern.substr(0, star);
  std::string_view suffix = pattern.substr(star + 1);
  if (source.size() < prefix.size() + suffix.size()) return false;
  return ascii_equal_nocase(prefix, source.substr(0, prefix.size())) &&
         ascii_equal_nocase(suffix, source.substr(source.size() - suffix.size()));
}

const InputDescriptor *find_input(std::string_view source) {
  const InputDescriptor *best = nullptr;
  for (const InputDescriptor &input : all_inputs()) {
    if (best && input.priority <= best->priority) continue;
    for (const std::string &pattern : input.source_match) {
      if (source_matches(pattern, source)) {
        best = &input;
        break;
      }
    }
  }
  return best;
}

JsonObject *inputs_capabilities() {
  JsonObject *inputs = json_object_new();
  for (const InputDescriptor &input : all_inputs()) {
    json_object_set_object_member(inputs, input.name.c_str(), descriptor_object(input));
  }
  return inputs;
}

GstElement *build_input(std::string_view source, std::string_view stream_name, GError **error) {
  const InputDescriptor *input = find_input(source);
  if (!input) {
    g_set_error(error, ESTUARY_INPUT_ERROR, INPUT_ERROR_UNSUPPORTED,
                "stream %.*s: no input can read the source '%.*s'",
                static_cast<int>(stream_name.size()), stream_name.data(),
                static_cast<int>(source.size()), source.data());
    return nullptr;
  }
  GST_DEBUG("stream %.*s: source '%.*s' goes to the %s input", static_cast<int>(stream_name.size()),
            stream_name.data(), static_cast<int>(source.size()), source.data(),
            input->name.c_str());
  GstElement *bin = input->build(*input, source, stream_name, error);
  if (!bin) {
    g_prefix_error(error, "stream %.*s: ", static_cast<int>(stream_name.size()),
                   stream_name.data());
  }
  return bin;
}

}  // namespace estuary
