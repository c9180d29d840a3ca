// API families streams/addstream/deletestream and config/addprotocol/deleteprotocol/
// updateprotocol (manual 4.1.3 - 4.1.9), run through api_run() with the manual's examples.
#include <string>

#include "controller-test-util.h"

using estuary::GRef;
namespace t = estuary::test;

namespace {

void test_addstream() {
  t::ApiFixture f;
  GRef<JsonObject> r = f.run(R"({"addstream": {"streamname_here": {"source": "/media/a.mp4"},
                                                "second": {"source": "push://", "DVR": 30000}}})");
  g_assert_false(json_object_has_member(r.get(), "error"));
  assert_json_eq(t::member(r.get(), "streams"),
                 R"({"incomplete list": 1,
                     "streamname_here": {"source": "/media/a.mp4", "name": "streamname_here"},
                     "second": {"source": "push://", "DVR": 30000, "name": "second"}})");
  // Updating one stream leaves the other alone, and the answer lists only the changed one.
  r = f.run(R"({"addstream": {"second": {"source": "push://1.2.3.4"}}})");
  assert_json_eq(
      t::member(r.get(), "streams"),
      R"({"incomplete list": 1, "second": {"source": "push://1.2.3.4", "name": "second"}})");
  assert_json_eq(f.stored("streams"),
                 R"({"streamname_here": {"source": "/media/a.mp4", "name": "streamname_here"},
                     "second": {"source": "push://1.2.3.4", "name": "second"}})");
  // An empty addstream deletes nothing.
  r = f.run(R"({"addstream": {}})");
  g_assert_cmpuint(json_object_get_size(json_node_get_object(f.stored("streams"))), ==, 2);
  // Names are made canonical (lowercase, a-z 0-9 _ only), as MistServer does.
  r = f.run(R"({"addstream": {"My-Cam": {"source": "push://"}}})");
  g_assert_true(json_object_has_member(json_node_get_object(f.stored("streams")), "mycam"));
}

void test_addstream_refusals() {
  t::ApiFixture f;
  struct Case {
    const char *request;
    const char *named;
  } cases[] = {
      {R"({"addstream": {"a": {"source": 5}}})", "a.source"},
      {R"({"addstream": {"a": {}}})", "a.source"},
      {R"({"addstream": {"a": "x"}})", "a"},
      {R"({"addstream": {"---": {"source": "/x"}}})", "---"},
      {R"({"addstream": {"a+b": {"source": "/x"}}})", "wildcard"},
      {R"({"addstream": ["a"]})", "addstream"},
      {R"({"addstream": {"ok": {"source": "/x"}, "bad": {"source": 1}}})", "bad.source"},
  };
  for (const Case &c : cases) {
    GRef<JsonObject> r = f.run(c.request);
    const char *err = estuary::json_string_or(r.get(), "error", nullptr);
    if (!err || !strstr(err, "addstream") || !strstr(err, c.named))
      g_error("%s: error should name addstream and %s, got %s", c.request, c.named,
              err ? err : "none");
  }
  // Nothing of a refused request is applied, not even its valid part.
  assert_json_eq(f.stored("streams"), "{}");
}

void test_deletestream_three_forms() {
  t::ApiFixture f;
  const char *four = R"({"addstream": {"a": {"source": "/a"}, "b": {"source": "/b"},
                                      "c": {"source": "/c"}, "d": {"source": "/d"}, "e": {"source": "/e"}}})";
  f.run(four);
  // Object form; contents ignored.
  GRef<JsonObject> r = f.run(R"({"deletestream": {"a": {}, "b": {"source": "whatever"}}})");
  assert_json_eq(t::member(r.get(), "streams"), R"({"incomplete list": 1})");
  // Array form.
  r = f.run(R"({"deletestream": ["c", "nonexistent"]})");
  assert_json_eq(t::member(r.get(), "streams"), R"({"incomplete list": 1})");
  // String form.
  r = f.run(R"({"deletestream": "d"})");
  assert_json_eq(t::member(r.get(), "streams"), R"({"incomplete list": 1})");
  assert_json_eq(f.stored("streams"), R"({"e": {"source": "/e", "name": "e"}})");
  // Together with addstream the answer lists the added ones.
  r = f.run(R"({"deletestream": "e", "addstream": {"f": {"source": "/f"}}})");
  assert_json_eq(t::member(r.get(), "streams"),
                 R"({"incomplete list": 1, "f": {"source": "/f", "name": "f"}})");
  assert_json_eq(f.stored("streams"), R"({"f": {"source": "/f", "name": "f"}})");
  // Wrong types are refused by name.
  r = f.run(R"({"deletestream": 5})");
  g_assert_nonnull(strstr(estuary::json_string_or(r.get(), "error", ""), "deletestream"));
  r = f.run(R"({"deletestream": ["f", 3]})");
  g_assert_nonnull(strstr(estuary::json_string_or(r.get(), "error", ""), "deletestream"));
  assert_json_eq(f.stored("streams"), R"({"f": {"source": "/f", "name": "f"}})");
}

void test_streams_replace() {
  t::ApiFixture f;
  f.run(R"({"addstream": {"old": {"source": "/old"}}})");
  // Reading: any non-object value.
  GRef<JsonObject> r = f.run(R"({"streams": true})");
  assert_json_eq(t::member(r.get(), "streams"), R"({"old": {"source": "/old", "name": "old"}})");
  // Replacing: the whole list at once; the answer is the full list, not an incomplete one.
  r = f.run(R"({"streams": {"x": {"source": "/x"}, "y": {"source": "push://"}}})");
  assert_json_eq(
      t::member(r.get(), "streams"),
      R"({"x": {"source": "/x", "name": "x"}, "y": {"source": "push://", "name": "y"}})");
  assert_json_eq(
      f.stored("streams"),
      R"({"x": {"source": "/x", "name": "x"}, "y": {"source": "push://", "name": "y"}})");
  // A list sent back as an addstream answer came ("incomplete list" marker) is not a stream.
  r = f.run(R"({"streams": {"incomplete list": 1, "z": {"source": "/z"}}})");
  assert_json_eq(f.stored("streams"), R"({"z": {"source": "/z", "name": "z"}})");
  // A bad entry refuses the whole replacement.
  r = f.run(R"({"streams": {"a": {"source": "/a"}, "b": {"source": []}}})");
  g_assert_nonnull(strstr(estuary::json_string_or(r.get(), "error", ""), "b.source"));
  assert_json_eq(f.stored("streams"), R"({"z": {"source": "/z", "name": "z"}})");
  // An empty object clears every stream (the manual warns about this).
  r = f.run(R"({"streams": {}})");
  assert_json_eq(f.stored("streams"), "{}");
  assert_json_eq(t::member(r.get(), "streams"), "{}");
}

void test_config_changes() {
  t::ApiFixture f;
  GRef<JsonObject> r = f.run(R"({"config": {"controller": {"interface": "0.0.0.0", "port": 4242,
                                                             "username": "root", "debug": 3},
                                            "serverid": "edge-1", "prometheus": "pw",
                                            "accesslog": "LOG",
                                            "protocols": [{"connector": "HTTP"}, {"connector": "RTMP", "online": 1}]}})");
  g_assert_false(json_object_has_member(r.get(), "error"));
  JsonObject *cfg = t::object_member(r.get(), "config");
  assert_json_eq(t::member(cfg, "controller"),
                 R"({"interface": "0.0.0.0", "port": 4242, "username": "root", "debug": 3})");
  g_assert_cmpstr(estuary::json_string_or(cfg, "serverid", nullptr), ==, "edge-1");
  // The answer's extra members (manual 4.1.6).
  g_assert_cmpuint(strlen(estuary::json_string_or(cfg, "iid", "")), >, 0);
  g_assert_cmpint(estuary::json_int_or(cfg, "time", 0), >, 1600000000);
  g_assert_nonnull(estuary::json_string_or(cfg, "version", nullptr));
  JsonArray *protocols = t::array_member(cfg, "protocols");
  g_assert_cmpuint(json_array_get_length(protocols), ==, 2);
  // Both run (as stand-ins here): online = 1.
  for (guint i = 0; i < 2; i++)
    g_assert_cmpint(estuary::json_int_or(json_array_get_object_element(protocols, i), "online", -1),
                    ==, 1);
  // `online` is state, never stored.
  assert_json_eq(t::member(f.ctl->config.config(), "protocols"),
                 R"([{"connector": "HTTP"}, {"connector": "RTMP"}])");

  // Only given members change; null unsets (back to the default).
  r = f.run(R"({"config": {"controller": {"port": 4343, "interface": null}, "serverid": null}})");
  assert_json_eq(t::member(f.ctl->config.config(), "controller"),
                 R"({"port": 4343, "username": "root", "debug": 3})");
  g_assert_false(json_object_has_member(f.ctl->config.config(), "serverid"));
  g_assert_cmpstr(estuary::json_string_or(f.ctl->config.config(), "prometheus", nullptr), ==, "pw");
  assert_json_eq(t::member(f.ctl->config.config(), "protocols"),
                 R"([{"connector": "HTTP"}, {"connector": "RTMP"}])");
  // Read-only answer members sent back by a client are ignored.
  r = f.run(R"({"config": {"iid": "x", "time": 5, "version": "y"}})");
  g_assert_false(json_object_has_member(f.ctl->config.config(), "iid"));
  g_assert_false(json_object_has_member(f.ctl->config.config(), "time"));
  // Reading with a non-object value.
  r = f.run(R"({"config": true})");
  assert_json_eq(t::member(t::object_member(r.get(), "config"), "controller"),
                 R"({"port": 4343, "username": "root", "debug": 3})");
}

void test_config_refusals() {
  t::ApiFixture f;
  f.run(R"({"config": {"serverid": "before"}})");
  const char *bad[][2] = {
      {R"({"config": {"controller": {"port": "4242"}, "serverid": "after"}})",
       "config.controller.port"},
      {R"({"config": {"protocols": [{"port": 80}]}})", "config.protocols[0].connector"},
      {R"({"config": {"protocols": {"connector": "HTTP"}}})", "config.protocols"},
      {R"({"config": {"serverid": 7}})", "config.serverid"},
  };
  for (auto &c : bad) {
    GRef<JsonObject> r = f.run(c[0]);
    const char *err = estuary::json_string_or(r.get(), "error", "");
    if (!strstr(err, c[1])) g_error("%s: expected an error naming %s, got '%s'", c[0], c[1], err);
  }
  g_assert_cmpstr(estuary::json_string_or(f.ctl->config.config(), "serverid", nullptr), ==,
                  "before");
  assert_json_eq(t::member(f.ctl->config.config(), "protocols"), "[]");
}

void test_addprotocol_dedup() {
  t::ApiFixture f;
  GRef<JsonObject> r = f.run(R"({"addprotocol": {"connector": "HTTP", "port": 8080}})");
  g_assert_false(json_object_has_member(r.get(), "error"));
  // Identical again (also as an answer copy carrying `online`): silently not added.
  f.run(R"({"addprotocol": {"connector": "HTTP", "port": 8080}})");
  f.run(R"({"addprotocol": {"port": 8080, "connector": "HTTP", "online": 1}})");
  // The array form; a different setting is a different output.
  f.run(R"({"addprotocol": [{"connector": "RTMP"}, {"connector": "HTTP", "port": 8081},
                            {"connector": "RTMP"}]})");
  assert_json_eq(t::member(f.ctl->config.config(), "protocols"),
                 R"([{"connector": "HTTP", "port": 8080}, {"connector": "RTMP"},
                     {"connector": "HTTP", "port": 8081}])");
  r = f.run(R"({"addprotocol": {"port": 1}})");
  g_assert_nonnull(strstr(estuary::json_string_or(r.get(), "error", ""), "addprotocol"));
  r = f.run(R"({"addprotocol": "HTTP"})");
  g_assert_nonnull(strstr(estuary::json_string_or(r.get(), "error", ""), "addprotocol"));
  g_assert_cmpuint(json_array_get_length(f.ctl->config.protocols()), ==, 3);
}

void test_deleteprotocol_exact() {
  t::ApiFixture f;
  f.run(R"({"config": {"protocols": [{"connector": "HTTP", "port": 8080}, {"connector": "HTTP"},
                                     {"connector": "RTMP"}, {"connector": "HTTP"},
                                     {"connector": "TS", "port": 8888}]}})");
  // Only exact matches go; every exact match goes.
  GRef<JsonObject> r = f.run(R"({"deleteprotocol": {"connector": "HTTP"}})");
  g_assert_false(json_object_has_member(r.get(), "error"));
  assert_json_eq(t::member(f.ctl->config.config(), "protocols"),
                 R"([{"connector": "HTTP", "port": 8080}, {"connector": "RTMP"},
                     {"connector": "TS", "port": 8888}])");
  // No exact match: fails silently.
  r = f.run(R"({"deleteprotocol": {"connector": "TS", "port": 8889}})");
  g_assert_false(json_object_has_member(r.get(), "error"));
  r = f.run(R"({"deleteprotocol": {"connector": "TS"}})");
  g_assert_cmpuint(json_array_get_length(f.ctl->config.protocols()), ==, 3);
  // The array form, and an answer copy with `online` matches too.
  f.run(
      R"({"deleteprotocol": [{"connector": "RTMP", "online": 0}, {"port": 8888, "connector": "TS"}]})");
  assert_json_eq(t::member(f.ctl->config.config(), "protocols"),
                 R"([{"connector": "HTTP", "port": 8080}])");
}

void test_updateprotocol_dedup() {
  t::ApiFixture f;
  f.run(R"({"config": {"protocols": [{"connector": "HTTP", "port": 8080}, {"connector": "RTMP"},
                                     {"connector": "HTTP", "port": 8081}]}})");
  GRef<JsonObject> r = f.run(R"({"updateprotocol": [{"connector": "RTMP"},
                                                     {"connector": "RTMP", "port": 1936}]})");
  g_assert_false(json_object_has_member(r.get(), "error"));
  assert_json_eq(t::member(f.ctl->config.config(), "protocols"),
                 R"([{"connector": "HTTP", "port": 8080}, {"connector": "RTMP", "port": 1936},
                     {"connector": "HTTP", "port": 8081}])");
  // Updating into a copy of an existing entry: the de-duplicator keeps the first.
  f.run(
      R"({"updateprotocol": [{"connector": "HTTP", "port": 8081}, {"connector": "HTTP", "port": 8080}]})");
  assert_json_eq(t::member(f.ctl->config.config(), "protocols"),
                 R"([{"connector": "HTTP", "port": 8080}, {"connector": "RTMP", "port": 1936}])");
  // No exact match: silently nothing.
  r = f.run(R"({"updateprotocol": [{"connector": "RTMP"}, {"connector": "RTSP"}]})");
  g_assert_false(json_object_has_member(r.get(), "error"));
  assert_json_eq(t::member(f.ctl->config.config(), "protocols"),
                 R"([{"connector": "HTTP", "port": 8080}, {"connector": "RTMP", "port": 1936}])");
  // Wrong shapes are refused by name.
  for (const char *bad : {R"({"updateprotocol": {"connector": "RTMP"}})",
                          R"({"updateprotocol": [{"connector": "RTMP"}]})",
                          R"({"updateprotocol": [{"connector": "RTMP"}, {"port": 1}]})"}) {
    r = f.run(bad);
    const char *err = estuary::json_string_or(r.get(), "error", "");
    if (!strstr(err, "updateprotocol")) g_error("%s: error '%s'", bad, err);
  }
}

}  // namespace

int main(int argc, char **argv) {
  t::init(&argc, &argv);
  g_test_add_func("/controller/api/addstream", test_addstream);
  g_test_add_func("/controller/api/addstream-refusals", test_addstream_refusals);
  g_test_add_func("/controller/api/deletestream", test_deletestream_three_forms);
  g_test_add_func("/controller/api/streams-replace", test_streams_replace);
  g_test_add_func("/controller/api/config", test_config_changes);
  g_test_add_func("/controller/api/config-refusals", test_config_refusals);
  g_test_add_func("/controller/api/addprotocol", test_addprotocol_dedup);
  g_test_add_func("/controller/api/deleteprotocol", test_deleteprotocol_exact);
  g_test_add_func("/controller/api/updateprotocol", test_updateprotocol_dedup);
  return g_test_run();
}
