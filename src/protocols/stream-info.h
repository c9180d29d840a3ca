// The HTTP output info handler's answers (manual 4.3): the json_ object with its `source` list of
// playback methods, and the info_ JavaScript wrapper. Pure functions: no I/O and no server state;
// the HTTP server gathers the inputs (capabilities, enabled protocols, stream metadata, request
// host) and serves the result.
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include <string>
#include <vector>

namespace estuary::info {

// One enabled entry of `config.protocols`, as far as the source list is concerned.
struct EnabledProtocol {
  std::string connector;  // capabilities connector name: "HLS", "RTMP", ...
  guint port = 0;         // the entry's `port`; 0 when unset (the capabilities default applies)
};

// Reads `config.protocols` (transfer none; may be null): each object's `connector` and `port`.
// Entries without a connector are skipped; a connector listed twice is kept once (first entry).
std::vector<EnabledProtocol> enabled_protocols_from_config(JsonArray *protocols);

// What the source list needs to know about one track of the stream.
struct TrackSummary {
  std::string type;   // "video", "audio", "meta"
  std::string codec;  // MistServer spelling: "H264", "AAC", "opus", "subtitle", ...
  guint width = 0, height = 0;
};

// The tracks of a json_ `meta` object ({"tracks": {id: {type, codec, width, height...}}};
// transfer none), in member order. Members that are not objects are skipped.
std::vector<TrackSummary> tracks_from_meta(JsonObject *meta);

struct SourceQuery {
  std::string stream;  // canonical stream name; URL-escaped where it goes into a URL
  bool live = false;   // methods marked `nolive` are left out for live streams
  std::vector<TrackSummary> tracks;
  // Absolute base for connectors served by the HTTP listener (those without a `port` option),
  // without a trailing slash: "http://localhost:8080", or the configured public address.
  std::string http_base;
  // Host name (no port; IPv6 in brackets) for connectors with their own port: "localhost".
  std::string host;
};

// The manual's `source` list (transfer full): one entry per method of every enabled connector
// whose codec combinations can play at least one track of the stream, each
// {priority, relurl, simul_tracks, total_matches, type, url}, ordered by simul_tracks, then
// total_matches, then priority (all descending), then type and url (ascending) so the order is
// fully determined. `connectors` is the capabilities `connectors` object (transfer none).
//
// simul_tracks: for the best codec combination of the connector, how many of its track slots
// some track of the stream fills; total_matches: how many (slot codec, track) pairs match over
// all combinations. "*" in a codec list matches any codec. A `url_rel` ending in ".webm" becomes
// ".mkv" when the connector carries an audio/video track WebM cannot (anything but VP8, VP9, AV1,
// opus, vorbis), since the HTTP output refuses such a .webm.
JsonArray *build_sources(JsonObject *connectors, const std::vector<EnabledProtocol> &enabled,
                         const SourceQuery &query);

// The json_ answer (transfer full): {"type": "live"|"vod", "width", "height", "meta", "source"}.
// `meta` and `sources` are transfer none (referenced, not copied). width/height are those of the
// largest video track; without video 640x20 (room for an audio player's controls).
JsonObject *build_info(JsonObject *meta, JsonArray *sources, const SourceQuery &query);

// The info_ answer (manual 4.3.2) around the json_ text `json`.
std::string info_javascript(const std::string &stream, const std::string &json);

// A JavaScript string literal body for `s` (quotes, backslashes, control characters and "</"
// escaped), used to put stream names into scripts safely.
std::string javascript_escape(const std::string &s);

}  // namespace estuary::info
