// Helpers for the controller's unit tests: JSON in and out, a controller whose configuration
// lives in a temporary folder, and api_run() on a request written as JSON text.
#pragma once

#include <glib.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <json-glib/json-glib.h>

#include <memory>
#include <string>

#include "common/gref.h"
#include "controller/api-call.h"
#include "controller/controller.h"
#include "controller/log.h"

namespace estuary::test {

// g_test_init plus what the controller needs: GStreamer and its debug categories.
inline void init(int *argc, char ***argv) {
  g_test_init(argc, argv, nullptr);
  gst_init(argc, argv);
  log::init(log::kDefaultLevel);
}

// Parses `text`, failing the test on a syntax error. Transfer full.
inline GRef<JsonNode> parse(const std::string &text) {
  GRef<JsonParser> parser = GRef<JsonParser>::adopt(json_parser_new());
  GError *error = nullptr;
  if (!json_parser_load_from_data(parser.get(), text.data(), static_cast<gssize>(text.size()),
                                  &error)) {
    g_error("test JSON does not parse: %s\n%s", error->message, text.c_str());
  }
  return GRef<JsonNode>::adopt(json_node_copy(json_parser_get_root(parser.get())));
}

inline std::string to_json(JsonNode *node) {
  GCharPtr text(json_to_string(node, FALSE));
  return text.get();
}

inline std::string to_json(JsonObject *obj) {
  GRef<JsonNode> node = GRef<JsonNode>::adopt(json_node_init_object(json_node_alloc(), obj));
  return to_json(node.get());
}

// Asserts that `actual` equals the JSON `expected_text` (object member order ignored).
#define assert_json_eq(actual, expected_text)                                   \
  do {                                                                          \
    estuary::GRef<JsonNode> expected_ = estuary::test::parse(expected_text);    \
    JsonNode *actual_ = (actual);                                               \
    if (!actual_ || !json_node_equal(actual_, expected_.get())) {               \
      g_error("JSON differs\n  expected: %s\n  actual:   %s",                   \
              estuary::test::to_json(expected_.get()).c_str(),                  \
              actual_ ? estuary::test::to_json(actual_).c_str() : "(missing)"); \
    }                                                                           \
  } while (0)

// g_assert_cmpstr for std::string values (keeps temporaries alive while they are compared).
#define assert_string_eq(a, b)                   \
  do {                                           \
    std::string a_ = (a), b_ = (b);              \
    g_assert_cmpstr(a_.c_str(), ==, b_.c_str()); \
  } while (0)

// A member of an object, failing the test when it is missing. Transfer none.
inline JsonNode *member(JsonObject *obj, const char *name) {
  JsonNode *node = obj ? json_object_get_member(obj, name) : nullptr;
  if (!node) g_error("member '%s' missing in %s", name, obj ? to_json(obj).c_str() : "null");
  return node;
}

inline JsonObject *object_member(JsonObject *obj, const char *name) {
  JsonNode *node = member(obj, name);
  if (!JSON_NODE_HOLDS_OBJECT(node)) g_error("member '%s' is not an object", name);
  return json_node_get_object(node);
}

inline JsonArray *array_member(JsonObject *obj, const char *name) {
  JsonNode *node = member(obj, name);
  if (!JSON_NODE_HOLDS_ARRAY(node)) g_error("member '%s' is not an array", name);
  return json_node_get_array(node);
}

// A temporary folder, removed with its files (not subfolders of subfolders) at the end.
class TempDir {
 public:
  TempDir() {
    GError *error = nullptr;
    path_ = g_dir_make_tmp("estuary-test-XXXXXX", &error);
    g_assert_no_error(error);
  }
  ~TempDir() {
    remove_tree(path_);
    g_free(path_);
  }
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;
  std::string file(const char *name) const { return std::string(path_) + "/" + name; }
  const char *path() const { return path_; }

 private:
  static void remove_tree(const char *dir) {
    if (GDir *d = g_dir_open(dir, 0, nullptr)) {
      while (const char *name = g_dir_read_name(d)) {
        GCharPtr child(g_build_filename(dir, name, nullptr));
        if (g_file_test(child.get(), G_FILE_TEST_IS_DIR) &&
            !g_file_test(child.get(), G_FILE_TEST_IS_SYMLINK))
          remove_tree(child.get());
        else
          g_unlink(child.get());
      }
      g_dir_close(d);
    }
    g_rmdir(dir);
  }
  gchar *path_;
};

// Stands in for a protocol's server: unit tests must not open real listeners on fixed ports.
class FakeListener : public Listener {
 public:
  bool running() const override { return true; }
};

// A controller with its configuration file in a temporary folder, and every known connector
// served by a FakeListener.
struct ApiFixture {
  TempDir dir;
  std::unique_ptr<Controller> ctl = std::make_unique<Controller>();
  ApiFixture() {
    ctl->config.set_path(dir.file("config.json"));
    GList *names = json_object_get_members(ctl->connectors());
    for (GList *l = names; l; l = l->next) {
      ctl->protocols.register_factory(
          static_cast<const char *>(l->data),
          [](JsonObject *, GError **) { return std::unique_ptr<Listener>(new FakeListener()); });
    }
    g_list_free(names);
  }

  // Runs `request` (JSON text) as an authorized caller would. Transfer full.
  GRef<JsonObject> run(const std::string &request, bool minimal = true) {
    GRef<JsonNode> command = parse(request);
    g_assert_true(JSON_NODE_HOLDS_OBJECT(command.get()));
    GRef<JsonObject> reply = GRef<JsonObject>::adopt(json_object_new());
    api_run(*ctl, json_node_get_object(command.get()), reply.get(), minimal);
    return reply;
  }

  // The stored configuration part `name` of the root ("streams", "ui_settings"...).
  JsonNode *stored(const char *name) { return json_object_get_member(ctl->config.root(), name); }
};

}  // namespace estuary::test
