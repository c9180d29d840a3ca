// The plugin built in src/elements loads through GST_PLUGIN_PATH (set by meson test): gst-inspect
// finds estbuffer, and gst-launch runs a real encoder into it and exits on its EOS.
#include <gst/gst.h>

#include <cstring>
#include <string>

#include "common/gref.h"

using estuary::GCharPtr;
using estuary::GErrorPtr;
using estuary::GRef;

static bool run(const char *cmdline, std::string *out, int *status) {
  gchar *o = nullptr, *e = nullptr;
  GError *err = nullptr;
  gboolean ok = g_spawn_command_line_sync(cmdline, &o, &e, status, &err);
  GCharPtr ofree(o), efree(e);
  GErrorPtr efree2(err);
  if (!ok) return false;
  *out = std::string(o ? o : "") + (e ? e : "");
  return true;
}

static void test_inspect() {
  GCharPtr tool(g_find_program_in_path("gst-inspect-1.0"));
  if (!tool) {
    g_test_skip("gst-inspect-1.0 not installed");
    return;
  }
  g_assert_nonnull(g_getenv("GST_PLUGIN_PATH"));
  std::string out;
  int status = -1;
  g_assert_true(run("gst-inspect-1.0 estbuffer", &out, &status));
  if (!g_spawn_check_wait_status(status, nullptr)) g_printerr("%s\n", out.c_str());
  g_assert_true(g_spawn_check_wait_status(status, nullptr));
  g_assert_nonnull(strstr(out.c_str(), "libgstestuary.so"));
  g_assert_nonnull(strstr(out.c_str(), "Estuary stream buffer"));
  g_assert_nonnull(strstr(out.c_str(), "sink_%u"));
  for (const char *prop :
       {"buffer-time", "cut-time", "segment-size", "resume", "resume-time", "live"}) {
    g_assert_nonnull(strstr(out.c_str(), prop));
  }
}

static void test_launch() {
  GCharPtr tool(g_find_program_in_path("gst-launch-1.0"));
  if (!tool) {
    g_test_skip("gst-launch-1.0 not installed");
    return;
  }
  GRef<GstElementFactory> x264 =
      GRef<GstElementFactory>::adopt(gst_element_factory_find("x264enc"));
  if (!x264) {
    g_test_skip("x264enc (gstreamer1.0-plugins-ugly) not installed");
    return;
  }
  std::string out;
  int status = -1;
  // Without resume the buffer posts EOS when its pads are done, so gst-launch exits by itself.
  g_assert_true(
      run("gst-launch-1.0 -q videotestsrc num-buffers=30 ! video/x-raw,width=160,height=120"
          " ! x264enc ! h264parse ! estbuffer name=b "
          "audiotestsrc num-buffers=20 ! avenc_aac ! aacparse ! b.",
          &out, &status));
  if (!g_spawn_check_wait_status(status, nullptr)) g_printerr("%s\n", out.c_str());
  g_assert_true(g_spawn_check_wait_status(status, nullptr));
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, nullptr);
  gst_init(&argc, &argv);
  g_test_add_func("/estbuffer/plugin/gst-inspect", test_inspect);
  g_test_add_func("/estbuffer/plugin/gst-launch", test_launch);
  return g_test_run();
}
