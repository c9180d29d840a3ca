// Simulated publish and play sessions: client bytes in, server replies checked byte for byte
// where the layout is fixed and by decoding where only the content matters.
#include <glib.h>

#include "protocols/rtmp/chunk-reader.h"
#include "protocols/rtmp/chunk-writer.h"
#include "protocols/rtmp/command.h"
#include "protocols/rtmp/control.h"
#include "protocols/rtmp/server-connection.h"
#include "test-rtmp-util.h"

using namespace estuary::rtmp;

static void zero_random(uint8_t *p, size_t n) { memset(p, 0, n); }

// The client side of one connection: its own chunk writer/reader around a ServerConnection.
struct Client {
  ServerConnection server{ServerConnectionConfig{{}, {}, zero_random, 0}};
  ChunkWriter writer;
  ChunkReader reader;
  Bytes last_output;

  Client() {
    Bytes c0c1 = cat({hex("03"), Bytes(kHandshakeSize, 0)});
    g_assert_true(server.feed(c0c1.data(), c0c1.size()));
    Bytes s = server.take_output();
    g_assert_cmpuint(s.size(), ==, 1 + 2 * kHandshakeSize);
    Bytes c2(kHandshakeSize, 0);
    g_assert_true(server.feed(c2.data(), c2.size()));
    g_assert_true(server.handshake_done());
  }
  void send_raw(const Bytes &b) { g_assert_true(server.feed(b.data(), b.size())); }
  void send(const Message &m) {
    Bytes b;
    writer.write(m, &b);
    send_raw(b);
  }
  void command(uint32_t sid, const char *name, double txn, std::vector<AmfValue> args) {
    Message m = make_command(sid, name, txn, AmfValue::null(), args);
    m.csid = sid ? 8 : 3;
    send(m);
  }
  // Server output since the last call, as raw bytes (kept in last_output) and messages.
  std::vector<Message> replies() {
    last_output = server.take_output();
    std::vector<Message> msgs;
    g_assert_true(reader.feed(last_output.data(), last_output.size(), &msgs) == ChunkError::kNone);
    return msgs;
  }
  std::vector<Event> events() { return server.take_events(); }
};

static Message chunk_free(uint32_t csid, uint8_t type, uint32_t ts, uint32_t sid, Bytes p) {
  Message m;
  m.csid = csid;
  m.type = type;
  m.timestamp = ts;
  m.stream_id = sid;
  m.payload = std::move(p);
  return m;
}

// ffmpeg's connect, chunked by hand at the initial 128-byte chunk size.
static Bytes ffmpeg_connect() {
  Bytes amf =
      hex("02 0007 'connect' 00 3FF0000000000000 03"
          "0003 'app' 02 0004 'live'"
          "0004 'type' 02 000A 'nonprivate'"
          "0008 'flashVer' 02 001F 'FMLE/3.0 (compatible; FMSc/1.0)'"
          "0005 'tcUrl' 02 0024 'rtmp://127.0.0.1:1935/live?token=abc'"
          "0000 09");
  g_assert_cmpuint(amf.size(), >, 128);
  Bytes hdr = hex("03 000000");
  hdr.push_back(0);
  hdr.push_back(static_cast<uint8_t>(amf.size() >> 8));
  hdr.push_back(static_cast<uint8_t>(amf.size()));
  hdr = cat({hdr, hex("14 00000000")});
  return cat(
      {hdr, Bytes(amf.begin(), amf.begin() + 128), hex("C3"), Bytes(amf.begin() + 128, amf.end())});
}

static Bytes connect_result_payload() {
  return hex(
      "02 0007 '_result' 00 3FF0000000000000"
      "03 0006 'fmsVer' 02 000E 'FMS/3,5,7,7009' 000C 'capabilities' 00 403F000000000000"
      "0004 'mode' 00 3FF0000000000000 0000 09"
      "03 0005 'level' 02 0006 'status' 0004 'code' 02 001D 'NetConnection.Connect.Success'"
      "000B 'description' 02 0015 'Connection succeeded.' 000E 'objectEncoding' 00 0000000000000000"
      "0000 09");
}

static void connect(Client *c) {
  c->send_raw(ffmpeg_connect());
  auto ev = c->events();
  g_assert_cmpuint(ev.size(), ==, 1);
  g_assert_true(ev[0].type == EventType::kConnect);
  const ConnectInfo &info = c->server.session().connect_info();
  assert_str(info.app, "live");
  assert_str(info.app_query, "token=abc");  // from tcUrl, as app had none
  assert_str(info.tc_url, "rtmp://127.0.0.1:1935/live?token=abc");
  assert_str(info.flash_ver, "FMLE/3.0 (compatible; FMSc/1.0)");
  g_assert_true(c->replies().empty());  // nothing until the server decides

  c->server.session().accept_connect();
  auto r = c->replies();
  Bytes result = connect_result_payload();
  assert_bytes(c->last_output,
               cat({hex("02 000000 000004 05 00000000 002625A0"
                        "42 000000 000005 06 002625A0 02"
                        "42 000000 000004 01 00001000"
                        "03 000000 0000"),
                    Bytes{static_cast<uint8_t>(result.size())}, hex("14 00000000"), result}));
  g_assert_cmpuint(r.size(), ==, 4);
}

static void test_publish() {
  Client c;
  connect(&c);

  // releaseStream and FCPublish arrive back to back, as ffmpeg sends them.
  c.command(0, "releaseStream", 2, {AmfValue::string("test?key=abc")});
  assert_bytes(c.last_output = c.server.take_output(),
               hex("43 000000 000015 14 02 0007 '_result' 00 4000000000000000 05 06"));
  c.command(0, "FCPublish", 3, {AmfValue::string("test?key=abc")});
  auto r = c.replies();
  g_assert_cmpuint(r.size(), ==, 2);
  auto fc = parse_command(r[0]);
  assert_str(fc->name, "onFCPublish");
  assert_str(fc->args[0].get_string("code"), "NetStream.Publish.Start");
  c.command(0, "createStream", 4, {});
  c.replies();
  assert_bytes(
      c.last_output,
      hex("43 000000 00001D 14 02 0007 '_result' 00 4010000000000000 05 00 3FF0000000000000"));

  // Window Ack Size from the client: we owe an Ack every 5000 bytes received.
  c.send(make_window_ack_size(5000));
  c.command(1, "publish", 5, {AmfValue::string("test?key=abc"), AmfValue::string("live")});
  auto ev = c.events();
  g_assert_cmpuint(ev.size(), ==, 1);
  g_assert_true(ev[0].type == EventType::kPublish);
  assert_str(ev[0].stream_name, "test");
  assert_str(ev[0].stream_query, "key=abc");
  assert_str(ev[0].publish_type, "live");
  g_assert_cmpuint(ev[0].stream_id, ==, 1);

  // Media sent before the answer is held, then delivered after it.
  Bytes meta =
      cat({hex("02 000D '@setDataFrame'"), hex("02 000A 'onMetaData' 08 00000001"
                                               "0005 'width' 00 4094000000000000 0000 09")});
  c.send(chunk_free(4, kMsgDataAmf0, 0, 1, meta));
  g_assert_true(c.events().empty());
  c.server.session().accept_publish();
  r = c.replies();
  assert_bytes(Bytes(c.last_output.begin(), c.last_output.begin() + 14),
               hex("42 000000 000006 04 0000 00000001"));
  g_assert_cmpuint(r.size(), ==, 2);
  auto status = parse_command(r[1]);
  g_assert_cmpuint(r[1].stream_id, ==, 1);
  assert_str(status->name, "onStatus");
  assert_str(status->args[0].get_string("level"), "status");
  assert_str(status->args[0].get_string("code"), "NetStream.Publish.Start");
  assert_str(status->args[0].get_string("details"), "test");
  ev = c.events();
  g_assert_cmpuint(ev.size(), ==, 1);
  g_assert_true(ev[0].type == EventType::kMedia);
  g_assert_cmpuint(ev[0].media.type, ==, kMsgDataAmf0);
  assert_bytes(ev[0].media.payload, Bytes(meta.begin() + 16, meta.end()));  // starts "onMetaData"

  Bytes avc_seq = hex("17 00 000000 01 64 00 1F FF E1 00 04 67 64 00 1F 01 00 04 68 EE 3C 80");
  c.send(chunk_free(6, kMsgVideo, 0, 1, avc_seq));
  c.send(chunk_free(4, kMsgAudio, 0, 1, hex("AF 00 12 10")));
  Bytes frame = cat({hex("17 01 000000"), pattern(6000, 9)});
  c.send(chunk_free(6, kMsgVideo, 40, 1, frame));
  ev = c.events();
  g_assert_cmpuint(ev.size(), ==, 3);
  assert_bytes(ev[0].media.payload, avc_seq);
  g_assert_cmpuint(ev[1].media.type, ==, kMsgAudio);
  g_assert_cmpuint(ev[2].media.timestamp, ==, 40);
  assert_bytes(ev[2].media.payload, frame);
  // Over 5000 bytes have arrived since the window was set: an Ack for all of them.
  r = c.replies();
  g_assert_cmpuint(r.size(), ==, 1);
  g_assert_cmpuint(r[0].type, ==, kMsgAck);
  g_assert_cmpuint(*parse_u32_control(r[0]), >, 6000);

  // Ping request from the client gets the same timestamp back.
  c.send(make_ping_request(0x1234));
  r = c.replies();
  g_assert_cmpuint(r.size(), ==, 1);
  assert_bytes(r[0].payload, hex("0007 00001234"));

  c.command(0, "FCUnpublish", 6, {AmfValue::string("test")});
  c.command(0, "deleteStream", 7, {AmfValue::number(1)});
  ev = c.events();
  g_assert_cmpuint(ev.size(), ==, 1);  // one kUnpublish, not two
  g_assert_true(ev[0].type == EventType::kUnpublish);
  assert_str(ev[0].stream_name, "test");
  g_assert_false(c.server.wants_close());
}

static void test_pipelined_before_connect_answer() {
  Client c;
  Bytes b = ffmpeg_connect();
  // releaseStream in the same read as connect, before the server has answered connect.
  Bytes rel;
  Message m = make_command(0, "releaseStream", 2, AmfValue::null(), {AmfValue::string("x")});
  m.csid = 5;
  c.writer.write(m, &rel);
  c.send_raw(cat({b, rel}));
  g_assert_cmpuint(c.events().size(), ==, 1);
  c.server.session().accept_connect();
  auto r = c.replies();
  g_assert_cmpuint(r.size(), ==, 5);  // 3 control + connect _result + releaseStream _result
  g_assert_cmpfloat(parse_command(r[3])->transaction_id, ==, 1);
  g_assert_cmpfloat(parse_command(r[4])->transaction_id, ==, 2);
}

static void test_rejects() {
  Client c;
  c.send_raw(ffmpeg_connect());
  c.server.session().reject_connect("Bad passphrase");
  auto r = c.replies();
  auto err = parse_command(r[0]);
  assert_str(err->name, "_error");
  g_assert_cmpfloat(err->transaction_id, ==, 1);
  assert_str(err->args[0].get_string("level"), "error");
  assert_str(err->args[0].get_string("code"), "NetConnection.Connect.Rejected");
  assert_str(err->args[0].get_string("description"), "Bad passphrase");
  g_assert_true(c.server.wants_close());

  Client p;
  connect(&p);
  p.command(0, "createStream", 2, {});
  p.replies();
  p.command(1, "publish", 3, {AmfValue::string("taken"), AmfValue::string("live")});
  p.events();
  p.server.session().reject_publish("NetStream.Publish.BadName", "Stream taken is already live");
  r = p.replies();
  auto st = parse_command(r[0]);
  assert_str(st->args[0].get_string("code"), "NetStream.Publish.BadName");
  assert_str(st->args[0].get_string("description"), "Stream taken is already live");
  g_assert_true(p.server.wants_close());
}

static void test_play() {
  Client c;
  connect(&c);
  c.command(0, "createStream", 2, {});
  c.replies();
  c.command(0, "getStreamLength", 3, {AmfValue::string("cam1")});
  g_assert_true(c.replies().empty());
  c.command(1, "play", 4, {AmfValue::string("cam1?token=x"), AmfValue::number(-2)});
  auto ev = c.events();
  g_assert_cmpuint(ev.size(), ==, 1);
  g_assert_true(ev[0].type == EventType::kPlay);
  assert_str(ev[0].stream_name, "cam1");
  assert_str(ev[0].stream_query, "token=x");
  g_assert_cmpfloat(ev[0].start, ==, -2);
  g_assert_true(ev[0].reset);

  c.server.session().accept_play();
  auto r = c.replies();
  g_assert_cmpuint(r.size(), ==, 4);
  assert_bytes(r[0].payload, hex("0000 00000001"));  // StreamBegin 1
  assert_str(parse_command(r[1])->args[0].get_string("code"), "NetStream.Play.Reset");
  assert_str(parse_command(r[2])->args[0].get_string("code"), "NetStream.Play.Start");
  auto access = parse_data(r[3]);
  assert_str((*access)[0].as_string(), "|RtmpSampleAccess");

  c.server.session().send_media(kMsgVideo, 40, hex("17 00 000000 01"));
  c.replies();
  assert_bytes(c.last_output, hex("06 000028 000006 09 01000000 17 00 000000 01"));

  c.command(1, "pause", 5, {AmfValue::boolean(true), AmfValue::number(1000)});
  r = c.replies();
  assert_str(parse_command(r[0])->args[0].get_string("code"), "NetStream.Pause.Notify");
  ev = c.events();
  g_assert_true(ev[0].type == EventType::kPause && ev[0].flag && ev[0].time_ms == 1000);
  c.server.session().send_media(kMsgVideo, 80, hex("27 01 000000 02"));
  g_assert_true(c.replies().empty());
  c.command(1, "pause", 6, {AmfValue::boolean(false), AmfValue::number(1000)});
  r = c.replies();
  assert_str(parse_command(r[0])->args[0].get_string("code"), "NetStream.Unpause.Notify");

  c.command(1, "receiveAudio", 0, {AmfValue::boolean(false)});
  c.server.session().send_media(kMsgAudio, 100, hex("AF 01 21"));
  c.server.session().send_media(kMsgVideo, 120, hex("27 01 000000 03"));
  r = c.replies();
  g_assert_cmpuint(r.size(), ==, 1);
  g_assert_cmpuint(r[0].type, ==, kMsgVideo);

  c.command(1, "seek", 7, {AmfValue::number(5000)});
  ev = c.events();
  g_assert_cmpuint(ev.size(), ==, 3);  // unpause, receiveAudio, seek
  g_assert_true(ev[1].type == EventType::kReceiveAudio && !ev[1].flag);
  g_assert_true(ev[2].type == EventType::kSeek && ev[2].time_ms == 5000);
  assert_str(parse_command(c.replies()[0])->args[0].get_string("code"), "NetStream.Seek.Notify");

  c.command(0, "deleteStream", 8, {AmfValue::number(1)});
  ev = c.events();
  g_assert_true(ev.size() == 1 && ev[0].type == EventType::kPlayStop);
  c.server.session().send_media(kMsgVideo, 160, hex("27 01 000000 04"));
  g_assert_true(c.replies().empty());
}

static void test_bad_input() {
  // A fmt 1 header on an unknown chunk stream ends the connection with a reason, no crash.
  Client c;
  g_assert_false(c.server.feed(hex("46 000014 00000A 09").data(), 8));
  g_assert_true(c.server.failed() && c.server.wants_close());
  assert_str(c.server.error(), "chunk stream: compressed chunk header on a new chunk stream");
  // Malformed AMF in a command is ignored.
  Client d;
  d.send(chunk_free(3, kMsgCommandAmf0, 0, 0, hex("02 00 FF 'x'")));
  g_assert_true(d.events().empty());
  // A bad RTMP version byte fails the handshake.
  ServerConnection s;
  Bytes c0 = cat({hex("0A"), Bytes(kHandshakeSize, 0)});
  g_assert_false(s.feed(c0.data(), c0.size()));
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, nullptr);
  g_test_add_func("/rtmp/session/publish", test_publish);
  g_test_add_func("/rtmp/session/pipelined", test_pipelined_before_connect_answer);
  g_test_add_func("/rtmp/session/rejects", test_rejects);
  g_test_add_func("/rtmp/session/play", test_play);
  g_test_add_func("/rtmp/session/bad-input", test_bad_input);
  return g_test_run();
}
