#include "servers/rtmp-play.h"

#include <atomic>

#include "common/gref.h"
#include "protocols/rtmp/flv-chunks.h"
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

// The RTMP chunks of one FLV fanout buffer's tags, made for every player of the stream.
struct SharedChunks {
  GRef<GBytes> bytes;  // null when the buffer is not whole FLV tags: players parse it themselves
  bool has_media = false;
  uint32_t last_media_timestamp = 0;
};

// Where the shared form is made: here, by the first RTMP player that pulls a buffer, and kept ON
// that buffer (qdata) rather than made by a second fanout format fed from the FLV branch. A
// stream nobody plays over RTMP never pays for it; HTTP-FLV viewers keep their FLV bytes; the
// chunks live exactly as long as the buffer does (keyframe cache, a viewer's queue), so there is
// no cache to evict and a buffer address cannot be reused while its chunks are reachable; and
// the fanout's rules (headers first, latest keyframe, skipping a slow viewer ahead) stay the
// only ones. The chunks are a copy of the tags, so the stream's keyframe cache is held twice
// while RTMP players are on it.
GQuark shared_chunks_quark() {
  static const GQuark quark = g_quark_from_static_string("estuary-rtmp-shared-chunks");
  return quark;
}

// Guards getting and setting that qdata: two RTMP listeners' threads may pull the same buffer,
// and a pointer from gst_mini_object_get_qdata() is only borrowed.
GMutex shared_chunks_lock;

std::shared_ptr<const SharedChunks> shared_chunks(GstBuffer *buf) {
  using Held = std::shared_ptr<const SharedChunks>;
  // A pooled buffer is revived rather than freed, with its qdata, and refilled: chunks kept on it
  // could outlive its bytes. Our FLV muxers never push pooled buffers; should one appear, its
  // players make their own chunks.
  if (buf->pool) return std::make_shared<SharedChunks>();
  GstMiniObject *obj = GST_MINI_OBJECT_CAST(buf);
  {
    MutexLock l(&shared_chunks_lock);
    if (auto *held = static_cast<Held *>(gst_mini_object_get_qdata(obj, shared_chunks_quark())))
      return *held;
  }
  auto made = std::make_shared<SharedChunks>();
  BufferMap map(buf, GST_MAP_READ);
  if (map.ok()) {
    if (auto chunked = rtmp::chunk_flv_tags(map.data(), map.size(), rtmp::kSharedChunkSize,
                                            rtmp::kSharedStreamId)) {
      made->has_media = chunked->has_media;
      made->last_media_timestamp = chunked->last_media_timestamp;
      made->bytes = bytes_taking(std::move(chunked->bytes));
    }
  }
  MutexLock l(&shared_chunks_lock);
  if (auto *held = static_cast<Held *>(gst_mini_object_get_qdata(obj, shared_chunks_quark())))
    return *held;  // another thread was first
  gst_mini_object_set_qdata(obj, shared_chunks_quark(), new Held(made),
                            [](gpointer p) { delete static_cast<Held *>(p); });
  return made;
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

bool RtmpPlay::pull_into(rtmp::ServerConnection &conn, GRef<GBytes> *shared) {
  if (failed_) return false;
  GRef<GstBuffer> buf = viewer_->pull();
  if (!buf) return false;
  // Shared chunks start at a tag boundary, so only a player whose own parser is at one may
  // switch to them (it always is with whole-tag buffers, which both FLV muxers push). Its parser
  // is left alone meanwhile: a header buffer is recognised below when the player parses again.
  if (reader_.buffered() == 0 && conn.takes_shared_media()) {
    std::shared_ptr<const SharedChunks> chunks = shared_chunks(buf.get());
    if (chunks->bytes) {
      if (chunks->has_media) position_ms_ = chunks->last_media_timestamp;
      *shared = chunks->bytes;
      set_path(true);
      return true;
    }
  }
  set_path(false);
  // The fanout repeats the headers (FLV file header first) after skipping a slow viewer ahead:
  // start parsing afresh there, so the header is not read as a tag.
  if (starts_flv_header(buf.get())) reader_ = rtmp::FlvTagReader();
  rtmp::Session &session = conn.session();
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

void RtmpPlay::set_path(bool shared) {
  const Path path = shared ? Path::kShared : Path::kOwn;
  if (path == path_) return;
  path_ = path;
  GST_DEBUG("%s: RTMP player %s", stream_.c_str(),
            shared ? "takes the stream's shared chunks" : "makes its own chunks");
}

void RtmpPlay::report(guint64 down, guint64 up) {
  if (session_) streams_.session_update(session_, position_ms_, down, up);
}

}  // namespace estuary
