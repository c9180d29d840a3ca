#include <glib.h>

#include "protocols/rtmp/amf0.h"
#include "test-rtmp-util.h"

using namespace estuary::rtmp;

static Bytes enc(const AmfValue &v) {
  Bytes out;
  amf0_encode(v, &out);
  return out;
}

static AmfValue dec(const Bytes &b) {
  size_t pos = 0;
  auto v = amf0_decode(b.data(), b.size(), &pos);
  g_assert_true(v.has_value());
  g_assert_cmpuint(pos, ==, b.size());
  return *v;
}

static bool decodes(const Bytes &b) {
  size_t pos = 0;
  return amf0_decode(b.data(), b.size(), &pos).has_value();
}

static void test_primitives() {
  assert_bytes(enc(AmfValue::number(1.0)), hex("00 3F F0 00 00 00 00 00 00"));
  assert_bytes(enc(AmfValue::number(-2.5)), hex("00 C0 04 00 00 00 00 00 00"));
  assert_bytes(enc(AmfValue::boolean(true)), hex("01 01"));
  assert_bytes(enc(AmfValue::boolean(false)), hex("01 00"));
  assert_bytes(enc(AmfValue::string("app")), hex("02 00 03 'app'"));
  assert_bytes(enc(AmfValue::string("")), hex("02 00 00"));
  assert_bytes(enc(AmfValue::null()), hex("05"));
  assert_bytes(enc(AmfValue::undefined()), hex("06"));
  assert_bytes(enc(AmfValue::date(1000.0, -60)), hex("0B 40 8F 40 00 00 00 00 00 FF C4"));
  for (const char *h : {"00 3F F0 00 00 00 00 00 00", "01 01", "02 00 03 'app'", "05", "06",
                        "0B 40 8F 40 00 00 00 00 00 FF C4"})
    assert_bytes(enc(dec(hex(h))), hex(h));
  g_assert_cmpfloat(dec(hex("0B 40 8F 40 00 00 00 00 00 FF C4")).as_number(), ==, 1000.0);
  g_assert_cmpint(dec(hex("0B 40 8F 40 00 00 00 00 00 FF C4")).date_timezone(), ==, -60);
  // Unsupported (0x0D) reads as undefined.
  g_assert_true(dec(hex("0D")).type() == AmfValue::Type::kUndefined);
}

static void test_long_string() {
  std::string big(70000, 'x');
  Bytes b = enc(AmfValue::string(big));
  assert_bytes(Bytes(b.begin(), b.begin() + 5), hex("0C 00 01 11 70"));
  g_assert_cmpuint(b.size(), ==, 5 + 70000);
  g_assert_true(dec(b).as_string() == big);
  g_assert_true(dec(hex("0C 00 00 00 02 'hi'")).as_string() == "hi");
}

static void test_containers() {
  AmfValue obj = AmfValue::object({{"a", AmfValue::number(1)}, {"b", AmfValue::null()}});
  Bytes want = hex("03 00 01 'a' 00 3F F0 00 00 00 00 00 00 00 01 'b' 05 00 00 09");
  assert_bytes(enc(obj), want);
  g_assert_true(dec(want) == obj);
  g_assert_cmpfloat(dec(want).get_number("a"), ==, 1);
  g_assert_null(dec(want).get("zz"));

  AmfValue ecma = AmfValue::ecma_array({{"k", AmfValue::string("v")}});
  Bytes want_ecma = hex("08 00 00 00 01 00 01 'k' 02 00 01 'v' 00 00 09");
  assert_bytes(enc(ecma), want_ecma);
  g_assert_true(dec(want_ecma) == ecma);
  // The count is a hint; an ECMA array cut off before its end marker at the end of the buffer
  // (some encoders do this) is accepted.
  g_assert_true(dec(hex("08 00 00 00 05 00 01 'k' 02 00 01 'v'")) == ecma);

  AmfValue arr = AmfValue::strict_array({AmfValue::boolean(true), AmfValue::string("x")});
  Bytes want_arr = hex("0A 00 00 00 02 01 01 02 00 01 'x'");
  assert_bytes(enc(arr), want_arr);
  g_assert_true(dec(want_arr) == arr);

  // Typed object: class name dropped, properties kept.
  AmfValue typed = dec(hex("10 00 03 'Foo' 00 01 'a' 01 01 00 00 09"));
  g_assert_true(typed.get("a")->as_boolean());
}

static void test_connect_command() {
  // The start of an ffmpeg connect: "connect", 1, {app: "live", tcUrl: ...}.
  Bytes b =
      hex("02 00 07 'connect' 00 3F F0 00 00 00 00 00 00"
          "03 00 03 'app' 02 00 04 'live' 00 05 'tcUrl' 02 00 1A 'rtmp://127.0.0.1:1935/live'"
          "00 00 09");
  auto values = amf0_decode_all(b.data(), b.size());
  g_assert_true(values.has_value());
  g_assert_cmpuint(values->size(), ==, 3);
  g_assert_true((*values)[0].as_string() == "connect");
  g_assert_cmpfloat((*values)[1].as_number(), ==, 1);
  g_assert_true((*values)[2].get_string("app") == "live");
  g_assert_true((*values)[2].get_string("tcUrl") == "rtmp://127.0.0.1:1935/live");
}

static void test_amf3() {
  g_assert_cmpfloat(dec(hex("11 04 05")).as_number(), ==, 5);
  g_assert_cmpfloat(dec(hex("11 04 81 00")).as_number(), ==, 128);
  g_assert_cmpfloat(dec(hex("11 04 FF FF FF FF")).as_number(), ==, -1);
  g_assert_cmpfloat(dec(hex("11 05 3F F0 00 00 00 00 00 00")).as_number(), ==, 1);
  g_assert_true(dec(hex("11 03")).as_boolean());
  g_assert_false(dec(hex("11 02")).as_boolean(true));
  g_assert_true(dec(hex("11 01")).type() == AmfValue::Type::kNull);
  g_assert_true(dec(hex("11 00")).type() == AmfValue::Type::kUndefined);
  g_assert_true(dec(hex("11 06 07 'abc'")).as_string() == "abc");
  // String references span the message: the second value refers back to "abc" (index 0).
  Bytes two = hex("11 06 07 'abc' 11 06 00");
  auto values = amf0_decode_all(two.data(), two.size());
  g_assert_true(values && values->size() == 2 && (*values)[1].as_string() == "abc");
  // Dense array [1, true].
  AmfValue arr = dec(hex("11 09 05 01 04 01 03"));
  g_assert_cmpuint(arr.items().size(), ==, 2);
  g_assert_false(decodes(hex("11 06 02")));     // reference to a string never seen
  g_assert_false(decodes(hex("11 0A 0B 01")));  // AMF3 objects are refused
}

static void test_hostile() {
  g_assert_false(decodes(hex("02 00 05 'ab'")));       // truncated string
  g_assert_false(decodes(hex("00 3F F0")));            // truncated number
  g_assert_false(decodes(hex("0A FF FF FF FF 05")));   // strict array count beyond the data
  g_assert_false(decodes(hex("0C FF FF FF FF 'a'")));  // long string length beyond the data
  g_assert_false(decodes(hex("03 00 01 'a'")));        // object without value or end
  g_assert_false(decodes(hex("07 00 01")));            // references are not supported
  g_assert_false(decodes(hex("11 04 FF FF")));         // truncated U29
  g_assert_false(decodes(hex("")));

  // Nesting: kAmfMaxDepth levels decode, one more is refused without recursing further.
  auto nested = [](int levels) {
    Bytes b;
    for (int i = 0; i < levels; i++) {
      Bytes lvl = hex("03 00 01 'a'");
      b.insert(b.end(), lvl.begin(), lvl.end());
    }
    b.push_back(0x05);
    for (int i = 0; i < levels; i++) {
      Bytes end = hex("00 00 09");
      b.insert(b.end(), end.begin(), end.end());
    }
    return b;
  };
  g_assert_true(decodes(nested(kAmfMaxDepth)));
  g_assert_false(decodes(nested(kAmfMaxDepth + 1)));
  Bytes deep;  // 20000 strict arrays of one strict array each
  Bytes one = hex("0A 00 00 00 01");
  for (int i = 0; i < 20000; i++) deep.insert(deep.end(), one.begin(), one.end());
  g_assert_false(decodes(cat({deep, hex("05")})));
  Bytes deep3 = hex("11");  // AMF3 arrays of one dense element each
  Bytes one3 = hex("09 03 01");
  for (int i = 0; i < 20000; i++) deep3.insert(deep3.end(), one3.begin(), one3.end());
  g_assert_false(decodes(cat({deep3, hex("01")})));
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, nullptr);
  g_test_add_func("/rtmp/amf/primitives", test_primitives);
  g_test_add_func("/rtmp/amf/long-string", test_long_string);
  g_test_add_func("/rtmp/amf/containers", test_containers);
  g_test_add_func("/rtmp/amf/connect-command", test_connect_command);
  g_test_add_func("/rtmp/amf/amf3", test_amf3);
  g_test_add_func("/rtmp/amf/hostile", test_hostile);
  return g_test_run();
}
