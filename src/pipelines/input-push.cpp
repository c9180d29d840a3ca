#include "pipelines/input-push.h"

#include <gst/app/gstappsrc.h>

#include "pipelines/input-parse.h"

#include <utility>

namespace estuary {

namespace {
// A publisher faster than real time or a stalled pipeline must not grow memory without bound.
constexpr guint64 kMaxQueuedBytes = 32 * 1024 * 1024;
}  // namespace

PushFeed::PushFeed(GstElement *appsrc) : appsrc_(GRef<GstElement>::ref(appsrc)) {}

std::shared_ptr<PushFeed> PushFeed::direct(GstPad *pad) {
  auto feed = std::make_shared<PushFeed>(nullptr);
  feed->pad_ = GRef<GstPad>::ref(pad);
  return feed;
}

bool PushFeed::push_direct(GstBuffer *buf) {
  std::lock_guard<std::mutex> push(push_lock_);
  {
    std::lock_guard<std::mutex> guard(lock_);
    if (closed_) {
      gst_buffer_unref(buf);
      return false;
    }
    bytes_ += gst_buffer_get_size(buf);
  }
  // The stream's pipeline runs its FLV demuxer and parsers here, into estbuffer, which never
  // blocks. FLUSHING or an error means the stream stopped or replaced this input.
  GstFlowReturn r = gst_pad_push(pad_.get(), buf);
  if (r == GST_FLOW_OK) return true;
  std::lock_guard<std::mutex> guard(lock_);
  closed_ = true;
  return false;
}

bool PushFeed::write(const guint8 *data, gsize size) {
  GRef<GBytes> bytes = GRef<GBytes>::adopt(g_bytes_new(data, size));
  return write(bytes.get());
}

bool PushFeed::write(GBytes *bytes) {
  if (pad_) return push_direct(gst_buffer_new_wrapped_bytes(bytes));
  std::lock_guard<std::mutex> guard(lock_);
  if (closed_) return false;
  GstBuffer *buf = gst_buffer_new_wrapped_bytes(bytes);
  bytes_ += g_bytes_get_size(bytes);
  GstFlowReturn r = gst_app_src_push_buffer(GST_APP_SRC(appsrc_.get()), buf);
  if (r != GST_FLOW_OK) closed_ = true;
  return r == GST_FLOW_OK;
}

void PushFeed::end() {
  if (pad_) {
    std::lock_guard<std::mutex> push(push_lock_);
    {
      std::lock_guard<std::mutex> guard(lock_);
      if (closed_) return;
      closed_ = true;
    }
    gst_pad_push_event(pad_.get(), gst_event_new_eos());
    return;
  }
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

namespace {

// A source pad of no element, pushed by the writer's thread (see PushFeed::direct). Returns the
// bin, or null with `error`.
GstElement *build_direct(GRef<GstElement> bin, const std::string &stream, GstCaps *caps,
                         std::shared_ptr<PushFeed> *feed, GError **error) {
  GRef<GstPad> pad = GRef<GstPad>::adopt(gst_pad_new("push", GST_PAD_SRC));
  gst_pad_set_active(pad.get(), TRUE);
  GCharPtr stream_id(g_strdup_printf("push/%s", stream.c_str()));
  GstEvent *start = gst_event_new_stream_start(stream_id.get());
  gst_event_set_group_id(start, gst_util_group_id_next());
  GstSegment segment;
  gst_segment_init(&segment, GST_FORMAT_BYTES);
  // Sent ahead of the first buffer, once the demuxer is running.
  GRef<GstEvent> events[] = {GRef<GstEvent>::adopt(start),
                             GRef<GstEvent>::adopt(gst_event_new_caps(caps)),
                             GRef<GstEvent>::adopt(gst_event_new_segment(&segment))};
  for (auto &e : events) gst_pad_store_sticky_event(pad.get(), e.get());
  if (!input_parse_attach(GST_BIN(bin.get()), pad.get(), error)) return nullptr;
  *feed = PushFeed::direct(pad.get());
  return bin.release();
}

}  // namespace

GstElement *input_push_build(const std::string &stream, const char *container_caps,
                             std::shared_ptr<PushFeed> *feed, GError **error) {
  GRef<GstElement> bin = GRef<GstElement>::adopt(gst_bin_new(("push-" + stream).c_str()));
  // ESTUARY_PUSH_FEED=appsrc keeps FLV on an appsrc thread too (for comparisons).
  if (g_str_has_prefix(container_caps, "video/x-flv") &&
      g_strcmp0(g_getenv("ESTUARY_PUSH_FEED"), "appsrc") != 0) {
    GRef<GstCaps> flv = GRef<GstCaps>::adopt(gst_caps_from_string(container_caps));
    return build_direct(std::move(bin), stream, flv.get(), feed, error);
  }
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
