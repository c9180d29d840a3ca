// The HTTP output's pure parts: request routing, HLS rendition names, Host checks, templates.
#include <glib.h>

#include <string>

#include "servers/http-info.h"
#include "servers/http-routes.h"

using namespace estuary;
using Kind = HttpRoute::Kind;

#define EXPECT_TEXT(got, want)               \
  do {                                       \
    std::string got_ = (got);                \
    g_assert_cmpstr(got_.c_str(), ==, want); \
  } while (0)

static void test_info_routes() {
  HttpRoute r = route_http_path("/json_Live.js");
  g_assert_cmpint(static_cast<int>(r.kind), ==, static_cast<int>(Kind::kInfoJson));
  EXPECT_TEXT(r.stream, "live");
  r = route_http_path("/info_test.js");
  g_assert_cmpint(static_cast<int>(r.kind), ==, static_cast<int>(Kind::kInfoJs));
  EXPECT_TEXT(r.stream, "test");
  r = route_http_path("/embed_test.js");
  g_assert_cmpint(static_cast<int>(r.kind), ==, static_cast<int>(Kind::kEmbedJs));
  r = route_http_path("/live%2Bcam%201.html");
  g_assert_cmpint(static_cast<int>(r.kind), ==, static_cast<int>(Kind::kHtml));
  EXPECT_TEXT(r.stream, "live+cam 1");
  g_assert_cmpint(static_cast<int>(route_http_path("/crossdomain.xml").kind), ==,
                  static_cast<int>(Kind::kCrossdomain));
  r = route_http_path("/player.js");
  g_assert_cmpint(static_cast<int>(r.kind), ==, static_cast<int>(Kind::kResource));
  EXPECT_TEXT(r.resource, "/org/estuary/player/player.js");
  r = route_http_path("/hls.min.js");
  EXPECT_TEXT(r.resource, "/org/estuary/player/hls.min.js");
  // Nothing valid left of the name, or nothing at all.
  for (const char *bad : {"/json_.js", "/json_---.js", "/.html", "/", "", "json_x.js", "/x.js",
                          "/a/b.flv", "/%zz.flv", "/x%00.flv", "/x.exe", "/.flv", "/x.webvtt"}) {
    g_assert_cmpint(static_cast<int>(route_http_path(bad).kind), ==,
                    static_cast<int>(Kind::kNotFound));
  }
  g_assert_cmpint(static_cast<int>(route_http_path(nullptr).kind), ==,
                  static_cast<int>(Kind::kNotFound));
}

static void test_progressive_routes() {
  struct Case {
    const char *path;
    OutputFormat format;
  } cases[] = {{"/test.flv", OutputFormat::kFLV},  {"/test.ts", OutputFormat::kTS},
               {"/test.mp4", OutputFormat::kFMP4}, {"/test.webm", OutputFormat::kWebM},
               {"/test.mkv", OutputFormat::kMKV},  {"/test.mp3", OutputFormat::kMP3},
               {"/test.aac", OutputFormat::kAAC},  {"/test.ogg", OutputFormat::kOGG},
               {"/test.wav", OutputFormat::kWAV},  {"/test.vtt", OutputFormat::kWebVTT},
               {"/test.srt", OutputFormat::kSRT}};
  for (const Case &c : cases) {
    HttpRoute r = route_http_path(c.path);
    g_assert_cmpint(static_cast<int>(r.kind), ==, static_cast<int>(Kind::kProgressive));
    g_assert_cmpint(static_cast<int>(r.format), ==, static_cast<int>(c.format));
    EXPECT_TEXT(r.stream, "test");
  }
  // The last dot separates the extension; the rest is the (sanitized) name.
  HttpRoute r = route_http_path("/live+a.b.ts");
  EXPECT_TEXT(r.stream, "live+a.b");
}

static void test_hls_routes() {
  HttpRoute r = route_http_path("/hls/test/index.m3u8");
  g_assert_cmpint(static_cast<int>(r.kind), ==, static_cast<int>(Kind::kHlsMaster));
  EXPECT_TEXT(r.stream, "test");
  r = route_http_path("/hls/test/main/index.m3u8");
  g_assert_cmpint(static_cast<int>(r.kind), ==, static_cast<int>(Kind::kHlsMedia));
  EXPECT_TEXT(r.rendition, "main");
  r = route_http_path("/hls/Te%2Bx/v1_anone/42.ts");
  g_assert_cmpint(static_cast<int>(r.kind), ==, static_cast<int>(Kind::kHlsSegment));
  EXPECT_TEXT(r.stream, "te+x");
  EXPECT_TEXT(r.rendition, "v1_anone");
  g_assert_cmpuint(r.sequence, ==, 42);
  for (const char *bad : {"/hls/test/other.m3u8", "/hls/test/main/x.ts", "/hls/test/main/.ts",
                          "/hls/test/bogus/1.ts", "/hls/test/main/1.ts/x", "/hls//index.m3u8",
                          "/hls/test/main/99999999999999999999.ts", "/hls/test/main/-1.ts",
                          "/hls/test"}) {
    g_assert_cmpint(static_cast<int>(route_http_path(bad).kind), ==,
                    static_cast<int>(Kind::kNotFound));
  }
}

static void test_renditions() {
  EXPECT_TEXT(*rendition_for(nullptr, nullptr), "main");
  EXPECT_TEXT(*rendition_for("1", nullptr), "v1_a");
  EXPECT_TEXT(*rendition_for("none", "2,3"), "vnone_a2,3");
  g_assert_false(rendition_for("../x", nullptr).has_value());
  g_assert_false(rendition_for(nullptr, "A").has_value());
  g_assert_false(rendition_for(std::string(65, '1').c_str(), nullptr).has_value());
  std::string v, a;
  g_assert_true(parse_rendition("vnone_a2,3", &v, &a));
  EXPECT_TEXT(v, "none");
  EXPECT_TEXT(a, "2,3");
  g_assert_true(parse_rendition("main", &v, &a));
  g_assert_true(v.empty() && a.empty());
  g_assert_true(parse_rendition("v_a", &v, &a));
  for (const char *bad : {"", "v", "x1_a2", "v1a2", "v1_a2_a3", "vA_a"}) {
    g_assert_false(parse_rendition(bad, &v, &a));
  }
}

static void test_hosts() {
  EXPECT_TEXT(*valid_host_header("localhost:8080"), "localhost:8080");
  EXPECT_TEXT(*valid_host_header("[::1]:8080"), "[::1]:8080");
  g_assert_false(valid_host_header("evil.com/\"><script>").has_value());
  g_assert_false(valid_host_header("a b").has_value());
  g_assert_false(valid_host_header("").has_value());
  g_assert_false(valid_host_header(nullptr).has_value());
  g_assert_false(valid_host_header(std::string(256, 'a').c_str()).has_value());
  EXPECT_TEXT(host_without_port("example.com:8080"), "example.com");
  EXPECT_TEXT(host_without_port("example.com"), "example.com");
  EXPECT_TEXT(host_without_port("[::1]:80"), "[::1]");
  EXPECT_TEXT(host_without_port("[::1]"), "[::1]");
  EXPECT_TEXT(host_without_port("::1"), "::1");
}

static void test_templates() {
  EXPECT_TEXT(info_handler::fill_template("a {{STREAM}} b {{HOST}}/{{STREAM}} {{X}} {{", "s",
                                          "http://h:1"),
              "a s b http://h:1/s {{X}} {{");
  EXPECT_TEXT(info_handler::fill_template("", "s", "h"), "");
  EXPECT_TEXT(info_handler::fill_template("{{STREAM", "s", "h"), "{{STREAM");
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, nullptr);
  g_test_add_func("/http-routes/info", test_info_routes);
  g_test_add_func("/http-routes/progressive", test_progressive_routes);
  g_test_add_func("/http-routes/hls", test_hls_routes);
  g_test_add_func("/http-routes/renditions", test_renditions);
  g_test_add_func("/http-routes/hosts", test_hosts);
  g_test_add_func("/http-routes/templates", test_templates);
  return g_test_run();
}
