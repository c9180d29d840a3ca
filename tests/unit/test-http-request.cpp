// The HTTP/1.x request-head parser, target decoding and byte ranges, on byte-exact inputs.
#include <glib.h>

#include <string>

#include "protocols/http/byte-range.h"
#include "protocols/http/request-head.h"

using namespace estuary::http;

static ParseResult parse(std::string_view in, RequestHead *head, gsize max = 16 * 1024) {
  HeadLimits limits;
  limits.max_bytes = max;
  return parse_request_head(in, limits, head);
}

static void test_simple() {
  RequestHead h;
  std::string in = "GET /a%20b/c?x=1&y=%2F HTTP/1.1\r\nHost: h\r\nX-Y:  v v \r\n\r\nBODY";
  ParseResult r = parse(in, &h);
  g_assert_true(r.state == ParseState::kDone);
  g_assert_cmpuint(r.consumed, ==, in.size() - 4);
  g_assert_cmpstr(h.method.c_str(), ==, "GET");
  g_assert_cmpstr(h.path.c_str(), ==, "/a b/c");
  g_assert_cmpstr(h.query.c_str(), ==, "x=1&y=%2F");
  g_assert_cmpint(h.minor_version, ==, 1);
  g_assert_true(h.keep_alive);
  g_assert_false(h.content_length.has_value());
  g_assert_cmpstr(h.header("x-y")->c_str(), ==, "v v");
  g_assert_cmpstr(h.header("HOST")->c_str(), ==, "h");
  g_assert_null(h.header("nope"));
}

static void test_incomplete_and_lf() {
  RequestHead h;
  std::string in = "GET / HTTP/1.0\r\nHost: h\r\n";
  for (gsize i = 0; i <= in.size(); i++)
    g_assert_true(parse(in.substr(0, i), &h).state == ParseState::kIncomplete);
  // Bare LF line ends and leading empty lines are accepted.
  ParseResult r = parse("\r\n\nGET /x HTTP/1.0\nConnection: keep-alive\n\n", &h);
  g_assert_true(r.state == ParseState::kDone);
  g_assert_cmpuint(r.consumed, ==, 43);
  g_assert_cmpint(h.minor_version, ==, 0);
  g_assert_true(h.keep_alive);
  g_assert_true(parse("GET / HTTP/1.0\r\n\r\n", &h).state == ParseState::kDone);
  g_assert_false(h.keep_alive);
  g_assert_true(parse("GET / HTTP/1.1\r\nConnection: foo, Close\r\n\r\n", &h).state ==
                ParseState::kDone);
  g_assert_false(h.keep_alive);
}

static void test_body_framing() {
  RequestHead h;
  g_assert_true(parse("POST / HTTP/1.1\r\nContent-Length: 12\r\nExpect: 100-continue\r\n\r\n",
                      &h).state == ParseState::kDone);
  g_assert_cmpuint(*h.content_length, ==, 12);
  g_assert_true(h.expect_continue);
  g_assert_true(parse("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", &h).state ==
                ParseState::kDone);
  g_assert_true(h.transfer_encoding);
  // Same length twice is fine; different ones, signs, blanks inside, overflow are not.
  g_assert_true(parse("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n", &h)
                    .state == ParseState::kDone);
  const char *bad[] = {
      "POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: 1 2\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: 0x10\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
  };
  for (const char *b : bad) {
    ParseResult r = parse(b, &h);
    g_assert_true(r.state == ParseState::kError);
    g_assert_cmpuint(r.status, ==, 400);
  }
}

static void test_hostile() {
  RequestHead h;
  struct {
    std::string in;
    guint status;
  } cases[] = {
      {"GET\r\n\r\n", 400},
      {"GET /\r\n\r\n", 400},
      {"GET / HTTP/2.0\r\n\r\n", 505},
      {"GET / HTTP/1.10\r\n\r\n", 400},
      {"GET / FOO/1.1\r\n\r\n", 400},
      {"G(T / HTTP/1.1\r\n\r\n", 400},
      {"GET /a\x01 HTTP/1.1\r\n\r\n", 400},
      {"GET /%00 HTTP/1.1\r\n\r\n", 400},
      {"GET /%4 HTTP/1.1\r\n\r\n", 400},
      {"GET /%zz HTTP/1.1\r\n\r\n", 400},
      {"GET /% HTTP/1.1\r\n\r\n", 400},
      {"GET * HTTP/1.1\r\n\r\n", 400},
      {"GET noslash HTTP/1.1\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nNoColon\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nA: b\x7f\r\n\r\n", 400},
      {std::string("GET / HTTP/1.1\r\nA: b\0c\r\n\r\n", 27), 400},
  };
  for (auto &c : cases) {
    ParseResult r = parse(c.in, &h);
    if (r.state != ParseState::kError || r.status != c.status)
      g_error("%s: state %d status %u", g_strescape(c.in.c_str(), nullptr),
              static_cast<int>(r.state), r.status);
  }
  // absolute-form keeps the path only; OPTIONS * is fine.
  g_assert_true(parse("GET http://h:1/p?q HTTP/1.1\r\n\r\n", &h).state == ParseState::kDone);
  g_assert_cmpstr(h.path.c_str(), ==, "/p");
  g_assert_cmpstr(h.query.c_str(), ==, "q");
  g_assert_true(parse("OPTIONS * HTTP/1.1\r\n\r\n", &h).state == ParseState::kDone);
  g_assert_cmpstr(h.path.c_str(), ==, "*");
}

static void test_limits() {
  RequestHead h;
  std::string big = "GET / HTTP/1.1\r\nX: " + std::string(200, 'a');
  ParseResult r = parse(big, &h, 100);
  g_assert_true(r.state == ParseState::kError);
  g_assert_cmpuint(r.status, ==, 431);
  // Complete but larger than the limit: still 431 (the end lies beyond what is looked at).
  r = parse(big + "\r\n\r\n", &h, 100);
  g_assert_cmpuint(r.status, ==, 431);
  // Exactly at the limit is fine.
  std::string exact = "GET / HTTP/1.1\r\n\r\n";
  g_assert_true(parse(exact, &h, exact.size()).state == ParseState::kDone);
  std::string many = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 101; i++) many += "A: b\r\n";
  r = parse(many + "\r\n", &h);
  g_assert_cmpuint(r.status, ==, 431);
  // Endless blank lines end at the limit too.
  r = parse(std::string(200, '\n'), &h, 100);
  g_assert_cmpuint(r.status, ==, 431);
}

static void test_form() {
  HeaderList f = decode_form("a=1&b=x+y%21&&c&d=%zz&%00=e&%41=%&n=a%00b");
  g_assert_cmpuint(f.size(), ==, 6);
  g_assert_cmpstr(f[0].first.c_str(), ==, "a");
  g_assert_cmpstr(f[0].second.c_str(), ==, "1");
  g_assert_cmpstr(f[1].second.c_str(), ==, "x y!");
  g_assert_cmpstr(f[2].first.c_str(), ==, "c");
  g_assert_cmpstr(f[2].second.c_str(), ==, "");
  g_assert_cmpstr(f[3].second.c_str(), ==, "%zz");
  g_assert_cmpstr(f[4].first.c_str(), ==, "A");
  g_assert_cmpstr(f[4].second.c_str(), ==, "%");
  g_assert_true(f[5].second == std::string("a\0b", 3));
  std::string out;
  g_assert_true(decode_form_component("%7B%22a%22%3A1%7D", &out));
  g_assert_cmpstr(out.c_str(), ==, "{\"a\":1}");
  g_assert_true(decode_path("/a+b%2b", &out));
  g_assert_cmpstr(out.c_str(), ==, "/a+b+");
  g_assert_true(header_has_token(" a ,Keep-Alive", "keep-alive"));
  g_assert_false(header_has_token("keep-alivex", "keep-alive"));
}

static void test_range() {
  struct {
    const char *value;
    guint64 size;
    RangeKind kind;
    guint64 first, last;
  } cases[] = {
      {"bytes=0-99", 1000, RangeKind::kOne, 0, 99},
      {"bytes=100-", 1000, RangeKind::kOne, 100, 999},
      {"bytes=-500", 1000, RangeKind::kOne, 500, 999},
      {"bytes=-5000", 1000, RangeKind::kOne, 0, 999},
      {"bytes=900-5000", 1000, RangeKind::kOne, 900, 999},
      {"Bytes=1-1 ", 1000, RangeKind::kOne, 1, 1},
      {"bytes = 1-1", 1000, RangeKind::kIgnore, 0, 0},
      {"bytes=0-1,", 1000, RangeKind::kOne, 0, 1},
      {"bytes=1000-", 1000, RangeKind::kUnsatisfiable, 0, 0},
      {"bytes=-0", 1000, RangeKind::kUnsatisfiable, 0, 0},
      {"bytes=0-", 0, RangeKind::kUnsatisfiable, 0, 0},
      {"bytes=0-1,5-6", 1000, RangeKind::kMultiple, 0, 0},
      {"bytes=5-1", 1000, RangeKind::kIgnore, 0, 0},
      {"bytes=a-1", 1000, RangeKind::kIgnore, 0, 0},
      {"bytes=1", 1000, RangeKind::kIgnore, 0, 0},
      {"items=0-1", 1000, RangeKind::kIgnore, 0, 0},
      {"bytes=99999999999999999999-", 1000, RangeKind::kIgnore, 0, 0},
      {"", 1000, RangeKind::kIgnore, 0, 0},
  };
  for (auto &c : cases) {
    ByteRange r = parse_byte_range(c.value, c.size);
    if (r.kind != c.kind || (c.kind == RangeKind::kOne && (r.first != c.first || r.last != c.last)))
      g_error("'%s': kind %d %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT, c.value,
              static_cast<int>(r.kind), r.first, r.last);
  }
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, nullptr);
  g_test_add_func("/http-request/simple", test_simple);
  g_test_add_func("/http-request/incomplete-and-lf", test_incomplete_and_lf);
  g_test_add_func("/http-request/body-framing", test_body_framing);
  g_test_add_func("/http-request/hostile", test_hostile);
  g_test_add_func("/http-request/limits", test_limits);
  g_test_add_func("/http-request/form", test_form);
  g_test_add_func("/http-request/range", test_range);
  return g_test_run();
}
