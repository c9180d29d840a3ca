// The info handler's pure parts (manual 4.3): source list, json_ object, info_ wrapper.
#include <glib.h>
#include <json-glib/json-glib.h>

#include <string>

#include "protocols/stream-info.h"

using namespace estuary::info;

// Holds the string while comparing (g_assert_cmpstr keeps only the pointer).
#define EXPECT_TEXT(got, want)                \
  do {                                        \
    std::string got_ = (got);                 \
    g_assert_cmpstr(got_.c_str(), ==, want);  \
  } while (0)

namespace {

// Connector capabilities in the shape of data/capabilities.json (manual 4.1.2).
const char *kConnectors = R"({
  "HLS": {"codecs": [[["H264","HEVC","MPEG2"],["AAC","MP3","AC3","EAC3"]]], "deps": "HTTP",
          "methods": [{"handler": "http", "priority": 9,
                       "type": "html5/application/vnd.apple.mpegurl"}],
          "url_prefix": "/hls/$/", "url_rel": "/hls/$/index.m3u8"},
  "MP4": {"codecs": [[["H264","HEVC","AV1","VP9"],["AAC","MP3","opus","FLAC","AC3"]]],
          "methods": [{"handler": "http", "priority": 9, "type": "html5/video/mp4"}],
          "url_rel": "/$.mp4"},
  "FLV": {"codecs": [[["H264","H263","VP6"],["AAC","MP3"]]],
          "methods": [{"handler": "http", "priority": 5, "type": "flash/7"}], "url_rel": "/$.flv"},
  "HTTPTS": {"codecs": [[["H264","HEVC","MPEG2"],["AAC","MP3","AC3","EAC3"]]],
             "methods": [{"handler": "http", "priority": 1, "type": "html5/video/mpeg"}],
             "url_rel": "/$.ts"},
  "AAC": {"codecs": [[["AAC"]]],
          "methods": [{"handler": "http", "priority": 8, "type": "html5/audio/aac"}],
          "url_rel": "/$.aac"},
  "MP3": {"codecs": [[["MP3"]]],
          "methods": [{"handler": "http", "priority": 8, "type": "html5/audio/mpeg"}],
          "url_rel": "/$.mp3"},
  "RTMP": {"codecs": [[["H264","HEVC","AV1","VP9"],["AAC","MP3","opus"]]],
           "methods": [{"handler": "rtmp", "priority": 7, "type": "flash/10"}],
           "optional": {"port": {"default": 1935, "type": "uint"}}, "url_rel": "/play/$"},
  "TSSRT": {"codecs": [[["H264"],["AAC"]]],
            "methods": [{"handler": "srt", "priority": 1, "type": "srt/srt"}],
            "optional": {"port": {"default": 8889}}, "url_rel": "?streamid=$"},
  "ANY": {"codecs": [[["*"],["*"],["*"]]],
          "methods": [{"handler": "http", "priority": 2, "type": "html5/any"},
                      {"handler": "http", "priority": 3, "type": "html5/vodonly", "nolive": 1}],
          "url_rel": "/any/$"},
  "EBML": {"codecs": [[["H264","HEVC","VP8","VP9","AV1","theora"],
                       ["opus","vorbis","AAC","MP3","FLAC","AC3"],["subtitle"]]],
           "methods": [{"handler": "http", "priority": 9, "type": "html5/video/webm"}],
           "url_match": ["/$.mkv", "/$.webm"], "url_rel": "/$.webm"},
  "HTTP": {"codecs": [], "optional": {"port": {"default": 8080}}, "url_rel": "/$"},
  "JSON": {"codecs": [], "url_match": ["/json_$.js"]}
})";

struct Fixture {
  JsonParser *parser = json_parser_new();
  JsonObject *connectors = nullptr;
  Fixture() {
    g_assert_true(json_parser_load_from_data(parser, kConnectors, -1, nullptr));
    connectors = json_node_get_object(json_parser_get_root(parser));
  }
  ~Fixture() { g_object_unref(parser); }
};

std::string to_text(JsonNode *node) {
  JsonGenerator *gen = json_generator_new();
  json_generator_set_root(gen, node);
  gchar *s = json_generator_to_data(gen, nullptr);
  std::string out(s);
  g_free(s);
  g_object_unref(gen);
  return out;
}

std::string array_text(JsonArray *a) {
  JsonNode *n = json_node_init_array(json_node_alloc(), a);
  std::string s = to_text(n);
  json_node_unref(n);
  return s;
}

SourceQuery manual_query() {
  SourceQuery q;
  q.stream = "test";
  q.live = false;
  q.tracks = {{"audio", "AAC", 0, 0}, {"video", "H264", 480, 360}};
  q.http_base = "http://localhost:8080";
  q.host = "localhost";
  return q;
}

std::vector<EnabledProtocol> protocols(std::initializer_list<const char *> names) {
  std::vector<EnabledProtocol> out;
  for (const char *n : names) out.push_back({n, 0});
  return out;
}

void test_manual_example() {
  // The manual's example: a VoD stream "test" with AAC audio and H264 video, on localhost:8080.
  Fixture f;
  JsonArray *a = build_sources(f.connectors, protocols({"HTTP", "JSON", "FLV", "HLS", "HTTPTS",
                                                        "MP3", "AAC", "MP4", "RTMP"}),
                               manual_query());
  EXPECT_TEXT(
      array_text(a),
      "["
      "{\"priority\":9,\"relurl\":\"/hls/test/index.m3u8\",\"simul_tracks\":2,\"total_matches\":2,"
      "\"type\":\"html5/application/vnd.apple.mpegurl\","
      "\"url\":\"http://localhost:8080/hls/test/index.m3u8\"},"
      "{\"priority\":9,\"relurl\":\"/test.mp4\",\"simul_tracks\":2,\"total_matches\":2,"
      "\"type\":\"html5/video/mp4\",\"url\":\"http://localhost:8080/test.mp4\"},"
      "{\"priority\":7,\"relurl\":\"/play/test\",\"simul_tracks\":2,\"total_matches\":2,"
      "\"type\":\"flash/10\",\"url\":\"rtmp://localhost:1935/play/test\"},"
      "{\"priority\":5,\"relurl\":\"/test.flv\",\"simul_tracks\":2,\"total_matches\":2,"
      "\"type\":\"flash/7\",\"url\":\"http://localhost:8080/test.flv\"},"
      "{\"priority\":1,\"relurl\":\"/test.ts\",\"simul_tracks\":2,\"total_matches\":2,"
      "\"type\":\"html5/video/mpeg\",\"url\":\"http://localhost:8080/test.ts\"},"
      "{\"priority\":8,\"relurl\":\"/test.aac\",\"simul_tracks\":1,\"total_matches\":1,"
      "\"type\":\"html5/audio/aac\",\"url\":\"http://localhost:8080/test.aac\"}"
      "]");
  json_array_unref(a);
}

void test_only_enabled() {
  // Disabled connectors never appear, even when they could play the stream.
  Fixture f;
  JsonArray *a = build_sources(f.connectors, protocols({"FLV"}), manual_query());
  g_assert_cmpuint(json_array_get_length(a), ==, 1);
  g_assert_cmpstr(json_object_get_string_member(json_array_get_object_element(a, 0), "type"), ==,
                  "flash/7");
  json_array_unref(a);
  a = build_sources(f.connectors, {}, manual_query());
  EXPECT_TEXT(array_text(a), "[]");
  json_array_unref(a);
  // Unknown connectors (not in capabilities) are ignored.
  a = build_sources(f.connectors, protocols({"NOPE"}), manual_query());
  g_assert_cmpuint(json_array_get_length(a), ==, 0);
  json_array_unref(a);
}

void test_codec_mismatch() {
  // A video-only VP9 stream: neither FLV nor HLS nor the audio outputs can play it.
  Fixture f;
  SourceQuery q = manual_query();
  q.tracks = {{"video", "VP9", 1280, 720}};
  JsonArray *a = build_sources(f.connectors, protocols({"FLV", "HLS", "AAC", "MP3", "MP4"}), q);
  EXPECT_TEXT(array_text(a),
                  "[{\"priority\":9,\"relurl\":\"/test.mp4\",\"simul_tracks\":1,"
                  "\"total_matches\":1,\"type\":\"html5/video/mp4\","
                  "\"url\":\"http://localhost:8080/test.mp4\"}]");
  json_array_unref(a);
}

// The URL of one source, "" when there is not exactly one.
std::string only_url(JsonArray *a) {
  if (json_array_get_length(a) != 1) return "";
  return json_object_get_string_member(json_array_get_object_element(a, 0), "url");
}

void test_webm_or_matroska() {
  // .webm only for WebM's codecs (the HTTP output refuses an H.264 .webm); .mkv for the rest.
  Fixture f;
  SourceQuery q = manual_query();
  JsonArray *a = build_sources(f.connectors, protocols({"EBML"}), q);  // H264 + AAC
  EXPECT_TEXT(only_url(a), "http://localhost:8080/test.mkv");
  json_array_unref(a);
  q.tracks = {{"video", "VP9", 320, 240}, {"audio", "opus", 0, 0}, {"meta", "subtitle", 0, 0}};
  a = build_sources(f.connectors, protocols({"EBML"}), q);
  EXPECT_TEXT(only_url(a), "http://localhost:8080/test.webm");
  json_array_unref(a);
  q.tracks = {{"video", "VP8", 320, 240}, {"audio", "AAC", 0, 0}};  // one non-WebM track
  a = build_sources(f.connectors, protocols({"EBML"}), q);
  EXPECT_TEXT(only_url(a), "http://localhost:8080/test.mkv");
  json_array_unref(a);
  q.tracks = {{"audio", "vorbis", 0, 0}};
  a = build_sources(f.connectors, protocols({"EBML"}), q);
  EXPECT_TEXT(only_url(a), "http://localhost:8080/test.webm");
  json_array_unref(a);
}

void test_wildcard_and_counts() {
  // "*" matches every track in every slot: 3 slots x 3 tracks.
  Fixture f;
  SourceQuery q = manual_query();
  q.tracks.push_back({"audio", "AAC", 0, 0});
  JsonArray *a = build_sources(f.connectors, protocols({"ANY", "HLS"}), q);
  EXPECT_TEXT(
      array_text(a),
      "[{\"priority\":3,\"relurl\":\"/any/test\",\"simul_tracks\":3,\"total_matches\":9,"
      "\"type\":\"html5/vodonly\",\"url\":\"http://localhost:8080/any/test\"},"
      "{\"priority\":2,\"relurl\":\"/any/test\",\"simul_tracks\":3,\"total_matches\":9,"
      "\"type\":\"html5/any\",\"url\":\"http://localhost:8080/any/test\"},"
      "{\"priority\":9,\"relurl\":\"/hls/test/index.m3u8\",\"simul_tracks\":2,"
      "\"total_matches\":3,\"type\":\"html5/application/vnd.apple.mpegurl\","
      "\"url\":\"http://localhost:8080/hls/test/index.m3u8\"}]");
  json_array_unref(a);
  // Live streams leave out `nolive` methods.
  q.live = true;
  a = build_sources(f.connectors, protocols({"ANY"}), q);
  g_assert_cmpuint(json_array_get_length(a), ==, 1);
  g_assert_cmpstr(json_object_get_string_member(json_array_get_object_element(a, 0), "type"), ==,
                  "html5/any");
  json_array_unref(a);
}

void test_ports_hosts_names() {
  Fixture f;
  SourceQuery q = manual_query();
  q.stream = "live+cam 1";
  q.http_base = "https://cdn.example.com";
  q.host = "[::1]";
  std::vector<EnabledProtocol> p = {{"RTMP", 1936}, {"TSSRT", 0}, {"FLV", 0}};
  JsonArray *a = build_sources(f.connectors, p, q);
  EXPECT_TEXT(
      array_text(a),
      "[{\"priority\":7,\"relurl\":\"/play/live%2Bcam%201\",\"simul_tracks\":2,"
      "\"total_matches\":2,\"type\":\"flash/10\",\"url\":\"rtmp://[::1]:1936/play/live%2Bcam%201\"},"
      "{\"priority\":5,\"relurl\":\"/live%2Bcam%201.flv\",\"simul_tracks\":2,\"total_matches\":2,"
      "\"type\":\"flash/7\",\"url\":\"https://cdn.example.com/live%2Bcam%201.flv\"},"
      "{\"priority\":1,\"relurl\":\"?streamid=live%2Bcam%201\",\"simul_tracks\":2,"
      "\"total_matches\":2,\"type\":\"srt/srt\",\"url\":\"srt://[::1]:8889?streamid=live%2Bcam%201\"}]");
  json_array_unref(a);
}

void test_enabled_from_config() {
  const char *config = R"([{"connector": "HTTP", "port": 8081}, {"connector": "RTMP", "port": "1937"},
    {"connector": "HLS"}, {"nothing": 1}, 5, {"connector": "HTTP", "port": 9999},
    {"connector": "TSSRT", "port": 70000}])";
  JsonParser *parser = json_parser_new();
  g_assert_true(json_parser_load_from_data(parser, config, -1, nullptr));
  auto list = enabled_protocols_from_config(json_node_get_array(json_parser_get_root(parser)));
  g_assert_cmpuint(list.size(), ==, 4);
  g_assert_cmpstr(list[0].connector.c_str(), ==, "HTTP");
  g_assert_cmpuint(list[0].port, ==, 8081);
  g_assert_cmpstr(list[1].connector.c_str(), ==, "RTMP");
  g_assert_cmpuint(list[1].port, ==, 1937);
  g_assert_cmpstr(list[2].connector.c_str(), ==, "HLS");
  g_assert_cmpuint(list[2].port, ==, 0);
  g_assert_cmpstr(list[3].connector.c_str(), ==, "TSSRT");
  g_assert_cmpuint(list[3].port, ==, 0);  // out of range
  g_object_unref(parser);
  g_assert_cmpuint(enabled_protocols_from_config(nullptr).size(), ==, 0);
}

void test_info_object() {
  const char *meta_text = R"({"tracks": {
    "audio_AAC_2ch_22050hz_2": {"trackid": 2, "type": "audio", "codec": "AAC", "channels": 2},
    "video_H264_480x360_1": {"trackid": 1, "type": "video", "codec": "H264", "width": 480,
                             "height": 360},
    "video_H264_320x240_3": {"trackid": 3, "type": "video", "codec": "H264", "width": 320,
                             "height": 240},
    "broken": 7}, "vod": 1})";
  JsonParser *parser = json_parser_new();
  g_assert_true(json_parser_load_from_data(parser, meta_text, -1, nullptr));
  JsonObject *meta = json_node_get_object(json_parser_get_root(parser));
  auto tracks = tracks_from_meta(meta);
  g_assert_cmpuint(tracks.size(), ==, 3);
  g_assert_cmpstr(tracks[0].codec.c_str(), ==, "AAC");
  g_assert_cmpstr(tracks[1].type.c_str(), ==, "video");
  g_assert_cmpuint(tracks[1].width, ==, 480);

  Fixture f;
  SourceQuery q = manual_query();
  q.tracks = tracks;
  JsonArray *sources = build_sources(f.connectors, protocols({"HLS"}), q);
  JsonObject *info = build_info(meta, sources, q);
  JsonNode *n = json_node_init_object(json_node_alloc(), info);
  std::string text = to_text(n);
  g_assert_true(g_str_has_prefix(text.c_str(),
                                 "{\"type\":\"vod\",\"width\":480,\"height\":360,\"meta\":{"));
  g_assert_nonnull(strstr(text.c_str(), "\"source\":[{\"priority\":9,\"relurl\":\"/hls/test/"
                                        "index.m3u8\",\"simul_tracks\":2,\"total_matches\":3,"));
  json_node_unref(n);
  json_object_unref(info);

  // Audio only: the player bar size; live.
  q.tracks = {{"audio", "AAC", 0, 0}};
  q.live = true;
  info = build_info(meta, sources, q);
  g_assert_cmpstr(json_object_get_string_member(info, "type"), ==, "live");
  g_assert_cmpint(json_object_get_int_member(info, "width"), ==, 640);
  g_assert_cmpint(json_object_get_int_member(info, "height"), ==, 20);
  json_object_unref(info);
  json_array_unref(sources);
  g_object_unref(parser);
  g_assert_cmpuint(tracks_from_meta(nullptr).size(), ==, 0);
}

void test_info_javascript() {
  EXPECT_TEXT(info_javascript("test", "{\"type\":\"vod\"}"),
                  "// Generating info code for stream test\n"
                  "if (!mistvideo){var mistvideo = {};}\n"
                  "mistvideo['test'] = {\"type\":\"vod\"};\n");
  EXPECT_TEXT(info_javascript("a+b'</script>\n", "{}"),
                  "// Generating info code for stream a+b'</script> \n"
                  "if (!mistvideo){var mistvideo = {};}\n"
                  "mistvideo['a+b\\'\\x3C/script>\\n'] = {};\n");
  EXPECT_TEXT(javascript_escape(std::string("x\x01\"\\", 4)), "x\\x01\\\"\\\\");
}

}  // namespace

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, nullptr);
  g_test_add_func("/stream-info/manual-example", test_manual_example);
  g_test_add_func("/stream-info/only-enabled", test_only_enabled);
  g_test_add_func("/stream-info/codec-mismatch", test_codec_mismatch);
  g_test_add_func("/stream-info/wildcard-counts", test_wildcard_and_counts);
  g_test_add_func("/stream-info/webm-or-matroska", test_webm_or_matroska);
  g_test_add_func("/stream-info/ports-hosts-names", test_ports_hosts_names);
  g_test_add_func("/stream-info/enabled-from-config", test_enabled_from_config);
  g_test_add_func("/stream-info/info-object", test_info_object);
  g_test_add_func("/stream-info/info-javascript", test_info_javascript);
  return g_test_run();
}
