// Folder input (manual 3.3.6.1): a source "/path/" (absolute, ending in '/') serves each media file
// directly inside that folder as the stream name+filename. No subfolders, by design: the wildcard
// part names one file and can never reach outside the folder.
#pragma once

#include <gst/gst.h>

#include <string>
#include <string_view>
#include <vector>

#include "pipelines/inputs.h"

namespace estuary {

// Whether `source` is a folder source: an absolute path that ends in '/'.
bool input_is_folder_source(std::string_view source);

// The streams a folder source offers: "base_name+filename" for every regular file directly in
// `folder` (symlinks only when they stay inside it) that some file input can play, whose name
// is a valid, unchanged stream name (manual 3.1), and that is not hidden. Sorted. Returns false
// with `error` set when the folder cannot be read.
bool input_folder_list(std::string_view folder, std::string_view base_name,
                       std::vector<std::string> *streams, GError **error);

// The file that the wildcard part `filename` ("clip.mp4" of "vod+clip.mp4") names in `folder`.
// Fails with INPUT_ERROR_FORBIDDEN when `filename` is empty, hidden or "..", contains '/' or a
// NUL, or resolves (through symlinks) outside `folder`; INPUT_ERROR_NOT_FOUND when no such
// regular file exists. Returns the canonical absolute path, or "" on error.
std::string input_folder_resolve(std::string_view folder, std::string_view filename,
                                 GError **error);

// InputBuilder for folder sources: resolves the wildcard part of `stream_name` and builds the
// file's own input. Transfer full (floating).
GstElement *input_folder_build(const InputDescriptor &input, std::string_view source,
                               std::string_view stream_name, GError **error);

}  // namespace estuary
