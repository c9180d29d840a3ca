#include "elements/estbuffer-ring.h"

#include <algorithm>

#include "elements/estbuffer-reader.h"

GST_DEBUG_CATEGORY(estuary_buffer_debug);
#define GST_CAT_DEFAULT estuary_buffer_debug

namespace estuary {

void estbuffer_debug_init() {
  static gsize once = 0;
  if (g_once_init_enter(&once)) {
    GST_DEBUG_CATEGORY_INIT(estuary_buffer_debug, "estuary-buffer", 0, "estuary stream buffer");
    g_once_init_leave(&once, 1);
  }
}

namespace {

// Codecs whose stream headers travel in caps and, flagged HEADER, again in-band: storing the
// in-band copies would hand them to muxers twice.
bool headers_in_caps(const CodecInfo &c) {
  return c.init &&
         (c.codec == "vorbis" || c.codec == "theora" || c.codec == "FLAC" || c.codec == "opus");
}

}  // namespace

BufferRing::BufferRing(std::string name) : name_(std::move(name)) {
  estbuffer_debug_init();
  g_mutex_init(&lock_);
  g_cond_init(&cond_);
  g_mutex_init(&listeners_lock_);
}

BufferRing::~BufferRing() {
  g_mutex_clear(&listeners_lock_);
  g_cond_clear(&cond_);
  g_mutex_clear(&lock_);
}

void BufferRing::set_settings(const RingSettings &s) {
  {
    MutexLock l(&lock_);
    settings_ = s;
    trim_locked();
  }
  notify();
}

RingSettings BufferRing::settings() const {
  MutexLock l(&lock_);
  return settings_;
}

void BufferRing::require_window(guint64 ms) {
  MutexLock l(&lock_);
  required_window_ms_ = std::max(required_window_ms_, ms);
}

guint64 BufferRing::window_ms() const {
  MutexLock l(&lock_);
  return std::max(settings_.buffer_time_ms, required_window_ms_);
}

BufferRing::Track *BufferRing::track_locked(guint id) {
  for (auto &t : tracks_) {
    if (t.id == id) return &t;
  }
  return nullptr;
}

// The track whose keys index the ring: the first video track, else the first audio track, else
// the first track. Readers start at its keys and the window is cut at its segment starts.
const BufferRing::Track *BufferRing::main_track_locked() const {
  for (TrackType type : {TrackType::kVideo, TrackType::kAudio, TrackType::kMeta}) {
    for (const auto &t : tracks_) {
      if (t.codec.type == type && (t.entries > 0 || t.active)) return &t;
    }
  }
  return nullptr;
}

void BufferRing::await_pad() {
  MutexLock l(&lock_);
  awaited_pads_++;
}

BufferRing::EndResult BufferRing::unawait_pad(guint64 *generation) {
  EndResult r;
  {
    MutexLock l(&lock_);
    if (awaited_pads_ > 0) awaited_pads_--;
    if (!ended_ && !epoch_started_ && epoch_ready_locked()) start_epoch_locked();
    r = check_end_locked(generation);
    g_cond_broadcast(&cond_);
  }
  notify();
  return r;
}

guint BufferRing::bind_track(GstCaps *caps) {
  CodecInfo ci;
  if (!codec_info_from_caps(caps, &ci)) return 0;
  MutexLock l(&lock_);
  if (ended_) return 0;
  // A fresh pad carrying what an ended track carried continues that track (resume).
  for (auto &t : tracks_) {
    if (!t.active && t.codec.type == ci.type && t.codec.codec == ci.codec) {
      t.active = true;
      t.codec = std::move(ci);
      t.caps = GRef<GstCaps>::ref(caps);
      GST_INFO("%s: pad resumes track %u", name_.c_str(), t.id);
      return t.id;
    }
  }
  Track t;
  t.id = next_track_id_++;
  t.codec = std::move(ci);
  t.caps = GRef<GstCaps>::ref(caps);
  GST_INFO("%s: new track %u %s %s", name_.c_str(), t.id, track_type_name(t.codec.type),
           t.codec.codec.c_str());
  tracks_.push_back(std::move(t));
  return tracks_.back().id;
}

void BufferRing::set_caps(guint id, GstCaps *caps) {
  CodecInfo ci;
  if (!codec_info_from_caps(caps, &ci)) return;
  MutexLock l(&lock_);
  if (Track *t = track_locked(id)) {
    t->codec = std::move(ci);
    t->caps = GRef<GstCaps>::ref(caps);
  }
}

BufferRing::PushResult BufferRing::push(guint id, GstBuffer *raw, gint64 rdts, gint64 rpts) {
  GRef<GstBuffer> buf = GRef<GstBuffer>::adopt(raw);
  PushResult r = PushResult::kStored;
  {
    MutexLock l(&lock_);
    if (ended_) return PushResult::kEnded;
    Track *t = track_locked(id);
    if (!t) return PushResult::kDropped;
    if (GST_BUFFER_FLAG_IS_SET(buf.get(), GST_BUFFER_FLAG_HEADER) && headers_in_caps(t->codec)) {
      return PushResult::kDropped;
    }
    const gint64 rt = GST_CLOCK_STIME_IS_VALID(rdts) ? rdts : rpts;
    if (!GST_CLOCK_STIME_IS_VALID(rt) && !epoch_started_) return PushResult::kDropped;
    if (stopped_) {
      // New data within resume-time: the stream continues; the pending expiry becomes stale.
      stopped_ = false;
      stop_generation_++;
      GST_INFO("%s: source resumed", name_.c_str());
    }
    t->active = true;
    if (epoch_started_) {
      r = store_locked(t, std::move(buf), rdts, rpts);
    } else {
      // The timeline offset of a source must come from its earliest decode time, which may be on
      // a track that has not delivered yet (B-frame video starts with DTS < 0 while audio starts
      // at 0). Hold the first buffers until every active track has one, or enough time passed.
      pending_.push_back(Pending{id, std::move(buf), rdts, rpts});
      if (!epoch_ready_locked()) return PushResult::kStored;
      start_epoch_locked();
    }
    g_cond_broadcast(&cond_);
  }
  notify();
  return r;
}

bool BufferRing::epoch_ready_locked() const {
  if (pending_.empty()) return false;
  gint64 lo = G_MAXINT64, hi = G_MININT64;
  for (const auto &p : pending_) {
    const gint64 rt = GST_CLOCK_STIME_IS_VALID(p.rdts) ? p.rdts : p.rpts;
    lo = std::min(lo, rt);
    hi = std::max(hi, rt);
  }
  const guint64 wait_ms = settings_.live ? kEpochWaitLiveMs : kEpochWaitVodMs;
  if (hi - lo >= static_cast<gint64>(wait_ms * GST_MSECOND)) return true;
  if (awaited_pads_ > 0) return false;
  for (const auto &t : tracks_) {
    if (!t.active) continue;
    bool has = false;
    for (const auto &p : pending_) has |= p.track == t.id;
    if (!has) return false;
  }
  return true;
}

void BufferRing::start_epoch_locked() {
  gint64 first = G_MAXINT64;
  for (const auto &p : pending_) {
    first = std::min(first, GST_CLOCK_STIME_IS_VALID(p.rdts) ? p.rdts : p.rpts);
  }
  epoch_started_ = true;
  if (!resumed_epoch_) {
    offset_ns_ = first < 0 ? -first : 0;
  } else {
    offset_ns_ = static_cast<gint64>(end_ns_) - first;
    discontinuities_ms_.push_back(end_ns_ / GST_MSECOND);
  }
  GST_DEBUG("%s: source timeline offset %" G_GINT64_FORMAT " ns", name_.c_str(), offset_ns_);
  std::deque<Pending> pending;
  pending.swap(pending_);
  for (auto &p : pending) {
    if (Track *t = track_locked(p.track)) store_locked(t, std::move(p.buf), p.rdts, p.rpts);
  }
}

BufferRing::PushResult BufferRing::store_locked(Track *t, GRef<GstBuffer> buf, gint64 rdts,
                                                gint64 rpts) {
  const guint id = t->id;
  const gint64 rt = GST_CLOCK_STIME_IS_VALID(rdts) ? rdts : rpts;
  const bool resumed = resumed_epoch_;
  // Stream time: decode time, kept non-decreasing per track (muxers require it).
  gint64 st = GST_CLOCK_STIME_IS_VALID(rt) ? std::max<gint64>(rt + offset_ns_, 0)
                                           : static_cast<gint64>(t->entries ? t->last_ns : end_ns_);
  const gint64 shift = (t->entries > 0 && st < static_cast<gint64>(t->last_ns))
                           ? static_cast<gint64>(t->last_ns) - st
                           : 0;
  st += shift;
  if (static_cast<guint64>(st) < settings_.cut_time_ms * GST_MSECOND) {
    t->have_key = false;  // a video track restarts at a key once past the cut
    return PushResult::kDropped;
  }
  const bool video = t->codec.type == TrackType::kVideo;
  const bool key = !video || !GST_BUFFER_FLAG_IS_SET(buf.get(), GST_BUFFER_FLAG_DELTA_UNIT);
  if (!key && !t->have_key) return PushResult::kDropped;  // undecodable without its key
  t->have_key = true;
  const bool discont = resumed && t->epoch_first;

  // Put the buffer on the stream timeline; only copies metadata when someone else holds it.
  GstClockTime dts =
      GST_BUFFER_DTS_IS_VALID(buf.get()) ? static_cast<GstClockTime>(st) : GST_CLOCK_TIME_NONE;
  GstClockTime pts = GST_CLOCK_TIME_NONE;
  if (GST_BUFFER_PTS_IS_VALID(buf.get())) {
    pts = GST_CLOCK_STIME_IS_VALID(rpts)
              ? static_cast<GstClockTime>(std::max<gint64>(rpts + offset_ns_ + shift, st))
              : static_cast<GstClockTime>(st);
    if (!GST_CLOCK_STIME_IS_VALID(rdts)) pts = st;
  }
  if (GST_BUFFER_DTS(buf.get()) != dts || GST_BUFFER_PTS(buf.get()) != pts ||
      (discont && !GST_BUFFER_FLAG_IS_SET(buf.get(), GST_BUFFER_FLAG_DISCONT))) {
    buf = GRef<GstBuffer>::adopt(gst_buffer_make_writable(buf.release()));
    GST_BUFFER_DTS(buf.get()) = dts;
    GST_BUFFER_PTS(buf.get()) = pts;
    if (discont) GST_BUFFER_FLAG_SET(buf.get(), GST_BUFFER_FLAG_DISCONT);
  }

  const guint64 ust = static_cast<guint64>(st);
  const guint64 seg_ns = settings_.segment_size_ms * GST_MSECOND;
  const bool first_in_epoch = t->epoch_first;
  const guint64 prev_ns = t->last_ns;
  const bool have_prev = t->entries > 0 && !first_in_epoch;
  const bool index_key =
      video ? key : (t->keys.empty() || first_in_epoch || ust - t->keys.back().time_ns >= seg_ns);
  RingEntry e;
  e.seq = seq_end_locked();
  e.track_id = id;
  e.buffer = buf;
  e.caps = t->caps;
  e.time_ns = ust;
  e.key = key;
  e.discont = discont;

  t->entries++;
  t->bytes += gst_buffer_get_size(buf.get());
  if (t->entries == 1) t->first_ns = ust;
  t->last_ns = ust;
  if (GST_BUFFER_DURATION_IS_VALID(buf.get())) {
    t->last_frame_ns = GST_BUFFER_DURATION(buf.get());
  } else if (have_prev) {
    t->last_frame_ns = ust - prev_ns;
  }
  end_ns_ = std::max(end_ns_, ust + t->last_frame_ns);
  t->epoch_first = false;

  if (index_key) {
    KeyRecord k;
    k.seq = e.seq;
    k.time_ns = ust;
    k.discont = discont;
    k.segment_start = !t->have_segment || discont || ust - t->segment_start_ns >= seg_ns;
    if (k.segment_start) {
      t->segment_start_ns = ust;
      t->have_segment = true;
    }
    t->keys.push_back(k);
  }
  if (!t->keys.empty()) {
    KeyRecord &k = t->keys.back();
    k.frames++;
    k.last_ns = ust;
    if (have_prev) {
      const guint64 fms = (ust - prev_ns) / GST_MSECOND;
      k.frame_ms_min = std::min(k.frame_ms_min, fms);
      k.frame_ms_max = std::max(k.frame_ms_max, fms);
    }
    if (GST_CLOCK_TIME_IS_VALID(pts)) {
      const gint64 bfr = (static_cast<gint64>(pts) - st) / static_cast<gint64>(GST_MSECOND);
      k.bfr_ms_min = std::min(k.bfr_ms_min, bfr);
      k.bfr_ms_max = std::max(k.bfr_ms_max, bfr);
    }
  }
  entries_.push_back(std::move(e));
  trim_locked();
  return PushResult::kStored;
}

void BufferRing::trim_locked() {
  const Track *m = main_track_locked();
  if (!m || m->keys.empty()) return;
  // Cut time: nothing before it stays; cut at the first segment start at or after it.
  const guint64 cut_ns = settings_.cut_time_ms * GST_MSECOND;
  if (cut_ns > 0 && m->keys.front().time_ns < cut_ns) {
    guint64 to = seq_end_locked();
    for (const auto &k : m->keys) {
      if (k.segment_start && k.time_ns >= cut_ns) {
        to = k.seq;
        break;
      }
    }
    drop_front_locked(to);
    m = main_track_locked();
    if (!m || m->keys.empty()) return;
  }
  if (!settings_.live) return;  // VoD keeps everything
  // DVR window: drop whole segments from the front while what stays still spans the window.
  const guint64 window_ns = std::max(settings_.buffer_time_ms, required_window_ms_) * GST_MSECOND;
  guint64 newest = 0;
  for (const auto &t : tracks_) newest = std::max(newest, t.entries ? t.last_ns : 0);
  guint64 to = 0;
  for (size_t i = 1; i < m->keys.size(); i++) {
    const KeyRecord &k = m->keys[i];
    if (newest < k.time_ns || newest - k.time_ns < window_ns) break;
    if (k.segment_start) to = k.seq;
  }
  if (to > first_seq_) drop_front_locked(to);
}

void BufferRing::drop_front_locked(guint64 seq) {
  bool dropped = false;
  while (!entries_.empty() && entries_.front().seq < seq) {
    const RingEntry &e = entries_.front();
    if (Track *t = track_locked(e.track_id)) {
      t->entries--;
      t->bytes -= gst_buffer_get_size(e.buffer.get());
    }
    entries_.pop_front();
    first_seq_++;
    dropped = true;
  }
  if (!dropped) return;
  size_t missing = 0;
  for (auto &t : tracks_) {
    while (!t.keys.empty() && t.keys.front().seq < seq) t.keys.pop_front();
    if (t.entries > 0) {
      t.first_ns = G_MAXUINT64;
      missing++;
    }
  }
  // First remaining time per track: one scan from the front until every track is found.
  for (auto it = entries_.begin(); missing > 0 && it != entries_.end(); ++it) {
    Track *t = track_locked(it->track_id);
    if (t && t->first_ns == G_MAXUINT64) {
      t->first_ns = it->time_ns;
      missing--;
    }
  }
  const guint64 front_ms = entries_.empty() ? 0 : entries_.front().time_ns / GST_MSECOND;
  auto old = std::remove_if(discontinuities_ms_.begin(), discontinuities_ms_.end(),
                            [&](guint64 ms) { return ms < front_ms; });
  discontinuities_ms_.erase(old, discontinuities_ms_.end());
  GST_LOG("%s: window now starts at seq %" G_GUINT64_FORMAT, name_.c_str(), first_seq_);
}

BufferRing::EndResult BufferRing::end_track(guint id, guint64 *generation) {
  EndResult r;
  {
    MutexLock l(&lock_);
    if (Track *t = track_locked(id)) t->active = false;
    // Buffers held for the timeline offset go in now if this track was the one awaited.
    if (!ended_ && !epoch_started_ && epoch_ready_locked()) start_epoch_locked();
    r = check_end_locked(generation);
    g_cond_broadcast(&cond_);
  }
  notify();
  return r;
}

// The source has stopped when no track is active and no pad is still to bind one.
BufferRing::EndResult BufferRing::check_end_locked(guint64 *generation) {
  if (ended_ || stopped_ || awaited_pads_ > 0 || tracks_.empty()) return EndResult::kRunning;
  for (const auto &t : tracks_) {
    if (t.active) return EndResult::kRunning;
  }
  if (!epoch_started_ && !pending_.empty()) start_epoch_locked();
  if (!settings_.resume) {
    ended_ = true;
    GST_INFO("%s: source stopped, buffer ends", name_.c_str());
    return EndResult::kEnded;
  }
  stopped_ = true;
  // The next source starts a new epoch: shifted timeline, tracks restart at a key.
  epoch_started_ = false;
  resumed_epoch_ = true;
  for (auto &t : tracks_) {
    t.have_key = false;
    t.epoch_first = true;
  }
  if (generation) *generation = ++stop_generation_;
  GST_INFO("%s: source stopped, waiting %" G_GUINT64_FORMAT " ms for it to resume", name_.c_str(),
           settings_.resume_time_ms);
  return EndResult::kStopped;
}

bool BufferRing::expire(guint64 generation) {
  {
    MutexLock l(&lock_);
    if (ended_ || !stopped_ || generation != stop_generation_) return false;
    ended_ = true;
    g_cond_broadcast(&cond_);
    GST_INFO("%s: no source within resume time, buffer ends", name_.c_str());
  }
  notify();
  return true;
}

bool BufferRing::ended() const {
  MutexLock l(&lock_);
  return ended_;
}

StreamMeta BufferRing::snapshot() const {
  MutexLock l(&lock_);
  StreamMeta m;
  m.live = settings_.live;
  m.ended = ended_;
  m.discontinuities_ms = discontinuities_ms_;
  for (const auto &t : tracks_) {
    if (t.entries == 0 && !t.active) continue;
    TrackMeta tm;
    tm.trackid = t.id;
    tm.codec = t.codec;
    tm.caps = t.caps;
    tm.active = t.active;
    tm.bytes = t.bytes;
    tm.frames = t.entries;
    if (t.entries > 0) {
      tm.firstms = t.first_ns / GST_MSECOND;
      tm.lastms = t.last_ns / GST_MSECOND;
    }
    const guint64 dur_ms = tm.lastms - tm.firstms;
    tm.bps = dur_ms ? t.bytes * 1000 / dur_ms : t.bytes;
    tm.fpks = t.codec.fpks;
    if (!tm.fpks && t.codec.type == TrackType::kVideo && t.entries > 1 && dur_ms) {
      tm.fpks = static_cast<guint>((t.entries - 1) * 1000000 / dur_ms);
    }
    KeyStats &ks = tm.keys;
    ks.keys = t.keys.size();
    // Durations and frame counts from complete keys; the open last key only when it is alone.
    const size_t complete = t.keys.size() > 1 ? t.keys.size() - 1 : t.keys.size();
    bool first = true, first_fms = true, first_bfr = true;
    for (size_t i = 0; i < t.keys.size(); i++) {
      const KeyRecord &k = t.keys[i];
      if (i < complete) {
        const guint64 end =
            i + 1 < t.keys.size() ? t.keys[i + 1].time_ns : k.last_ns + t.last_frame_ns;
        const guint64 ms = (end - k.time_ns) / GST_MSECOND;
        ks.frames_min = first ? k.frames : std::min(ks.frames_min, k.frames);
        ks.frames_max = std::max(ks.frames_max, k.frames);
        ks.ms_min = first ? ms : std::min(ks.ms_min, ms);
        ks.ms_max = std::max(ks.ms_max, ms);
        first = false;
      }
      if (k.frame_ms_min != G_MAXUINT64) {
        ks.frame_ms_min = first_fms ? k.frame_ms_min : std::min(ks.frame_ms_min, k.frame_ms_min);
        ks.frame_ms_max = std::max(ks.frame_ms_max, k.frame_ms_max);
        first_fms = false;
      }
      if (k.bfr_ms_min != G_MAXINT64) {
        ks.bfrms_min = first_bfr ? k.bfr_ms_min : std::min(ks.bfrms_min, k.bfr_ms_min);
        ks.bfrms_max = first_bfr ? k.bfr_ms_max : std::max(ks.bfrms_max, k.bfr_ms_max);
        first_bfr = false;
      }
    }
    m.tracks.push_back(std::move(tm));
  }
  if (const Track *main = main_track_locked()) {
    for (const auto &k : main->keys) {
      if (!k.segment_start) continue;
      if (!m.segments.empty()) {
        m.segments.back().duration_ms = (k.time_ns / GST_MSECOND) - m.segments.back().start_ms;
      }
      SegmentInfo s;
      s.seq = k.seq;
      s.start_ms = k.time_ns / GST_MSECOND;
      s.discont = k.discont;
      m.segments.push_back(s);
    }
  }
  return m;
}

guint64 BufferRing::latest_key_seq_locked() const {
  const Track *m = main_track_locked();
  return (m && !m->keys.empty()) ? m->keys.back().seq : seq_end_locked();
}

guint64 BufferRing::time_seq_locked(guint64 ms) const {
  const Track *m = main_track_locked();
  if (!m || m->keys.empty()) return first_seq_;
  guint64 seq = m->keys.front().seq;
  for (const auto &k : m->keys) {
    if (k.time_ns > ms * GST_MSECOND) break;
    seq = k.seq;
  }
  return seq;
}

void BufferRing::add_listener(BufferReader *r) {
  MutexLock l(&listeners_lock_);
  listeners_.push_back(r);
}

void BufferRing::remove_listener(BufferReader *r) {
  MutexLock l(&listeners_lock_);
  listeners_.erase(std::remove(listeners_.begin(), listeners_.end(), r), listeners_.end());
}

void BufferRing::notify() {
  MutexLock l(&listeners_lock_);
  for (BufferReader *r : listeners_) r->wake();
}

}  // namespace estuary
