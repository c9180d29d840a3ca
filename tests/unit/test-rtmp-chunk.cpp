#include <glib.h>

#include "protocols/rtmp/chunk-reader.h"
#include "protocols/rtmp/chunk-writer.h"
#include "protocols/rtmp/control.h"
#include "test-rtmp-util.h"

using namespace estuary::rtmp;

static Message msg(uint32_t csid, uint8_t type, uint32_t ts, uint32_t sid, Bytes payload) {
  Message m;
  m.csid = csid;
  m.type = type;
  m.timestamp = ts;
  m.stream_id = sid;
  m.payload = std::move(payload);
  return m;
}

static Bytes sub(const Bytes &b, size_t from, size_t to) {
  return Bytes(b.begin() + from, b.begin() + to);
}

static void assert_msg(const Message &m, uint32_t csid, uint8_t type, uint32_t ts, uint32_t sid,
                       const Bytes &payload) {
  g_assert_cmpuint(m.csid, ==, csid);
  g_assert_cmpuint(m.type, ==, type);
  g_assert_cmpuint(m.timestamp, ==, ts);
  g_assert_cmpuint(m.stream_id, ==, sid);
  assert_bytes(m.payload, payload);
}

static void test_writer_headers() {
  ChunkWriter w;
  Bytes out;
  w.write(make_set_chunk_size(4096), &out);
  assert_bytes(out, hex("02 000000 000004 01 00000000 00 00 10 00"));
  g_assert_cmpuint(w.chunk_size(), ==, 4096);

  ChunkWriter v;  // 128-byte chunks
  Bytes p = pattern(300, 0);
  out.clear();
  v.write(msg(6, kMsgVideo, 1000, 1, p), &out);
  assert_bytes(out, cat({hex("06 0003E8 00012C 09 01000000"), sub(p, 0, 128), hex("C6"),
                         sub(p, 128, 256), hex("C6"), sub(p, 256, 300)}));
  // Same length and type: only the delta (fmt 2); same delta again: fmt 3; new length: fmt 1.
  out.clear();
  v.write(msg(6, kMsgVideo, 1040, 1, p), &out);
  g_assert_cmpuint(out.size(), ==, 4 + 300 + 2);
  assert_bytes(sub(out, 0, 4), hex("86 000028"));
  out.clear();
  v.write(msg(6, kMsgVideo, 1080, 1, p), &out);
  assert_bytes(sub(out, 0, 1), hex("C6"));
  g_assert_cmpuint(out.size(), ==, 1 + 300 + 2);
  out.clear();
  v.write(msg(6, kMsgVideo, 1100, 1, pattern(10, 1)), &out);
  assert_bytes(out, cat({hex("46 000014 00000A 09"), pattern(10, 1)}));
  // Going backwards in time or changing message stream needs a full header again.
  out.clear();
  v.write(msg(6, kMsgVideo, 50, 1, pattern(10, 1)), &out);
  assert_bytes(sub(out, 0, 12), hex("06 000032 00000A 09 01000000"));
}

static void test_writer_extended_and_csids() {
  ChunkWriter w;
  Bytes p = pattern(200, 3);
  Bytes out;
  w.write(msg(4, kMsgAudio, 0x01000000, 1, p), &out);
  // The extended timestamp follows the header and is repeated in the continuation chunk.
  assert_bytes(out, cat({hex("04 FFFFFF 0000C8 08 01000000 01000000"), sub(p, 0, 128),
                         hex("C4 01000000"), sub(p, 128, 200)}));

  out.clear();
  w.write(msg(100, kMsgCommandAmf0, 0, 0, hex("05")), &out);
  assert_bytes(out, hex("00 24 000000 000001 14 00000000 05"));
  out.clear();
  w.write(msg(400, kMsgCommandAmf0, 0, 0, hex("05")), &out);
  assert_bytes(out, hex("01 50 01 000000 000001 14 00000000 05"));
  out.clear();
  w.write(msg(65599, kMsgCommandAmf0, 0, 0, hex("05")), &out);
  assert_bytes(out, hex("01 FF FF 000000 000001 14 00000000 05"));
}

static std::vector<Message> read_all(ChunkReader *r, const Bytes &b,
                                     ChunkError want = ChunkError::kNone) {
  std::vector<Message> out;
  g_assert_cmpint(static_cast<int>(r->feed(b.data(), b.size(), &out)), ==, static_cast<int>(want));
  return out;
}

static void test_reader_basic() {
  Bytes p = pattern(300, 0);
  Bytes stream = cat({hex("06 0003E8 00012C 09 01000000"),
                      sub(p, 0, 128),
                      hex("C6"),
                      sub(p, 128, 256),
                      hex("C6"),
                      sub(p, 256, 300),
                      hex("86 000028"),
                      sub(p, 0, 128),
                      hex("C6"),
                      sub(p, 128, 256),
                      hex("C6"),
                      sub(p, 256, 300),
                      hex("C6"),
                      sub(p, 0, 128),
                      hex("C6"),
                      sub(p, 128, 256),
                      hex("C6"),
                      sub(p, 256, 300),
                      hex("46 000014 00000A 09"),
                      pattern(10, 1),
                      hex("00 24 000000 000001 14 00000000 05"),
                      hex("01 50 01 000000 000001 14 00000000 05")});
  ChunkReader r;
  auto msgs = read_all(&r, stream);
  g_assert_cmpuint(msgs.size(), ==, 6);
  assert_msg(msgs[0], 6, kMsgVideo, 1000, 1, p);
  assert_msg(msgs[1], 6, kMsgVideo, 1040, 1, p);
  assert_msg(msgs[2], 6, kMsgVideo, 1080, 1, p);  // fmt 3 start reuses the 40 ms delta
  assert_msg(msgs[3], 6, kMsgVideo, 1100, 1, pattern(10, 1));
  assert_msg(msgs[4], 100, kMsgCommandAmf0, 0, 0, hex("05"));
  assert_msg(msgs[5], 400, kMsgCommandAmf0, 0, 0, hex("05"));
  g_assert_cmpuint(r.bytes_received(), ==, stream.size());

  // Same bytes one at a time.
  ChunkReader slow;
  std::vector<Message> got;
  for (uint8_t b : stream) g_assert_true(slow.feed(&b, 1, &got) == ChunkError::kNone);
  g_assert_cmpuint(got.size(), ==, 6);
  assert_msg(got[2], 6, kMsgVideo, 1080, 1, p);
}

static void test_reader_interleaved() {
  // Audio (csid 4) and video (csid 6) chunks alternate; each message completes in order.
  Bytes a = pattern(200, 1), v = pattern(150, 2);
  Bytes stream =
      cat({hex("04 000010 0000C8 08 01000000"), sub(a, 0, 128), hex("06 000020 000096 09 01000000"),
           sub(v, 0, 128), hex("C4"), sub(a, 128, 200), hex("C6"), sub(v, 128, 150)});
  ChunkReader r;
  auto msgs = read_all(&r, stream);
  g_assert_cmpuint(msgs.size(), ==, 2);
  assert_msg(msgs[0], 4, kMsgAudio, 16, 1, a);
  assert_msg(msgs[1], 6, kMsgVideo, 32, 1, v);
}

static void test_reader_extended() {
  Bytes p = pattern(200, 3);
  ChunkReader r;
  auto msgs = read_all(&r, cat({hex("04 FFFFFF 0000C8 08 01000000 01000000"), sub(p, 0, 128),
                                hex("C4 01000000"), sub(p, 128, 200)}));
  g_assert_cmpuint(msgs.size(), ==, 1);
  assert_msg(msgs[0], 4, kMsgAudio, 0x01000000, 1, p);

  // A continuation chunk without the repeated extended field (older encoders) still parses:
  // the next four bytes differ from the extended value, so they are payload.
  ChunkReader lenient;
  Bytes q = pattern(130, 4);
  msgs = read_all(&lenient,
                  cat({hex("04 FFFFFF 000082 08 01000000 01000000"), sub(q, 0, 128), hex("C4"),
                       sub(q, 128, 130), hex("02 000000 000004 01 00000000 00000100")}));
  g_assert_cmpuint(msgs.size(), ==, 2);
  assert_msg(msgs[0], 4, kMsgAudio, 0x01000000, 1, q);
  g_assert_cmpuint(lenient.chunk_size(), ==, 256);

  // Extended delta on a fmt 3 start: 0x01000000 + 0x01000000.
  ChunkReader delta;
  msgs =
      read_all(&delta, hex("04 000000 000001 08 01000000 AA 84 FFFFFF 01000000 BB C4 01000000 CC"));
  g_assert_cmpuint(msgs.size(), ==, 3);
  g_assert_cmpuint(msgs[1].timestamp, ==, 0x01000000u);
  g_assert_cmpuint(msgs[2].timestamp, ==, 0x02000000u);
}

static void test_reader_control() {
  // Set Chunk Size takes effect for the very next chunk in the same buffer.
  Bytes p = pattern(200, 5);
  ChunkReader r;
  auto msgs = read_all(&r, cat({hex("02 000000 000004 01 00000000 000000C8"),
                                hex("06 000000 0000C8 09 01000000"), p}));
  g_assert_cmpuint(msgs.size(), ==, 2);
  g_assert_cmpuint(msgs[0].type, ==, kMsgSetChunkSize);
  assert_msg(msgs[1], 6, kMsgVideo, 0, 1, p);

  // Abort drops the half-read message on csid 6; the next message there starts fresh.
  ChunkReader a;
  msgs = read_all(&a, cat({hex("06 000000 0000C8 09 01000000"), sub(p, 0, 128),
                           hex("02 000000 000004 02 00000000 00000006"),
                           hex("06 000005 000002 09 01000000 AA BB")}));
  g_assert_cmpuint(msgs.size(), ==, 2);
  g_assert_cmpuint(msgs[0].type, ==, kMsgAbort);
  assert_msg(msgs[1], 6, kMsgVideo, 5, 1, hex("AA BB"));

  // Zero-length messages complete at once.
  ChunkReader z;
  msgs = read_all(&z, hex("03 000000 000000 14 00000000"));
  g_assert_cmpuint(msgs.size(), ==, 1);
  g_assert_true(msgs[0].payload.empty());
}

static void test_reader_errors() {
  ChunkReader big(ChunkReaderLimits{1000, 64});
  read_all(&big, hex("06 000000 0003E9 09 01000000"), ChunkError::kMessageTooLarge);
  // Once failed, it stays failed.
  read_all(&big, hex("03 000000 000000 14 00000000"), ChunkError::kMessageTooLarge);

  ChunkReader zero;
  read_all(&zero, hex("02 000000 000004 01 00000000 00000000"), ChunkError::kBadChunkSize);
  ChunkReader huge;
  read_all(&huge, hex("02 000000 000004 01 00000000 80000000"), ChunkError::kBadChunkSize);
  ChunkReader shortcs;
  read_all(&shortcs, hex("02 000000 000002 01 00000000 0001"), ChunkError::kBadControlMessage);

  ChunkReader nohdr;
  read_all(&nohdr, hex("46 000014 00000A 09"), ChunkError::kNoPreviousHeader);
  ChunkReader nohdr3;
  read_all(&nohdr3, hex("C6 00"), ChunkError::kNoPreviousHeader);

  ChunkReader inside;
  read_all(&inside,
           cat({hex("06 000000 0000C8 09 01000000"), pattern(128, 0),
                hex("06 000000 000001 09 01000000 00")}),
           ChunkError::kHeaderInsideMessage);

  ChunkReader many(ChunkReaderLimits{1 << 20, 4});
  Bytes s;
  for (uint8_t cs = 3; cs < 7; cs++) s = cat({s, Bytes{cs}, hex("000000 000001 14 00000000 05")});
  std::vector<Message> out;
  g_assert_true(many.feed(s.data(), s.size(), &out) == ChunkError::kNone);
  g_assert_cmpuint(out.size(), ==, 4);
  read_all(&many, hex("07 000000 000001 14 00000000 05"), ChunkError::kTooManyChunkStreams);
  g_assert_cmpstr(chunk_error_message(ChunkError::kTooManyChunkStreams), ==,
                  "too many chunk streams");

  // Half-read messages on several chunk streams are bounded together.
  ChunkReaderLimits tight;
  tight.max_pending_bytes = 300;
  ChunkReader pending(tight);
  read_all(&pending, cat({hex("04 000000 0000C8 08 01000000"), pattern(128, 0),
                          hex("06 000000 0000C8 09 01000000"), pattern(128, 0)}));
  read_all(&pending, cat({hex("05 000000 0000C8 12 01000000"), pattern(128, 0)}),
           ChunkError::kTooMuchBuffered);
  // Completed messages release their share.
  ChunkReader released(tight);
  Bytes two =
      cat({hex("04 000000 0000C8 08 01000000"), pattern(128, 0), hex("C4"), pattern(72, 0)});
  g_assert_cmpuint(
      read_all(&released, cat({two, hex("C4"), pattern(128, 0), hex("C4"), pattern(72, 0),
                               hex("C4"), pattern(128, 0), hex("C4"), pattern(72, 0)}))
          .size(),
      ==, 3);

  // The writer refuses what a 24-bit length cannot describe.
  ChunkWriter w;
  Bytes wire;
  Message oversize;
  oversize.csid = 6;
  oversize.payload.resize(0x1000000);
  g_assert_false(w.write(oversize, &wire));
  g_assert_true(wire.empty());
}

static void test_round_trip() {
  // Random messages through writer and reader with random chunk sizes and random read splits.
  GRand *rnd = g_rand_new_with_seed(42);
  for (int round = 0; round < 20; round++) {
    ChunkWriter w;
    Bytes wire;
    uint32_t cs = g_rand_int_range(rnd, 1, 5000);
    w.write(make_set_chunk_size(cs), &wire);
    std::vector<Message> sent;
    uint32_t ts[4] = {0, 0, 0, 0};
    for (int i = 0; i < 60; i++) {
      int k = g_rand_int_range(rnd, 0, 4);
      uint32_t csids[4] = {3, 4, 6, 300};
      ts[k] += g_rand_boolean(rnd) ? 40 : g_rand_int_range(rnd, 0, 0x2000000);
      Message m = msg(csids[k], g_rand_boolean(rnd) ? kMsgVideo : kMsgAudio, ts[k],
                      g_rand_int_range(rnd, 0, 3), pattern(g_rand_int_range(rnd, 0, 9000), i));
      w.write(m, &wire);
      sent.push_back(m);
    }
    ChunkReader r;
    std::vector<Message> got;
    size_t pos = 0;
    while (pos < wire.size()) {
      size_t n = std::min<size_t>(wire.size() - pos, g_rand_int_range(rnd, 1, 3000));
      g_assert_true(r.feed(wire.data() + pos, n, &got) == ChunkError::kNone);
      pos += n;
    }
    g_assert_cmpuint(got.size(), ==, sent.size() + 1);
    for (size_t i = 0; i < sent.size(); i++) {
      const Message &m = sent[i];
      assert_msg(got[i + 1], m.csid, m.type, m.timestamp, m.stream_id, m.payload);
    }
  }
  g_rand_free(rnd);
}

static void test_ack_window() {
  AckWindow w;
  g_assert_false(w.on_received(1 << 20).has_value());  // peer never asked
  w.set_window(1000);
  g_assert_false(w.on_received(999).has_value());
  auto ack = w.on_received(0x100000400ull);
  g_assert_true(ack.has_value());
  ChunkWriter cw;
  Bytes out;
  cw.write(*ack, &out);
  assert_bytes(out, hex("02 000000 000004 03 00000000 00000400"));  // sequence wraps at 2^32
  g_assert_false(w.on_received(0x100000400ull + 999).has_value());
  g_assert_true(w.on_received(0x100000400ull + 1000).has_value());
}

static void test_control_builders() {
  ChunkWriter w;
  Bytes out;
  w.write(make_window_ack_size(2500000), &out);
  w.write(make_set_peer_bandwidth(2500000, kLimitDynamic), &out);
  w.write(make_stream_begin(1), &out);
  w.write(make_user_control(kUcPingResponse, 0x11223344), &out);
  w.write(make_abort(6), &out);
  assert_bytes(out, hex("02 000000 000004 05 00000000 002625A0"
                        "42 000000 000005 06 002625A0 02"
                        "42 000000 000006 04 0000 00000001"
                        "C2 0007 11223344"
                        "42 000000 000004 02 00000006"));
  auto uc = parse_user_control(make_user_control(kUcPingRequest, 7));
  g_assert_true(uc && uc->event == kUcPingRequest && uc->value == 7);
  Message sbl = msg(2, kMsgUserControl, 0, 0, hex("0003 00000001 00000BB8"));
  uc = parse_user_control(sbl);
  g_assert_true(uc && uc->value == 1 && uc->value2 == 3000);
  g_assert_false(
      parse_user_control(msg(2, kMsgUserControl, 0, 0, hex("0003 00000001"))).has_value());
  g_assert_false(parse_u32_control(msg(2, kMsgAck, 0, 0, hex("00"))).has_value());
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, nullptr);
  g_test_add_func("/rtmp/chunk/writer-headers", test_writer_headers);
  g_test_add_func("/rtmp/chunk/writer-extended-csids", test_writer_extended_and_csids);
  g_test_add_func("/rtmp/chunk/reader-basic", test_reader_basic);
  g_test_add_func("/rtmp/chunk/reader-interleaved", test_reader_interleaved);
  g_test_add_func("/rtmp/chunk/reader-extended", test_reader_extended);
  g_test_add_func("/rtmp/chunk/reader-control", test_reader_control);
  g_test_add_func("/rtmp/chunk/reader-errors", test_reader_errors);
  g_test_add_func("/rtmp/chunk/round-trip", test_round_trip);
  g_test_add_func("/rtmp/chunk/ack-window", test_ack_window);
  g_test_add_func("/rtmp/chunk/control-builders", test_control_builders);
  return g_test_run();
}
