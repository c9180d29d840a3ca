// The configuration file: load, validation messages with positions, unknown keys, atomic save.
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <string>

#include "controller-test-util.h"
#include "controller/config.h"

using estuary::Config;
using estuary::GCharPtr;
using estuary::GRef;
namespace t = estuary::test;

namespace {

void write_file(const std::string &path, const std::string &text) {
  GError *error = nullptr;
  g_assert_true(
      g_file_set_contents(path.c_str(), text.data(), static_cast<gssize>(text.size()), &error));
  g_assert_no_error(error);
}

std::string read_file(const std::string &path) {
  gchar *text = nullptr;
  gsize len = 0;
  GError *error = nullptr;
  g_assert_true(g_file_get_contents(path.c_str(), &text, &len, &error));
  g_assert_no_error(error);
  std::string out(text, len);
  g_free(text);
  return out;
}

// A configuration as MistServer 2.x writes it: every section, members set to null for "default",
// keys estuary does not know (session modes, location, trustedproxy...), doubles and booleans.
const char kMistConfig[] = R"({
 "account": {"test": {"password": "098f6bcd4621d373cade4e832627b4f6"}},
 "autopushes": [["live", "/media/rec/$stream.$datetime.ts"]],
 "config": {
  "accesslog": "LOG",
  "controller": {"interface": null, "port": null, "username": null},
  "debug": null,
  "defaultStream": null,
  "limits": null,
  "location": {"lat": 52.0834, "lon": 5.1193, "name": "Utrecht"},
  "prometheus": "",
  "protocols": [
   {"connector": "AAC"}, {"connector": "HLS", "listlimit": 5},
   {"connector": "HTTP", "port": 8080, "pubaddr": ["http://example.com/"]},
   {"connector": "RTMP", "port": 1935, "debug": 4}, {"connector": "TS", "port": 8888, "args": ""}
  ],
  "serverid": null,
  "sessionInputMode": 14,
  "sessionOutputMode": 14,
  "sessionStreamInfoMode": 1,
  "sessionUnspecifiedMode": 0,
  "sessionViewerMode": 14,
  "tknMode": 15,
  "triggers": {"STREAM_BUFFER": [{"handler": "http://localhost/hook", "sync": false,
                                  "streams": ["live"], "params": ""}]},
  "trustedproxy": []
 },
 "push_settings": {"maxspeed": null, "wait": 3},
 "streams": {
  "live": {"name": "live", "source": "push://", "DVR": 50000, "stop_sessions": false,
           "processes": [{"process": "AV", "codec": "opus"}]},
  "vod": {"name": "vod", "source": "/media/vod.mp4", "always_on": 0, "fallback_stream": ""}
 },
 "ui_settings": {"sort_streams": "name", "HTTPUrl": "http://localhost:8080/"}
}
)";

void test_load_mist_config() {
  t::TempDir dir;
  std::string path = dir.file("config.json");
  write_file(path, kMistConfig);
  Config config;
  GError *error = nullptr;
  g_assert_true(config.load(path, &error));
  g_assert_no_error(error);
  g_assert_true(config.existed());
  // Nothing added, dropped or converted: the loaded document is the file.
  assert_json_eq(config.root_node(), kMistConfig);
  // And it round-trips through save.
  g_assert_true(config.save(&error));
  g_assert_no_error(error);
  GRef<JsonNode> saved = t::parse(read_file(path));
  assert_json_eq(saved.get(), kMistConfig);
}

void test_missing_file() {
  t::TempDir dir;
  Config config;
  GError *error = nullptr;
  g_assert_true(config.load(dir.file("none.json"), &error));
  g_assert_no_error(error);
  g_assert_false(config.existed());
  g_assert_cmpuint(json_object_get_size(config.streams()), ==, 0);
  g_assert_cmpuint(json_array_get_length(config.protocols()), ==, 0);
  g_assert_false(g_file_test(dir.file("none.json").c_str(), G_FILE_TEST_EXISTS));
}

void test_bad_json_position() {
  t::TempDir dir;
  std::string path = dir.file("bad.json");
  // Line 3 holds the error: a value is missing after the colon.
  std::string text = "{\n \"streams\": {\n  \"a\": ,\n  \"b\": {}\n }\n}\n";
  write_file(path, text);
  Config config;
  json_object_set_string_member(config.ui_settings(), "kept", "yes");
  GError *error = nullptr;
  g_assert_false(config.load(path, &error));
  g_assert_error(error, ESTUARY_CONFIG_ERROR, estuary::ESTUARY_CONFIG_ERROR_PARSE);
  // "FILE:LINE:COLUMN: what"
  std::string prefix = path + ":3:";
  if (!g_str_has_prefix(error->message, prefix.c_str()))
    g_error("parse error lacks %s...: %s", prefix.c_str(), error->message);
  GRegex *re = g_regex_new("^.*:3:[0-9]+: .+", G_REGEX_DEFAULT, G_REGEX_MATCH_DEFAULT, nullptr);
  g_assert_true(g_regex_match(re, error->message, G_REGEX_MATCH_DEFAULT, nullptr));
  g_regex_unref(re);
  g_clear_error(&error);
  // The current contents stay, and the file is not touched.
  g_assert_cmpstr(estuary::json_string_or(config.ui_settings(), "kept", nullptr), ==, "yes");
  assert_string_eq(read_file(path), text);
}

void test_wrong_type_position() {
  t::TempDir dir;
  std::string path = dir.file("type.json");
  std::string text = "{\n \"streams\": {\n  \"a\": {\n   \"source\": 5\n  }\n }\n}\n";
  write_file(path, text);
  Config config;
  GError *error = nullptr;
  g_assert_false(config.load(path, &error));
  g_assert_error(error, ESTUARY_CONFIG_ERROR, estuary::ESTUARY_CONFIG_ERROR_TYPE);
  std::string msg = error->message;
  g_clear_error(&error);
  g_test_message("%s", msg.c_str());
  g_assert_true(g_str_has_prefix(msg.c_str(), (path + ":").c_str()));
  g_assert_nonnull(strstr(msg.c_str(), "streams.a.source"));
  g_assert_nonnull(strstr(msg.c_str(), "must be a string"));
  // The line named is the one holding `"source": 5` (line 4), with a column.
  GRegex *re = g_regex_new("^.*:4:[0-9]+: ", G_REGEX_DEFAULT, G_REGEX_MATCH_DEFAULT, nullptr);
  g_assert_true(g_regex_match(re, msg.c_str(), G_REGEX_MATCH_DEFAULT, nullptr));
  g_regex_unref(re);

  // Other known members: a protocol port given as a string, an account without an object.
  struct Case {
    const char *text;
    const char *path;
  } cases[] = {
      {"{\"config\": {\"protocols\": [{\"connector\": \"HTTP\", \"port\": \"80\"}]}}",
       "config.protocols[0].port"},
      {"{\"config\": {\"controller\": {\"port\": true}}}", "config.controller.port"},
      {"{\"account\": {\"x\": 5}}", "account.x"},
      {"{\"streams\": []}", "streams"},
      {"[1, 2]", "(top level)"},
      {"{\"config\": {\"protocols\": [{\"port\": 1}]}}", "config.protocols[0].connector"},
  };
  for (const Case &c : cases) {
    write_file(path, c.text);
    g_assert_false(config.load(path, &error));
    g_assert_nonnull(error);
    if (!strstr(error->message, c.path)) g_error("'%s' not named in: %s", c.path, error->message);
    g_assert_true(g_str_has_prefix(error->message, (path + ":1:").c_str()));
    g_clear_error(&error);
  }
}

void test_unknown_keys_written_back() {
  t::TempDir dir;
  std::string path = dir.file("config.json");
  const char *text = R"({"future_section": {"x": [1, 2, {"y": null}]},
    "config": {"controller": {"port": 4242, "tuning": "fast"}, "protocols": [], "newthing": 1.5},
    "streams": {"s": {"source": "/a.mp4", "my_plugin_option": {"deep": true}}}})";
  write_file(path, text);
  Config config;
  GError *error = nullptr;
  g_assert_true(config.load(path, &error));
  json_object_set_string_member(config.streams(), "added", "later");  // a change, then save
  g_assert_true(config.save(&error));
  g_assert_no_error(error);
  GRef<JsonNode> saved = t::parse(read_file(path));
  JsonObject *root = json_node_get_object(saved.get());
  assert_json_eq(t::member(root, "future_section"), R"({"x": [1, 2, {"y": null}]})");
  JsonObject *cfg = t::object_member(root, "config");
  assert_json_eq(t::member(cfg, "newthing"), "1.5");
  assert_json_eq(t::member(cfg, "controller"), R"({"port": 4242, "tuning": "fast"})");
  JsonObject *s = t::object_member(t::object_member(root, "streams"), "s");
  assert_json_eq(t::member(s, "my_plugin_option"), R"({"deep": true})");
}

void test_save_complete_and_private() {
  t::TempDir dir;
  std::string path = dir.file("config.json");
  Config config;
  config.set_path(path);
  // Large enough that a torn write would show.
  for (int i = 0; i < 2000; i++) {
    std::string name = "stream" + std::to_string(i);
    JsonObject *s = json_object_new();
    json_object_set_string_member(s, "source", ("/media/" + name + ".mp4").c_str());
    json_object_set_object_member(config.streams(), name.c_str(), s);
  }
  GError *error = nullptr;
  umask(022);
  g_assert_true(config.save(&error));
  g_assert_no_error(error);
  std::string text = read_file(path);
  assert_string_eq(text, config.to_string());
  g_assert_true(json_node_equal(t::parse(text).get(), config.root_node()));
  struct stat st;
  g_assert_cmpint(stat(path.c_str(), &st), ==, 0);
  g_assert_cmpint(st.st_mode & 0777, ==, 0600);
  // A second save over an existing file keeps the mode and leaves no temp files behind.
  g_assert_true(config.save(&error));
  g_assert_cmpint(stat(path.c_str(), &st), ==, 0);
  g_assert_cmpint(st.st_mode & 0777, ==, 0600);
  GDir *d = g_dir_open(dir.path(), 0, nullptr);
  int files = 0;
  while (g_dir_read_name(d)) files++;
  g_dir_close(d);
  g_assert_cmpint(files, ==, 1);
}

void test_save_failure_keeps_old_file() {
  t::TempDir dir;
  std::string path = dir.file("config.json");
  const std::string old_text = "{\"streams\": {\"old\": {\"source\": \"/old.mp4\"}}}\n";
  write_file(path, old_text);
  Config config;
  GError *error = nullptr;
  g_assert_true(config.load(path, &error));
  for (int i = 0; i < 200; i++) {
    JsonObject *s = json_object_new();
    json_object_set_string_member(s, "source",
                                  "/media/a-rather-long-file-name-to-fill-the-disk.mp4");
    json_object_set_object_member(config.streams(), ("new" + std::to_string(i)).c_str(), s);
  }
  // The file size limit makes the write fail part way, as a full disk would (root ignores
  // permission bits, so read-only folders cannot be used to provoke the failure).
  struct rlimit saved, small = {512, 512};
  g_assert_cmpint(getrlimit(RLIMIT_FSIZE, &saved), ==, 0);
  small.rlim_max = saved.rlim_max;
  void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
  g_assert_cmpint(setrlimit(RLIMIT_FSIZE, &small), ==, 0);
  bool ok = config.save(&error);
  g_assert_cmpint(setrlimit(RLIMIT_FSIZE, &saved), ==, 0);
  signal(SIGXFSZ, old_handler);
  g_assert_false(ok);
  g_assert_nonnull(error);
  g_test_message("save failed as intended: %s", error->message);
  g_clear_error(&error);
  assert_string_eq(read_file(path), old_text);
  GDir *d = g_dir_open(dir.path(), 0, nullptr);
  int files = 0;
  while (g_dir_read_name(d)) files++;
  g_dir_close(d);
  g_assert_cmpint(files, ==, 1);  // the temp file was removed

  // A folder that does not exist: an error, nothing created.
  config.set_path(dir.file("missing/config.json"));
  g_assert_false(config.save(&error));
  g_assert_nonnull(error);
  g_clear_error(&error);
}

void test_json_depth() {
  using estuary::json_depth_within;
  g_assert_true(json_depth_within("{}", 1));
  g_assert_false(json_depth_within("{\"a\": []}", 1));
  g_assert_true(json_depth_within("{\"a\": []}", 2));
  g_assert_true(json_depth_within("[[1], [2], {\"x\": [3]}]", 3));
  g_assert_false(json_depth_within("[[[1]]]", 2));
  // Brackets inside strings, with escaped quotes, do not count.
  g_assert_true(json_depth_within("{\"a\": \"[[[[\\\"{{{{\"}", 1));
  g_assert_false(json_depth_within("{\"a\": \"\\\\\", \"b\": [[]]}", 2));
  std::string deep = std::string(100000, '[') + std::string(100000, ']');
  g_assert_false(json_depth_within(deep));
  g_assert_true(json_depth_within(std::string(64, '[') + std::string(64, ']')));
  g_assert_false(json_depth_within(std::string(65, '[') + std::string(65, ']')));
}

}  // namespace

int main(int argc, char **argv) {
  t::init(&argc, &argv);
  g_test_add_func("/controller/config/load-mist-config", test_load_mist_config);
  g_test_add_func("/controller/config/missing-file", test_missing_file);
  g_test_add_func("/controller/config/bad-json-position", test_bad_json_position);
  g_test_add_func("/controller/config/wrong-type-position", test_wrong_type_position);
  g_test_add_func("/controller/config/unknown-keys-written-back", test_unknown_keys_written_back);
  g_test_add_func("/controller/config/save-complete-and-private", test_save_complete_and_private);
  g_test_add_func("/controller/config/save-failure-keeps-old-file",
                  test_save_failure_keeps_old_file);
  g_test_add_func("/controller/config/json-depth", test_json_depth);
  return g_test_run();
}
