#include "pipelines/input-gst.h"

#include <string>

#include "common/gref.h"
#include "pipelines/input-debug.h"
#include "pipelines/input-parse.h"

namespace estuary {

GstElement *input_gst_build(const InputDescriptor &input, std::string_view source,
                            std::string_view stream_name, GError **error) {
  constexpr std::string_view kPrefix = "gst:";
  if (source.size() < kPrefix.size() ||
      g_ascii_strncasecmp(source.data(), kPrefix.data(), kPrefix.size()) != 0) {
    g_set_error(error, ESTUARY_INPUT_ERROR, INPUT_ERROR_INVALID, "'%.*s' is not a gst: source",
                static_cast<int>(source.size()), source.data());
    return nullptr;
  }
  GCharPtr description(
      g_strstrip(g_strndup(source.data() + kPrefix.size(), source.size() - kPrefix.size())));
  if (description.get()[0] == '\0') {
    g_set_error(error, ESTUARY_INPUT_ERROR, INPUT_ERROR_INVALID, "gst: source has no pipeline");
    return nullptr;
  }

  GError *parse_error = nullptr;
  // FATAL_ERRORS: a missing element must fail here, not leave a half pipeline behind.
  GRef<GstElement> inner = GRef<GstElement>::adopt(gst_parse_bin_from_description_full(
      description.get(), TRUE, nullptr, GST_PARSE_FLAG_FATAL_ERRORS, &parse_error));
  if (!inner) {
    g_set_error(error, ESTUARY_INPUT_ERROR, INPUT_ERROR_INVALID, "gst: pipeline '%s': %s",
                description.get(), parse_error ? parse_error->message : "does not parse");
    if (parse_error) g_error_free(parse_error);
    return nullptr;
  }
  if (parse_error) g_error_free(parse_error);  // a warning from a recoverable parse
  GRef<GstPad> sink = GRef<GstPad>::adopt(gst_element_get_static_pad(inner.get(), "sink"));
  if (sink) {
    g_set_error(error, ESTUARY_INPUT_ERROR, INPUT_ERROR_INVALID,
                "gst: pipeline '%s' has an unlinked sink pad: it must start with a source",
                description.get());
    return nullptr;
  }
  GRef<GstPad> src = GRef<GstPad>::adopt(gst_element_get_static_pad(inner.get(), "src"));
  if (!src) {
    g_set_error(error, ESTUARY_INPUT_ERROR, INPUT_ERROR_INVALID,
                "gst: pipeline '%s' has no unlinked src pad for the stream's media",
                description.get());
    return nullptr;
  }

  GRef<GstElement> bin = GRef<GstElement>::adopt(gst_bin_new(nullptr));
  gst_bin_add(GST_BIN(bin.get()), GST_ELEMENT(g_object_ref(inner.get())));
  if (!input_parse_attach(GST_BIN(bin.get()), src.get(), error)) return nullptr;
  GST_INFO("stream %.*s: %s input runs '%s'", static_cast<int>(stream_name.size()),
           stream_name.data(), input.name.c_str(), description.get());
  GstElement *result = bin.release();
  g_object_force_floating(G_OBJECT(result));
  return result;
}

}  // namespace estuary
