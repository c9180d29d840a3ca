// API families browse, ui_settings, save, log, clearstatlogs, capabilities, active_streams,
// stats_streams, clients, totals (manual 4.1.2, 4.1.10 - 4.1.18) and unknown calls, through
// api_run() with the manual's example requests.
#include <sys/stat.h>

#include <string>

#include "controller-test-util.h"

using estuary::GRef;
using estuary::json_int_or;
using estuary::json_string_or;
namespace t = estuary::test;

namespace {

gint64 now_s() { return g_get_real_time() / G_USEC_PER_SEC; }

void test_browse() {
  t::ApiFixture f;
  t::TempDir folder;
  g_assert_true(g_file_set_contents(folder.file("file2.mp3").c_str(), "x", 1, nullptr));
  g_assert_true(g_file_set_contents(folder.file("file1.dtsc").c_str(), "x", 1, nullptr));
  g_assert_cmpint(g_mkdir(folder.file("folder1").c_str(), 0700), ==, 0);
  char *real = realpath(folder.path(), nullptr);
  std::string expected =
      std::string(R"({"path": ")") + real +
      R"(", "files": ["file1.dtsc", "file2.mp3"], "subdirectories": ["folder1"]})";
  free(real);
  // The path as a string, and as {"path": ...}; a relative path with ".." resolves.
  GRef<JsonObject> r = f.run(std::string(R"({"browse": ")") + folder.path() + "\"}");
  assert_json_eq(t::member(r.get(), "browse"), expected.c_str());
  r = f.run(std::string(R"({"browse": {"path": ")") + folder.path() + "/folder1/..\"}}");
  assert_json_eq(t::member(r.get(), "browse"), expected.c_str());
  // Empty: the working directory.
  r = f.run(R"({"browse": ""})");
  char *cwd = g_get_current_dir();
  g_assert_cmpstr(json_string_or(t::object_member(r.get(), "browse"), "path", ""), ==, cwd);
  g_free(cwd);
  // A folder that does not exist, and a file that is not a folder: an error naming browse.
  for (std::string missing : {folder.file("nope"), folder.file("file1.dtsc")}) {
    r = f.run(R"({"browse": ")" + missing + "\"}");
    g_assert_false(json_object_has_member(r.get(), "browse"));
    const char *err = json_string_or(r.get(), "error", "");
    g_assert_true(g_str_has_prefix(err, "browse:"));
    g_assert_nonnull(strstr(err, missing.c_str()));
  }
  r = f.run(R"({"browse": 5})");
  g_assert_true(g_str_has_prefix(json_string_or(r.get(), "error", ""), "browse:"));
}

void test_ui_settings_and_save() {
  t::ApiFixture f;
  // Read before anything was stored.
  GRef<JsonObject> r = f.run(R"({"ui_settings": true})");
  assert_json_eq(t::member(r.get(), "ui_settings"), "{}");
  // Store arbitrary data; the answer and later reads return it.
  r = f.run(R"({"ui_settings": {"theme": "dark", "columns": [1, 2], "nested": {"a": null}}})");
  assert_json_eq(t::member(r.get(), "ui_settings"),
                 R"({"theme": "dark", "columns": [1, 2], "nested": {"a": null}})");
  r = f.run(R"({"ui_settings": "read"})");
  assert_json_eq(t::member(r.get(), "ui_settings"),
                 R"({"theme": "dark", "columns": [1, 2], "nested": {"a": null}})");
  // `save` writes it (and what the same request changed) to the file; there is no answer.
  g_assert_false(g_file_test(f.ctl->config.path().c_str(), G_FILE_TEST_EXISTS));
  r = f.run(R"({"addstream": {"kept": {"source": "/k.mp4"}}, "save": true})");
  g_assert_false(json_object_has_member(r.get(), "save"));
  g_assert_false(json_object_has_member(r.get(), "error"));
  gchar *text = nullptr;
  g_assert_true(g_file_get_contents(f.ctl->config.path().c_str(), &text, nullptr, nullptr));
  GRef<JsonNode> saved = t::parse(text);
  g_free(text);
  JsonObject *root = json_node_get_object(saved.get());
  assert_json_eq(t::member(root, "ui_settings"),
                 R"({"theme": "dark", "columns": [1, 2], "nested": {"a": null}})");
  assert_json_eq(t::member(t::object_member(root, "streams"), "kept"),
                 R"({"source": "/k.mp4", "name": "kept"})");
  struct stat st;
  g_assert_cmpint(stat(f.ctl->config.path().c_str(), &st), ==, 0);
  g_assert_cmpint(st.st_mode & 0777, ==, 0600);
}

void test_log_and_clearstatlogs() {
  t::ApiFixture f;
  estuary::log::clear_lines();
  GST_CAT_INFO(estuary::log::cat_api, "first line");
  GST_CAT_WARNING(estuary::log::cat_api, "second line");
  GRef<JsonObject> r = f.run(R"({"log": true})");
  // Oldest first; [unix time, "KIND", "message"].
  assert_json_eq(t::member(r.get(), "log"),
                 (R"([[)" +
                  std::to_string(json_array_get_int_element(
                      json_array_get_array_element(t::array_member(r.get(), "log"), 0), 0)) +
                  R"(, "INFO", "first line"], [)" +
                  std::to_string(json_array_get_int_element(
                      json_array_get_array_element(t::array_member(r.get(), "log"), 1), 0)) +
                  R"(, "WARN", "second line"]])")
                     .c_str());
  gint64 t0 = json_array_get_int_element(
      json_array_get_array_element(t::array_member(r.get(), "log"), 0), 0);
  g_assert_cmpint(ABS(t0 - now_s()), <=, 2);

  // A log answer given with clearstatlogs shows the log from before the truncation...
  r = f.run(R"({"clearstatlogs": true, "log": true})");
  JsonArray *before = t::array_member(r.get(), "log");
  g_assert_cmpuint(json_array_get_length(before), ==, 2);
  // ...and the next one starts empty. The manual's spelling "clearstatlog" works too.
  r = f.run(R"({"log": true})");
  g_assert_cmpuint(json_array_get_length(t::array_member(r.get(), "log")), ==, 0);
  GST_CAT_INFO(estuary::log::cat_api, "third line");
  r = f.run(R"({"clearstatlog": true})", /*minimal=*/false);
  g_assert_cmpuint(json_array_get_length(t::array_member(r.get(), "log")), ==, 1);
  r = f.run(R"({"log": 1})");
  g_assert_cmpuint(json_array_get_length(t::array_member(r.get(), "log")), ==, 0);
  // clearstatlogs alone in a minimal request has no answer.
  r = f.run(R"({"clearstatlogs": true})");
  g_assert_false(json_object_has_member(r.get(), "log"));
  g_assert_false(json_object_has_member(r.get(), "clearstatlogs"));
}

void test_minimal_and_unknown() {
  t::ApiFixture f;
  // Non-minimal answers always carry streams, config and log.
  GRef<JsonObject> r = f.run("{}", /*minimal=*/false);
  g_assert_true(json_object_has_member(r.get(), "streams"));
  g_assert_true(json_object_has_member(r.get(), "config"));
  g_assert_true(json_object_has_member(r.get(), "log"));
  r = f.run("{}", /*minimal=*/true);
  g_assert_cmpuint(json_object_get_size(r.get()), ==, 0);
  // Unknown calls: an error naming each; the known calls of the request still run.
  r = f.run(R"({"frobnicate": 1, "ui_settings": true, "pushh_list": true})");
  const char *err = json_string_or(r.get(), "error", "");
  g_assert_nonnull(strstr(err, "frobnicate: unknown call"));
  g_assert_nonnull(strstr(err, "pushh_list: unknown call"));
  g_assert_true(json_object_has_member(r.get(), "ui_settings"));
}

void test_capabilities() {
  t::ApiFixture f;
  GRef<JsonObject> r = f.run(R"({"capabilities": true})");
  JsonObject *caps = t::object_member(r.get(), "capabilities");
  JsonObject *conns = t::object_member(caps, "connectors");
  g_assert_true(json_object_has_member(conns, "HTTP"));
  g_assert_true(json_object_has_member(conns, "RTMP"));
  t::object_member(caps, "inputs");
  for (const char *name : {"cpu", "load", "mem"}) t::member(caps, name);
  g_assert_cmpint(json_int_or(caps, "threads", 0), >, 0);
  JsonObject *mem = t::object_member(caps, "mem");
  g_assert_cmpint(json_int_or(mem, "total", 0), >, 0);
}

void test_active_and_stats_streams() {
  t::ApiFixture f;
  auto &ctl = *f.ctl;
  ctl.streams.set_state("live", estuary::StreamState::kReady, "test");
  ctl.streams.set_times("live", 1000, 365000, true);
  ctl.streams.set_state("vod", estuary::StreamState::kReady, "test");
  ctl.streams.set_times("vod", 0, 60000, false);
  ctl.streams.set_state("gone", estuary::StreamState::kOffline, "test");
  ctl.sessions.open({"192.0.2.1", "live", "HLS"});
  ctl.sessions.open({"192.0.2.2", "live", "RTMP"});
  ctl.sessions.open({"192.0.2.3", "vod", "HTTP"});

  // First form: names.
  GRef<JsonObject> r = f.run(R"({"active_streams": true})");
  assert_json_eq(t::member(r.get(), "active_streams"), R"(["live", "vod"])");
  // Second form: the requested properties in request order; lastms is zero for VoD.
  r = f.run(R"({"active_streams": ["clients", "lastms"]})");
  assert_json_eq(t::member(r.get(), "active_streams"), R"({"live": [2, 365000], "vod": [1, 0]})");

  // Stats: streams with sessions now or in the window, including ones that are not active.
  ctl.sessions.open({"192.0.2.4", "archive", "HTTP"});
  ctl.sessions.sample(now_s());
  // (Streams that went offline since start may be listed too, so their reason can be read.)
  r = f.run(R"({"stats_streams": true})");
  JsonArray *names = t::array_member(r.get(), "stats_streams");
  std::string listed;
  for (guint i = 0; i < json_array_get_length(names); i++)
    listed += std::string(json_array_get_string_element(names, i)) + ",";
  g_assert_true(g_str_has_prefix(listed.c_str(), "archive,"));  // sorted
  for (const char *n : {"archive,", "live,", "vod,"}) g_assert_nonnull(strstr(listed.c_str(), n));
  r = f.run(R"({"stats_streams": ["clients", "lastms"]})");
  JsonObject *props = t::object_member(r.get(), "stats_streams");
  assert_json_eq(t::member(props, "archive"), "[1, 0]");
  assert_json_eq(t::member(props, "live"), "[2, 365000]");
  assert_json_eq(t::member(props, "vod"), "[1, 0]");
}

void test_clients_shape() {
  t::ApiFixture f;
  auto &ctl = *f.ctl;
  gint64 now = now_s();
  estuary::SessionInfo a{"192.0.2.1", "streama", "HLS"};
  a.start_s = now - 30;
  guint64 ida = ctl.sessions.open(a);
  ctl.sessions.update(ida, 12000, 5000, 100);
  ctl.sessions.open({"192.0.2.2", "streamb", "HSS"});
  ctl.sessions.open({"192.0.2.3", "streamc", "RTMP"});

  // The manual's request, one object.
  GRef<JsonObject> r = f.run(R"({"clients": {"streams": ["streama", "streamb", "streamc"],
      "protocols": ["HLS", "HSS"],
      "fields": ["host", "stream", "protocol", "conntime", "position", "down", "up", "downbps", "upbps"],
      "time": -20}})");
  JsonObject *c = t::object_member(r.get(), "clients");
  g_assert_cmpuint(json_object_get_size(c), ==, 3);  // time, fields, data
  g_assert_cmpint(ABS(json_int_or(c, "time", 0) - (now - 20)), <=, 2);
  assert_json_eq(t::member(c, "fields"), R"(["host", "stream", "protocol", "conntime", "position",
                                             "down", "up", "downbps", "upbps"])");
  JsonArray *data = t::array_member(c, "data");
  g_assert_cmpuint(json_array_get_length(data), ==, 2);  // RTMP filtered out
  for (guint i = 0; i < 2; i++)
    g_assert_cmpuint(json_array_get_length(json_array_get_array_element(data, i)), ==, 9);

  // Absolute time, a subset of fields in the requested order, unknown fields dropped.
  r = f.run(R"({"clients": {"fields": ["stream", "host", "bogus"], "time": 1234567}})");
  c = t::object_member(r.get(), "clients");
  g_assert_cmpint(json_int_or(c, "time", 0), ==, 1234567);
  assert_json_eq(t::member(c, "fields"), R"(["stream", "host"])");
  g_assert_cmpuint(json_array_get_length(t::array_member(c, "data")), ==, 3);
  r = f.run(
      R"({"clients": {"streams": ["streama"], "fields": ["host", "position", "down", "up"]}})");
  assert_json_eq(t::member(t::object_member(r.get(), "clients"), "data"),
                 R"([["192.0.2.1", 12, 5000, 100]])");

  // Several requests at once: an array of answers in request order.
  r = f.run(
      R"({"clients": [{"streams": ["streamb"]}, {"protocols": ["RTMP"], "fields": ["protocol"]}, {}]})");
  JsonArray *answers = t::array_member(r.get(), "clients");
  g_assert_cmpuint(json_array_get_length(answers), ==, 3);
  JsonObject *second = json_array_get_object_element(answers, 1);
  assert_json_eq(t::member(second, "data"), R"([["RTMP"]])");
  g_assert_cmpuint(
      json_array_get_length(t::array_member(json_array_get_object_element(answers, 0), "data")), ==,
      1);
  g_assert_cmpuint(
      json_array_get_length(t::array_member(json_array_get_object_element(answers, 2), "data")), ==,
      3);
}

void test_totals_shape() {
  t::ApiFixture f;
  auto &ctl = *f.ctl;
  gint64 now = now_s();
  ctl.sessions.open({"192.0.2.1", "streama", "HLS"});
  ctl.sessions.sample(now - 30);
  ctl.sessions.sample(now - 25);
  ctl.sessions.open({"192.0.2.2", "streamb", "HSS"});
  ctl.sessions.sample(now - 20);
  ctl.sessions.sample(now - 19);
  ctl.sessions.sample(now - 18);

  GRef<JsonObject> r = f.run(R"({"totals": {"streams": ["streama", "streamb", "streamc"],
      "protocols": ["HLS", "HSS"], "fields": ["clients", "downbps", "upbps"]}})");
  JsonObject *tot = t::object_member(r.get(), "totals");
  g_assert_cmpint(json_int_or(tot, "start", 0), ==, now - 30);
  g_assert_cmpint(json_int_or(tot, "end", 0), ==, now - 18);
  assert_json_eq(t::member(tot, "fields"), R"(["clients", "downbps", "upbps"])");
  assert_json_eq(t::member(tot, "data"),
                 R"([[1, 0, 0], [1, 0, 0], [2, 0, 0], [2, 0, 0], [2, 0, 0]])");
  // The intervals describe every point: counts add up to the data and the steps span start..end.
  JsonArray *interval = t::array_member(tot, "interval");
  gint64 points = 0, span = 0;
  for (guint i = 0; i < json_array_get_length(interval); i++) {
    JsonArray *pair = json_array_get_array_element(interval, i);
    g_assert_cmpuint(json_array_get_length(pair), ==, 2);
    points += json_array_get_int_element(pair, 0);
    span += json_array_get_int_element(pair, 0) * json_array_get_int_element(pair, 1);
  }
  g_assert_cmpint(points, ==, 5);
  g_assert_cmpint(json_int_or(tot, "start", 0) + span, ==, json_int_or(tot, "end", 0));

  // Relative start/end, a field subset and a stream filter; the multi-request array form.
  r = f.run(R"({"totals": [{"start": -22, "end": -19, "fields": ["clients"]},
                           {"streams": ["streamb"], "fields": ["clients"]},
                           {"start": 1000, "end": 2000}]})");
  JsonArray *answers = t::array_member(r.get(), "totals");
  g_assert_cmpuint(json_array_get_length(answers), ==, 3);
  JsonObject *a = json_array_get_object_element(answers, 0);
  g_assert_cmpint(json_int_or(a, "start", 0), ==, now - 20);
  g_assert_cmpint(json_int_or(a, "end", 0), ==, now - 19);
  assert_json_eq(t::member(a, "data"), "[[2], [2]]");
  JsonObject *b = json_array_get_object_element(answers, 1);
  assert_json_eq(t::member(b, "data"), "[[0], [0], [1], [1], [1]]");
  // Nothing in range: absolute start/end still present, empty data.
  JsonObject *c = json_array_get_object_element(answers, 2);
  for (const char *m : {"start", "end", "fields", "interval", "data"}) t::member(c, m);
  g_assert_cmpuint(json_array_get_length(t::array_member(c, "data")), ==, 0);
}

}  // namespace

int main(int argc, char **argv) {
  t::init(&argc, &argv);
  g_test_add_func("/controller/api/browse", test_browse);
  g_test_add_func("/controller/api/ui-settings-and-save", test_ui_settings_and_save);
  g_test_add_func("/controller/api/log-and-clearstatlogs", test_log_and_clearstatlogs);
  g_test_add_func("/controller/api/minimal-and-unknown", test_minimal_and_unknown);
  g_test_add_func("/controller/api/capabilities", test_capabilities);
  g_test_add_func("/controller/api/active-and-stats-streams", test_active_and_stats_streams);
  g_test_add_func("/controller/api/clients", test_clients_shape);
  g_test_add_func("/controller/api/totals", test_totals_shape);
  return g_test_run();
}
