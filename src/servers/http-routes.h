// Which handler an HTTP output request goes to (manual 4.3 and the connectors' url_rel): pure
// parsing of the request path, HLS rendition names and the Host header. No I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "pipelines/output-formats.h"

namespace estuary {

struct HttpRoute {
  enum class Kind {
    kNotFound,
    kCrossdomain,   // /crossdomain.xml
    kResource,      // /player.js, /hls.min.js: `resource` is the GResource path
    kInfoJson,      // /json_NAME.js
    kInfoJs,        // /info_NAME.js
    kEmbedJs,       // /embed_NAME.js
    kHtml,          // /NAME.html
    kHlsMaster,     // /hls/NAME/index.m3u8
    kHlsMedia,      // /hls/NAME/RENDITION/index.m3u8
    kHlsSegment,    // /hls/NAME/RENDITION/SEQ.ts
    kProgressive,   // /NAME.EXT
  };
  Kind kind = Kind::kNotFound;
  std::string stream;     // sanitized (estuary::sanitize_stream_name); never empty unless kNotFound
  OutputFormat format = OutputFormat::kTS;  // kProgressive
  std::string rendition;  // kHlsMedia, kHlsSegment
  uint64_t sequence = 0;  // kHlsSegment
  std::string resource;   // kResource
};

// `path` is the request path as sent (percent-encoded); each part is decoded separately so an
// encoded '/' stays inside a stream name. Names that sanitize to "" give kNotFound.
HttpRoute route_http_path(const char *path);

// HLS rendition directory for a `?video=`/`?audio=` selection: "main" when neither is given,
// else "v<video>_a<audio>" (either part may be empty). Values may hold only [0-9a-z,]; nullopt
// for anything else (the request is refused).
std::optional<std::string> rendition_for(const char *video, const char *audio);
// The inverse; false for names rendition_for() never produces.
bool parse_rendition(const std::string &rendition, std::string *video, std::string *audio);

// The Host header if it is a plausible host[:port] (letters, digits, ".-_:[]" only, at most 255
// bytes), else nullopt. Used to build absolute URLs, so nothing else may pass.
std::optional<std::string> valid_host_header(const char *host);
// "example.com:8080" -> "example.com", "[::1]:80" -> "[::1]", "[::1]" -> "[::1]".
std::string host_without_port(const std::string &host);

}  // namespace estuary
