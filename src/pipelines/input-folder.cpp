#include "pipelines/input-folder.h"

#include <stdlib.h>

#include <algorithm>
#include <cstring>

#include "common/gref.h"
#include "pipelines/input-debug.h"
#include "protocols/stream-name.h"

namespace estuary {
namespace {

// realpath(3) of `path`, or "" when it does not resolve.
std::string canonical_path(const std::string &path) {
  GCharPtr resolved(realpath(path.c_str(), nullptr));
  return resolved ? std::string(resolved.get()) : std::string();
}

// Whether `name` may only ever mean a file directly inside a folder.
bool is_plain_file_name(std::string_view name) {
  if (name.empty() || name[0] == '.') return false;  // hidden files, ".", ".."
  return name.find('/') == std::string_view::npos && name.find('\0') == std::string_view::npos;
}

}  // namespace

bool input_is_folder_source(std::string_view source) {
  return source.size() >= 2 && source.front() == '/' && source.back() == '/';
}

std::string input_folder_resolve(std::string_view folder, std::string_view filename,
                                 GError **error) {
  if (!is_plain_file_name(filename)) {
    g_set_error(error, ESTUARY_INPUT_ERROR, INPUT_ERROR_FORBIDDEN,
                "'%.*s' is not a file name inside the folder", static_cast<int>(filename.size()),
                filename.data());
    return {};
  }
  std::string dir = canonical_path(std::string(folder));
  if (dir.empty()) {
    g_set_error(error, ESTUARY_INPUT_ERROR, INPUT_ERROR_NOT_FOUND, "folder '%.*s' does not exist",
                static_cast<int>(folder.size()), folder.data());
    return {};
  }
  std::string joined = dir + "/" + std::string(filename);
  std::string file = canonical_path(joined);
  if (file.empty()) {
    g_set_error(error, ESTUARY_INPUT_ERROR, INPUT_ERROR_NOT_FOUND, "'%s' does not exist",
                joined.c_str());
    return {};
  }
  // After resolving symlinks the file must still sit directly in the folder.
  const size_t slash = file.rfind('/');
  const std::string parent = slash == 0 ? std::string("/") : file.substr(0, slash);
  if (parent != dir) {
    g_set_error(error, ESTUARY_INPUT_ERROR, INPUT_ERROR_FORBIDDEN,
                "'%s' leads outside the folder '%s'", joined.c_str(), dir.c_str());
    return {};
  }
  if (!g_file_test(file.c_str(), G_FILE_TEST_IS_REGULAR)) {
    g_set_error(error, ESTUARY_INPUT_ERROR, INPUT_ERROR_NOT_FOUND, "'%s' is not a regular file",
                file.c_str());
    return {};
  }
  return file;
}

bool input_folder_list(std::string_view folder, std::string_view base_name,
                       std::vector<std::string> *streams, GError **error) {
  std::string dir(folder);
  GError *open_error = nullptr;
  GDir *handle = g_dir_open(dir.c_str(), 0, &open_error);
  if (!handle) {
    g_set_error(error, ESTUARY_INPUT_ERROR, INPUT_ERROR_NOT_FOUND, "cannot list '%s': %s",
                dir.c_str(), open_error->message);
    g_error_free(open_error);
    return false;
  }
  std::unique_ptr<GDir, void (*)(GDir *)> guard(handle, g_dir_close);
  streams->clear();
  while (const char *entry = g_dir_read_name(handle)) {
    std::string path = input_folder_resolve(dir, entry, nullptr);
    if (path.empty()) continue;
    const InputDescriptor *input = find_input(path);
    if (!input || input->build == input_folder_build) continue;
    std::string name = std::string(base_name) + "+" + entry;
    // Only names that survive the stream-name rules unchanged can be asked for later.
    if (sanitize_stream_name(name) != name) {
      GST_DEBUG("folder %s: skipping '%s', not a valid stream name", dir.c_str(), entry);
      continue;
    }
    streams->push_back(std::move(name));
  }
  std::sort(streams->begin(), streams->end());
  return true;
}

GstElement *input_folder_build(const InputDescriptor &input, std::string_view source,
                               std::string_view stream_name, GError **error) {
  std::string_view filename = stream_wildcard_part(stream_name);
  if (filename.empty()) {
    g_set_error(error, ESTUARY_INPUT_ERROR, INPUT_ERROR_INVALID,
                "folder source '%.*s' serves streams named %.*s+filename",
                static_cast<int>(source.size()), source.data(),
                static_cast<int>(stream_name.size()), stream_name.data());
    return nullptr;
  }
  std::string path = input_folder_resolve(source, filename, error);
  if (path.empty()) return nullptr;
  const InputDescriptor *file_input = find_input(path);
  if (!file_input || file_input->build == input_folder_build) {
    g_set_error(error, ESTUARY_INPUT_ERROR, INPUT_ERROR_UNSUPPORTED, "no input can read '%s'",
                path.c_str());
    return nullptr;
  }
  GST_INFO("stream %.*s: folder %s gives %s (%s input)", static_cast<int>(stream_name.size()),
           stream_name.data(), input.name.c_str(), path.c_str(), file_input->name.c_str());
  return file_input->build(*file_input, path, stream_name, error);
}

}  // namespace estuary
