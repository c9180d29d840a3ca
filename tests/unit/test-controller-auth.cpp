// Accounts and the MD5 challenge login of manual 4.1.1.
#include <string>

#include "controller-test-util.h"
#include "controller/auth.h"

using estuary::Auth;
using estuary::Config;
namespace t = estuary::test;

namespace {

// Computed by hand (python3 hashlib) for the manual's formula MD5(MD5("secret") + challenge).
constexpr const char *kSecretMd5 = "5ebe2294ecd0e0f08eab7690d2a6ee69";
constexpr const char *kLoginFor1234 =
    "56f8db1097bc99a28926a9f93097d134";  // challenge 1234567890abcdef

std::string md5(const std::string &s) {
  gchar *sum =
      g_compute_checksum_for_string(G_CHECKSUM_MD5, s.data(), static_cast<gssize>(s.size()));
  std::string out = sum;
  g_free(sum);
  return out;
}

void test_md5_vectors() {
  assert_string_eq(Auth::md5_hex(""), "d41d8cd98f00b204e9800998ecf8427e");
  assert_string_eq(Auth::md5_hex("secret"), kSecretMd5);
  assert_string_eq(Auth::md5_hex(std::string(kSecretMd5) + "1234567890abcdef"), kLoginFor1234);
}

void test_first_account() {
  Config config;
  Auth auth(config);
  g_assert_false(auth.has_accounts());
  g_assert_false(auth.create_first_account("", "secret"));
  g_assert_false(auth.create_first_account("test", ""));
  g_assert_true(auth.create_first_account("test", "secret"));
  g_assert_true(auth.has_accounts());
  // The password is stored as its MD5 only, as MistServer does.
  JsonObject *acc = t::object_member(config.accounts(), "test");
  g_assert_cmpstr(estuary::json_string_or(acc, "password", nullptr), ==, kSecretMd5);
  // Only while there is no account.
  g_assert_false(auth.create_first_account("other", "x"));
  g_assert_false(json_object_has_member(config.accounts(), "other"));
}

void test_challenge_login() {
  Config config;
  Auth auth(config);
  g_assert_true(auth.create_first_account("test", "secret"));
  std::string challenge = auth.issue_challenge("192.0.2.7");
  g_assert_cmpuint(challenge.size(), ==, 32);
  std::string good = md5(std::string(kSecretMd5) + challenge);

  g_assert_true(auth.check("192.0.2.7", "test", good.c_str()));
  // The same challenge keeps working (clients may log in on every new connection).
  g_assert_true(auth.check("192.0.2.7", "test", good.c_str()));
  // ... but only for the host it was issued to.
  g_assert_false(auth.check("192.0.2.8", "test", good.c_str()));
  // Wrong user, wrong password, the plain MD5 of the password, an uppercase hash, empty values.
  g_assert_false(auth.check("192.0.2.7", "nobody", good.c_str()));
  g_assert_false(auth.check("192.0.2.7", "test", md5(std::string(kSecretMd5) + "x").c_str()));
  g_assert_false(auth.check("192.0.2.7", "test", kSecretMd5));
  gchar *upper = g_ascii_strup(good.c_str(), -1);
  g_assert_false(auth.check("192.0.2.7", "test", upper));
  g_free(upper);
  g_assert_false(auth.check("192.0.2.7", "test", ""));
  g_assert_false(auth.check("192.0.2.7", nullptr, good.c_str()));
  g_assert_false(auth.check("192.0.2.7", "test", nullptr));
}

void test_stored_account_and_challenge_window() {
  // An account as a MistServer config holds it: the MD5 of the password.
  Config config;
  json_object_set_object_member(config.accounts(), "admin", json_object_new());
  Auth auth(config);
  g_assert_false(auth.has_accounts());  // no password member: not a usable account
  json_object_set_string_member(t::object_member(config.accounts(), "admin"), "password",
                                kSecretMd5);
  g_assert_true(auth.has_accounts());

  std::string first = auth.issue_challenge("h");
  std::string first_login = md5(std::string(kSecretMd5) + first);
  // Older challenges of a host stay valid while newer ones are issued, up to the per-host cap.
  for (size_t i = 1; i < Auth::kChallengesPerHost; i++) auth.issue_challenge("h");
  g_assert_true(auth.check("h", "admin", first_login.c_str()));
  std::string newest = auth.issue_challenge("h");
  g_assert_false(auth.check("h", "admin", first_login.c_str()));  // pushed out
  g_assert_true(auth.check("h", "admin", md5(std::string(kSecretMd5) + newest).c_str()));
  g_assert_cmpstr(newest.c_str(), !=, first.c_str());
}

}  // namespace

int main(int argc, char **argv) {
  t::init(&argc, &argv);
  g_test_add_func("/controller/auth/md5-vectors", test_md5_vectors);
  g_test_add_func("/controller/auth/first-account", test_first_account);
  g_test_add_func("/controller/auth/challenge-login", test_challenge_login);
  g_test_add_func("/controller/auth/stored-account", test_stored_account_and_challenge_window);
  return g_test_run();
}
