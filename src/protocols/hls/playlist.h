// HLS playlist writers (RFC 8216): pure functions from a description to m3u8 text.
//
// No I/O and no server state: the HTTP layer builds a MediaPlaylist from the segment store and a
// MasterPlaylist from the stream's track metadata, and serves the returned text.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace estuary::hls {

struct MediaSegmentEntry {
  uint64_t duration_ms = 0;
  std::string uri;             // relative to the media playlist, e.g. "17.ts"
  bool discontinuity = false;  // writes #EXT-X-DISCONTINUITY before this segment
};

struct MediaPlaylist {
  int version = 3;
  uint64_t media_sequence = 0;          // sequence number of segments[0]
  uint64_t discontinuity_sequence = 0;  // written only when non-zero
  // Whole seconds. 0 means: ceil of the longest segment listed. A live writer passes the longest
  // segment it ever produced, because RFC 8216 forbids the value to change during a session.
  uint64_t target_duration_s = 0;
  bool vod = false;    // #EXT-X-PLAYLIST-TYPE:VOD
  bool ended = false;  // #EXT-X-ENDLIST (always written for vod)
  std::vector<MediaSegmentEntry> segments;
};

struct Rendition {             // one #EXT-X-MEDIA line
  std::string type = "AUDIO";  // AUDIO or SUBTITLES
  std::string group_id;
  std::string name;
  std::string language;  // omitted when empty
  bool is_default = false;
  bool autoselect = true;
  std::string uri;  // omitted when empty (rendition muxed into the variant)
};

struct Variant {              // one #EXT-X-STREAM-INF
  uint64_t bandwidth = 0;     // bits per second, peak
  int width = 0, height = 0;  // RESOLUTION written when both > 0
  double frame_rate = 0;      // FRAME-RATE written when > 0
  std::string codecs;         // RFC 6381 list, e.g. "avc1.64001f,mp4a.40.2"; omitted when empty
  std::string audio_group;    // AUDIO="..." when not empty
  std::string uri;
};

struct MasterPlaylist {
  int version = 3;
  bool independent_segments = true;
  std::vector<Rendition> renditions;
  std::vector<Variant> variants;
};

// Ceil of the duration in whole seconds, as #EXT-X-TARGETDURATION wants it.
uint64_t target_duration_for(uint64_t longest_segment_ms);

std::string write_media_playlist(const MediaPlaylist &playlist);
std::string write_master_playlist(const MasterPlaylist &playlist);

}  // namespace estuary::hls
