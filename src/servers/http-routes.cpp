#include "servers/http-routes.h"

#include <glib.h>

#include <vector>

#include "protocols/stream-name.h"
#include "protocols/text-fields.h"

namespace estuary {

namespace {

// Percent-decodes one path part; nullopt for malformed escapes or an encoded NUL.
std::optional<std::string> decode(const std::string &part) {
  char *d = g_uri_unescape_segment(part.data(), part.data() + part.size(), nullptr);
  if (!d) return std::nullopt;
  std::string out(d);
  g_free(d);
  return out;
}

std::vector<std::string> split(const std::string &s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    out.push_back(s.substr(start, pos == std::string::npos ? std::string::npos : pos - start));
    if (pos == std::string::npos) break;
    start = pos + 1;
  }
  return out;
}

bool ends_with(const std::string &s, const std::string &suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool starts_with(const std::string &s, const std::string &prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

// Sets route.stream from an encoded name part; false when nothing valid is left.
bool set_stream(HttpRoute &route, const std::string &encoded) {
  auto decoded = decode(encoded);
  if (!decoded) return false;
  route.stream = sanitize_stream_name(*decoded);
  return !route.stream.empty();
}

bool valid_rendition(const std::string &r) {
  std::string v, a;
  return parse_rendition(r, &v, &a);
}

bool valid_track_value(const char *v) {
  if (!v) return true;
  if (strlen(v) > 64) return false;
  for (const char *p = v; *p; p++) {
    if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || *p == ',')) return false;
  }
  return true;
}

HttpRoute route_hls(const std::vector<std::string> &parts) {
  // parts: "", "hls", NAME, ...
  HttpRoute r;
  if (parts.size() == 4 && parts[3] == "index.m3u8") {
    if (set_stream(r, parts[2])) r.kind = HttpRoute::Kind::kHlsMaster;
  } else if (parts.size() == 5 && valid_rendition(parts[3])) {
    if (!set_stream(r, parts[2])) return HttpRoute();
    r.rendition = parts[3];
    if (parts[4] == "index.m3u8") {
      r.kind = HttpRoute::Kind::kHlsMedia;
    } else if (ends_with(parts[4], ".ts") &&
               parse_decimal(parts[4].substr(0, parts[4].size() - 3), &r.sequence)) {
      r.kind = HttpRoute::Kind::kHlsSegment;
    }
  }
  if (r.kind == HttpRoute::Kind::kNotFound) return HttpRoute();
  return r;
}

}  // namespace

HttpRoute route_http_path(const char *path) {
  HttpRoute r;
  if (!path || path[0] != '/') return r;
  std::string p(path);
  if (p == "/crossdomain.xml") {
    r.kind = HttpRoute::Kind::kCrossdomain;
    return r;
  }
  if (p == "/player.js" || p == "/hls.min.js") {
    r.kind = HttpRoute::Kind::kResource;
    r.resource = "/org/estuary/player" + p;
    return r;
  }
  std::vector<std::string> parts = split(p, '/');
  if (parts.size() >= 3 && parts[1] == "hls") return route_hls(parts);
  if (parts.size() != 2) return r;
  const std::string &file = parts[1];

  struct Prefixed {
    const char *prefix;
    HttpRoute::Kind kind;
  };
  static const Prefixed kInfo[] = {{"json_", HttpRoute::Kind::kInfoJson},
                                   {"info_", HttpRoute::Kind::kInfoJs},
                                   {"embed_", HttpRoute::Kind::kEmbedJs}};
  if (ends_with(file, ".js")) {
    for (const Prefixed &pre : kInfo) {
      std::string prefix = pre.prefix;
      if (starts_with(file, prefix) && file.size() > prefix.size() + 3) {
        if (set_stream(r, file.substr(prefix.size(), file.size() - prefix.size() - 3))) {
          r.kind = pre.kind;
        }
        return r;
      }
    }
    return r;
  }
  if (ends_with(file, ".html")) {
    if (set_stream(r, file.substr(0, file.size() - 5))) r.kind = HttpRoute::Kind::kHtml;
    return r;
  }
  size_t dot = file.rfind('.');
  if (dot == std::string::npos || dot == 0) return r;
  std::string ext = file.substr(dot + 1);
  // Only extensions, not format names ("/x.webvtt" is not a URL any connector advertises).
  static const char *kExtensions[] = {"flv", "ts", "mp4", "webm", "mkv", "mp3",
                                      "aac", "ogg", "wav", "vtt", "srt"};
  for (const char *e : kExtensions) {
    if (ext != e) continue;
    auto format = format_from_name(ext);
    if (format && set_stream(r, file.substr(0, dot))) {
      r.kind = HttpRoute::Kind::kProgressive;
      r.format = *format;
    }
    return r;
  }
  return r;
}

std::optional<std::string> rendition_for(const char *video, const char *audio) {
  if (!valid_track_value(video) || !valid_track_value(audio)) return std::nullopt;
  if (!video && !audio) return std::string("main");
  return "v" + std::string(video ? video : "") + "_a" + std::string(audio ? audio : "");
}

bool parse_rendition(const std::string &rendition, std::string *video, std::string *audio) {
  if (rendition == "main") {
    video->clear();
    audio->clear();
    return true;
  }
  size_t sep = rendition.find("_a");
  if (rendition.size() < 3 || rendition[0] != 'v' || sep == std::string::npos) return false;
  std::string v = rendition.substr(1, sep - 1), a = rendition.substr(sep + 2);
  if (!valid_track_value(v.c_str()) || !valid_track_value(a.c_str())) return false;
  *video = v;
  *audio = a;
  return true;
}

std::optional<std::string> valid_host_header(const char *host) {
  if (!host || !*host || strlen(host) > 255) return std::nullopt;
  for (const char *p = host; *p; p++) {
    char c = *p;
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == '_' || c == ':' || c == '[' || c == ']';
    if (!ok) return std::nullopt;
  }
  return std::string(host);
}

std::string host_without_port(const std::string &host) {
  if (!host.empty() && host[0] == '[') {
    size_t close = host.find(']');
    return close == std::string::npos ? host : host.substr(0, close + 1);
  }
  size_t colon = host.find(':');
  if (colon != std::string::npos && host.find(':', colon + 1) == std::string::npos) {
    return host.substr(0, colon);
  }
  return host;  // no port, or a bare IPv6 address
}

}  // namespace estuary
