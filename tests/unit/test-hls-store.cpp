// SegmentStore: sliding window, sequence numbers, discontinuities and the playlist it writes.
#include <gst/gst.h>

#include "pipelines/segment-store.h"
#include "protocols/hls/playlist.h"

using namespace estuary;

static GRef<GBytes> bytes_of(const char *s) {
  return GRef<GBytes>::adopt(g_bytes_new(s, strlen(s)));
}

static void assert_text(const std::string &got, const char *want) {
  g_assert_cmpstr(got.c_str(), ==, want);
}

static void test_live_window() {
  SegmentStore::Options o;
  o.window = 3;
  o.keep_after_window = 1;
  SegmentStore store(o);
  int changes = 0;
  store.add_listener([&] { changes++; });
  for (int i = 0; i < 3; i++) store.add(bytes_of("seg").get(), i * 2 * GST_SECOND, 2000);
  store.mark_discontinuity();
  store.add(bytes_of("after").get(), 0, 2500);
  store.add(bytes_of("x").get(), 2500 * GST_MSECOND, 1800);
  store.add(bytes_of("y").get(), 0, 2000);
  g_assert_cmpint(changes, ==, 6);
  // Kept: 2..5 (window 3 + 1); listed: 3..5; segment 3 is the discontinuity.
  g_assert_cmpuint(store.size(), ==, 4);
  g_assert_false(store.get(1).has_value());
  g_assert_true(store.get(2).has_value());
  auto seg = store.get(3);
  g_assert_true(seg.has_value());
  g_assert_true(seg->discontinuity);
  g_assert_cmpuint(g_bytes_get_size(seg->data.get()), ==, 5);
  assert_text(hls::write_media_playlist(store.media_playlist("", ".ts")),
              "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:3\n#EXT-X-MEDIA-SEQUENCE:3\n"
              "#EXT-X-DISCONTINUITY\n#EXTINF:2.500,\n3.ts\n"
              "#EXTINF:1.800,\n4.ts\n"
              "#EXTINF:2.000,\n5.ts\n");
  // Once the discontinuity leaves the playlist it is counted in the discontinuity sequence.
  store.add(bytes_of("z").get(), 0, 2000);
  hls::MediaPlaylist pl = store.media_playlist();
  g_assert_cmpuint(pl.media_sequence, ==, 4);
  g_assert_cmpuint(pl.discontinuity_sequence, ==, 1);
  store.add(bytes_of("w").get(), 0, 2000);
  g_assert_cmpuint(store.media_playlist().discontinuity_sequence, ==, 1);
  store.end();
  g_assert_true(store.media_playlist().ended);
  g_assert_false(store.media_playlist().vod);
}

static void test_vod_keeps_everything() {
  SegmentStore::Options o;
  o.live = false;
  o.window = 2;
  SegmentStore store(o);
  for (int i = 0; i < 10; i++) store.add(bytes_of("0123456789").get(), 0, 1000);
  g_assert_cmpuint(store.size(), ==, 10);
  g_assert_cmpuint(store.bytes(), ==, 100);
  g_assert_cmpuint(store.bandwidth_bps(), ==, 80);
  store.end();
  hls::MediaPlaylist pl = store.media_playlist("seg", ".ts");
  g_assert_true(pl.vod);
  g_assert_cmpuint(pl.segments.size(), ==, 10);
  g_assert_cmpstr(pl.segments[9].uri.c_str(), ==, "seg9.ts");
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, nullptr);
  g_test_add_func("/hls/store/live-window", test_live_window);
  g_test_add_func("/hls/store/vod", test_vod_keeps_everything);
  return g_test_run();
}
