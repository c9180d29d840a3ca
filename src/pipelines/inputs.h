// The input registry: which builder turns a stream's source string into media (manual 3.3), and
// the descriptors the `capabilities` API call lists under "inputs" (manual 4.1.2).
//
// An input is a GstBin holding the demuxing/parsing chain for one source. It exposes one
// "sometimes" ghost src pad per elementary stream, named video_%u, audio_%u or subtitle_%u, and
// emits "no-more-pads" once all are known. Its output is parsed, never decoded (canonical caps in
// input-pads.h). File inputs answer duration queries; `gst:` inputs are live when their
// description is.
#pragma once

#include <gst/gst.h>
#include <json-glib/json-glib.h>

#include <string>
#include <string_view>
#include <vector>

namespace estuary {

// Errors of the input builders, in the ESTUARY_INPUT_ERROR domain.
GQuark input_error_quark();
#define ESTUARY_INPUT_ERROR (estuary::input_error_quark())
enum InputErrorCode {
  INPUT_ERROR_NOT_FOUND = 1,  // the file or folder does not exist or cannot be read
  INPUT_ERROR_UNSUPPORTED,    // no input matches the source, or its content is not recognised
  INPUT_ERROR_INVALID,        // the source string is malformed (bad gst: description, ...)
  INPUT_ERROR_FORBIDDEN,      // a wildcard tried to leave its folder
};

// One parameter of an input, as listed under "required"/"optional" in capabilities.
struct InputParam {
  std::string key;     // JSON key, e.g. "DVR"
  std::string name;    // human-readable name
  std::string help;    // human-readable help text
  std::string type;    // "str", "uint", "debug", ...
  std::string option;  // MistServer-style command-line option, e.g. "--buffer"
};

struct InputDescriptor;

// Builds the input bin for `source` (already resolved by the registry; see build_input).
// `stream_name` is the full stream name ("vod+clip.mp4"), used by wildcard inputs and for logs.
// Returns a floating GstBin (transfer full), or nullptr with `error` set.
using InputBuilder = GstElement *(*)(const InputDescriptor &input, std::string_view source,
                                     std::string_view stream_name, GError **error);

struct InputDescriptor {
  std::string name;                       // "MP4", "EBML", "GStreamer", ...
  std::string desc;                       // human-friendly description
  std::vector<std::string> source_match;  // patterns, each with exactly one '*'
  int priority = 0;                       // highest matching priority wins
  // Track combinations, MistServer style: each combination lists, per simultaneous track, the
  // codecs that track may have ("*" = any).
  std::vector<std::vector<std::vector<std::string>>> codecs;
  std::vector<InputParam> required;
  std::vector<InputParam> optional;
  bool live = false;  // true when the media has no end (pushes, pulls, gst: pipelines)
  InputBuilder build = nullptr;
};

// All registered inputs, in registration order. Never empty; lives for the whole process.
const std::vector<InputDescriptor> &all_inputs();

// Whether `source` matches `pattern`: the text before the pattern's single '*' must be a prefix
// and the text after it a suffix of `source`, not overlapping (ASCII case-insensitive, so
// "/a/B.MP4" is an MP4). A pattern with no '*' must equal the source.
bool source_matches(std::string_view pattern, std::string_view source);

// The highest-priority input whose source_match matches `source` (ties: first registered), or
// nullptr when none does. Transfer none: points into all_inputs().
const InputDescriptor *find_input(std::string_view source);

// The "inputs" object of the capabilities reply: one member per input, keyed by name, shaped as
// in manual 4.1.2 (name, desc, source_match, priority, codecs, required, optional).
// Transfer full.
JsonObject *inputs_capabilities();

// Builds the input for a stream: picks find_input(source) and runs its builder. For a folder
// source ("/path/") the file is the wildcard part of `stream_name` ("vod+clip.mp4" → clip.mp4).
// Returns a floating GstBin (transfer full; sink it, e.g. GRef<GstElement>::adopt), or nullptr
// with `error` set (ESTUARY_INPUT_ERROR) when the source does not exist or is not supported.
// Any thread; the bin itself is driven by whoever owns the pipeline it is added to.
GstElement *build_input(std::string_view source, std::string_view stream_name, GError **error);

}  // namespace estuary
