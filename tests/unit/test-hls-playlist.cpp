// Byte-exact tests for the HLS playlist writers and codec strings.
#include <glib.h>

#include "protocols/hls/codecs.h"
#include "protocols/hls/playlist.h"

using namespace estuary::hls;

// g_assert_cmpstr keeps only the pointer, so the temporary string must outlive the comparison.
static void assert_text(const std::string &got, const char *want) {
  g_assert_cmpstr(got.c_str(), ==, want);
}

static void test_live_media_playlist() {
  MediaPlaylist pl;
  pl.media_sequence = 7;
  pl.segments = {{2002, "7.ts", false}, {2500, "8.ts", false}, {1999, "9.ts", true}};
  assert_text(write_media_playlist(pl),
              "#EXTM3U\n"
              "#EXT-X-VERSION:3\n"
              "#EXT-X-TARGETDURATION:3\n"
              "#EXT-X-MEDIA-SEQUENCE:7\n"
              "#EXTINF:2.002,\n7.ts\n"
              "#EXTINF:2.500,\n8.ts\n"
              "#EXT-X-DISCONTINUITY\n"
              "#EXTINF:1.999,\n9.ts\n");
}

static void test_vod_media_playlist() {
  MediaPlaylist pl;
  pl.vod = true;
  pl.discontinuity_sequence = 2;
  pl.target_duration_s = 6;  // an explicit value wins over the longest segment
  pl.segments = {{4000, "0.ts", false}, {333, "1.ts", false}};
  assert_text(write_media_playlist(pl),
              "#EXTM3U\n"
              "#EXT-X-VERSION:3\n"
              "#EXT-X-TARGETDURATION:6\n"
              "#EXT-X-MEDIA-SEQUENCE:0\n"
              "#EXT-X-DISCONTINUITY-SEQUENCE:2\n"
              "#EXT-X-PLAYLIST-TYPE:VOD\n"
              "#EXTINF:4.000,\n0.ts\n"
              "#EXTINF:0.333,\n1.ts\n"
              "#EXT-X-ENDLIST\n");
}

static void test_empty_and_ended() {
  MediaPlaylist pl;
  pl.ended = true;
  assert_text(write_media_playlist(pl),
              "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:1\n"
              "#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-ENDLIST\n");
}

static void test_target_duration() {
  g_assert_cmpuint(target_duration_for(0), ==, 0);
  g_assert_cmpuint(target_duration_for(2000), ==, 2);
  g_assert_cmpuint(target_duration_for(2001), ==, 3);
  g_assert_cmpuint(target_duration_for(999), ==, 1);
}

static void test_master_playlist() {
  MasterPlaylist pl;
  Variant v;
  v.bandwidth = 1200000;
  v.width = 1280;
  v.height = 720;
  v.frame_rate = 30;
  v.codecs = "avc1.64001f,mp4a.40.2";
  v.uri = "1_2/index.m3u8";
  pl.variants.push_back(v);
  Variant a;
  a.bandwidth = 128000;
  a.codecs = "mp4a.40.2";
  a.uri = "2/index.m3u8";
  pl.variants.push_back(a);
  assert_text(write_master_playlist(pl),
              "#EXTM3U\n"
              "#EXT-X-VERSION:3\n"
              "#EXT-X-INDEPENDENT-SEGMENTS\n"
              "#EXT-X-STREAM-INF:BANDWIDTH=1200000,CODECS=\"avc1.64001f,mp4a.40.2\","
              "RESOLUTION=1280x720,FRAME-RATE=30.000\n"
              "1_2/index.m3u8\n"
              "#EXT-X-STREAM-INF:BANDWIDTH=128000,CODECS=\"mp4a.40.2\"\n"
              "2/index.m3u8\n");
}

static void test_master_with_audio_group() {
  MasterPlaylist pl;
  pl.independent_segments = false;
  Rendition r;
  r.group_id = "aud";
  r.name = "English";
  r.language = "en";
  r.is_default = true;
  r.uri = "2/index.m3u8";
  pl.renditions.push_back(r);
  Variant v;
  v.bandwidth = 500000;
  v.codecs = "avc1.42e01e,mp4a.40.2";
  v.audio_group = "aud";
  v.uri = "1/index.m3u8";
  pl.variants.push_back(v);
  assert_text(write_master_playlist(pl),
              "#EXTM3U\n"
              "#EXT-X-VERSION:3\n"
              "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"aud\",NAME=\"English\",LANGUAGE=\"en\","
              "DEFAULT=YES,AUTOSELECT=YES,URI=\"2/index.m3u8\"\n"
              "#EXT-X-STREAM-INF:BANDWIDTH=500000,CODECS=\"avc1.42e01e,mp4a.40.2\","
              "AUDIO=\"aud\"\n"
              "1/index.m3u8\n");
}

static void test_codec_strings() {
  const guint8 avcc[] = {0x01, 0x64, 0x00, 0x1f, 0xff, 0xe1};
  assert_text(avc_codec_string(avcc, sizeof avcc), "avc1.64001f");
  assert_text(avc_codec_string(avcc, 3), "");
  assert_text(avc_codec_string(nullptr, 0), "");

  // Main profile, compat flag 2 set (0x20000000 -> reversed 0x4), level 93, constraint 0x90.
  const guint8 hvcc[] = {0x01, 0x01, 0x60, 0x00, 0x00, 0x00, 0x90,
                         0x00, 0x00, 0x00, 0x00, 0x00, 0x5d};
  assert_text(hevc_codec_string(hvcc, sizeof hvcc), "hvc1.1.6.L93.90");
  assert_text(hevc_codec_string(hvcc, 12), "");

  const guint8 lc[] = {0x12, 0x10};  // AOT 2, 44.1 kHz, stereo
  assert_text(aac_codec_string(lc, sizeof lc), "mp4a.40.2");
  const guint8 he[] = {0x2b, 0x92};  // AOT 5 (SBR)
  assert_text(aac_codec_string(he, sizeof he), "mp4a.40.5");
  const guint8 esc[] = {0xf8, 0x20};  // escape: 32 + 1 = AOT 33
  assert_text(aac_codec_string(esc, sizeof esc), "mp4a.40.33");
  assert_text(aac_codec_string(esc, 1), "mp4a.40.2");
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, nullptr);
  g_test_add_func("/hls/playlist/media-live", test_live_media_playlist);
  g_test_add_func("/hls/playlist/media-vod", test_vod_media_playlist);
  g_test_add_func("/hls/playlist/media-empty-ended", test_empty_and_ended);
  g_test_add_func("/hls/playlist/target-duration", test_target_duration);
  g_test_add_func("/hls/playlist/master", test_master_playlist);
  g_test_add_func("/hls/playlist/master-audio-group", test_master_with_audio_group);
  g_test_add_func("/hls/codecs", test_codec_strings);
  return g_test_run();
}
