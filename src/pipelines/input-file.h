// File inputs (manual 3.3.6): MP4/MOV, MKV/WebM, FLV, MPEG-TS, MP3, AAC (ADTS), OGG, WAV and FLAC
// files, read with filesrc and demuxed/parsed by parsebin. VoD: the bin answers duration and
// seeking queries through its pads.
#pragma once

#include <gst/gst.h>

#include <string>
#include <string_view>

#include "pipelines/inputs.h"

namespace estuary {

// InputBuilder for local media files. `source` is an absolute path. Fails with
// INPUT_ERROR_NOT_FOUND when the file is missing or unreadable, INPUT_ERROR_UNSUPPORTED when its
// first bytes are no media format GStreamer knows. Transfer full (floating).
GstElement *input_file_build(const InputDescriptor &input, std::string_view source,
                             std::string_view stream_name, GError **error);

// Checks that `path` is an absolute path to a readable regular file and reads up to `max_bytes`
// of its head into `head`. Returns false with `error` set otherwise. Shared by the file inputs.
bool input_file_read_head(const std::string &path, size_t max_bytes, std::string *head,
                          GError **error);

// Makes `pad` (transfer none) answer TIME duration queries with `duration`: on a file source's
// src pad, parsers that ask upstream before estimating (baseparse) report it.
void input_answer_duration(GstPad *pad, GstClockTime duration);

}  // namespace estuary
