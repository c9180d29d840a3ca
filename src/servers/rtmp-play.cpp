#include "servers/rtmp-play.h"

#include <atomic>

#include "common/gref.h"
#include "servers/rtmp-connection.h"

#define GST_CAT_DEFAULT estuary_rtmp_debug

namespace estuary {

namespace {

// Wakes are gathered for this long and served in one dispatch: a player then writes the few
// messages that arrived meanwhile with one syscall, and a thousand players cost one timer rather
// than a thousand idle sources per buffer. It delays a live player by at most this much.
constexpr guint kWakeBatchMs = 40;

struct Wake {
  std::atomic<bool> pending{false};
  std::function<void()> fn;  // run on the batch's context only
};

bool starts_flv_header(GstBuffer *buf) {
  guint8 magic[4];
  return gst_buffer_extract(buf, 0, magic, 4) == 4 && magic[0] == 'F' && magic[1] == 'L' &&
         magic[2] == 'V' && magic[3] == 1;
}

}  // namespace

struct PlayWakes {
  GRef<GMainContext> context;
  GMutex lock;  // guards the two fields below
  std::vector<std::shared_ptr<Wake>> ready;
  bool scheduled = false;

  explicit PlayWakes(GMainContext *c) : context(GRef<GMainContext>::ref(c)) { g_mutex_init(&lock); }
  ~PlayWakes() { g_mutex_clear(&lock); }

  static gboolean dispatch(gpointer data) {
    auto &self = *static_cast<std::shared_ptr<PlayWakes> *>(data);
    std::vector<std::shared_ptr<Wake>> ready;
    {
      MutexLock l(&self->lock);
      ready.swap(self->ready);
      self->scheduled = false;
    }
    for (auto &wake : ready) {
      wake->pending.store(false);
      wake->fn();
    }
    return G_SOURCE_REMOVE;
  }
  static void add(const std::shared_ptr<PlayWakes> &self, std::shared_ptr<Wake> wake) {
    MutexLock l(&self->lock);
    self->ready.push_back(std::move(wake));
    if (self->scheduled) return;
    self->scheduled = true;
    GSource *source = g_timeout_source_new(kWakeBatchMs);
    g_source_set_callback(source, dispatch, new std::shared_ptr<PlayWakes>(self),
                          [](gpointer d) { delete static_cast<std::shared_ptr<PlayWakes> *>(d); });
    g_source_attach(source, self->context.get());
    g_source_unref(source);
  }
};

std::shared_ptr<PlayWakes> make_play_wakes(GMainContext *context) {
  return std::make_shared<PlayWakes>(context);
}

std::function<void()> batched_wakeup(const std::shared_ptr<PlayWakes> &wakes,
                                     std::function<void()> fn) {
  auto wake = std::make_shared<Wake>();
  wake->fn = std::move(fn);
  return [wakes, wake] {
    if (wake->pending.exchange(true)) return;
    PlayWakes::add(wakes, wake);
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
