#include "protocols/hls/playlist.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

namespace estuary::hls {

uint64_t target_duration_for(uint64_t longest_segment_ms) {
  return (longest_segment_ms + 999) / 1000;
}

namespace {

// Durations are written with millisecond precision ("2.002"), which every player parses and keeps
// the output byte-exact for tests.
std::string seconds_from_ms(uint64_t ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%" PRIu64 ".%03" PRIu64, ms / 1000, ms % 1000);
  return buf;
}

}  // namespace

std::string write_media_playlist(const MediaPlaylist &pl) {
  uint64_t longest = 0;
  for (const auto &s : pl.segments) longest = std::max(longest, s.duration_ms);
  uint64_t target = pl.target_duration_s ? pl.target_duration_s : target_duration_for(longest);
  // A target duration of 0 confuses players; one second is the smallest meaningful value.
  if (target == 0) target = 1;

  std::string out = "#EXTM3U\n";
  out += "#EXT-X-VERSION:" + std::to_string(pl.version) + "\n";
  out += "#EXT-X-TARGETDURATION:" + std::to_string(target) + "\n";
  out += "#EXT-X-MEDIA-SEQUENCE:" + std::to_string(pl.media_sequence) + "\n";
  if (pl.discontinuity_sequence > 0)
    out += "#EXT-X-DISCONTINUITY-SEQUENCE:" + std::to_string(pl.discontinuity_sequence) + "\n";
  if (pl.vod) out += "#EXT-X-PLAYLIST-TYPE:VOD\n";
  for (const auto &s : pl.segments) {
    if (s.discontinuity) out += "#EXT-X-DISCONTINUITY\n";
    out += "#EXTINF:" + seconds_from_ms(s.duration_ms) + ",\n";
    out += s.uri + "\n";
  }
  if (pl.vod || pl.ended) out += "#EXT-X-ENDLIST\n";
  return out;
}

namespace {

std::string quoted(const std::string &s) { return "\"" + s + "\""; }

}  // namespace

std::string write_master_playlist(const MasterPlaylist &pl) {
  std::string out = "#EXTM3U\n";
  out += "#EXT-X-VERSION:" + std::to_string(pl.version) + "\n";
  if (pl.independent_segments) out += "#EXT-X-INDEPENDENT-SEGMENTS\n";
  for (const auto &r : pl.renditions) {
    out += "#EXT-X-MEDIA:TYPE=" + r.type + ",GROUP-ID=" + quoted(r.group_id) +
           ",NAME=" + quoted(r.name);
    if (!r.language.empty()) out += ",LANGUAGE=" + quoted(r.language);
    out += std::string(",DEFAULT=") + (r.is_default ? "YES" : "NO");
    out += std::string(",AUTOSELECT=") + (r.autoselect ? "YES" : "NO");
    if (!r.uri.empty()) out += ",URI=" + quoted(r.uri);
    out += "\n";
  }
  for (const auto &v : pl.variants) {
    out += "#EXT-X-STREAM-INF:BANDWIDTH=" + std::to_string(v.bandwidth);
    if (!v.codecs.empty()) out += ",CODECS=" + quoted(v.codecs);
    if (v.width > 0 && v.height > 0)
      out += ",RESOLUTION=" + std::to_string(v.width) + "x" + std::to_string(v.height);
    if (v.frame_rate > 0) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.3f", v.frame_rate);
      out += std::string(",FRAME-RATE=") + buf;
    }
    if (!v.audio_group.empty()) out += ",AUDIO=" + quoted(v.audio_group);
    out += "\n" + v.uri + "\n";
  }
  return out;
}

}  // namespace estuary::hls
