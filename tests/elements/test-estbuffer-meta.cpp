// estbuffer track metadata: json_ values (manual 4.3.1), STREAM_BUFFER keys (4.4.15), codecs.
#include <string>

#include "estbuffer-test-util.h"

using estuary::CodecInfo;
using estuary::GRef;
using estuary::StreamMeta;
using estuary::TrackType;

// g_assert_cmpstr on std::string temporaries would read freed memory.
#define assert_str(a, b)                         \
  do {                                           \
    const std::string a_ = (a), b_ = (b);        \
    g_assert_cmpstr(a_.c_str(), ==, b_.c_str()); \
  } while (0)

static std::string bytes_hex(GBytes *b) {
  if (!b) return "";
  gsize n = 0;
  auto *p = static_cast<const guint8 *>(g_bytes_get_data(b, &n));
  std::string out;
  for (gsize i = 0; i < n; i++) {
    char x[3];
    g_snprintf(x, sizeof x, "%02x", p[i]);
    out += x;
  }
  return out;
}

static void test_video_audio_meta() {
  GstElement *e = test::make_buffer();
  GstHarness *hv = test::add_track(e, test::kH264Caps);
  GstHarness *ha = test::add_track(e, test::kAacCaps);
  test::push_av(hv, ha, 0, 3000);

  StreamMeta m = estuary::estbuffer_get_ring(e)->snapshot();
  g_assert_true(m.live);
  g_assert_cmpuint(m.tracks.size(), ==, 2);
  const estuary::TrackMeta *v = test::find_track(m, 1);
  const estuary::TrackMeta *a = test::find_track(m, 2);
  g_assert_nonnull(v);
  g_assert_nonnull(a);

  g_assert_true(v->codec.type == TrackType::kVideo);
  g_assert_cmpstr(v->codec.codec.c_str(), ==, "H264");
  assert_str(bytes_hex(v->codec.init.get()), "014d401effe10005674d401e9a01000468ee3c80");
  g_assert_cmpuint(v->codec.width, ==, 640);
  g_assert_cmpuint(v->codec.height, ==, 360);
  g_assert_cmpuint(v->fpks, ==, 30000);
  g_assert_cmpuint(v->firstms, ==, 0);
  g_assert_cmpuint(v->lastms, ==, 2966);  // frame 89 of 30 fps
  g_assert_cmpuint(v->frames, ==, 90);
  g_assert_cmpuint(v->bps, ==, 90 * 1000 * 1000 / 2966);
  // Three keys; the last is still open, so durations come from the two complete ones.
  g_assert_cmpuint(v->keys.keys, ==, 3);
  g_assert_cmpuint(v->keys.frames_min, ==, 30);
  g_assert_cmpuint(v->keys.frames_max, ==, 30);
  g_assert_cmpuint(v->keys.ms_min, ==, 1000);
  g_assert_cmpuint(v->keys.ms_max, ==, 1000);
  g_assert_cmpuint(v->keys.frame_ms_min, ==, 33);
  g_assert_cmpuint(v->keys.frame_ms_max, ==, 34);

  g_assert_true(a->codec.type == TrackType::kAudio);
  g_assert_cmpstr(a->codec.codec.c_str(), ==, "AAC");
  assert_str(bytes_hex(a->codec.init.get()), "1190");
  g_assert_cmpuint(a->codec.channels, ==, 2);
  g_assert_cmpuint(a->codec.rate, ==, 48000);
  g_assert_cmpuint(a->codec.size, ==, 16);
  g_assert_cmpuint(a->frames, ==, 141);  // ceil(3000 / 21.333)
  // Audio index keys every segment-size (1900 ms): at 0 and at frame 90 (1920 ms).
  g_assert_cmpuint(a->keys.keys, ==, 2);
  g_assert_cmpuint(a->keys.frames_min, ==, 90);
  g_assert_cmpuint(a->keys.ms_min, ==, 1920);

  // JSON: identifiers, values, and init as a raw binary string with \u0000 for NUL bytes.
  GRef<JsonNode> root = GRef<JsonNode>::adopt(json_node_new(JSON_NODE_OBJECT));
  json_node_take_object(root.get(), estuary::stream_meta_to_json(m));
  std::string text = estuary::json_to_text(root.get());
  g_assert_true(g_utf8_validate(text.c_str(), -1, nullptr));
  JsonObject *tracks = json_object_get_object_member(json_node_get_object(root.get()), "tracks");
  g_assert_true(json_object_has_member(tracks, "video_H264_640x360_30fps_1"));
  g_assert_true(json_object_has_member(tracks, "audio_AAC_2ch_48000hz_2"));
  g_assert_cmpint(json_object_get_int_member(json_node_get_object(root.get()), "live"), ==, 1);
  JsonObject *jv = json_object_get_object_member(tracks, "video_H264_640x360_30fps_1");
  g_assert_cmpint(json_object_get_int_member(jv, "trackid"), ==, 1);
  g_assert_cmpstr(json_object_get_string_member(jv, "type"), ==, "video");
  g_assert_cmpint(json_object_get_int_member(jv, "fpks"), ==, 30000);
  g_assert_cmpint(json_object_get_int_member(jv, "lastms"), ==, 2966);
  JsonObject *keys = json_object_get_object_member(jv, "keys");
  g_assert_cmpint(json_object_get_int_member(keys, "frames_max"), ==, 30);
  g_assert_cmpint(json_object_get_int_member(keys, "ms_min"), ==, 1000);
  const char *init_json =
      "\"init\":\"\\u0001M@\\u001e\xc3\xbf\xc3\xa1\\u0000\\u0005gM@\\u001e\xc2\x9a\\u0001\\u0000"
      "\\u0004h\xc3\xae<\xc2\x80\"";
  g_assert_nonnull(strstr(text.c_str(), init_json));
  g_assert_nonnull(strstr(text.c_str(), "\"init\":\"\\u0011\xc2\x90\""));  // AAC 11 90

  // STREAM_BUFFER details carry codec, kbits and keys.
  GRef<JsonNode> details = GRef<JsonNode>::adopt(json_node_new(JSON_NODE_OBJECT));
  json_node_take_object(details.get(), estuary::stream_buffer_details_to_json(m));
  JsonObject *dv = json_object_get_object_member(json_node_get_object(details.get()),
                                                 "video_H264_640x360_30fps_1");
  g_assert_cmpint(json_object_get_int_member(dv, "kbits"), ==, v->bps * 8 / 1000);
  g_assert_true(json_object_has_member(dv, "keys"));

  gst_harness_teardown(ha);
  gst_harness_teardown(hv);
  gst_object_unref(e);
}

static void test_bframes_and_measured_fps() {
  GstElement *e = test::make_buffer();
  // No framerate in caps: fps is measured. 25 fps, a B-frame pattern offsets PTS by 0/80 ms.
  GstHarness *h =
      test::add_track(e,
                      "video/x-h264, stream-format=avc, alignment=au, width=320, height=240, "
                      "framerate=0/1, codec_data=(buffer)01");
  for (guint i = 0; i < 51; i++) {
    gst_harness_push(h, test::frame(i * 40, i % 25 == 0, 40, 500, (i % 3) ? 80 : 0));
  }
  StreamMeta m = estuary::estbuffer_get_ring(e)->snapshot();
  g_assert_cmpuint(m.tracks.size(), ==, 1);
  g_assert_cmpuint(m.tracks[0].fpks, ==, 25000);
  g_assert_cmpint(m.tracks[0].keys.bfrms_min, ==, 0);
  g_assert_cmpint(m.tracks[0].keys.bfrms_max, ==, 80);
  g_assert_cmpuint(m.tracks[0].keys.frame_ms_min, ==, 40);
  g_assert_cmpuint(m.tracks[0].keys.frame_ms_max, ==, 40);
  g_assert_cmpuint(m.tracks[0].keys.ms_max, ==, 1000);
  assert_str(estuary::track_identifier(m.tracks[0]), "video_H264_320x240_25fps_1");
  gst_harness_teardown(h);
  gst_object_unref(e);
}

static CodecInfo parse(const char *caps_str) {
  GRef<GstCaps> caps = GRef<GstCaps>::adopt(gst_caps_from_string(caps_str));
  g_assert_nonnull(caps.get());
  CodecInfo ci;
  g_assert_true(estuary::codec_info_from_caps(caps.get(), &ci));
  return ci;
}

static void test_codec_names() {
  struct {
    const char *caps, *codec;
    TrackType type;
  } cases[] = {
      {"video/x-h265, stream-format=hvc1, alignment=au", "HEVC", TrackType::kVideo},
      {"video/x-vp8", "VP8", TrackType::kVideo},
      {"video/x-vp9", "VP9", TrackType::kVideo},
      {"video/x-av1", "AV1", TrackType::kVideo},
      {"audio/mpeg, mpegversion=1, layer=3, channels=1, rate=44100", "MP3", TrackType::kAudio},
      {"audio/x-opus, channels=2, rate=48000", "opus", TrackType::kAudio},
      {"audio/x-ac3", "AC3", TrackType::kAudio},
      {"text/x-raw, format=utf8", "subtitle", TrackType::kMeta},
      {"application/x-subtitle-vtt", "subtitle", TrackType::kMeta},
      {"application/x-subtitle", "subtitle", TrackType::kMeta},
  };
  for (const auto &c : cases) {
    CodecInfo ci = parse(c.caps);
    g_assert_cmpstr(ci.codec.c_str(), ==, c.codec);
    g_assert_true(ci.type == c.type);
  }
  CodecInfo mp3 = parse("audio/mpeg, mpegversion=1, layer=3, channels=1, rate=44100");
  g_assert_cmpuint(mp3.channels, ==, 1);
  g_assert_cmpuint(mp3.rate, ==, 44100);
  g_assert_cmpuint(parse("audio/x-raw, format=S24LE, channels=2, rate=48000").size, ==, 24);

  GRef<GstCaps> raw = GRef<GstCaps>::adopt(gst_caps_from_string("video/x-raw, format=I420"));
  CodecInfo ci;
  g_assert_false(estuary::codec_info_from_caps(raw.get(), &ci));
}

static void test_init_from_stream_headers() {
  // Vorbis: Xiph-laced identification, comment and setup headers.
  CodecInfo vorbis = parse(
      "audio/x-vorbis, channels=2, rate=44100, "
      "streamheader=(buffer)< 01766f72626973, 03766f72626973, 05766f72626973aa >");
  assert_str(bytes_hex(vorbis.init.get()),
             "020707"
             "01766f72626973"
             "03766f72626973"
             "05766f72626973aa");
  // FLAC: the Ogg mapping header is stripped, leaving "fLaC" + metadata blocks.
  std::string streaminfo(68, '0');
  std::string caps =
      "audio/x-flac, channels=2, rate=44100, streamheader=(buffer)< "
      "7f464c414301000002664c614300000022" +
      streaminfo + ", 8400000401020304 >";
  CodecInfo flac = parse(caps.c_str());
  g_assert_cmpstr(flac.codec.c_str(), ==, "FLAC");
  assert_str(bytes_hex(flac.init.get()), "664c614300000022" + streaminfo + "8400000401020304");
  // Opus: OpusHead.
  CodecInfo opus = parse(
      "audio/x-opus, channels=2, rate=48000, "
      "streamheader=(buffer)< 4f707573486561640102, 4f70757354616773 >");
  assert_str(bytes_hex(opus.init.get()), "4f707573486561640102");
}

// Every control character must come out escaped, U+001F included (json-glib 1.6 misses it), and
// the text must parse back to the same bytes.
static void test_json_text_escapes_controls() {
  std::string raw;
  for (int c = 1; c < 0x20; c++) raw.push_back(static_cast<char>(c));
  GRef<JsonNode> node = GRef<JsonNode>::adopt(json_node_init_string(json_node_alloc(), raw.c_str()));
  std::string text = estuary::json_to_text(node.get());
  for (char c : text) g_assert_cmpint(static_cast<guint8>(c), >=, 0x20);
  g_assert_nonnull(strstr(text.c_str(), "\\u001f"));
  GRef<JsonParser> parser = GRef<JsonParser>::adopt(json_parser_new());
  g_assert_true(json_parser_load_from_data(parser.get(), text.c_str(), -1, nullptr));
  g_assert_cmpstr(json_node_get_string(json_parser_get_root(parser.get())), ==, raw.c_str());
}

static void test_refuses_decoded_video() {
  GstElement *e = test::make_buffer();
  GstHarness *h = gst_harness_new_with_element(e, "sink_%u", nullptr);
  gst_harness_set_src_caps_str(h, "video/x-raw, format=I420, width=16, height=16");
  GstFlowReturn r = gst_harness_push(h, test::frame(0, true));
  g_assert_cmpint(r, ==, GST_FLOW_NOT_NEGOTIATED);
  g_assert_cmpuint(estuary::estbuffer_get_ring(e)->snapshot().tracks.size(), ==, 0);
  gst_harness_teardown(h);
  gst_object_unref(e);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, nullptr);
  gst_init(&argc, &argv);
  g_test_add_func("/estbuffer/meta/video-audio", test_video_audio_meta);
  g_test_add_func("/estbuffer/meta/bframes-measured-fps", test_bframes_and_measured_fps);
  g_test_add_func("/estbuffer/meta/codec-names", test_codec_names);
  g_test_add_func("/estbuffer/meta/init-from-stream-headers", test_init_from_stream_headers);
  g_test_add_func("/estbuffer/meta/refuses-decoded-video", test_refuses_decoded_video);
  g_test_add_func("/estbuffer/meta/json-text-escapes", test_json_text_escapes_controls);
  const int ret = g_test_run();
  gst_deinit();  // lets GST_TRACERS=leaks report what a test left alive
  return ret;
}
