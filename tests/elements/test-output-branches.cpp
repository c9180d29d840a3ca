// FormatBranch over real encoded media: each format's output decodes with ffprobe, the codec
// table refuses what a format cannot carry, and the framing marks headers and start points.
#include <gst/gst.h>

#include "common/gref.h"
#include "pipelines/output-branch.h"
#include "pipelines/output-formats.h"
#include "test-output-util.h"

using namespace estuary;
using namespace estuary::test;

// Muxes `seconds` of `desc` into `format`; returns the output bytes ("" on failure).
static std::string mux(OutputFormat format, const std::string &desc, Collector &out,
                       size_t expect_tracks) {
  GError *err = nullptr;
  auto branch = FormatBranch::create(format, "test", &err);
  g_assert_no_error(err);
  branch->set_sink(out.sink());
  TrackSource src(desc);
  g_assert_cmpuint(src.add_tracks(*branch), ==, expect_tracks);
  g_assert_true(branch->start(&err));
  g_assert_no_error(err);
  src.feed(*branch);
  g_assert_true(out.wait(60));
  return out.bytes();
}

static void check_probe(OutputFormat format, const char *ext, const std::string &desc,
                        size_t tracks, const char *codecs) {
  if (!have_ffprobe()) {
    g_test_skip("ffprobe is not installed");
    return;
  }
  Collector out;
  std::string data = mux(format, desc, out, tracks);
  g_assert_cmpuint(data.size(), >, 1000);
  std::string path = write_temp(data, ext);
  std::string got = stream_codecs(path);
  g_assert_cmpstr(got.c_str(), ==, codecs);
  g_unlink(path.c_str());
}

static void test_ts() { check_probe(OutputFormat::kTS, ".ts", h264_aac_desc(3), 2, "h264 aac"); }

static void test_flv() {
  Collector out;
  if (!have_ffprobe()) {
    g_test_skip("ffprobe is not installed");
    return;
  }
  std::string data = mux(OutputFormat::kFLV, h264_aac_desc(3), out, 2);
  // The FLV header and codec configuration come as headers, never in the buffer stream.
  g_assert_cmpuint(out.headers.size(), >=, 1);
  BufferMap first(out.headers[0].get(), GST_MAP_READ);
  g_assert_cmpmem(first.data(), 3, "FLV", 3);
  // Only video keyframe tags are start points: one per second.
  size_t starts = 0;
  for (auto &b : out.buffers) {
    if (GST_BUFFER_FLAG_IS_SET(b.get(), GST_BUFFER_FLAG_DELTA_UNIT)) continue;
    guint8 tag[12];
    g_assert_cmpuint(gst_buffer_extract(b.get(), 0, tag, 12), ==, 12);
    g_assert_cmpuint(tag[0], ==, 9);
    g_assert_cmpuint(tag[11] >> 4, ==, 1);
    starts++;
  }
  g_assert_cmpuint(starts, >=, 3);  // x264 may add a scene-cut keyframe
  std::string path = write_temp(data, ".flv");
  std::string got = stream_codecs(path);
  g_assert_cmpstr(got.c_str(), ==, "h264 aac");
  g_unlink(path.c_str());
}

static void test_mkv() { check_probe(OutputFormat::kMKV, ".mkv", h264_aac_desc(2), 2, "h264 aac"); }

static void test_fmp4() {
  if (!have_ffprobe()) {
    g_test_skip("ffprobe is not installed");
    return;
  }
  Collector out;
  std::string data = mux(OutputFormat::kFMP4, h264_aac_desc(3), out, 2);
  // ftyp + moov are headers; every fragment (moof) is a start point.
  g_assert_cmpuint(out.headers.size(), >=, 2);
  guint8 box[8];
  gst_buffer_extract(out.headers[0].get(), 0, box, 8);
  g_assert_cmpmem(box + 4, 4, "ftyp", 4);
  size_t moofs = 0;
  for (auto &b : out.buffers) {
    if (GST_BUFFER_FLAG_IS_SET(b.get(), GST_BUFFER_FLAG_DELTA_UNIT)) continue;
    gst_buffer_extract(b.get(), 0, box, 8);
    g_assert_cmpmem(box + 4, 4, "moof", 4);
    moofs++;
  }
  g_assert_cmpuint(moofs, >=, 2);
  std::string path = write_temp(data, ".mp4");
  std::string got = stream_codecs(path);
  g_assert_cmpstr(got.c_str(), ==, "h264 aac");
  g_unlink(path.c_str());
}

static void test_webm() {
  check_probe(OutputFormat::kWebM, ".webm",
              "videotestsrc num-buffers=30 ! video/x-raw,width=160,height=120,framerate=30/1"
              " ! vp8enc deadline=1 keyframe-max-dist=15 ! appsink name=t1 "
              "audiotestsrc num-buffers=40 ! opusenc ! opusparse ! appsink name=t2",
              2, "vp8 opus");
}

static void test_elementary_aac() {
  // Raw AAC from the source becomes ADTS; the video track is refused.
  check_probe(OutputFormat::kAAC, ".aac", h264_aac_desc(2), 1, "aac");
}

static void test_mp3() {
  check_probe(OutputFormat::kMP3, ".mp3",
              "audiotestsrc num-buffers=50 ! lamemp3enc ! mpegaudioparse ! appsink name=t1", 1,
              "mp3");
}

static void test_ogg() {
  check_probe(OutputFormat::kOGG, ".ogg",
              "audiotestsrc num-buffers=50 ! vorbisenc ! vorbisparse ! appsink name=t1", 1,
              "vorbis");
}

static void test_wav() {
  check_probe(OutputFormat::kWAV, ".wav",
              "audiotestsrc num-buffers=20 ! audio/x-raw,format=S16LE,rate=8000,channels=1"
              " ! appsink name=t1",
              1, "pcm_s16le");
}

static GstBuffer *text_buffer(const char *text, GstClockTime pts, GstClockTime dur) {
  GstBuffer *b = gst_buffer_new_memdup(text, strlen(text));
  GST_BUFFER_PTS(b) = pts;
  GST_BUFFER_DURATION(b) = dur;
  return b;
}

static void test_subtitles() {
  GRef<GstCaps> caps = GRef<GstCaps>::adopt(gst_caps_from_string("text/x-raw,format=utf8"));
  for (OutputFormat f : {OutputFormat::kWebVTT, OutputFormat::kSRT}) {
    GError *err = nullptr;
    auto branch = FormatBranch::create(f, "test", &err);
    Collector out;
    branch->set_sink(out.sink());
    g_assert_true(branch->add_track(3, caps.get(), &err));
    g_assert_true(branch->start(&err));
    branch->push(3, text_buffer("Hello", 1500 * GST_MSECOND, 2 * GST_SECOND));
    branch->push(3, text_buffer("two\n\nlines\n", 3661 * GST_SECOND + 5 * GST_MSECOND, GST_SECOND));
    branch->end();
    g_assert_true(out.wait(5));
    std::string text = out.bytes();
    if (f == OutputFormat::kWebVTT)
      g_assert_cmpstr(text.c_str(), ==,
                      "WEBVTT\n\n"
                      "00:00:01.500 --> 00:00:03.500\nHello\n\n"
                      "01:01:01.005 --> 01:01:02.005\ntwo\nlines\n\n");
    else
      g_assert_cmpstr(text.c_str(), ==,
                      "1\n00:00:01,500 --> 00:00:03,500\nHello\n\n"
                      "2\n01:01:01,005 --> 01:01:02,005\ntwo\nlines\n\n");
  }
}

static void test_refuses_codecs() {
  GError *err = nullptr;
  auto branch = FormatBranch::create(OutputFormat::kFLV, "test", &err);
  GRef<GstCaps> vp9 = GRef<GstCaps>::adopt(gst_caps_from_string("video/x-vp9"));
  g_assert_false(branch->add_track(1, vp9.get(), &err));
  g_assert_error(err, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT);
  g_assert_cmpstr(err->message, ==, "track 1 (VP9): FLV cannot carry VP9");
  g_clear_error(&err);
  g_assert_false(branch->start(&err));
  g_clear_error(&err);

  TrackSelection sel = select_tracks(OutputFormat::kFLV, {{1, Codec::kVP9}, {2, Codec::kOpus}});
  g_assert_true(sel.selected.empty());
  g_assert_cmpstr(sel.error.c_str(), ==,
                  "FLV cannot carry any track of this stream (VP9, opus); FLV carries H264, AAC, "
                  "MP3");
  sel = select_tracks(OutputFormat::kFLV,
                      {{1, Codec::kH264}, {2, Codec::kAAC}, {3, Codec::kAAC}, {4, Codec::kH264}});
  g_assert_cmpuint(sel.selected.size(), ==, 2);
  g_assert_cmpuint(sel.skipped.size(), ==, 2);
  g_assert_true(sel.error.empty());
  sel = select_tracks(OutputFormat::kTS, {{1, Codec::kH264}, {2, Codec::kAAC}, {3, Codec::kAAC}});
  g_assert_cmpuint(sel.selected.size(), ==, 3);

  g_assert_true(format_from_name("M3U8") == std::nullopt);
  g_assert_true(format_from_name("Webm") == OutputFormat::kWebM);
  g_assert_cmpstr(format_mime_type(OutputFormat::kTS), ==, "video/mp2t");
}

// caps for an H.264 avc track whose avcC carries the SPS byte `sps_id`, and raw AAC with `asc`.
static GstCaps *h264_caps(guint8 sps_id) {
  const guint8 avcc[] = {1, 0x42, 0, 0x1e, 0xff, 0xe1, 0, 4, 0x67, 0x42, 0, sps_id,
                         1, 0,    4, 0x68, 0xce, 0x3c, 0x80};
  GstBuffer *config = gst_buffer_new_memdup(avcc, sizeof avcc);
  GstCaps *caps = gst_caps_new_simple("video/x-h264", "stream-format", G_TYPE_STRING, "avc",
                                      "alignment", G_TYPE_STRING, "au", "codec_data",
                                      GST_TYPE_BUFFER, config, nullptr);
  gst_buffer_unref(config);
  return caps;
}

static std::string bytes_of(GstBuffer *buf) {
  BufferMap map(buf, GST_MAP_READ);
  return std::string(reinterpret_cast<const char *>(map.data()), map.size());
}

// Counts the branch's header sets and keeps its last output buffer.
struct UpdateSink {
  int headers = 0;
  std::string last_headers, last_buffer;
  FormatBranch::Sink sink() {
    FormatBranch::Sink s;
    s.on_headers = [this](const std::vector<GstBuffer *> &h) {
      headers++;
      last_headers = bytes_of(h[0]);
    };
    s.on_buffer = [this](GstBuffer *b) { last_buffer = bytes_of(b); };
    return s;
  }
};

// A publisher that resumes with other encoder settings: branches muxed in place follow the new
// avcC (new headers, and in band for viewers already playing); equal caps change nothing.
static void test_new_caps_followed() {
  const std::string old_sps("\x67\x42\x00\x1e", 4), new_sps("\x67\x42\x00\x28", 4);
  const guint8 idr[] = {0, 0, 0, 2, 0x65, 0x88};
  for (OutputFormat format : {OutputFormat::kTS, OutputFormat::kFLV}) {
    GError *err = nullptr;
    auto branch = FormatBranch::create(format, "test", &err);
    UpdateSink out;
    branch->set_sink(out.sink());
    GRef<GstCaps> first = GRef<GstCaps>::adopt(h264_caps(0x1e));
    g_assert_true(branch->add_track(1, first.get(), &err));
    g_assert_true(branch->start(&err));
    g_assert_cmpint(out.headers, ==, 1);
    GRef<GstCaps> same = GRef<GstCaps>::adopt(h264_caps(0x1e));
    g_assert_true(branch->update_track(1, same.get()));
    g_assert_cmpint(out.headers, ==, 1);

    GRef<GstCaps> next = GRef<GstCaps>::adopt(h264_caps(0x28));
    g_assert_true(branch->update_track(1, next.get()));
    g_assert_cmpint(out.headers, ==, 2);
    GstBuffer *unit = gst_buffer_new_memdup(idr, sizeof idr);
    GST_BUFFER_PTS(unit) = GST_BUFFER_DTS(unit) = 10 * GST_SECOND;
    g_assert_true(branch->push(1, unit));
    // The keyframe carries the new SPS (TS: in front of the slice; FLV: a sequence header tag
    // in front of the frame's tag), never the old one.
    g_assert_true(out.last_buffer.find(new_sps) != std::string::npos);
    g_assert_true(out.last_buffer.find(old_sps) == std::string::npos);
    if (format == OutputFormat::kFLV) {
      g_assert_true(out.last_headers.find(new_sps) != std::string::npos);
      g_assert_cmpint(out.last_buffer[0], ==, 9);       // a video tag
      g_assert_cmpint(out.last_buffer[11], ==, 0x17);   // keyframe, AVC
      g_assert_cmpint(out.last_buffer[12], ==, 0);      // sequence header
    }
    // Another codec cannot be followed; the branch keeps muxing with what it has.
    GRef<GstCaps> h265 = GRef<GstCaps>::adopt(gst_caps_from_string(
        "video/x-h265, stream-format=(string)hvc1, alignment=(string)au"));
    g_assert_false(branch->update_track(1, h265.get()));
    branch->stop();
  }
}

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  g_test_init(&argc, &argv, nullptr);
  g_test_add_func("/output/ts", test_ts);
  g_test_add_func("/output/flv", test_flv);
  g_test_add_func("/output/mkv", test_mkv);
  g_test_add_func("/output/fmp4", test_fmp4);
  g_test_add_func("/output/webm", test_webm);
  g_test_add_func("/output/aac", test_elementary_aac);
  g_test_add_func("/output/mp3", test_mp3);
  g_test_add_func("/output/ogg", test_ogg);
  g_test_add_func("/output/wav", test_wav);
  g_test_add_func("/output/subtitles", test_subtitles);
  g_test_add_func("/output/refuses-codecs", test_refuses_codecs);
  g_test_add_func("/output/new-caps-followed", test_new_caps_followed);
  return g_test_run();
}
