#include "pipelines/output-hub.h"

#include <sstream>

#include "elements/estbuffer-reader.h"
#include "elements/estbuffer-ring.h"
#include "pipelines/output-branch.h"
#include "pipelines/output-feed.h"
#include "pipelines/output-segmenter.h"

GST_DEBUG_CATEGORY_STATIC(hub_debug);
#define GST_CAT_DEFAULT hub_debug

namespace estuary {

namespace {

void ensure_debug() {
  static gsize once = 0;
  if (g_once_init_enter(&once)) {
    GST_DEBUG_CATEGORY_INIT(hub_debug, "estuary-outputs", 0, "per-stream output branches");
    g_once_init_leave(&once, 1);
  }
}

std::vector<guint> parse_ids(const char *value, bool *none) {
  std::vector<guint> ids;
  *none = false;
  if (!value || !*value) return ids;
  if (g_str_equal(value, "none") || g_str_equal(value, "0")) {
    *none = true;
    return ids;
  }
  GStrvPtr parts(g_strsplit(value, ",", 16));
  for (gchar **p = parts.get(); *p; p++) {
    guint64 id = g_ascii_strtoull(*p, nullptr, 10);
    if (id > 0 && id < G_MAXUINT) ids.push_back(static_cast<guint>(id));
  }
  return ids;
}

// Collects a branch's whole output into one block of memory (VoD files).
struct FileCollector {
  std::mutex lock;
  GByteArray *data = g_byte_array_new();
  ~FileCollector() { g_byte_array_unref(data); }
  void append(GstBuffer *buf) {
    BufferMap map(buf, GST_MAP_READ);
    if (!map.ok()) return;
    std::lock_guard<std::mutex> guard(lock);
    g_byte_array_append(data, map.data(), static_cast<guint>(map.size()));
  }
};

}  // namespace

std::string TrackRequest::key() const {
  std::ostringstream out;
  out << (no_video ? "v-" : "v");
  for (guint id : video) out << id << ',';
  out << (no_audio ? "a-" : "a");
  for (guint id : audio) out << id << ',';
  return out.str();
}

TrackRequest TrackRequest::parse(const char *video, const char *audio) {
  TrackRequest r;
  r.video = parse_ids(video, &r.no_video);
  r.audio = parse_ids(audio, &r.no_audio);
  return r;
}

// One running branch: the muxer, its consumer (a fanout, a segment store, or a file) and the feed
// from the stream buffer into it (output-feed.h: on the producer's thread, or a pump thread).
struct OutputBranchState {
  std::unique_ptr<FormatBranch> branch;
  std::shared_ptr<Fanout> fanout;
  std::shared_ptr<SegmentStore> store;
  std::unique_ptr<TsSegmenter> segmenter;
  std::shared_ptr<FileCollector> file;
  std::unique_ptr<BranchFeed> feed;  // declared last: stopped first when the state goes

  // File targets: completed file, or the reason it failed, and who waits for it.
  std::mutex file_lock;  // guards the three members below
  GRef<GBytes> file_bytes;
  std::string file_error;
  std::vector<OutputHub::FileReady> file_waiters;

  bool finished() const { return feed && feed->finished(); }

  void file_done(GBytes *bytes, const std::string &error) {
    std::vector<OutputHub::FileReady> waiters;
    {
      std::lock_guard<std::mutex> guard(file_lock);
      if (file_bytes || !file_error.empty()) return;
      if (bytes) file_bytes = GRef<GBytes>::ref(bytes);
      else file_error = error.empty() ? "the file could not be made" : error;
      waiters.swap(file_waiters);
    }
    for (auto &w : waiters) w(bytes, error);
  }

  // Not from a branch Sink callback. After feed->stop() nothing pushes into the branch any more.
  void stop() {
    if (feed) feed->stop();
    if (branch) branch->stop();
    if (fanout) fanout->end();
    if (store && !store->ended()) store->end();
    file_done(nullptr, "the stream stopped");
  }
};

OutputHub::OutputHub(std::string stream, std::shared_ptr<BufferRing> ring, bool live,
                     guint64 segment_ms)
    : stream_(std::move(stream)), ring_(std::move(ring)), live_(live), segment_ms_(segment_ms) {
  ensure_debug();
}

OutputHub::~OutputHub() { stop(); }

void OutputHub::stop() {
  std::map<std::string, std::shared_ptr<OutputBranchState>> branches;
  {
    std::lock_guard<std::mutex> guard(lock_);
    stopped_ = true;
    branches.swap(branches_);
  }
  for (auto &[key, state] : branches) state->stop();
}

std::vector<TrackRef> OutputHub::tracks() const {
  std::vector<TrackRef> out;
  StreamMeta meta = ring_->snapshot();
  for (const TrackMeta &t : meta.tracks) {
    if (!t.active && live_) continue;
    out.push_back(TrackRef{t.trackid, codec_from_caps(t.caps.get())});
  }
  return out;
}

std::shared_ptr<OutputBranchState> OutputHub::start_branch(OutputFormat format,
                                                           const TrackRequest &request,
                                                           Target target, std::string *reason) {
  StreamMeta meta = ring_->snapshot();
  std::vector<TrackRef> refs;
  std::map<guint, GRef<GstCaps>> caps_of;
  for (const TrackMeta &t : meta.tracks) {
    Codec codec = codec_from_caps(t.caps.get());
    TrackKind kind = kind_of(codec);
    if (kind == TrackKind::kVideo && request.no_video) continue;
    if (kind == TrackKind::kAudio && request.no_audio) continue;
    const std::vector<guint> &wanted = kind == TrackKind::kVideo ? request.video : request.audio;
    if ((kind == TrackKind::kVideo || kind == TrackKind::kAudio) && !wanted.empty() &&
        std::find(wanted.begin(), wanted.end(), t.trackid) == wanted.end())
      continue;
    refs.push_back(TrackRef{t.trackid, codec});
    caps_of[t.trackid] = t.caps;
  }
  if (refs.empty()) {
    *reason = "the stream has no tracks matching the request";
    return nullptr;
  }
  TrackSelection sel = select_tracks(format, refs);
  if (sel.selected.empty()) {
    *reason = sel.error.empty() ? std::string(format_name(format)) + " cannot carry this stream"
                                : sel.error;
    return nullptr;
  }

  auto state = std::make_shared<OutputBranchState>();
  GError *error = nullptr;
  state->branch = FormatBranch::create(format, stream_, &error);
  if (!state->branch) {
    *reason = error ? error->message : "muxer unavailable";
    g_clear_error(&error);
    return nullptr;
  }
  switch (target) {
    case Target::kFanout:
      state->fanout = Fanout::create(stream_ + "/" + format_name(format));
      state->branch->set_sink(FormatBranch::sink_for(state->fanout));
      break;
    case Target::kHls: {
      SegmentStore::Options opts;
      opts.live = live_;
      // A live stream that stops and starts again must not reuse segment URLs: caches keep
      // segments as immutable, and players expect the media sequence to grow. Starting at the
      // wall clock in tenths of a second stays ahead of any earlier run of this stream (whose
      // segments are >= 0.1 s each) and needs no state kept across runs.
      if (live_) opts.first_sequence = static_cast<uint64_t>(g_get_real_time() / 100000);
      state->store = std::make_shared<SegmentStore>(opts);
      state->segmenter = std::make_unique<TsSegmenter>(state->store, segment_ms_);
      state->branch->set_sink(state->segmenter->sink());
      break;
    }
    case Target::kFile: {
      state->file = std::make_shared<FileCollector>();
      FormatBranch::Sink sink;
      auto file = state->file;
      OutputBranchState *raw = state.get();  // the state outlives its branch
      sink.on_headers = [file](const std::vector<GstBuffer *> &headers) {
        for (GstBuffer *h : headers) file->append(h);
      };
      sink.on_buffer = [file](GstBuffer *buf) { file->append(buf); };
      sink.on_eos = [file, raw]() {
        GRef<GBytes> bytes;
        {
          std::lock_guard<std::mutex> guard(file->lock);
          bytes = GRef<GBytes>::adopt(g_bytes_new(file->data->data, file->data->len));
        }
        raw->file_done(bytes.get(), "");
      };
      sink.on_error = [raw](const std::string &m) { raw->file_done(nullptr, m); };
      state->branch->set_sink(std::move(sink));
      break;
    }
  }
  std::vector<guint> selected;
  for (guint32 id : sel.selected) {
    if (!state->branch->add_track(id, caps_of[id].get(), &error)) {
      GST_INFO("%s: %s: track %u left out: %s", stream_.c_str(), format_name(format), id,
               error ? error->message : "?");
      g_clear_error(&error);
      continue;
    }
    selected.push_back(id);
  }
  if (selected.empty() || !state->branch->start(&error)) {
    *reason = error ? error->message : std::string(format_name(format)) + " cannot carry this stream";
    g_clear_error(&error);
    return nullptr;
  }
  BufferReader::Options ropts;
  ropts.start = live_ ? BufferReader::Start::kLatestKey : BufferReader::Start::kOldest;
  ropts.tracks = selected;
  // A branch that muxes in place runs on the producer's thread (output-feed.h). VoD keeps the
  // pump thread: its first drain is the whole file, which must not hold the thread that asked.
  const BranchFeed::Mode mode = live_ && state->branch->muxes_in_place()
                                    ? BranchFeed::Mode::kInline
                                    : BranchFeed::Mode::kThread;
  BranchFeed::DiscontHook on_discont;
  if (TsSegmenter *seg = state->segmenter.get())
    on_discont = [seg](GstClockTime ts) { seg->discontinuity_at(ts); };
  state->feed = std::make_unique<BranchFeed>(std::make_unique<BufferReader>(ring_, ropts),
                                             state->branch.get(), mode, std::move(on_discont));
  // Inline, this catches up from the latest keyframe here, under lock_ (a GOP, muxed in place).
  state->feed->start();
  GST_INFO("%s: %s branch started with %zu tracks, fed %s", stream_.c_str(), format_name(format),
           selected.size(), mode == BranchFeed::Mode::kInline ? "inline" : "by a pump thread");
  return state;
}

std::shared_ptr<Fanout> OutputHub::progressive(OutputFormat format, const TrackRequest &tracks,
                                               std::string *reason) {
  std::string key = std::string("live/") + format_name(format) + "/" + tracks.key();
  std::lock_guard<std::mutex> guard(lock_);
  if (stopped_) {
    *reason = "the stream stopped";
    return nullptr;
  }
  auto it = branches_.find(key);
  if (it != branches_.end() && !it->second->finished()) return it->second->fanout;
  auto state = start_branch(format, tracks, Target::kFanout, reason);
  if (!state) return nullptr;
  if (it != branches_.end()) it->second->stop();
  branches_[key] = state;
  return state->fanout;
}

std::shared_ptr<SegmentStore> OutputHub::hls(const TrackRequest &tracks, std::string *reason) {
  std::string key = "hls/" + tracks.key();
  std::lock_guard<std::mutex> guard(lock_);
  if (stopped_) {
    *reason = "the stream stopped";
    return nullptr;
  }
  auto it = branches_.find(key);
  if (it != branches_.end()) return it->second->store;
  auto state = start_branch(OutputFormat::kTS, tracks, Target::kHls, reason);
  if (!state) return nullptr;
  branches_[key] = state;
  return state->store;
}

void OutputHub::vod_file(OutputFormat format, const TrackRequest &tracks, FileReady done) {
  std::string key = std::string("file/") + format_name(format) + "/" + tracks.key();
  std::shared_ptr<OutputBranchState> state;
  std::string reason;
  {
    std::lock_guard<std::mutex> guard(lock_);
    if (stopped_) reason = "the stream stopped";
    else if (auto it = branches_.find(key); it != branches_.end()) state = it->second;
    else if ((state = start_branch(format, tracks, Target::kFile, &reason))) branches_[key] = state;
  }
  if (!state) {
    done(nullptr, reason);
    return;
  }
  GRef<GBytes> ready;
  std::string error;
  {
    std::lock_guard<std::mutex> guard(state->file_lock);
    if (!state->file_bytes && state->file_error.empty()) {
      state->file_waiters.push_back(std::move(done));
      return;
    }
    ready = state->file_bytes;
    error = state->file_error;
  }
  done(ready.get(), error);
}

}  // namespace estuary
