#include "servers/http-hls.h"

#include <algorithm>

#include "elements/estbuffer-ring.h"
#include "protocols/hls/codecs.h"
#include "protocols/hls/playlist.h"

#define GST_CAT_DEFAULT estuary_http_debug

namespace estuary {

namespace {

constexpr const char *kPlaylistType = "application/vnd.apple.mpegurl";
constexpr const char *kPlaylistCache = "max-age=1";
// A live segment URL names one immutable piece of one stream run (live media sequences start
// at the wall clock, so a restarted stream never reuses one): any cache may keep it.
constexpr const char *kSegmentCache = "public, max-age=31536000, immutable";
// VoD segments are numbered from 0 on every run, and the file behind them may be replaced:
// cacheable, but not forever.
constexpr const char *kVodSegmentCache = "public, max-age=3600";
constexpr gint64 kVodSegmentingWaitUs = 60 * G_USEC_PER_SEC;
constexpr gint64 kReportIntervalUs = G_USEC_PER_SEC;

const char *nullable(const std::string &s) { return s.empty() ? nullptr : s.c_str(); }

bool wanted(const std::vector<guint> &ids, bool none, guint id) {
  if (none) return false;
  return ids.empty() || std::find(ids.begin(), ids.end(), id) != ids.end();
}

// The tracks the TS segments carry for `request`: the stream's tracks the request admits, as
// the TS format selects them.
std::vector<uint32_t> hls_tracks(LiveStream &stream, const TrackRequest &request) {
  std::vector<TrackRef> admitted;
  for (const TrackRef &t : stream.outputs().tracks()) {
    TrackKind kind = kind_of(t.codec);
    if (kind == TrackKind::kVideo && !wanted(request.video, request.no_video, t.id)) continue;
    if (kind == TrackKind::kAudio && !wanted(request.audio, request.no_audio, t.id)) continue;
    admitted.push_back(t);
  }
  return select_tracks(OutputFormat::kTS, admitted).selected;
}

std::string codec_string(const TrackMeta &t) {
  gsize size = 0;
  const uint8_t *init =
      t.codec.init ? static_cast<const uint8_t *>(g_bytes_get_data(t.codec.init.get(), &size))
                   : nullptr;
  const std::string &c = t.codec.codec;
  if (c == "H264") return init ? hls::avc_codec_string(init, size) : "";
  if (c == "HEVC") return init ? hls::hevc_codec_string(init, size) : "";
  if (c == "AAC") return hls::aac_codec_string(init, size);
  if (c == "MP3") return "mp4a.40.34";
  if (c == "AC3") return "ac-3";
  if (c == "EAC3") return "ec-3";
  return "";
}

// One #EXT-X-STREAM-INF for the store's rendition. CODECS is left out when any track's string is
// unknown: a wrong or partial list makes players refuse the variant, no list does not.
hls::Variant variant_for(LiveStream &stream, SegmentStore &store, const TrackRequest &request,
                         const std::string &uri) {
  hls::Variant v;
  v.uri = uri;
  std::vector<uint32_t> ids = hls_tracks(stream, request);
  StreamMeta meta = stream.ring()->snapshot();
  std::vector<std::string> codecs;
  bool codecs_known = true;
  guint64 bps = 0;
  for (const TrackMeta &t : meta.tracks) {
    if (std::find(ids.begin(), ids.end(), t.trackid) == ids.end()) continue;
    bps += t.bps * 8;
    if (t.codec.type == TrackType::kVideo &&
        t.codec.width * t.codec.height > static_cast<guint>(v.width * v.height)) {
      v.width = static_cast<int>(t.codec.width);
      v.height = static_cast<int>(t.codec.height);
      if (t.fpks) v.frame_rate = t.fpks / 1000.0;
    }
    std::string s = codec_string(t);
    if (s.empty()) codecs_known = false;
    codecs.push_back(s);
  }
  if (codecs_known && !codecs.empty()) {
    for (size_t i = 0; i < codecs.size(); i++) v.codecs += (i ? "," : "") + codecs[i];
  }
  v.bandwidth = store.bandwidth_bps();
  if (v.bandwidth == 0) v.bandwidth = bps ? bps : 1;
  return v;
}

// A request waiting on the HTTP context until `ready()` holds (checked each time the store
// changes) or its deadline passes; then `done` runs once, unless the client left first.
class StoreWait : public std::enable_shared_from_this<StoreWait> {
 public:
  StoreWait(http::Exchange ex, std::shared_ptr<SegmentStore> store, std::function<bool()> ready,
            std::function<void(bool ready)> done)
      : ex_(std::move(ex)), store_(std::move(store)), ready_(std::move(ready)),
        done_(std::move(done)) {}

  void start(GMainContext *context, gint64 timeout_us) {
    auto self = shared_from_this();
    // The store calls from the muxer's thread: hop to the HTTP thread before looking.
    std::weak_ptr<StoreWait> weak = self;
    GRef<GMainContext> ctx = GRef<GMainContext>::ref(context);
    listener_ = store_->add_listener([weak, ctx] {
      if (auto wait = weak.lock()) invoke(ctx.get(), std::move(wait), false);
    });
    timer_ = GRef<GSource>::adopt(g_timeout_source_new(static_cast<guint>(timeout_us / 1000)));
    g_source_set_callback(
        timer_.get(),
        [](gpointer data) -> gboolean {
          (*static_cast<std::shared_ptr<StoreWait> *>(data))->check(true);
          return G_SOURCE_REMOVE;
        },
        new std::shared_ptr<StoreWait>(self),
        [](gpointer data) { delete static_cast<std::shared_ptr<StoreWait> *>(data); });
    g_source_attach(timer_.get(), context);
    // A client that leaves ends the wait at once.
    ex_->on_gone([weak] {
      if (auto wait = weak.lock()) wait->finish();
    });
    check(false);  // a segment added between the caller's look and add_listener()
  }

 private:
  static void invoke(GMainContext *context, std::shared_ptr<StoreWait> wait, bool deadline) {
    struct Call {
      std::shared_ptr<StoreWait> wait;
      bool deadline;
    };
    g_main_context_invoke_full(
        context, G_PRIORITY_DEFAULT,
        [](gpointer data) -> gboolean {
          auto *call = static_cast<Call *>(data);
          call->wait->check(call->deadline);
          return G_SOURCE_REMOVE;
        },
        new Call{std::move(wait), deadline}, [](gpointer data) { delete static_cast<Call *>(data); });
  }

  // HTTP thread only.
  void check(bool deadline) {
    if (finished_) return;
    if (!ex_->alive()) {
      finish();
      return;
    }
    const bool ok = ready_();
    if (!ok && !deadline) return;
    finish();
    done_(ok);
  }

  void finish() {
    if (finished_) return;
    finished_ = true;
    store_->remove_listener(listener_);
    if (timer_) g_source_destroy(timer_.get());
  }

  http::Exchange ex_;
  std::shared_ptr<SegmentStore> store_;
  std::function<bool()> ready_;
  std::function<void(bool)> done_;
  uint64_t listener_ = 0;
  GRef<GSource> timer_;
  bool finished_ = false;
};

void wait_until(HttpServerState &state, const http::Exchange &ex,
                const std::shared_ptr<SegmentStore> &store, gint64 timeout_us,
                std::function<bool()> ready, std::function<void(bool)> done) {
  if (ready()) {
    done(true);
    return;
  }
  std::make_shared<StoreWait>(ex, store, std::move(ready), std::move(done))
      ->start(state.context.get(), timeout_us);
}

void respond_playlist(HttpServerState &state, HttpExchange &ex, const std::string &stream,
                      const std::string &text) {
  http::respond(ex, 200, kPlaylistType, text, kPlaylistCache);
  state.hls_sessions->touch(ex, stream, text.size(), -1);
}

void respond_segment(HttpServerState &state, HttpExchange &ex, const std::string &stream,
                     const HlsSegment &seg, bool live) {
  const gsize size = g_bytes_get_size(seg.data.get());
  const char *cache = live ? kSegmentCache : kVodSegmentCache;
  if (seg.fd >= 0) {
    // The memfd stays open as long as the segment's bytes are referenced: keep them until sent.
    http::add_cors(ex);
    ex.add_header("Cache-Control", cache);
    ex.respond_fd(200, "video/mp2t", seg.fd, 0, size, std::make_shared<GRef<GBytes>>(seg.data));
  } else {
    http::respond_bytes(ex, 200, "video/mp2t", seg.data.get(), cache);
  }
  gint64 position =
      GST_CLOCK_TIME_IS_VALID(seg.start) ? static_cast<gint64>(seg.start / GST_MSECOND) : -1;
  state.hls_sessions->touch(ex, stream, size, position);
}

void serve_stream(HttpServerState &state, const http::Exchange &ex, const HttpRoute &route,
                  const std::shared_ptr<LiveStream> &stream, const std::string &video,
                  const std::string &audio) {
  TrackRequest request = TrackRequest::parse(nullable(video), nullable(audio));
  std::string reason;
  std::shared_ptr<SegmentStore> store = stream->outputs().hls(request, &reason);
  if (!store) {
    GST_CAT_INFO(estuary_http_debug, "%s: no HLS: %s", route.stream.c_str(), reason.c_str());
    http::respond(*ex, 415, "text/plain", reason + "\n");
    return;
  }
  HttpServerState *st = &state;

  if (route.kind == HttpRoute::Kind::kHlsSegment) {
    std::optional<HlsSegment> seg = store->get(route.sequence);
    if (!seg || !seg->data) {
      http::respond(*ex, 404, "text/plain", "no such segment\n");
      return;
    }
    respond_segment(state, *ex, route.stream, *seg, stream->live());
    return;
  }

  bool live = stream->live();
  if (route.kind == HttpRoute::Kind::kHlsMaster) {
    auto rendition = rendition_for(nullable(video), nullable(audio));
    std::string uri = (rendition ? *rendition : std::string("main")) + "/index.m3u8";
    wait_until(
        state, ex, store, http::kStreamWaitMs * G_GINT64_CONSTANT(1000),
        [store] { return store->size() > 0 || store->ended(); },
        [st, ex, stream, store, request, uri, name = route.stream](bool ready) {
          if (!ready || store->size() == 0) {
            http::respond(*ex, 503, "text/plain", "no segments yet\n");
            return;
          }
          hls::MasterPlaylist master;
          master.variants.push_back(variant_for(*stream, *store, request, uri));
          respond_playlist(*st, *ex, name, hls::write_master_playlist(master));
        });
    return;
  }

  // Media playlist. VoD is segmented as fast as it can be read: wait for the whole list, since
  // a player given a list without #EXT-X-ENDLIST would play it as live, from near its end.
  gint64 timeout = live ? http::kStreamWaitMs * G_GINT64_CONSTANT(1000) : kVodSegmentingWaitUs;
  wait_until(
      state, ex, store, timeout, [store, live] { return store->ended() || (live && store->size() > 0); },
      [st, ex, store, name = route.stream](bool) {
        if (store->size() == 0) {
          http::respond(*ex, 503, "text/plain", "no segments yet\n");
          return;
        }
        respond_playlist(*st, *ex, name, hls::write_media_playlist(store->media_playlist()));
      });
}

}  // namespace

HlsSessions::HlsSessions(HttpServerState &state) : state_(state) {
  timer_ = g_timeout_source_new_seconds(5);
  g_source_set_callback(timer_, on_sweep, this, nullptr);
  g_source_attach(timer_, state_.context.get());
}

HlsSessions::~HlsSessions() {
  g_source_destroy(timer_);
  g_source_unref(timer_);
  for (auto &[key, e] : entries_) {
    state_.streams.session_update(e.id, e.position_ms, e.down, 0);
    state_.streams.session_close(e.id);
  }
}

void HlsSessions::touch(const HttpExchange &ex, const std::string &stream, guint64 bytes,
                        gint64 position_ms) {
  const std::string *ua = ex.header("User-Agent");
  std::string host = ex.remote_host();
  std::string key = host + "\n" + stream + "\n" + (ua ? *ua : "");
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    Entry e;
    e.id = state_.streams.session_open(ViewerReport{host, stream, "HLS"});
    GST_CAT_INFO(estuary_http_debug, "%s: HLS viewer %s joined", stream.c_str(), host.c_str());
    it = entries_.emplace(key, std::move(e)).first;
  }
  Entry &e = it->second;
  e.down += bytes;
  if (position_ms >= 0) e.position_ms = position_ms;
  e.last_us = g_get_monotonic_time();
  // Statistics once a second per session, as the other outputs report: a player fetching
  // segments back to back must not wake the control thread per request.
  if (e.last_us - e.reported_us < kReportIntervalUs) return;
  e.reported_us = e.last_us;
  state_.streams.session_update(e.id, e.position_ms, e.down, 0);
}

gboolean HlsSessions::on_sweep(gpointer self) {
  static_cast<HlsSessions *>(self)->sweep(g_get_monotonic_time());
  return G_SOURCE_CONTINUE;
}

void HlsSessions::sweep(gint64 now_us) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (now_us - it->second.last_us < kHlsSessionIdleUs) {
      ++it;
      continue;
    }
    GST_CAT_INFO(estuary_http_debug, "HLS session %s expired",
                 it->first.substr(0, it->first.find('\n')).c_str());
    state_.streams.session_update(it->second.id, it->second.position_ms, it->second.down, 0);
    state_.streams.session_close(it->second.id);
    it = entries_.erase(it);
  }
}

namespace hls_handler {

void serve(HttpServerState &state, const http::Exchange &ex, const HttpRoute &route) {
  std::string video, audio;
  if (route.kind == HttpRoute::Kind::kHlsMaster) {
    const std::string *v = ex->query("video");
    const std::string *a = ex->query("audio");
    if (!rendition_for(v ? v->c_str() : nullptr, a ? a->c_str() : nullptr)) {
      http::respond(*ex, 400, "text/plain", "bad track selection\n");
      return;
    }
    video = v ? *v : "";
    audio = a ? *a : "";
  } else if (!parse_rendition(route.rendition, &video, &audio)) {
    http::respond(*ex, 404, "text/plain", "no such rendition\n");
    return;
  }
  HttpServerState *st = &state;
  http::with_stream(
      state, ex, route.stream,
      [st, ex, route, video, audio](std::shared_ptr<LiveStream> stream) {
        serve_stream(*st, ex, route, stream, video, audio);
      },
      [ex](guint status, const std::string &error) {
        http::respond_json_error(*ex, status, error);
      });
}

}  // namespace hls_handler
}  // namespace estuary
