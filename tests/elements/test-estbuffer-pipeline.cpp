// estbuffer behind real encoders and parsers: metadata from what x264enc/avenc_aac really emit.
#include "estbuffer-test-util.h"

using estuary::GRef;

static bool have(const char *factory) {
  GRef<GstElementFactory> f = GRef<GstElementFactory>::adopt(gst_element_factory_find(factory));
  return static_cast<bool>(f);
}

static void test_real_h264_aac() {
  for (const char *f : {"x264enc", "avenc_aac", "h264parse", "aacparse"}) {
    if (!have(f)) {
      g_test_skip(f);  // gstreamer1.0-plugins-ugly / -libav / -bad not installed
      return;
    }
  }
  g_assert_true(estuary_elements_register());
  GError *err = nullptr;
  GRef<GstElement> pipe = GRef<GstElement>::adopt(gst_parse_launch(
      "videotestsrc num-buffers=75 ! video/x-raw,width=320,height=240,framerate=25/1 "
      "! x264enc key-int-max=25 bframes=2 b-adapt=false ! h264parse ! estbuffer name=b live=false "
      "audiotestsrc num-buffers=130 samplesperbuffer=1024 ! audio/x-raw,channels=2,rate=44100 "
      "! avenc_aac ! aacparse ! b.",
      &err));
  g_assert_no_error(err);
  GRef<GstElement> buffer = GRef<GstElement>::adopt(gst_bin_get_by_name(GST_BIN(pipe.get()), "b"));
  auto ring = estuary::estbuffer_get_ring(buffer.get());
  g_assert_nonnull(ring.get());
  estuary::BufferReader reader(ring, {estuary::BufferReader::Start::kOldest});

  gst_element_set_state(pipe.get(), GST_STATE_PLAYING);
  GRef<GstBus> bus = GRef<GstBus>::adopt(gst_element_get_bus(pipe.get()));
  GRef<GstMessage> msg = GRef<GstMessage>::adopt(
      gst_bus_timed_pop_filtered(bus.get(), 60 * GST_SECOND,
                                 static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR)));
  g_assert_nonnull(msg.get());
  g_assert_cmpint(GST_MESSAGE_TYPE(msg.get()), ==, GST_MESSAGE_EOS);  // posted by estbuffer

  auto m = ring->snapshot();
  g_assert_true(m.ended);
  g_assert_cmpuint(m.tracks.size(), ==, 2);
  const auto &v = m.tracks[0].codec.type == estuary::TrackType::kVideo ? m.tracks[0] : m.tracks[1];
  const auto &a = m.tracks[0].codec.type == estuary::TrackType::kVideo ? m.tracks[1] : m.tracks[0];
  g_assert_cmpstr(v.codec.codec.c_str(), ==, "H264");
  g_assert_cmpuint(v.codec.width, ==, 320);
  g_assert_cmpuint(v.codec.height, ==, 240);
  g_assert_cmpuint(v.fpks, ==, 25000);
  g_assert_cmpuint(v.frames, ==, 75);
  g_assert_cmpuint(v.lastms, ==, 2960);  // frame 74 at 40 ms per frame
  // avcC: version 1, then profile/compat/level as in the SPS.
  gsize n = 0;
  auto *init = static_cast<const guint8 *>(g_bytes_get_data(v.codec.init.get(), &n));
  g_assert_cmpuint(n, >, 7);
  g_assert_cmpuint(init[0], ==, 1);
  g_assert_cmpuint(v.keys.keys, ==, 3);
  g_assert_cmpuint(v.keys.frames_min, ==, 25);
  g_assert_cmpuint(v.keys.frames_max, ==, 25);
  g_assert_cmpuint(v.keys.ms_min, ==, 1000);
  g_assert_cmpuint(v.keys.frame_ms_max, ==, 40);
  g_assert_cmpint(v.keys.bfrms_max, >, 0);  // B-frames reorder: PTS runs ahead of DTS
  g_assert_cmpstr(a.codec.codec.c_str(), ==, "AAC");
  g_assert_cmpuint(a.codec.channels, ==, 2);
  g_assert_cmpuint(a.codec.rate, ==, 44100);
  gsize asc_size = 0;
  auto *asc = static_cast<const guint8 *>(g_bytes_get_data(a.codec.init.get(), &asc_size));
  g_assert_cmpuint(asc_size, >=, 2);     // AudioSpecificConfig
  g_assert_cmpuint(asc[0] >> 3, ==, 2);  // object type 2: AAC LC
  g_assert_cmpuint(a.bps, >, 1000);

  // Every frame is readable from the start, keyframes where the index says.
  guint video = 0, audio = 0;
  for (const auto &it : test::drain(&reader)) {
    if (it.track_id == v.trackid) {
      if (video % 25 == 0) g_assert_true(it.keyframe);
      video++;
    } else {
      audio++;
    }
  }
  g_assert_cmpuint(video, ==, 75);
  g_assert_cmpuint(audio, ==, a.frames);
  estuary::ReadItem item;
  g_assert_true(reader.next(&item) == estuary::BufferReader::Status::kEnded);
  gst_element_set_state(pipe.get(), GST_STATE_NULL);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, nullptr);
  gst_init(&argc, &argv);
  g_test_add_func("/estbuffer/pipeline/real-h264-aac", test_real_h264_aac);
  const int ret = g_test_run();
  gst_deinit();  // lets GST_TRACERS=leaks report what a test left alive
  return ret;
}
