#include "pipelines/input-push.h"

#include <gst/app/gstappsrc.h>

#include "pipelines/input-parse.h"

namespace estuary {

namespace {
// A publisher faster than real time or a stalled pipeline must not grow memory without bound.
constexpr guint64 kMaxQueuedBytes = 32 * 1024 * 1024;
}  // namespace

PushFeed::PushFeed(GstElement *appsrc) : appsrc_(GRef<GstElement>::ref(appsrc)) {}

bool PushFeed::write(const guint8 *data, gsize size) {
  GRef<GBytes> bytes = GRef<GBytes>::adopt(g_bytes_new(data, size));
  return write(bytes.get());
}

bool PushFeed::write(GBytes *bytes) {
  std::lock_guard<std::mutex> guard(lock_);
  if (closed_) return false;
  GstBuffer *buf = gst_buffer_new_wrapped_bytes(bytes);
  bytes_ += g_bytes_get_size(bytes);
  GstFlowReturn r = gst_app_src_push_buffer(GST_APP_SRC(appsrc_.get()), buf);
  if (r != GST_FLOW_OK) closed_ = true;
  return r == GST_FLOW_OK;
}

void PushFeed::end() {
  std::lock_guard<std::mutex> guard(lock_);
  if (closed_) return;
  closed_ = true;
  gst_app_src_end_of_stream(GST_APP_SRC(appsrc_.get()));
}

void PushFeed::close() {
  std::lock_guard<std::mutex> guard(lock_);
  closed_ = true;
}

bool PushFeed::closed() const {
  std::lock_guard<std::mutex> guard(lock_);
  return closed_;
}

guint64 PushFeed::bytes_in() const {
  std::lock_guard<std::mutex> guard(lock_);
  return bytes_;
}

GstElement *input_push_build(const std::string &stream, const char *container_caps,
                             std::shared_ptr<PushFeed> *feed, GError **error) {
  GRef<GstElement> bin = GRef<GstElement>::adopt(gst_bin_new(("push-" + stream).c_str()));
  GstElement *src = gst_element_factory_make("appsrc", "push");
  if (!src) {
    g_set_error(error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN, "appsrc is not installed");
    return nullptr;
  }
  GRef<GstCaps> caps = GRef<GstCaps>::adopt(gst_caps_from_string(container_caps));
  g_object_set(src, "caps", caps.get(), "is-live", TRUE, "format", GST_FORMAT_BYTES, "max-bytes",
               kMaxQueuedBytes, "block", FALSE, nullptr);
  gst_bin_add(GST_BIN(bin.get()), src);
  GRef<GstPad> pad = GRef<GstPad>::adopt(gst_element_get_static_pad(src, "src"));
  if (!input_parse_attach(GST_BIN(bin.get()), pad.get(), error)) return nullptr;
  *feed = std::make_shared<PushFeed>(src);
  return bin.release();
}

}  // namespace estuary
