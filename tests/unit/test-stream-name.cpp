#include <glib.h>

#include <string>

#include "protocols/stream-name.h"

using estuary::sanitize_stream_name;

static void test_base_rules() {
  g_assert_cmpstr(sanitize_stream_name("Live-Cam_1").c_str(), ==, "livecam_1");
  g_assert_cmpstr(sanitize_stream_name("a.b/c\\d").c_str(), ==, "abcd");
  g_assert_cmpstr(sanitize_stream_name("").c_str(), ==, "");
  g_assert_cmpstr(sanitize_stream_name("ÄÖ").c_str(), ==, "");
}

static void test_wildcard() {
  g_assert_cmpstr(sanitize_stream_name("Live+Cam 1/x").c_str(), ==, "live+Cam 1/x");
  g_assert_cmpstr(sanitize_stream_name("Live cam1").c_str(), ==, "live+cam1");
  g_assert_cmpstr(sanitize_stream_name("live+a\nb").c_str(), ==, "live+ab");
  g_assert_cmpstr(std::string(estuary::stream_base_name("live+x+y")).c_str(), ==, "live");
  g_assert_cmpstr(std::string(estuary::stream_wildcard_part("live+x+y")).c_str(), ==, "x+y");
  g_assert_cmpstr(std::string(estuary::stream_wildcard_part("live")).c_str(), ==, "");
}

static void test_length() {
  std::string longname(150, 'a');
  g_assert_cmpuint(sanitize_stream_name(longname).size(), ==, 100);
  // A two-byte character straddling byte 100 is dropped whole.
  std::string wild = "s+" + std::string(97, 'x') + "\xC3\xA9";
  std::string out = sanitize_stream_name(wild);
  g_assert_cmpuint(out.size(), ==, 99);
  g_assert_true(g_utf8_validate(out.c_str(), -1, nullptr));
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, nullptr);
  g_test_add_func("/stream-name/base", test_base_rules);
  g_test_add_func("/stream-name/wildcard", test_wildcard);
  g_test_add_func("/stream-name/length", test_length);
  return g_test_run();
}
