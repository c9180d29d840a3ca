#include <glib.h>

#include "protocols/rtmp/command.h"
#include "protocols/rtmp/flv-tag.h"
#include "protocols/rtmp/media-header.h"
#include "protocols/rtmp/rtmp-url.h"
#include "test-rtmp-util.h"

using namespace estuary::rtmp;

static void test_flv_write() {
  assert_bytes(flv_file_header(true, true), hex("'FLV' 01 05 00000009 00000000"));
  assert_bytes(flv_file_header(false, true), hex("'FLV' 01 01 00000009 00000000"));
  Message m;
  m.type = kMsgVideo;
  m.timestamp = 0x01020304;
  m.payload = hex("17 00 000000");
  Bytes out;
  g_assert_true(flv_append_message(m, &out));
  // Type, 24-bit size, low 24 bits of time, time bits 24..31, stream id 0, body, 11 + size.
  assert_bytes(out, hex("09 000005 020304 01 000000 17 00 000000 00000010"));
  m.type = kMsgCommandAmf0;
  g_assert_false(flv_append_message(m, &out));
}

static void test_flv_read() {
  Bytes stream =
      cat({flv_file_header(true, true), hex("12 000003 000000 00 000000 05 06 05 0000000E"),
           hex("09 000005 020304 01 000000 17 00 000000 00000010"),
           hex("08 000002 000028 00 000000 AF 01 0000000D")});
  for (size_t split : {size_t{1}, size_t{5}, size_t{14}, stream.size()}) {
    FlvTagReader r;
    std::vector<FlvTag> tags;
    for (size_t pos = 0; pos < stream.size(); pos += split)
      g_assert_true(r.feed(stream.data() + pos, std::min(split, stream.size() - pos), &tags) ==
                    FlvTagReader::Error::kNone);
    g_assert_cmpuint(tags.size(), ==, 3);
    g_assert_cmpuint(tags[0].type, ==, kFlvScript);
    g_assert_cmpuint(tags[1].timestamp, ==, 0x01020304u);
    assert_bytes(tags[1].body, hex("17 00 000000"));
    Message m = FlvTagReader::to_message(tags[2], 1);
    g_assert_cmpuint(m.csid, ==, kCsidAudio);
    g_assert_cmpuint(m.timestamp, ==, 40);
    g_assert_cmpuint(m.stream_id, ==, 1);
    // Round trip back to the same tag bytes.
    Bytes again;
    flv_append_message(FlvTagReader::to_message(tags[1], 1), &again);
    assert_bytes(again, hex("09 000005 020304 01 000000 17 00 000000 00000010"));
  }
  // Without the file header (joined mid-stream at a tag boundary).
  FlvTagReader r;
  std::vector<FlvTag> tags;
  Bytes t = hex("08 000002 000028 00 000000 AF 01 0000000D");
  r.feed(t.data(), t.size(), &tags);
  g_assert_cmpuint(tags.size(), ==, 1);
  // Oversized tags are refused.
  FlvTagReader small(100);
  Bytes big = hex("09 0000FF 000000 00 000000");
  g_assert_true(small.feed(big.data(), big.size(), &tags) == FlvTagReader::Error::kTagTooLarge);
}

static void test_video_headers() {
  Bytes b = hex("17 00 000000 01 64");
  auto h = parse_video_header(b.data(), b.size());
  g_assert_true(h && h->keyframe() && h->codec_id == 7 && h->kind == PacketKind::kSequenceHeader);
  g_assert_true(h->codec_fourcc == fourcc('a', 'v', 'c', '1') && h->data_offset == 5);
  b = hex("27 01 FFFFF6 00 00 00 05");
  h = parse_video_header(b.data(), b.size());
  g_assert_true(h && !h->keyframe() && h->kind == PacketKind::kCodedFrames);
  g_assert_cmpint(h->composition_time, ==, -10);
  // Enhanced RTMP.
  b = hex("90 'hvc1' 01 02");
  h = parse_video_header(b.data(), b.size());
  g_assert_true(h && h->enhanced && h->keyframe() && h->kind == PacketKind::kSequenceHeader);
  g_assert_true(h->codec_fourcc == fourcc('h', 'v', 'c', '1') && h->data_offset == 5);
  b = hex("91 'hvc1' 000021 AA");
  h = parse_video_header(b.data(), b.size());
  g_assert_true(h && h->kind == PacketKind::kCodedFrames && h->composition_time == 33);
  g_assert_cmpuint(h->data_offset, ==, 8);
  b = hex("A3 'hvc1' AA");  // inter frame, CodedFramesX: no composition time
  h = parse_video_header(b.data(), b.size());
  g_assert_true(h && h->frame_type == 2 && h->kind == PacketKind::kCodedFrames &&
                h->data_offset == 5);
  b = hex("91 'av01' 12 00");
  h = parse_video_header(b.data(), b.size());
  g_assert_true(h && h->codec_fourcc == fourcc('a', 'v', '0', '1') && h->data_offset == 5);
  b = hex("92 'vp09'");
  h = parse_video_header(b.data(), b.size());
  g_assert_true(h && h->kind == PacketKind::kSequenceEnd);
  g_assert_false(parse_video_header(hex("91 'hv'").data(), 3).has_value());
  g_assert_false(parse_video_header(hex("17 00 00").data(), 3).has_value());
  g_assert_false(parse_video_header(nullptr, 0).has_value());
}

static void test_audio_headers() {
  Bytes b = hex("AF 00 12 10");
  auto h = parse_audio_header(b.data(), b.size());
  g_assert_true(h && h->sound_format == 10 && h->kind == PacketKind::kSequenceHeader);
  g_assert_true(h->rate_index == 3 && h->sixteen_bit && h->stereo && h->data_offset == 2);
  b = hex("2F FF FB");  // MP3
  h = parse_audio_header(b.data(), b.size());
  g_assert_true(h && h->sound_format == 2 && h->data_offset == 1);
  b = hex("90 'Opus' 4F 70");
  h = parse_audio_header(b.data(), b.size());
  g_assert_true(h && h->enhanced && h->codec_fourcc == fourcc('O', 'p', 'u', 's'));
  g_assert_true(h->kind == PacketKind::kSequenceHeader && h->data_offset == 5);
  b = hex("91 'Opus' FC");
  g_assert_true(parse_audio_header(b.data(), b.size())->kind == PacketKind::kCodedFrames);
  g_assert_false(parse_audio_header(hex("AF").data(), 1).has_value());
}

static void test_urls() {
  auto u = parse_rtmp_url("rtmp://example.com:1936/secret/cam1?x=1");
  g_assert_true(u.has_value());
  assert_str(u->host, "example.com");
  g_assert_cmpuint(u->port, ==, 1936);
  assert_str(u->app, "secret");
  assert_str(u->stream, "cam1");
  assert_str(u->query, "x=1");
  u = parse_rtmp_url("rtmp://host/live");
  g_assert_true(u && u->port == 1935 && u->app == "live" && u->stream.empty());
  u = parse_rtmp_url("rtmp://[::1]:1937/a/b/c");
  g_assert_true(u && u->host == "::1" && u->port == 1937 && u->stream == "b/c");
  g_assert_false(parse_rtmp_url("rtmp://host:99999/a").has_value());
  g_assert_false(parse_rtmp_url("rtmp://host:x/a").has_value());
  g_assert_false(parse_rtmp_url("host/a").has_value());
  g_assert_false(parse_rtmp_url("rtmp:///a").has_value());
  NameQuery nq = split_name_query("cam?a=1?b");
  assert_str(nq.name, "cam");
  assert_str(nq.query, "a=1?b");
}

static void test_set_data_frame() {
  Bytes meta = hex("02 000A 'onMetaData' 08 00000000 0000 09");
  assert_bytes(strip_set_data_frame(cat({hex("02 000D '@setDataFrame'"), meta})), meta);
  assert_bytes(strip_set_data_frame(meta), meta);
  assert_bytes(strip_set_data_frame(cat({hex("00 02 000D '@setDataFrame'"), meta})), meta);
  assert_bytes(strip_set_data_frame(hex("02 000D '@setData'")), hex("02 000D '@setData'"));
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, nullptr);
  g_test_add_func("/rtmp/flv/write", test_flv_write);
  g_test_add_func("/rtmp/flv/read", test_flv_read);
  g_test_add_func("/rtmp/flv/video-headers", test_video_headers);
  g_test_add_func("/rtmp/flv/audio-headers", test_audio_headers);
  g_test_add_func("/rtmp/flv/urls", test_urls);
  g_test_add_func("/rtmp/flv/set-data-frame", test_set_data_frame);
  return g_test_run();
}
