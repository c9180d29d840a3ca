// API accounts and the MD5 challenge login of manual 4.1.1.
// Control thread only.
#pragma once

#include <glib.h>

#include <deque>
#include <map>
#include <string>

namespace estuary {

class Config;

class Auth {
 public:
  explicit Auth(Config &config) : config_(config) {}

  bool has_accounts() const;

  // A fresh challenge for `host`, remembered for kChallengeTtl so that clients that log in with
  // every request, each possibly on a new connection, can keep using it.
  std::string issue_challenge(const std::string &host);

  // True when `password` equals MD5(stored MD5 of the password + challenge) for one of the
  // challenges still valid for `host`. Constant-time comparison.
  bool check(const std::string &host, const char *username, const char *password);

  // Creates the first account; refused (false) when any account exists. Stores MD5(password).
  bool create_first_account(const char *username, const char *password);

  static std::string md5_hex(const std::string &text);

  static constexpr gint64 kChallengeTtlUs = 10 * 60 * G_USEC_PER_SEC;
  static constexpr size_t kChallengesPerHost = 4;
  static constexpr size_t kMaxHosts = 4096;

 private:
  struct Challenge {
    std::string value;
    gint64 expires_us;
  };
  void expire(gint64 now);

  Config &config_;
  std::map<std::string, std::deque<Challenge>> challenges_;  // host -> newest last
};

}  // namespace estuary
