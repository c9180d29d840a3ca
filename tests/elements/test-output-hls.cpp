// H.264+AAC through the TS branch, shared by a Fanout and the HLS segmenter: segments start with
// PAT/PMT and a keyframe, last at least the target, and the playlist plays with ffprobe.
#include <gst/gst.h>

#include "pipelines/fanout.h"
#include "pipelines/output-branch.h"
#include "pipelines/output-segmenter.h"
#include "pipelines/segment-store.h"
#include "protocols/hls/playlist.h"
#include "test-output-util.h"

using namespace estuary;
using namespace estuary::test;

static void test_ts_segments() {
  if (!have_ffprobe()) {
    g_test_skip("ffprobe is not installed");
    return;
  }
  GError *err = nullptr;
  auto branch = FormatBranch::create(OutputFormat::kTS, "hls", &err);
  g_assert_no_error(err);
  auto store = std::make_shared<SegmentStore>();
  TsSegmenter segmenter(store, 2000);
  auto fanout = Fanout::create("hls/TS");
  Collector done;
  branch->set_sink(
      tee_sinks(tee_sinks(FormatBranch::sink_for(fanout), segmenter.sink()), done.sink()));
  std::vector<std::shared_ptr<FanoutViewer>> viewers;
  for (int i = 0; i < 20; i++) viewers.push_back(fanout->add_viewer(nullptr));

  TrackSource src(h264_aac_desc(9));
  g_assert_cmpuint(src.add_tracks(*branch), ==, 2);
  g_assert_true(branch->start(&err));
  src.feed(*branch);
  g_assert_true(done.wait(60));

  // Segments: 1 s GOPs cut at >= 2 s give 2 s segments; the last may be shorter.
  const size_t n = store->size();
  g_assert_cmpuint(n, >=, 3);
  g_assert_true(store->ended());
  gchar *dir = g_dir_make_tmp("estuary-hls-XXXXXX", nullptr);
  g_assert_nonnull(dir);
  GCharPtr dir_owned(dir);
  hls::MediaPlaylist pl = store->media_playlist();
  g_assert_cmpuint(pl.segments.size(), ==, MIN(n, size_t(6)));
  for (uint64_t seq = pl.media_sequence; seq < pl.media_sequence + pl.segments.size(); seq++) {
    auto seg = store->get(seq);
    g_assert_true(seg.has_value());
    if (seq + 1 < pl.media_sequence + pl.segments.size()) {
      g_assert_cmpuint(seg->duration_ms, >=, 2000);
      g_assert_cmpuint(seg->duration_ms, <, 3000);
    }
    gsize size = 0;
    auto *d = static_cast<const guint8 *>(g_bytes_get_data(seg->data.get(), &size));
    g_assert_cmpuint(size % 188, ==, 0);
    g_assert_cmpuint(d[0], ==, 0x47);
    g_assert_cmpuint(((d[1] & 0x1f) << 8) | d[2], ==, 0);  // PAT first
    std::string path = std::string(dir) + "/" + std::to_string(seq) + ".ts";
    g_assert_true(
        g_file_set_contents(path.c_str(), reinterpret_cast<const char *>(d), size, nullptr));
    std::string codecs = stream_codecs(path);
    g_assert_cmpstr(codecs.c_str(), ==, "h264 aac");
    // The first video frame of every segment is a keyframe.
    std::string key = ffprobe(
        "-select_streams v:0 -show_entries frame=key_frame -of csv=p=0 "
        "-read_intervals %+#1",
        path);
    g_assert_cmpstr(key.substr(0, 1).c_str(), ==, "1");
  }
  std::string m3u8 = hls::write_media_playlist(pl);
  g_assert_nonnull(strstr(m3u8.c_str(), "#EXT-X-TARGETDURATION:"));
  g_assert_nonnull(strstr(m3u8.c_str(), "#EXT-X-ENDLIST\n"));
  std::string index = std::string(dir) + "/index.m3u8";
  g_assert_true(g_file_set_contents(index.c_str(), m3u8.c_str(), -1, nullptr));
  std::string codecs = stream_codecs(index);
  g_assert_cmpstr(codecs.c_str(), ==, "h264 aac");

  // Every viewer saw the same buffers, starting with the PAT/PMT headers.
  std::vector<GstBuffer *> first;
  for (size_t i = 0; i < viewers.size(); i++) {
    std::vector<GstBuffer *> got;
    while (GRef<GstBuffer> b = viewers[i]->pull()) got.push_back(b.get());
    g_assert_true(viewers[i]->closed());
    g_assert_cmpuint(got.size(), >, 100);
    if (i == 0) {
      first = got;
      guint8 h[3];
      gst_buffer_extract(got[0], 0, h, 3);
      g_assert_cmpuint(((h[1] & 0x1f) << 8) | h[2], ==, 0);
      continue;
    }
    g_assert_cmpuint(got.size(), ==, first.size());
    for (size_t j = 0; j < got.size(); j++) g_assert_true(got[j] == first[j]);
  }
  // Buffers stay alive through done.buffers, so pointer identity above is meaningful.
  g_assert_cmpuint(done.buffers.size(), >, 100);

  for (uint64_t seq = pl.media_sequence; seq < pl.media_sequence + pl.segments.size(); seq++)
    g_unlink((std::string(dir) + "/" + std::to_string(seq) + ".ts").c_str());
  g_unlink(index.c_str());
  g_rmdir(dir);
}

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  g_test_init(&argc, &argv, nullptr);
  g_test_add_func("/output/hls/ts-segments", test_ts_segments);
  return g_test_run();
}
