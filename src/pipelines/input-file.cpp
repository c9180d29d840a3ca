#include "pipelines/input-file.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <gst/base/gsttypefindhelper.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "common/gref.h"
#include "pipelines/input-adts.h"
#include "pipelines/input-debug.h"
#include "pipelines/input-parse.h"

namespace estuary {
namespace {

// Enough for every container's typefinder (TS needs a few packets, MP3 a few frames after an
// ID3 tag); the whole file is not needed to know what it is.
constexpr size_t kTypefindBytes = 64 * 1024;

// Closes a file descriptor on scope exit.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

GstPadProbeReturn answer_duration(GstPad *, GstPadProbeInfo *info, gpointer user_data) {
  GstQuery *query = GST_PAD_PROBE_INFO_QUERY(info);
  if (GST_QUERY_TYPE(query) != GST_QUERY_DURATION) return GST_PAD_PROBE_OK;
  GstFormat format;
  gst_query_parse_duration(query, &format, nullptr);
  if (format != GST_FORMAT_TIME) return GST_PAD_PROBE_OK;
  gst_query_set_duration(query, GST_FORMAT_TIME, *static_cast<GstClockTime *>(user_data));
  return GST_PAD_PROBE_HANDLED;
}

}  // namespace

void input_answer_duration(GstPad *src_pad, GstClockTime duration) {
  gst_pad_add_probe(
      src_pad,
      static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_QUERY_UPSTREAM | GST_PAD_PROBE_TYPE_PUSH),
      answer_duration, new GstClockTime(duration),
      [](gpointer p) { delete static_cast<GstClockTime *>(p); });
}

bool input_file_read_head(const std::string &path, size_t max_bytes, std::string *head,
                          GError **error) {
  if (!g_path_is_absolute(path.c_str())) {
    g_set_error(error, ESTUARY_INPUT_ERROR, INPUT_ERROR_INVALID,
                "file source '%s' is not an absolute path", path.c_str());
    return false;
  }
  Fd file{g_open(path.c_str(), O_RDONLY | O_CLOEXEC, 0)};
  if (file.fd < 0) {
    int err = errno;
    g_set_error(error, ESTUARY_INPUT_ERROR, INPUT_ERROR_NOT_FOUND, "cannot open '%s': %s",
                path.c_str(), g_strerror(err));
    return false;
  }
  struct stat st;
  if (fstat(file.fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    g_set_error(error, ESTUARY_INPUT_ERROR, INPUT_ERROR_NOT_FOUND, "'%s' is not a regular file",
                path.c_str());
    return false;
  }
  head->resize(max_bytes);
  size_t got = 0;
  while (got < max_bytes) {
    ssize_t n = read(file.fd, &(*head)[got], max_bytes - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      g_set_error(error, ESTUARY_INPUT_ERROR, INPUT_ERROR_NOT_FOUND, "cannot read '%s': %s",
                  path.c_str(), g_strerror(err));
      return false;
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  head->resize(got);
  return true;
}

GstElement *input_file_build(const InputDescriptor &input, std::string_view source,
                             std::string_view stream_name, GError **error) {
  std::string path(source);
  std::string head;
  if (!input_file_read_head(path, kTypefindBytes, &head, error)) return nullptr;
  if (head.empty()) {
    g_set_error(error, ESTUARY_INPUT_ERROR, INPUT_ERROR_UNSUPPORTED, "'%s' is empty", path.c_str());
    return nullptr;
  }

  // Know now, not at the first state change, whether this file is media at all.
  const char *dot = strrchr(path.c_str(), '.');
  GstTypeFindProbability probability = GST_TYPE_FIND_NONE;
  GRef<GstCaps> type = GRef<GstCaps>::adopt(gst_type_find_helper_for_data_with_extension(
      nullptr, reinterpret_cast<const guint8 *>(head.data()), head.size(), dot ? dot + 1 : nullptr,
      &probability));
  if (!type || probability < GST_TYPE_FIND_POSSIBLE) {
    g_set_error(error, ESTUARY_INPUT_ERROR, INPUT_ERROR_UNSUPPORTED,
                "'%s' is not in a media format %s input can read", path.c_str(),
                input.name.c_str());
    return nullptr;
  }
  GST_INFO("stream %.*s: %s is %" GST_PTR_FORMAT " (probability %d)",
           static_cast<int>(stream_name.size()), stream_name.data(), path.c_str(), type.get(),
           probability);

  GRef<GstElement> bin = GRef<GstElement>::adopt(gst_bin_new(nullptr));
  GstElement *src = gst_element_factory_make("filesrc", nullptr);
  if (!src) {
    g_set_error(error, ESTUARY_INPUT_ERROR, INPUT_ERROR_UNSUPPORTED,
                "GStreamer element 'filesrc' is not installed");
    return nullptr;
  }
  g_object_set(src, "location", path.c_str(), nullptr);
  gst_bin_add(GST_BIN(bin.get()), src);
  GRef<GstPad> src_pad = GRef<GstPad>::adopt(gst_element_get_static_pad(src, "src"));
  if (!input_parse_attach(GST_BIN(bin.get()), src_pad.get(), error)) return nullptr;
  // aacparse cannot know how long a raw ADTS file is; its frame headers can.
  const GstStructure *s = gst_caps_get_structure(type.get(), 0);
  if (gst_structure_has_name(s, "audio/mpeg") &&
      g_strcmp0(gst_structure_get_string(s, "stream-format"), "adts") == 0) {
    GstClockTime duration = adts_file_duration(path);
    if (GST_CLOCK_TIME_IS_VALID(duration)) input_answer_duration(src_pad.get(), duration);
  }
  // Hand out a floating reference, as gst_element_factory_make would.
  GstElement *result = bin.release();
  g_object_force_floating(G_OBJECT(result));
  return result;
}

}  // namespace estuary
