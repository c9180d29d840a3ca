#include "servers/rtmp-play.h"

#include <atomic>

#include "common/gref.h"
#include "servers/rtmp-connection.h"

#define GST_CAT_DEFAULT estuary_rtmp_debug

namespace estuary {

namespace {

struct Wake {
  std::atomic<bool> pending{false};
  GRef<GMainContext> context;
  std::function<void()> fn;  // run on `context` only

  static gboolean dispatch(gpointer data) {
    auto &wake = *static_cast<std::shared_ptr<Wake> *>(data);
    wake->pending.store(false);
    wake->fn();
    return G_SOURCE_REMOVE;
  }
  static void destroy(gpointer data) { delete static_cast<std::shared_ptr<Wake> *>(data); }
};

bool starts_flv_header(GstBuffer *buf) {
  guint8 magic[4];
  return gst_buffer_extract(buf, 0, magic, 4) == 4 && magic[0] == 'F' && magic[1] == 'L' &&
         magic[2] == 'V' && magic[3] == 1;
}

}  // namespace

std::function<void()> coalesced_wakeup(GMainContext *context, std::function<void()> fn) {
  auto wake = std::make_shared<Wake>();
  wake->context = GRef<GMainContext>::ref(context);
  wake->fn = std::move(fn);
  return [wake] {
    if (wake->pending.exchange(true)) return;
    GSource *source = g_idle_source_new();
    g_source_set_priority(source, G_PRIORITY_DEFAULT);
    g_source_set_callback(source, Wake::dispatch, new std::shared_ptr<Wake>(wake), Wake::destroy);
    g_source_attach(source, wake->context.get());
    g_source_unref(source);
  };
}

RtmpPlay::RtmpPlay(StreamDirectory &streams, std::shared_ptr<Fanout> fanout, std::string host,
                   std::string stream, std::function<void()> wakeup)
    : streams_(streams), fanout_(std::move(fanout)), stream_(std::move(stream)) {
  viewer_ = fanout_->add_viewer(std::move(wakeup));
  session_ = streams_.session_open(ViewerReport{std::move(host), stream_, "RTMP"});
}

RtmpPlay::~RtmpPlay() {
  viewer_->close();
  if (session_) streams_.session_close(session_);
}

std::string RtmpPlay::close_reason() const {
  return failed_ ? "the FLV output could not be parsed" : viewer_->close_reason();
}

bool RtmpPlay::pull_into(rtmp::Session &session) {
  if (failed_) return false;
  GRef<GstBuffer> buf = viewer_->pull();
  if (!buf) return false;
  // The fanout repeats the headers (FLV file header first) after skipping a slow viewer ahead:
  // start parsing afresh there, so the header is not read as a tag.
  if (starts_flv_header(buf.get())) reader_ = rtmp::FlvTagReader();
  BufferMap map(buf.get(), GST_MAP_READ);
  if (!map.ok()) return true;
  tags_.clear();
  if (reader_.feed(map.data(), map.size(), &tags_) != rtmp::FlvTagReader::Error::kNone) {
    GST_WARNING("%s: bad FLV from the stream's muxer; ending the RTMP player", stream_.c_str());
    failed_ = true;
    return false;
  }
  for (rtmp::FlvTag &tag : tags_) {
    if (tag.type != rtmp::kFlvAudio && tag.type != rtmp::kFlvVideo && tag.type != rtmp::kFlvScript)
      continue;
    if (tag.type != rtmp::kFlvScript) position_ms_ = tag.timestamp;
    session.send_media(tag.type, tag.timestamp, std::move(tag.body));
  }
  return true;
}

void RtmpPlay::report(guint64 down, guint64 up) {
  if (session_) streams_.session_update(session_, position_ms_, down, up);
}

}  // namespace estuary
