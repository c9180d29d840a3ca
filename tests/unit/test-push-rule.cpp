#include <glib.h>

#include "protocols/push-rule.h"

using estuary::PushRule;

static void test_manual_examples() {
  auto anyone = PushRule::parse("push://");
  g_assert_true(anyone.has_value());
  g_assert_true(anyone->allows("203.0.113.9", ""));

  auto local = PushRule::parse("push://127.0.0.1");
  g_assert_true(local->allows("127.0.0.1", ""));
  g_assert_true(local->allows("::ffff:127.0.0.1", "x"));
  g_assert_false(local->allows("203.0.113.9", ""));

  auto pass = PushRule::parse("push://@123abc");
  g_assert_true(pass->allows("203.0.113.9", "123abc"));
  g_assert_false(pass->allows("127.0.0.1", ""));
  g_assert_false(pass->allows("127.0.0.1", "123ab"));

  auto both = PushRule::parse("push://127.0.0.1@123abc");
  g_assert_true(both->allows("127.0.0.1", ""));
  g_assert_true(both->allows("203.0.113.9", "123abc"));
  g_assert_false(both->allows("203.0.113.9", "nope"));
}

static void test_cidr() {
  auto net = PushRule::parse("push://192.168.0.0/16");
  g_assert_true(net->allows("192.168.44.3", ""));
  g_assert_false(net->allows("192.169.0.1", ""));
  auto v6 = PushRule::parse("push://2001:db8::/32@k");
  g_assert_true(v6->allows("2001:db8:1::5", ""));
  g_assert_false(v6->allows("2001:db9::5", ""));
  g_assert_true(v6->allows("2001:db9::5", "k"));
  auto lh = PushRule::parse("push://localhost");
  g_assert_true(lh->allows("::1", ""));
  g_assert_true(lh->allows("127.0.0.1", ""));
}

static void test_invalid() {
  g_assert_false(PushRule::parse("rtmp://x").has_value());
  g_assert_false(PushRule::parse("push://not an address").has_value());
  g_assert_false(PushRule::parse("push://10.0.0.0/33").has_value());
  g_assert_false(PushRule::parse("push://10.0.0.0/x").has_value());
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, nullptr);
  g_test_add_func("/push-rule/manual", test_manual_examples);
  g_test_add_func("/push-rule/cidr", test_cidr);
  g_test_add_func("/push-rule/invalid", test_invalid);
  return g_test_run();
}
