// The gst: input: live pipeline descriptions producing elementary or muxed streams become
// canonical parsed pads; broken descriptions fail at build time.
#include <gst/gst.h>

#include "test-inputs-harness.h"

using namespace estuary;
using namespace estuary::test;

namespace {

bool have_elements(std::initializer_list<const char *> names) {
  for (const char *name : names) {
    GRef<GstElementFactory> factory =
        GRef<GstElementFactory>::adopt(gst_element_factory_find(name));
    if (!factory) {
      g_test_skip((std::string("GStreamer element ") + name + " is not installed").c_str());
      return false;
    }
  }
  return true;
}

RunResult run_live(const std::string &source) {
  GError *error = nullptr;
  GstElement *input = build_input(source, "live", &error);
  g_assert_no_error(error);
  g_assert_nonnull(input);
  RunResult r = run_input(input, true);
  if (!r.error.empty()) g_error("%s: %s", source.c_str(), r.error.c_str());
  g_assert_true(r.eos);
  g_assert_true(r.no_more_pads);
  g_assert_cmpint(r.paused_return, ==, GST_STATE_CHANGE_NO_PREROLL);
  g_assert_true(r.latency_live);
  return r;
}

const GstStructure *structure_of(const PadRecord *pad) {
  g_assert_nonnull(pad);
  g_assert_true(pad->caps);
  return gst_caps_get_structure(pad->caps.get(), 0);
}

void assert_h264_avc(const PadRecord *pad) {
  const GstStructure *s = structure_of(pad);
  g_assert_cmpstr(gst_structure_get_name(s), ==, "video/x-h264");
  g_assert_cmpstr(gst_structure_get_string(s, "stream-format"), ==, "avc");
  g_assert_cmpstr(gst_structure_get_string(s, "alignment"), ==, "au");
  g_assert_true(gst_structure_has_field(s, "codec_data"));
}

constexpr char kLiveH264[] =
    "videotestsrc is-live=true num-buffers=60 ! video/x-raw,width=320,height=240,framerate=30/1 "
    "! x264enc key-int-max=30 tune=zerolatency speed-preset=ultrafast";

void test_elementary_h264() {
  if (!have_elements({"x264enc", "h264parse"})) return;
  // Byte-stream out of h264parse, and straight out of the encoder: both become avc/au.
  for (const std::string &tail : {std::string(" ! h264parse"), std::string()}) {
    RunResult r = run_live(std::string("gst:") + kLiveH264 + tail);
    g_assert_cmpuint(r.pads.size(), ==, 1);
    assert_h264_avc(r.pad("video_0"));
    g_assert_cmpuint(r.pad("video_0")->buffers, ==, 60);
  }
}

void test_elementary_audio() {
  if (!have_elements({"opusenc", "lamemp3enc"})) return;
  RunResult opus = run_live("gst:audiotestsrc is-live=true num-buffers=50 ! opusenc");
  g_assert_cmpstr(gst_structure_get_name(structure_of(opus.pad("audio_0"))), ==, "audio/x-opus");
  g_assert_cmpuint(opus.pad("audio_0")->buffers, >, 0);

  RunResult mp3 = run_live("gst:audiotestsrc is-live=true num-buffers=50 ! lamemp3enc");
  const GstStructure *s = structure_of(mp3.pad("audio_0"));
  g_assert_cmpstr(gst_structure_get_name(s), ==, "audio/mpeg");
  gboolean parsed = FALSE;
  g_assert_true(gst_structure_get_boolean(s, "parsed", &parsed) && parsed);
  g_assert_cmpuint(mp3.pad("audio_0")->buffers, >, 0);
}

void test_muxed_ts() {
  if (!have_elements({"x264enc", "h264parse", "mpegtsmux", "voaacenc", "aacparse"})) return;
  RunResult r = run_live(std::string("gst:") + kLiveH264 +
                         " ! h264parse ! mpegtsmux name=mux "
                         "audiotestsrc is-live=true num-buffers=80 samplesperbuffer=1024 "
                         "! audio/x-raw,rate=48000 ! voaacenc ! aacparse ! mux.");
  g_assert_cmpuint(r.pads.size(), ==, 2);
  assert_h264_avc(r.pad("video_0"));
  const GstStructure *aac = structure_of(r.pad("audio_0"));
  g_assert_cmpstr(gst_structure_get_name(aac), ==, "audio/mpeg");
  int version = 0;
  g_assert_true(gst_structure_get_int(aac, "mpegversion", &version));
  g_assert_cmpint(version, ==, 4);
  g_assert_cmpstr(gst_structure_get_string(aac, "stream-format"), ==, "raw");
  g_assert_true(gst_structure_has_field(aac, "codec_data"));
  g_assert_cmpuint(r.pad("video_0")->buffers, >, 50);
  g_assert_cmpuint(r.pad("audio_0")->buffers, >, 0);
}

void test_errors() {
  struct {
    const char *source;
    int code;
  } cases[] = {
      {"gst:", INPUT_ERROR_INVALID},
      {"gst:   ", INPUT_ERROR_INVALID},
      {"gst:nosuchelement_estuary", INPUT_ERROR_INVALID},
      {"gst:videotestsrc ! nosuchelement_estuary", INPUT_ERROR_INVALID},
      {"gst:videotestsrc ! ! (", INPUT_ERROR_INVALID},
      {"gst:fakesink", INPUT_ERROR_INVALID},                 // needs input
      {"gst:h264parse", INPUT_ERROR_INVALID},                // needs input
      {"gst:videotestsrc ! fakesink", INPUT_ERROR_INVALID},  // no output
  };
  for (const auto &c : cases) {
    GError *error = nullptr;
    GstElement *input = build_input(c.source, "live", &error);
    if (input) g_error("'%s' built an input", c.source);
    g_assert_error(error, ESTUARY_INPUT_ERROR, c.code);
    g_test_message("%s -> %s", c.source, error->message);
    g_clear_error(&error);
  }
}

}  // namespace

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  g_test_init(&argc, &argv, nullptr);
  g_test_add_func("/inputs-gst/elementary-h264", test_elementary_h264);
  g_test_add_func("/inputs-gst/elementary-audio", test_elementary_audio);
  g_test_add_func("/inputs-gst/muxed-ts", test_muxed_ts);
  g_test_add_func("/inputs-gst/errors", test_errors);
  return g_test_run();
}
