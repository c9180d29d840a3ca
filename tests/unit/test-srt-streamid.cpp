#include <glib.h>

#include <string>

#include "protocols/mpegts/tsudp-url.h"
#include "protocols/srt/streamid.h"

using estuary::parse_srt_streamid;
using estuary::parse_tsudp_url;
using Mode = estuary::SrtStreamId::Mode;

static void test_plain() {
  auto id = parse_srt_streamid("live");
  g_assert_true(id.has_value());
  g_assert_cmpstr(id->resource.c_str(), ==, "live");
  g_assert_true(id->mode == Mode::kUnspecified);
  // Anything not starting with "#!::" is a name as a whole, commas and '=' included.
  auto odd = parse_srt_streamid("live+a=b,c");
  g_assert_cmpstr(odd->resource.c_str(), ==, "live+a=b,c");
}

static void test_access_control() {
  auto pub = parse_srt_streamid("#!::r=live,m=publish");
  g_assert_cmpstr(pub->resource.c_str(), ==, "live");
  g_assert_true(pub->mode == Mode::kPublish);
  auto req = parse_srt_streamid("#!::u=alice,r=cam+1,m=request,s=abc,t=stream,x=ignored");
  g_assert_cmpstr(req->resource.c_str(), ==, "cam+1");
  g_assert_cmpstr(req->user.c_str(), ==, "alice");
  g_assert_cmpstr(req->session.c_str(), ==, "abc");
  g_assert_true(req->mode == Mode::kRequest);
  g_assert_true(parse_srt_streamid("#!::r=x,m=bidirectional")->mode == Mode::kBidirectional);
  g_assert_true(parse_srt_streamid("#!::r=x,,")->mode == Mode::kUnspecified);
  // The last of repeated keys wins.
  g_assert_cmpstr(parse_srt_streamid("#!::r=a,r=b")->resource.c_str(), ==, "b");
}

static void test_refused() {
  g_assert_false(parse_srt_streamid("").has_value());
  g_assert_false(parse_srt_streamid("#!::").has_value());
  g_assert_false(parse_srt_streamid("#!::m=publish").has_value());  // no stream name
  g_assert_false(parse_srt_streamid("#!::r=live,m=push").has_value());
  g_assert_false(parse_srt_streamid("#!::r=live,publish").has_value());
  g_assert_false(parse_srt_streamid("#!::=live").has_value());
  g_assert_false(parse_srt_streamid(std::string(513, 'a')).has_value());
  g_assert_true(parse_srt_streamid(std::string(512, 'a')).has_value());
}

static void test_tsudp_manual_examples() {
  auto any = parse_tsudp_url("tsudp://:8765");
  g_assert_true(any.has_value());
  g_assert_cmpstr(any->host.c_str(), ==, "");
  g_assert_cmpint(any->port, ==, 8765);
  g_assert_false(any->multicast());
  g_assert_cmpuint(any->interfaces.size(), ==, 0);

  auto one = parse_tsudp_url("tsudp://1.2.3.4:8765");
  g_assert_cmpstr(one->host.c_str(), ==, "1.2.3.4");
  g_assert_false(one->multicast());

  auto mc = parse_tsudp_url("tsudp://224.0.0.0:8765/1.2.3.4");
  g_assert_true(mc->multicast());
  g_assert_cmpuint(mc->interfaces.size(), ==, 1);
  g_assert_cmpstr(mc->interfaces[0].c_str(), ==, "1.2.3.4");

  auto two = parse_tsudp_url("tsudp://239.255.255.250:8765/1.2.3.4,5.6.7.8");
  g_assert_true(two->multicast());
  g_assert_cmpuint(two->interfaces.size(), ==, 2);
  g_assert_cmpstr(two->interfaces[1].c_str(), ==, "5.6.7.8");
}

static void test_tsudp_ipv6_and_errors() {
  auto v6 = parse_tsudp_url("TSUDP://[ff02::1]:9000/::1");
  g_assert_true(v6.has_value());
  g_assert_cmpstr(v6->host.c_str(), ==, "ff02::1");
  g_assert_true(v6->multicast());
  g_assert_false(parse_tsudp_url("tsudp://[::1]:9000")->multicast());
  g_assert_false(parse_tsudp_url("tsudp://240.0.0.1:9000")->multicast());
  g_assert_false(parse_tsudp_url("tsudp://223.255.0.1:9000")->multicast());

  g_assert_false(parse_tsudp_url("udp://:9000").has_value());
  g_assert_false(parse_tsudp_url("tsudp://").has_value());
  g_assert_false(parse_tsudp_url("tsudp://1.2.3.4").has_value());
  g_assert_false(parse_tsudp_url("tsudp://:0").has_value());
  g_assert_false(parse_tsudp_url("tsudp://:65536").has_value());
  g_assert_false(parse_tsudp_url("tsudp://:12a").has_value());
  g_assert_false(parse_tsudp_url("tsudp://ff02::1:9000").has_value());
  g_assert_false(parse_tsudp_url("tsudp://[ff02::1]9000").has_value());
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, nullptr);
  g_test_add_func("/srt/streamid/plain", test_plain);
  g_test_add_func("/srt/streamid/access-control", test_access_control);
  g_test_add_func("/srt/streamid/refused", test_refused);
  g_test_add_func("/tsudp/url/manual-examples", test_tsudp_manual_examples);
  g_test_add_func("/tsudp/url/ipv6-and-errors", test_tsudp_ipv6_and_errors);
  return g_test_run();
}
