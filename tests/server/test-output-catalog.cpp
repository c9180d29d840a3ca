// OutputCatalog: which connector serves an HTTP output URL, and whether the configuration
// enables it (a disabled connector's URLs answer 404). Pure: no listener.
#include <glib.h>
#include <json-glib/json-glib.h>

#include <string>

#include "common/gref.h"
#include "servers/http-routes.h"
#include "servers/output-catalog.h"

using namespace estuary;

namespace {

// The url_* members of data/capabilities.json's HTTP-based connectors.
const char *kConnectors = R"({
  "HLS": {"url_prefix": "/hls/$/", "url_rel": "/hls/$/index.m3u8"},
  "EBML": {"url_match": ["/$.mkv", "/$.webm"], "url_rel": "/$.webm"},
  "FLV": {"url_match": "/$.flv", "url_rel": "/$.flv"},
  "HTTPTS": {"url_match": "/$.ts", "url_rel": "/$.ts"},
  "MP4": {"url_match": "/$.mp4", "url_rel": "/$.mp4"},
  "SubRip": {"url_match": ["/$.srt", "/$.vtt"], "url_rel": "/$.vtt"},
  "JSON": {"url_match": ["/json_$.js", "/info_$.js", "/embed_$.js", "/$.html"]},
  "HTTP": {"url_rel": "/$"}
})";

GRef<JsonNode> parse(const char *text) {
  GRef<JsonParser> parser = GRef<JsonParser>::adopt(json_parser_new());
  g_assert_true(json_parser_load_from_data(parser.get(), text, -1, nullptr));
  return GRef<JsonNode>::adopt(json_node_copy(json_parser_get_root(parser.get())));
}

std::string connector_of(const OutputCatalog &catalog, const char *path) {
  return catalog.snapshot()->connector_of(route_http_path(path));
}

std::string disabled(const OutputCatalog &catalog, const char *path) {
  return catalog.snapshot()->disabled_connector(route_http_path(path));
}

void test_connector_of() {
  GRef<JsonNode> connectors = parse(kConnectors);
  OutputCatalog catalog(json_node_get_object(connectors.get()));
  g_assert_cmpstr(connector_of(catalog, "/hls/vid/index.m3u8").c_str(), ==, "HLS");
  g_assert_cmpstr(connector_of(catalog, "/hls/vid/main/index.m3u8").c_str(), ==, "HLS");
  g_assert_cmpstr(connector_of(catalog, "/hls/vid/main/3.ts").c_str(), ==, "HLS");
  g_assert_cmpstr(connector_of(catalog, "/vid.ts").c_str(), ==, "HTTPTS");
  g_assert_cmpstr(connector_of(catalog, "/vid.flv").c_str(), ==, "FLV");
  g_assert_cmpstr(connector_of(catalog, "/vid.mp4").c_str(), ==, "MP4");
  g_assert_cmpstr(connector_of(catalog, "/vid.mkv").c_str(), ==, "EBML");
  g_assert_cmpstr(connector_of(catalog, "/vid.webm").c_str(), ==, "EBML");
  g_assert_cmpstr(connector_of(catalog, "/vid.vtt").c_str(), ==, "SubRip");
  g_assert_cmpstr(connector_of(catalog, "/vid.srt").c_str(), ==, "SubRip");
  // No connector in this catalog claims .ogg: served whatever the configuration says.
  g_assert_cmpstr(connector_of(catalog, "/vid.ogg").c_str(), ==, "");
  // The HTTP listener's own pages belong to no connector that could be disabled here.
  g_assert_cmpstr(connector_of(catalog, "/json_vid.js").c_str(), ==, "");
  g_assert_cmpstr(connector_of(catalog, "/crossdomain.xml").c_str(), ==, "");
  g_assert_cmpstr(connector_of(catalog, "/vid.html").c_str(), ==, "");
}

void test_disabled() {
  GRef<JsonNode> connectors = parse(kConnectors);
  OutputCatalog catalog(json_node_get_object(connectors.get()));
  GRef<JsonNode> protocols =
      parse(R"([{"connector": "HTTP", "port": 8080}, {"connector": "FLV"}, {"connector": "EBML"}])");
  catalog.set_protocols(json_node_get_array(protocols.get()));
  g_assert_cmpstr(disabled(catalog, "/vid.flv").c_str(), ==, "");
  g_assert_cmpstr(disabled(catalog, "/vid.mkv").c_str(), ==, "");
  g_assert_cmpstr(disabled(catalog, "/vid.webm").c_str(), ==, "");
  g_assert_cmpstr(disabled(catalog, "/vid.ts").c_str(), ==, "HTTPTS");
  g_assert_cmpstr(disabled(catalog, "/vid.mp4").c_str(), ==, "MP4");
  g_assert_cmpstr(disabled(catalog, "/hls/vid/index.m3u8").c_str(), ==, "HLS");
  g_assert_cmpstr(disabled(catalog, "/json_vid.js").c_str(), ==, "");
  g_assert_cmpstr(disabled(catalog, "/vid.ogg").c_str(), ==, "");
  // Enabling HLS later opens its URLs.
  protocols = parse(R"([{"connector": "HTTP"}, {"connector": "HLS"}])");
  catalog.set_protocols(json_node_get_array(protocols.get()));
  g_assert_cmpstr(disabled(catalog, "/hls/vid/main/0.ts").c_str(), ==, "");
  g_assert_cmpstr(disabled(catalog, "/vid.flv").c_str(), ==, "FLV");
}

void test_no_capabilities() {
  // A catalog without capabilities (an HTTP output made without a controller) gates nothing.
  OutputCatalog catalog(nullptr);
  g_assert_cmpstr(disabled(catalog, "/vid.ts").c_str(), ==, "");
  g_assert_cmpstr(disabled(catalog, "/hls/vid/index.m3u8").c_str(), ==, "");
}

}  // namespace

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, nullptr);
  g_test_add_func("/output-catalog/connector-of", test_connector_of);
  g_test_add_func("/output-catalog/disabled", test_disabled);
  g_test_add_func("/output-catalog/no-capabilities", test_no_capabilities);
  return g_test_run();
}
