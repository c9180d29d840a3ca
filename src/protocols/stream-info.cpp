#include "protocols/stream-info.h"

#include <algorithm>
#include <cstring>
#include <set>

namespace estuary::info {

namespace {

const char *string_member(JsonObject *o, const char *name, const char *fallback) {
  JsonNode *n = o ? json_object_get_member(o, name) : nullptr;
  if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING) {
    return fallback;
  }
  return json_node_get_string(n);
}

gint64 int_member(JsonObject *o, const char *name, gint64 fallback) {
  JsonNode *n = o ? json_object_get_member(o, name) : nullptr;
  if (!n || !JSON_NODE_HOLDS_VALUE(n)) return fallback;
  GType t = json_node_get_value_type(n);
  if (t == G_TYPE_INT64) return json_node_get_int(n);
  if (t == G_TYPE_DOUBLE) return static_cast<gint64>(json_node_get_double(n));
  if (t == G_TYPE_STRING) {
    // MistServer configs often carry ports as strings.
    const char *s = json_node_get_string(n);
    char *end = nullptr;
    gint64 v = g_ascii_strtoll(s, &end, 10);
    if (end && end != s && *end == '\0') return v;
  }
  return fallback;
}

JsonObject *object_member(JsonObject *o, const char *name) {
  JsonNode *n = o ? json_object_get_member(o, name) : nullptr;
  return n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : nullptr;
}

JsonArray *array_member(JsonObject *o, const char *name) {
  JsonNode *n = o ? json_object_get_member(o, name) : nullptr;
  return n && JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n) : nullptr;
}

struct Matches {
  guint simul = 0;
  guint total = 0;
};

// MistServer's rule (manual 4.1.2 `codecs`): a combination is a list of track slots, each a list
// of codecs; a slot is filled when some track has one of its codecs.
Matches match_codecs(JsonArray *combinations, const std::vector<TrackSummary> &tracks) {
  Matches m;
  if (!combinations) return m;
  for (guint i = 0; i < json_array_get_length(combinations); i++) {
    JsonNode *combo_node = json_array_get_element(combinations, i);
    if (!JSON_NODE_HOLDS_ARRAY(combo_node)) continue;
    JsonArray *combo = json_node_get_array(combo_node);
    guint simul = 0;
    for (guint j = 0; j < json_array_get_length(combo); j++) {
      JsonNode *slot_node = json_array_get_element(combo, j);
      if (!JSON_NODE_HOLDS_ARRAY(slot_node)) continue;
      JsonArray *slot = json_node_get_array(slot_node);
      guint slot_matches = 0;
      for (guint k = 0; k < json_array_get_length(slot); k++) {
        JsonNode *codec_node = json_array_get_element(slot, k);
        if (!JSON_NODE_HOLDS_VALUE(codec_node) ||
            json_node_get_value_type(codec_node) != G_TYPE_STRING) {
          continue;
        }
        std::string codec = json_node_get_string(codec_node);
        for (const TrackSummary &t : tracks) {
          if (codec == "*" || codec == t.codec) slot_matches++;
        }
      }
      m.total += slot_matches;
      if (slot_matches) simul++;
    }
    m.simul = std::max(m.simul, simul);
  }
  return m;
}

// WebM is the part of Matroska that browsers play, and the HTTP output serves a .webm only with
// its codecs (an H.264 .webm answers 415): a connector advertising "/$.webm" gets "/$.mkv" for
// a stream with any other audio/video codec it carries. Subtitles do not decide: .webm leaves
// them out, as it leaves out any track it cannot carry.
const char *const kWebmCodecs[] = {"VP8", "VP9", "AV1", "opus", "vorbis"};
constexpr char kWebmExt[] = ".webm";
constexpr char kMatroskaExt[] = ".mkv";

bool in_combinations(JsonArray *combinations, const std::string &codec) {
  if (!combinations) return false;
  for (guint i = 0; i < json_array_get_length(combinations); i++) {
    JsonNode *combo = json_array_get_element(combinations, i);
    if (!JSON_NODE_HOLDS_ARRAY(combo)) continue;
    for (guint j = 0; j < json_array_get_length(json_node_get_array(combo)); j++) {
      JsonNode *slot = json_array_get_element(json_node_get_array(combo), j);
      if (!JSON_NODE_HOLDS_ARRAY(slot)) continue;
      for (guint k = 0; k < json_array_get_length(json_node_get_array(slot)); k++) {
        JsonNode *c = json_array_get_element(json_node_get_array(slot), k);
        if (!JSON_NODE_HOLDS_VALUE(c) || json_node_get_value_type(c) != G_TYPE_STRING) continue;
        const char *name = json_node_get_string(c);
        if (codec == name || strcmp(name, "*") == 0) return true;
      }
    }
  }
  return false;
}

// `rel` with ".webm" replaced by ".mkv" when a carried audio/video track is not WebM's.
std::string webm_or_matroska(const std::string &rel, JsonArray *combinations,
                             const std::vector<TrackSummary> &tracks) {
  const size_t ext = sizeof kWebmExt - 1;
  if (rel.size() < ext || rel.compare(rel.size() - ext, ext, kWebmExt) != 0) return rel;
  for (const TrackSummary &t : tracks) {
    if (t.type != "video" && t.type != "audio") continue;
    if (!in_combinations(combinations, t.codec)) continue;
    bool webm = false;
    for (const char *c : kWebmCodecs) webm = webm || t.codec == c;
    if (!webm) return rel.substr(0, rel.size() - ext) + kMatroskaExt;
  }
  return rel;
}

std::string escape_path(const std::string &s) {
  char *e = g_uri_escape_string(s.c_str(), nullptr, FALSE);
  std::string out(e);
  g_free(e);
  return out;
}

struct Source {
  gint64 priority = 0;
  std::string relurl, type, url;
  guint simul = 0, total = 0;
};

bool source_before(const Source &a, const Source &b) {
  if (a.simul != b.simul) return a.simul > b.simul;
  if (a.total != b.total) return a.total > b.total;
  if (a.priority != b.priority) return a.priority > b.priority;
  if (a.type != b.type) return a.type < b.type;
  return a.url < b.url;
}

}  // namespace

std::vector<EnabledProtocol> enabled_protocols_from_config(JsonArray *protocols) {
  std::vector<EnabledProtocol> out;
  std::set<std::string> seen;
  if (!protocols) return out;
  for (guint i = 0; i < json_array_get_length(protocols); i++) {
    JsonNode *n = json_array_get_element(protocols, i);
    if (!JSON_NODE_HOLDS_OBJECT(n)) continue;
    JsonObject *o = json_node_get_object(n);
    const char *connector = string_member(o, "connector", nullptr);
    if (!connector || !*connector || !seen.insert(connector).second) continue;
    gint64 port = int_member(o, "port", 0);
    EnabledProtocol p;
    p.connector = connector;
    p.port = port > 0 && port <= 65535 ? static_cast<guint>(port) : 0;
    out.push_back(std::move(p));
  }
  return out;
}

std::vector<TrackSummary> tracks_from_meta(JsonObject *meta) {
  std::vector<TrackSummary> out;
  JsonObject *tracks = object_member(meta, "tracks");
  if (!tracks) return out;
  GList *members = json_object_get_members(tracks);
  for (GList *l = members; l; l = l->next) {
    JsonObject *t = object_member(tracks, static_cast<const char *>(l->data));
    if (!t) continue;
    TrackSummary s;
    s.type = string_member(t, "type", "");
    s.codec = string_member(t, "codec", "");
    gint64 w = int_member(t, "width", 0), h = int_member(t, "height", 0);
    s.width = w > 0 && w < G_MAXINT ? static_cast<guint>(w) : 0;
    s.height = h > 0 && h < G_MAXINT ? static_cast<guint>(h) : 0;
    out.push_back(std::move(s));
  }
  g_list_free(members);
  return out;
}

JsonArray *build_sources(JsonObject *connectors, const std::vector<EnabledProtocol> &enabled,
                         const SourceQuery &query) {
  std::vector<Source> sources;
  for (const EnabledProtocol &p : enabled) {
    JsonObject *capa = object_member(connectors, p.connector.c_str());
    JsonArray *methods = array_member(capa, "methods");
    const char *rel = string_member(capa, "url_rel", nullptr);
    if (!methods || !rel) continue;
    Matches m = match_codecs(array_member(capa, "codecs"), query.tracks);
    if (m.simul == 0) continue;

    std::string rel_pattern = webm_or_matroska(rel, array_member(capa, "codecs"), query.tracks);
    std::string relurl;
    size_t dollar = rel_pattern.find('$');
    if (dollar != std::string::npos) {
      relurl = rel_pattern.substr(0, dollar) + escape_path(query.stream) +
               rel_pattern.substr(dollar + 1);
    } else {
      relurl = "/";
    }

    // Connectors with a port of their own listen themselves; the rest are served by HTTP.
    JsonObject *port_option = object_member(object_member(capa, "optional"), "port");
    std::string authority;
    if (port_option) {
      gint64 port = p.port ? p.port : int_member(port_option, "default", 0);
      authority = query.host + (port > 0 ? ":" + std::to_string(port) : "");
    }

    for (guint i = 0; i < json_array_get_length(methods); i++) {
      JsonNode *mn = json_array_get_element(methods, i);
      if (!JSON_NODE_HOLDS_OBJECT(mn)) continue;
      JsonObject *method = json_node_get_object(mn);
      if (query.live && json_object_has_member(method, "nolive")) continue;
      const char *handler = string_member(method, "handler", nullptr);
      const char *type = string_member(method, "type", nullptr);
      if (!handler || !type) continue;
      Source s;
      s.priority = int_member(method, "priority", 0);
      s.relurl = relurl;
      s.type = type;
      s.simul = m.simul;
      s.total = m.total;
      if (port_option) {
        // "?streamid=x" style relative URLs attach to the authority as they are.
        s.url = std::string(handler) + "://" + authority + relurl;
      } else {
        s.url = query.http_base + relurl;
      }
      sources.push_back(std::move(s));
    }
  }
  std::stable_sort(sources.begin(), sources.end(), source_before);

  JsonArray *out = json_array_new();
  for (const Source &s : sources) {
    JsonObject *o = json_object_new();
    json_object_set_int_member(o, "priority", s.priority);
    json_object_set_string_member(o, "relurl", s.relurl.c_str());
    json_object_set_int_member(o, "simul_tracks", s.simul);
    json_object_set_int_member(o, "total_matches", s.total);
    json_object_set_string_member(o, "type", s.type.c_str());
    json_object_set_string_member(o, "url", s.url.c_str());
    json_array_add_object_element(out, o);
  }
  return out;
}

JsonObject *build_info(JsonObject *meta, JsonArray *sources, const SourceQuery &query) {
  guint width = 0, height = 0;
  for (const TrackSummary &t : query.tracks) {
    if (t.type != "video") continue;
    if (static_cast<guint64>(t.width) * t.height > static_cast<guint64>(width) * height) {
      width = t.width;
      height = t.height;
    }
  }
  if (width == 0 || height == 0) {
    width = 640;
    height = 20;
  }
  JsonObject *o = json_object_new();
  json_object_set_string_member(o, "type", query.live ? "live" : "vod");
  json_object_set_int_member(o, "width", width);
  json_object_set_int_member(o, "height", height);
  json_object_set_object_member(o, "meta", json_object_ref(meta));
  json_object_set_array_member(o, "source", json_array_ref(sources));
  return o;
}

std::string javascript_escape(const std::string &s) {
  std::string out;
  out.reserve(s.size() + 8);
  for (size_t i = 0; i < s.size(); i++) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\'': out += "\\'"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '<': out += "\\x3C"; break;  // never "</script>" inside a script
      default:
        if (c < 0x20) {
          char buf[8];
          g_snprintf(buf, sizeof buf, "\\x%02X", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  return out;
}

std::string info_javascript(const std::string &stream, const std::string &json) {
  // The manual's comment line carries the name too; keep it on one line whatever it contains.
  std::string comment_name;
  for (char c : stream) comment_name.push_back(c == '\n' || c == '\r' ? ' ' : c);
  std::string name = javascript_escape(stream);
  return "// Generating info code for stream " + comment_name +
         "\nif (!mistvideo){var mistvideo = {};}\nmistvideo['" + name + "'] = " + json + ";\n";
}

}  // namespace estuary::info
