// The media chunks every RTMP player of a stream shares: write_fmt0_chunks() and
// chunk_flv_tags() byte for byte, and a ServerConnection that mixes them with its own writer's
// messages, decoded by a client's ChunkReader.
#include <glib.h>

#include <cstring>

#include "protocols/rtmp/chunk-reader.h"
#include "protocols/rtmp/chunk-writer.h"
#include "protocols/rtmp/command.h"
#include "protocols/rtmp/control.h"
#include "protocols/rtmp/flv-chunks.h"
#include "protocols/rtmp/flv-tag.h"
#include "protocols/rtmp/server-connection.h"
#include "test-rtmp-util.h"

using namespace estuary::rtmp;

static Bytes sub(const Bytes &b, size_t from, size_t to) {
  return Bytes(b.begin() + from, b.begin() + to);
}

static Bytes flv_tag(uint8_t type, uint32_t ts, const Bytes &body) {
  Bytes out;
  flv_append_tag(type, ts, body.data(), body.size(), &out);
  return out;
}

static Bytes fmt0(uint32_t csid, uint8_t type, uint32_t ts, uint32_t sid, const Bytes &payload,
                  uint32_t chunk_size = kSharedChunkSize) {
  Bytes out;
  g_assert_true(
      write_fmt0_chunks(csid, type, ts, sid, payload.data(), payload.size(), chunk_size, &out));
  return out;
}

static void test_fmt0_header() {
  // csid, 24-bit timestamp, 24-bit length, type, little-endian message stream id, payload.
  assert_bytes(fmt0(6, kMsgVideo, 1000, 1, hex("17 01 000000 AA")),
               hex("06 0003E8 000006 09 01000000 17 01 000000 AA"));
  assert_bytes(fmt0(4, kMsgAudio, 0, 1, hex("AF 00 1210")),
               hex("04 000000 000004 08 01000000 AF 00 1210"));
  assert_bytes(fmt0(5, kMsgDataAmf0, 7, 2, hex("05")), hex("05 000007 000001 12 02000000 05"));
  // An empty payload is one header and nothing else.
  assert_bytes(fmt0(6, kMsgVideo, 1, 1, {}), hex("06 000001 000000 09 01000000"));
}

static void test_fmt0_split() {
  // 10000 bytes at 4096: two full chunks, then 1808, with one-byte fmt 3 headers between.
  Bytes p = pattern(10000, 3);
  assert_bytes(fmt0(6, kMsgVideo, 40, 1, p),
               cat({hex("06 000028 002710 09 01000000"), sub(p, 0, 4096), hex("C6"),
                    sub(p, 4096, 8192), hex("C6"), sub(p, 8192, 10000)}));
  // Exactly one chunk's worth: no continuation header.
  Bytes q = pattern(4096, 5);
  assert_bytes(fmt0(4, kMsgAudio, 40, 1, q), cat({hex("04 000028 001000 08 01000000"), q}));
  // One byte more: a continuation chunk of one byte.
  Bytes r = pattern(4097, 5);
  assert_bytes(fmt0(4, kMsgAudio, 40, 1, r), cat({hex("04 000028 001001 08 01000000"),
                                                  sub(r, 0, 4096), hex("C4"), sub(r, 4096, 4097)}));
}

static void test_fmt0_extended_timestamp() {
  // From 0xFFFFFF on, the field says 0xFFFFFF and the 4-byte value follows every header of the
  // message, continuation chunks included (as ChunkWriter does).
  Bytes p = pattern(5000, 1);
  assert_bytes(fmt0(6, kMsgVideo, 0x01000000, 1, p),
               cat({hex("06 FFFFFF 001388 09 01000000 01000000"), sub(p, 0, 4096),
                    hex("C6 01000000"), sub(p, 4096, 5000)}));
  assert_bytes(fmt0(6, kMsgVideo, 0xFFFFFF, 1, hex("01")),
               hex("06 FFFFFF 000001 09 01000000 00FFFFFF 01"));
  assert_bytes(fmt0(6, kMsgVideo, 0xFFFFFE, 1, hex("01")), hex("06 FFFFFE 000001 09 01000000 01"));
}

static void test_fmt0_limits() {
  Bytes out;
  Bytes p = pattern(10, 0);
  g_assert_false(write_fmt0_chunks(1, kMsgVideo, 0, 1, p.data(), p.size(), 4096, &out));
  g_assert_false(write_fmt0_chunks(65600, kMsgVideo, 0, 1, p.data(), p.size(), 4096, &out));
  g_assert_false(write_fmt0_chunks(6, kMsgVideo, 0, 1, p.data(), p.size(), 0, &out));
  g_assert_cmpuint(out.size(), ==, 0);
  // Two- and three-byte basic headers, as ChunkWriter writes them.
  assert_bytes(fmt0(64, kMsgVideo, 0, 1, hex("01")), hex("00 00 000000 000001 09 01000000 01"));
  assert_bytes(fmt0(320, kMsgVideo, 0, 1, hex("01")), hex("01 00 01 000000 000001 09 01000000 01"));
}

static void test_fmt0_matches_writer() {
  // A ChunkWriter's first message on a chunk stream is the same bytes, for any size and stamp.
  for (uint32_t ts : {0u, 40u, 0xFFFFFEu, 0xFFFFFFu, 0x12345678u}) {
    for (size_t len : {0u, 1u, 4096u, 4097u, 9000u}) {
      ChunkWriter w;
      Bytes out;
      w.write(make_set_chunk_size(kSharedChunkSize), &out);
      out.clear();
      Message m;
      m.csid = kCsidVideo;
      m.type = kMsgVideo;
      m.timestamp = ts;
      m.stream_id = kSharedStreamId;
      m.payload = pattern(len, 9);
      w.write(m, &out);
      assert_bytes(out, fmt0(kCsidVideo, kMsgVideo, ts, kSharedStreamId, m.payload));
    }
  }
}

static void test_writer_after_shared() {
  // After sent_elsewhere() the writer's next message on that chunk stream is fmt 0 again, not a
  // delta against the message it wrote before, and the bytes count as sent.
  ChunkWriter w;
  Bytes out;
  w.write(make_set_chunk_size(kSharedChunkSize), &out);
  Message m;
  m.csid = kCsidVideo;
  m.type = kMsgVideo;
  m.timestamp = 40;
  m.stream_id = 1;
  m.payload = pattern(10, 0);
  w.write(m, &out);
  const uint64_t before = w.bytes_sent();
  w.sent_elsewhere(100, {kCsidAudio, kCsidVideo, kCsidData});
  g_assert_cmpuint(w.bytes_sent(), ==, before + 100);
  out.clear();
  m.timestamp = 80;
  w.write(m, &out);
  assert_bytes(sub(out, 0, 12), hex("06 000050 00000A 09 01000000"));
  // Without it: the same length and type give a fmt 2 delta.
  out.clear();
  m.timestamp = 120;
  w.write(m, &out);
  assert_bytes(sub(out, 0, 4), hex("86 000028"));
}

static void test_flv_tags() {
  Bytes avc = hex("17 00 000000 01 64001F FF E1");
  Bytes aac = hex("AF 00 1210");
  Bytes meta = hex("02 000A 'onMetaData' 08 00000000 000009");
  Bytes frame = pattern(5000, 2);
  Bytes flv =
      cat({flv_file_header(true, true), flv_tag(kFlvScript, 0, meta), flv_tag(kFlvVideo, 0, avc),
           flv_tag(kFlvAudio, 0, aac), flv_tag(kFlvVideo, 0x01000010, frame),
           flv_tag(7, 5, hex("01 02")),  // not a player's: left out
           flv_tag(kFlvAudio, 0x01000020, hex("AF 01 21"))});
  auto c = chunk_flv_tags(flv.data(), flv.size(), kSharedChunkSize, kSharedStreamId);
  g_assert_true(c.has_value());
  g_assert_cmpuint(c->messages, ==, 5);
  g_assert_true(c->has_media);
  g_assert_cmpuint(c->last_media_timestamp, ==, 0x01000020);
  assert_bytes(
      c->bytes,
      cat({fmt0(kCsidData, kMsgDataAmf0, 0, 1, meta), fmt0(kCsidVideo, kMsgVideo, 0, 1, avc),
           fmt0(kCsidAudio, kMsgAudio, 0, 1, aac), hex("06 FFFFFF 001388 09 01000000 01000010"),
           sub(frame, 0, 4096), hex("C6 01000010"), sub(frame, 4096, 5000),
           hex("04 FFFFFF 000003 08 01000000 01000020 AF 01 21")}));

  // A client's reader, told our chunk size, gets the messages back.
  ChunkReader reader;
  Bytes set = hex("02 000000 000004 01 00000000 00001000");
  std::vector<Message> msgs;
  g_assert_true(reader.feed(set.data(), set.size(), &msgs) == ChunkError::kNone);
  msgs.clear();
  g_assert_true(reader.feed(c->bytes.data(), c->bytes.size(), &msgs) == ChunkError::kNone);
  g_assert_cmpuint(msgs.size(), ==, 5);
  assert_bytes(msgs[3].payload, frame);
  g_assert_cmpuint(msgs[3].timestamp, ==, 0x01000010);
  g_assert_cmpuint(msgs[3].csid, ==, kCsidVideo);
  g_assert_cmpuint(msgs[4].timestamp, ==, 0x01000020);

  // Headers only (the FLV file header alone, or a script tag): no media timestamp.
  Bytes header = flv_file_header(true, true);
  c = chunk_flv_tags(header.data(), header.size(), kSharedChunkSize, 1);
  g_assert_true(c.has_value() && c->bytes.empty() && !c->has_media && c->messages == 0);
}

static void test_flv_not_whole_tags() {
  Bytes tag = flv_tag(kFlvVideo, 40, pattern(100, 0));
  // Cut at the end, cut at the start, a bad file header, a header cut short.
  for (size_t cut : {1u, 11u, 50u, 114u}) {
    g_assert_false(chunk_flv_tags(tag.data(), tag.size() - cut, 4096, 1).has_value());
    g_assert_false(chunk_flv_tags(tag.data() + cut, tag.size() - cut, 4096, 1).has_value());
  }
  Bytes bad = cat({hex("'FLV' 01 05 00000004 00000000"), tag});
  g_assert_false(chunk_flv_tags(bad.data(), bad.size(), 4096, 1).has_value());
  Bytes short_header = hex("'FLV' 01 05 000000");
  g_assert_false(chunk_flv_tags(short_header.data(), short_header.size(), 4096, 1).has_value());
  g_assert_true(chunk_flv_tags(tag.data(), tag.size(), 4096, 1).has_value());
}

// --- a ServerConnection playing, with shared chunks and its own writer's messages mixed ------

static void zero_random(uint8_t *p, size_t n) { memset(p, 0, n); }

struct Player {
  ServerConnection server{ServerConnectionConfig{{}, {}, zero_random, 0}};
  ChunkWriter writer;
  ChunkReader reader;

  Player() {
    Bytes c0c1 = cat({hex("03"), Bytes(kHandshakeSize, 0)});
    g_assert_true(server.feed(c0c1.data(), c0c1.size()));
    server.take_output();
    Bytes c2(kHandshakeSize, 0);
    g_assert_true(server.feed(c2.data(), c2.size()));
  }
  void command(uint32_t sid, const char *name, double txn, std::vector<AmfValue> args) {
    Message m = make_command(sid, name, txn, AmfValue::null(), args);
    m.csid = sid ? 8 : 3;
    Bytes b;
    writer.write(m, &b);
    g_assert_true(server.feed(b.data(), b.size()));
  }
  std::vector<Message> read(const Bytes &b) {
    std::vector<Message> msgs;
    g_assert_true(reader.feed(b.data(), b.size(), &msgs) == ChunkError::kNone);
    return msgs;
  }
  // connect, `streams` x createStream, play on the last one, accepted.
  void play(int streams) {
    Message connect =
        make_command(0, "connect", 1, AmfValue::object({{"app", AmfValue::string("live")}}), {});
    Bytes b;
    writer.write(connect, &b);
    g_assert_true(server.feed(b.data(), b.size()));
    g_assert_false(server.takes_shared_media());
    server.session().accept_connect();
    for (int i = 0; i < streams; i++) command(0, "createStream", 2 + i, {});
    command(streams, "play", 0, {AmfValue::string("cam")});
    g_assert_false(server.takes_shared_media());  // the decision is pending
    server.session().accept_play();
    read(server.take_output());
  }
};

static void test_connection_mixes_shared_and_own() {
  Player p;
  p.play(1);
  g_assert_true(p.server.takes_shared_media());

  // The session's own video message, then shared chunks for the next two, then its own again.
  p.server.session().send_media(kMsgVideo, 40, hex("27 01 000000 01"));
  Bytes own = p.server.take_output();
  assert_bytes(sub(own, 0, 1), hex("06"));
  Bytes flv = cat(
      {flv_tag(kFlvVideo, 80, hex("27 01 000000 02")), flv_tag(kFlvAudio, 90, hex("AF 01 22"))});
  auto shared = chunk_flv_tags(flv.data(), flv.size(), kSharedChunkSize, kSharedStreamId);
  g_assert_true(shared.has_value());
  g_assert_cmpuint(p.server.take_output_then_shared(shared->bytes.size()).size(), ==, 0);
  // Same length and type as the message at 40 and at 80: without the reset this would be a
  // fmt 2/3 header against 40, which the client would read as 40 + delta.
  p.server.session().send_media(kMsgVideo, 120, hex("27 01 000000 03"));
  Bytes after = p.server.take_output();
  assert_bytes(sub(after, 0, 12), hex("06 000078 000006 09 01000000"));

  auto msgs = p.read(cat({own, shared->bytes, after}));
  g_assert_cmpuint(msgs.size(), ==, 4);
  g_assert_cmpuint(msgs[0].timestamp, ==, 40);
  g_assert_cmpuint(msgs[1].timestamp, ==, 80);
  g_assert_cmpuint(msgs[2].timestamp, ==, 90);
  g_assert_cmpuint(msgs[2].type, ==, kMsgAudio);
  g_assert_cmpuint(msgs[3].timestamp, ==, 120);
  assert_bytes(msgs[3].payload, hex("27 01 000000 03"));
  for (const Message &m : msgs) g_assert_cmpuint(m.stream_id, ==, 1);

  // Paused, or audio off: media must be filtered, so the player goes back to its own messages.
  p.command(1, "pause", 5, {AmfValue::boolean(true), AmfValue::number(0)});
  g_assert_false(p.server.takes_shared_media());
  p.command(1, "pause", 6, {AmfValue::boolean(false), AmfValue::number(0)});
  g_assert_true(p.server.takes_shared_media());
  p.command(1, "receiveAudio", 0, {AmfValue::boolean(false)});
  g_assert_false(p.server.takes_shared_media());
  p.command(1, "receiveAudio", 0, {AmfValue::boolean(true)});
  p.command(1, "receiveVideo", 0, {AmfValue::boolean(false)});
  g_assert_false(p.server.takes_shared_media());
  p.command(1, "receiveVideo", 0, {AmfValue::boolean(true)});
  g_assert_true(p.server.takes_shared_media());
  p.server.session().end_play();
  g_assert_false(p.server.takes_shared_media());
}

static void test_connection_other_stream_id() {
  // A client that plays on message stream 2 cannot take chunks stamped with stream 1.
  Player p;
  p.play(2);
  g_assert_true(p.server.session().playing());
  g_assert_false(p.server.takes_shared_media());
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, nullptr);
  g_test_add_func("/rtmp/shared/fmt0-header", test_fmt0_header);
  g_test_add_func("/rtmp/shared/fmt0-split-4096", test_fmt0_split);
  g_test_add_func("/rtmp/shared/fmt0-extended-timestamp", test_fmt0_extended_timestamp);
  g_test_add_func("/rtmp/shared/fmt0-limits", test_fmt0_limits);
  g_test_add_func("/rtmp/shared/fmt0-matches-writer", test_fmt0_matches_writer);
  g_test_add_func("/rtmp/shared/writer-after-shared", test_writer_after_shared);
  g_test_add_func("/rtmp/shared/flv-tags", test_flv_tags);
  g_test_add_func("/rtmp/shared/flv-not-whole-tags", test_flv_not_whole_tags);
  g_test_add_func("/rtmp/shared/connection-mixes", test_connection_mixes_shared_and_own);
  g_test_add_func("/rtmp/shared/connection-other-stream-id", test_connection_other_stream_id);
  return g_test_run();
}
