// File, subtitle and folder inputs, run as real pipelines over clips made by
// tests/media/make-media.sh; the registry and the pure helpers of the inputs.
#include <gst/gst.h>
#include <unistd.h>

#include <cstring>

#include "pipelines/input-adts.h"
#include "pipelines/input-folder.h"
#include "pipelines/input-pads.h"
#include "pipelines/input-subtitle.h"
#include "test-inputs-harness.h"

using namespace estuary;
using namespace estuary::test;

namespace {

std::string g_media;  // folder of generated clips, "" when skipped
std::string g_skip_reason;

bool need_media() {
  if (g_media.empty()) {
    g_test_skip(g_skip_reason.c_str());
    return false;
  }
  return true;
}

const GstStructure *caps_structure(const PadRecord *pad) {
  g_assert_nonnull(pad);
  g_assert_true(pad->caps);
  return gst_caps_get_structure(pad->caps.get(), 0);
}

void assert_codec_data(const GstStructure *s) {
  const GValue *v = gst_structure_get_value(s, "codec_data");
  g_assert_nonnull(v);
  g_assert_true(GST_VALUE_HOLDS_BUFFER(v));
  g_assert_cmpuint(gst_buffer_get_size(gst_value_get_buffer(v)), >, 0);
}

void assert_h264(const PadRecord *pad) {
  const GstStructure *s = caps_structure(pad);
  g_assert_cmpstr(gst_structure_get_name(s), ==, "video/x-h264");
  g_assert_cmpstr(gst_structure_get_string(s, "stream-format"), ==, "avc");
  g_assert_cmpstr(gst_structure_get_string(s, "alignment"), ==, "au");
  assert_codec_data(s);
}

void assert_aac(const PadRecord *pad) {
  const GstStructure *s = caps_structure(pad);
  g_assert_cmpstr(gst_structure_get_name(s), ==, "audio/mpeg");
  int version = 0;
  g_assert_true(gst_structure_get_int(s, "mpegversion", &version));
  g_assert_cmpint(version, ==, 4);
  g_assert_cmpstr(gst_structure_get_string(s, "stream-format"), ==, "raw");
  assert_codec_data(s);
}

void assert_caps_name(const PadRecord *pad, const char *name) {
  g_assert_cmpstr(gst_structure_get_name(caps_structure(pad)), ==, name);
}

// Builds and runs the file `name`, checking what every clip must satisfy: no error, EOS, the
// expected pad names and no others, buffers on each, ~3 s duration, timestamps near 0.
RunResult run_clip(const char *name, std::vector<std::string> pads,
                   GstClockTime expected_duration = 3 * GST_SECOND) {
  std::string path = g_media + "/" + name;
  GError *error = nullptr;
  GstElement *input = build_input(path, "clip", &error);
  g_assert_no_error(error);
  g_assert_nonnull(input);
  RunResult r = run_input(input, false);
  if (!r.error.empty()) g_error("%s: %s", name, r.error.c_str());
  g_assert_true(r.eos);
  g_assert_true(r.no_more_pads);
  g_assert_cmpuint(r.pads.size(), ==, pads.size());
  for (const std::string &pad_name : pads) {
    const PadRecord *pad = r.pad(pad_name);
    if (!pad) g_error("%s: no pad %s", name, pad_name.c_str());
    g_assert_cmpuint(pad->buffers, >, 0);
    g_assert_true(GST_CLOCK_TIME_IS_VALID(pad->first_pts));
    g_assert_cmpuint(pad->first_pts, <, 1500 * GST_MSECOND);
  }
  g_assert_true(GST_CLOCK_TIME_IS_VALID(r.duration));
  if (abs_diff(r.duration, expected_duration) > GST_SECOND) {
    g_error("%s: duration %" GST_TIME_FORMAT, name, GST_TIME_ARGS(r.duration));
  }
  return r;
}

void test_mp4() {
  if (!need_media()) return;
  for (const char *clip : {"clip.mp4", "clip.mov", "clip.mkv", "clip.flv", "clip.ts"}) {
    g_test_message("clip %s", clip);
    RunResult r = run_clip(clip, {"video_0", "audio_0"});
    assert_h264(r.pad("video_0"));
    assert_aac(r.pad("audio_0"));
    // 3 s at 25 fps.
    g_assert_cmpuint(r.pad("video_0")->buffers, ==, 75);
  }
}

void test_webm() {
  if (!need_media()) return;
  RunResult r = run_clip("clip.webm", {"video_0", "audio_0"});
  assert_caps_name(r.pad("video_0"), "video/x-vp9");
  assert_caps_name(r.pad("audio_0"), "audio/x-opus");
}

void test_hevc() {
  if (!need_media()) return;
  for (const char *clip : {"hevc.mp4", "hevc.ts"}) {  // hvc1 in MP4, byte-stream in TS
    g_test_message("clip %s", clip);
    RunResult r = run_clip(clip, {"video_0", "audio_0"});
    const GstStructure *s = caps_structure(r.pad("video_0"));
    g_assert_cmpstr(gst_structure_get_name(s), ==, "video/x-h265");
    const char *format = gst_structure_get_string(s, "stream-format");
    g_assert_true(g_strcmp0(format, "hvc1") == 0 || g_strcmp0(format, "hev1") == 0);
    g_assert_cmpstr(gst_structure_get_string(s, "alignment"), ==, "au");
    assert_codec_data(s);
    assert_aac(r.pad("audio_0"));
  }
}

void test_mp3() {
  if (!need_media()) return;
  RunResult r = run_clip("clip.mp3", {"audio_0"});
  const GstStructure *s = caps_structure(r.pad("audio_0"));
  g_assert_cmpstr(gst_structure_get_name(s), ==, "audio/mpeg");
  int version = 0, layer = 0;
  gboolean parsed = FALSE;
  g_assert_true(gst_structure_get_int(s, "mpegversion", &version));
  g_assert_true(gst_structure_get_int(s, "layer", &layer));
  g_assert_true(gst_structure_get_boolean(s, "parsed", &parsed));
  g_assert_cmpint(version, ==, 1);
  g_assert_cmpint(layer, ==, 3);
  g_assert_true(parsed);
}

void test_adts() {
  if (!need_media()) return;
  RunResult r = run_clip("clip.aac", {"audio_0"});
  assert_aac(r.pad("audio_0"));  // ADTS became raw with codec_data
}

void test_ogg() {
  if (!need_media()) return;
  RunResult vorbis = run_clip("vorbis.ogg", {"audio_0"});
  assert_caps_name(vorbis.pad("audio_0"), "audio/x-vorbis");
  RunResult opus = run_clip("opus.ogg", {"audio_0"});
  assert_caps_name(opus.pad("audio_0"), "audio/x-opus");
  RunResult theora = run_clip("theora.ogg", {"video_0", "audio_0"});
  assert_caps_name(theora.pad("video_0"), "video/x-theora");
  assert_caps_name(theora.pad("audio_0"), "audio/x-vorbis");
}

void test_wav_flac() {
  if (!need_media()) return;
  RunResult wav = run_clip("clip.wav", {"audio_0"});
  const GstStructure *s = caps_structure(wav.pad("audio_0"));
  g_assert_cmpstr(gst_structure_get_name(s), ==, "audio/x-raw");
  g_assert_cmpstr(gst_structure_get_string(s, "format"), ==, "S16LE");
  RunResult flac = run_clip("clip.flac", {"audio_0"});
  assert_caps_name(flac.pad("audio_0"), "audio/x-flac");
}

void test_subtitles() {
  if (!need_media()) return;
  for (const char *clip : {"clip.srt", "clip.vtt"}) {
    g_test_message("clip %s", clip);
    RunResult r = run_clip(clip, {"subtitle_0"});
    const PadRecord *pad = r.pad("subtitle_0");
    const GstStructure *s = caps_structure(pad);
    g_assert_cmpstr(gst_structure_get_name(s), ==, "text/x-raw");
    g_assert_cmpstr(gst_structure_get_string(s, "format"), ==, "utf8");
    g_assert_cmpuint(pad->buffers, ==, 2);
    g_assert_cmpuint(pad->first_pts, ==, 500 * GST_MSECOND);
    g_assert_cmpuint(pad->last_pts, ==, 2 * GST_SECOND);
    g_assert_cmpstr(pad->first_bytes.c_str(), ==, "Hello world");
  }
  // SubRip inside Matroska arrives as Pango markup and leaves as plain text.
  RunResult r = run_clip("subs.mkv", {"video_0", "audio_0", "subtitle_0"});
  assert_h264(r.pad("video_0"));
  assert_aac(r.pad("audio_0"));
  const PadRecord *pad = r.pad("subtitle_0");
  g_assert_cmpstr(gst_structure_get_string(caps_structure(pad), "format"), ==, "utf8");
  g_assert_cmpuint(pad->buffers, ==, 2);
  // ffmpeg shifts every track by the AAC priming delay (~21 ms).
  g_assert_cmpuint(abs_diff(pad->first_pts, 500 * GST_MSECOND), <, 50 * GST_MSECOND);
  g_assert_cmpstr(pad->first_bytes.c_str(), ==, "Hello world");
}

// Three ADTS frames (48 kHz, one raw block each) behind an ID3v2 tag, fed whole and byte by byte.
void test_adts_scanner() {
  std::vector<guint8> file = {'I', 'D', '3', 4, 0, 0, 0, 0, 0, 5, 1, 2, 3, 4, 5};
  for (int i = 0; i < 3; i++) {
    const guint frame_bytes = 7 + 10;
    const guint8 header[7] = {0xff,
                              0xf1,
                              0x4c,
                              static_cast<guint8>(0x80 | (frame_bytes >> 11)),
                              static_cast<guint8>(frame_bytes >> 3),
                              static_cast<guint8>(((frame_bytes & 7) << 5) | 0x1f),
                              0xfc};
    file.insert(file.end(), header, header + 7);
    file.insert(file.end(), 10, 0x21);
  }
  const GstClockTime expected = gst_util_uint64_scale(3 * 1024, GST_SECOND, 48000);
  AdtsDurationScanner whole;
  g_assert_true(whole.feed(file.data(), file.size()));
  g_assert_cmpuint(whole.frames(), ==, 3);
  g_assert_cmpuint(whole.duration(), ==, expected);
  AdtsDurationScanner bytewise;
  for (guint8 b : file) bytewise.feed(&b, 1);
  g_assert_cmpuint(bytewise.frames(), ==, 3);
  g_assert_cmpuint(bytewise.duration(), ==, expected);
  // Trailing junk stops counting without losing what was counted.
  const guint8 junk[12] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb};
  g_assert_false(whole.feed(junk, sizeof junk));
  g_assert_cmpuint(whole.frames(), ==, 3);
  AdtsDurationScanner none;
  g_assert_false(none.feed(junk, sizeof junk));
  g_assert_cmpuint(none.duration(), ==, GST_CLOCK_TIME_NONE);
  // A frame length below the header size is corrupt, not an endless loop.
  const guint8 tiny[10] = {0xff, 0xf1, 0x4c, 0x80, 0x00, 0x1f, 0xfc, 0, 0, 0};
  AdtsDurationScanner corrupt;
  g_assert_false(corrupt.feed(tiny, sizeof tiny));
  g_assert_cmpuint(corrupt.frames(), ==, 0);
}

void test_missing_and_garbage() {
  GError *error = nullptr;
  GstElement *input = build_input("/nonexistent/estuary/clip.mp4", "clip", &error);
  g_assert_null(input);
  g_assert_error(error, ESTUARY_INPUT_ERROR, INPUT_ERROR_NOT_FOUND);
  g_test_message("%s", error->message);
  g_clear_error(&error);

  input = build_input("/nonexistent/clip.xyz", "clip", &error);
  g_assert_null(input);
  g_assert_error(error, ESTUARY_INPUT_ERROR, INPUT_ERROR_UNSUPPORTED);
  g_clear_error(&error);

  input = build_input("relative/clip.mp4", "clip", &error);
  g_assert_null(input);
  g_assert_error(error, ESTUARY_INPUT_ERROR, INPUT_ERROR_UNSUPPORTED);  // no '/' prefix: no match
  g_clear_error(&error);

  if (!need_media()) return;
  input = build_input(g_media + "/garbage.mp4", "clip", &error);
  g_assert_null(input);
  g_assert_error(error, ESTUARY_INPUT_ERROR, INPUT_ERROR_UNSUPPORTED);
  g_test_message("%s", error->message);
  g_clear_error(&error);

  // A folder is not a file, and a text file without cues is not a subtitle file.
  input = build_input(g_media + "/clip.srt/", "clip", &error);
  g_assert_null(input);
  g_clear_error(&error);
  std::string no_cues = g_media + "/empty.srt";
  g_assert_true(g_file_set_contents(no_cues.c_str(), "hello\n", -1, nullptr));
  input = build_input(no_cues, "clip", &error);
  g_assert_null(input);
  g_assert_error(error, ESTUARY_INPUT_ERROR, INPUT_ERROR_UNSUPPORTED);
  g_clear_error(&error);
  g_unlink(no_cues.c_str());
}

void test_folder() {
  if (!need_media()) return;
  // folder/ holds a clip, a subfolder, a hidden file, a symlink inside and one leading outside.
  std::string folder = g_media + "/folder";
  g_assert_cmpint(g_mkdir(folder.c_str(), 0755), ==, 0);
  g_assert_cmpint(g_mkdir((folder + "/sub").c_str(), 0755), ==, 0);
  g_assert_cmpint(symlink((g_media + "/clip.mp3").c_str(), (folder + "/outside.mp3").c_str()), ==,
                  0);
  g_assert_cmpint(link((g_media + "/clip.mp4").c_str(), (folder + "/clip.mp4").c_str()), ==, 0);
  g_assert_cmpint(symlink("clip.mp4", (folder + "/alias.mp4").c_str()), ==, 0);
  g_assert_true(g_file_set_contents((folder + "/.hidden.mp4").c_str(), "x", -1, nullptr));
  g_assert_true(g_file_set_contents((folder + "/notes.txt").c_str(), "x", -1, nullptr));
  g_assert_true(g_file_set_contents((folder + "/sub/deep.mp4").c_str(), "x", -1, nullptr));
  std::string source = folder + "/";

  g_assert_true(input_is_folder_source(source));
  g_assert_false(input_is_folder_source(g_media + "/clip.mp4"));
  g_assert_cmpstr(find_input(source)->name.c_str(), ==, "Folder");

  std::vector<std::string> streams;
  GError *error = nullptr;
  g_assert_true(input_folder_list(source, "vod", &streams, &error));
  g_assert_no_error(error);
  g_assert_cmpuint(streams.size(), ==, 2);
  g_assert_cmpstr(streams[0].c_str(), ==, "vod+alias.mp4");
  g_assert_cmpstr(streams[1].c_str(), ==, "vod+clip.mp4");

  std::string path = input_folder_resolve(source, "clip.mp4", &error);
  g_assert_no_error(error);
  GCharPtr real(realpath((folder + "/clip.mp4").c_str(), nullptr));
  g_assert_cmpstr(path.c_str(), ==, real.get());

  for (const char *escape : {"..", ".", "", "../clip.mp4", "sub/deep.mp4", "/etc/passwd",
                             "outside.mp3", ".hidden.mp4", "..%2Fclip.mp4/"}) {
    path = input_folder_resolve(source, escape, &error);
    g_assert_true(path.empty());
    g_assert_nonnull(error);
    g_test_message("'%s': %s", escape, error->message);
    g_assert_true(error->code == INPUT_ERROR_FORBIDDEN || error->code == INPUT_ERROR_NOT_FOUND);
    if (strcmp(escape, "outside.mp3") == 0 || strchr(escape, '/') || escape[0] == '.' ||
        escape[0] == '\0')
      g_assert_error(error, ESTUARY_INPUT_ERROR, INPUT_ERROR_FORBIDDEN);
    g_clear_error(&error);
  }
  std::string with_nul("clip.mp4\0/../x", 14);
  g_assert_true(input_folder_resolve(source, with_nul, &error).empty());
  g_assert_error(error, ESTUARY_INPUT_ERROR, INPUT_ERROR_FORBIDDEN);
  g_clear_error(&error);

  // Through the registry: the wildcard part picks the file, escapes fail before any I/O.
  g_assert_null(build_input(source, "vod+../clip.mp4", &error));
  g_assert_error(error, ESTUARY_INPUT_ERROR, INPUT_ERROR_FORBIDDEN);
  g_clear_error(&error);
  g_assert_null(build_input(source, "vod", &error));
  g_assert_error(error, ESTUARY_INPUT_ERROR, INPUT_ERROR_INVALID);
  g_clear_error(&error);
  GstElement *input = build_input(source, "vod+clip.mp4", &error);
  g_assert_no_error(error);
  RunResult r = run_input(input, false);
  g_assert_cmpstr(r.error.c_str(), ==, "");
  assert_h264(r.pad("video_0"));
  assert_aac(r.pad("audio_0"));
}

void test_registry() {
  struct {
    const char *source;
    const char *input;
  } cases[] = {
      {"/a/b.mp4", "MP4"},    {"/a/B.MOV", "MP4"},
      {"/a/b.mkv", "EBML"},   {"/a/b.webm", "EBML"},
      {"/a/b.flv", "FLV"},    {"/a/b.ts", "TS"},
      {"/a/b.mp3", "MP3"},    {"/a/b.aac", "AAC"},
      {"/a/b.ogg", "OGG"},    {"/a/b.opus", "OGG"},
      {"/a/b.wav", "WAV"},    {"/a/b.flac", "FLAC"},
      {"/a/b.srt", "SubRip"}, {"/a/b.vtt", "SubRip"},
      {"/a/", "Folder"},      {"gst:videotestsrc ! fakesink", "GStreamer"},
      {"GST:x", "GStreamer"},
  };
  for (const auto &c : cases) {
    const InputDescriptor *input = find_input(c.source);
    if (!input) g_error("no input for %s", c.source);
    g_assert_cmpstr(input->name.c_str(), ==, c.input);
  }
  for (const char *none : {"/a/b.xyz", "a/b.mp4", ".mp4", "/", "push://", ""}) {
    g_assert_null(find_input(none));
  }
  g_assert_true(source_matches("/*.mp4", "/x.mp4"));
  g_assert_true(source_matches("/*.mp4", "/.mp4"));
  g_assert_false(source_matches("/*/", "/"));  // prefix and suffix may not overlap
  g_assert_true(source_matches("push://", "push://"));
  g_assert_false(source_matches("push://", "push://x"));
  g_assert_true(find_input("gst:x")->live);
  g_assert_false(find_input("/a.mp4")->live);

  GRef<JsonObject> caps = GRef<JsonObject>::adopt(inputs_capabilities());
  g_assert_cmpuint(json_object_get_size(caps.get()), ==, all_inputs().size());
  JsonObject *mp4 = json_object_get_object_member(caps.get(), "MP4");
  g_assert_nonnull(mp4);
  g_assert_cmpstr(json_object_get_string_member(mp4, "name"), ==, "MP4");
  g_assert_nonnull(json_object_get_string_member(mp4, "desc"));
  g_assert_cmpint(json_object_get_int_member(mp4, "priority"), ==, 9);
  JsonArray *match = json_object_get_array_member(mp4, "source_match");
  g_assert_cmpstr(json_array_get_string_element(match, 0), ==, "/*.mp4");
  JsonArray *codecs = json_object_get_array_member(mp4, "codecs");
  JsonArray *combination = json_array_get_array_element(codecs, 0);
  JsonArray *video = json_array_get_array_element(combination, 0);
  g_assert_cmpstr(json_array_get_string_element(video, 0), ==, "H264");
  g_assert_cmpuint(json_object_get_size(json_object_get_object_member(mp4, "required")), ==, 0);
  JsonObject *debug =
      json_object_get_object_member(json_object_get_object_member(mp4, "optional"), "debug");
  g_assert_cmpstr(json_object_get_string_member(debug, "option"), ==, "--debug");
  g_assert_cmpstr(json_object_get_string_member(debug, "type"), ==, "debug");
  JsonObject *folder = json_object_get_object_member(caps.get(), "Folder");
  g_assert_cmpstr(json_object_get_string_member(folder, "source_match"), ==, "/*/");
  JsonObject *gst = json_object_get_object_member(caps.get(), "GStreamer");
  g_assert_cmpstr(json_object_get_string_member(gst, "source_match"), ==, "gst:*");
  g_assert_true(json_object_has_member(json_object_get_object_member(gst, "optional"), "DVR"));
}

// Compares a temporary std::string, which g_assert_cmpstr cannot hold on to.
void assert_text(const std::string &actual, const char *expected) {
  g_assert_cmpstr(actual.c_str(), ==, expected);
}

void test_markup_and_cues() {
  assert_text(pango_markup_to_text("Hello <i>world</i>"), "Hello world");
  assert_text(pango_markup_to_text("a &amp; b &lt;c&gt; &quot;&apos;"), "a & b <c> \"'");
  assert_text(pango_markup_to_text("&#233;&#xE9;"), "\xc3\xa9\xc3\xa9");
  assert_text(pango_markup_to_text("fish & chips; 1 < 2"), "fish & chips; 1 < 2");
  assert_text(pango_markup_to_text("&#0; &#x110000; &bogus;"), "&#0; &#x110000; &bogus;");
  assert_text(pango_markup_to_text(""), "");

  g_assert_cmpuint(subtitle_last_cue_end("1\n00:00:01,000 --> 00:01:02,500\nx\n"), ==,
                   62500 * GST_MSECOND);
  g_assert_cmpuint(subtitle_last_cue_end("WEBVTT\n\n00:05.000 --> 00:07.250 line:0\nx\n"
                                         "01:00:00.000 --> 01:00:01.5\n"),
                   ==, 3601500 * GST_MSECOND);
  g_assert_cmpuint(subtitle_last_cue_end("2 --> 1"), ==, GST_CLOCK_TIME_NONE);
  g_assert_cmpuint(subtitle_last_cue_end("x -->"), ==, GST_CLOCK_TIME_NONE);
  g_assert_cmpuint(subtitle_last_cue_end("00:99.000 --> 00:99:99"), ==, GST_CLOCK_TIME_NONE);
  g_assert_cmpuint(subtitle_last_cue_end(""), ==, GST_CLOCK_TIME_NONE);
}

}  // namespace

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  g_test_init(&argc, &argv, nullptr);
  g_media = make_media(&g_skip_reason);
  g_test_add_func("/inputs/registry", test_registry);
  g_test_add_func("/inputs/markup-and-cues", test_markup_and_cues);
  g_test_add_func("/inputs/adts-scanner", test_adts_scanner);
  g_test_add_func("/inputs/h264-aac-containers", test_mp4);
  g_test_add_func("/inputs/webm", test_webm);
  g_test_add_func("/inputs/hevc", test_hevc);
  g_test_add_func("/inputs/mp3", test_mp3);
  g_test_add_func("/inputs/adts", test_adts);
  g_test_add_func("/inputs/ogg", test_ogg);
  g_test_add_func("/inputs/wav-flac", test_wav_flac);
  g_test_add_func("/inputs/subtitles", test_subtitles);
  g_test_add_func("/inputs/errors", test_missing_and_garbage);
  g_test_add_func("/inputs/folder", test_folder);
  int ret = g_test_run();
  remove_tree(g_media);
  return ret;
}
