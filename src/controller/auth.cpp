#include "controller/auth.h"

#include "common/gref.h"
#include "controller/config.h"
#include "controller/log.h"

namespace estuary {

namespace {

bool constant_time_equal(const std::string &a, const std::string &b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); i++) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace

std::string Auth::md5_hex(const std::string &text) {
  GCharPtr sum(g_compute_checksum_for_data(G_CHECKSUM_MD5,
                                           reinterpret_cast<const guchar *>(text.data()),
                                           text.size()));
  return sum.get();
}

bool Auth::has_accounts() const {
  JsonObject *accounts = config_.accounts();
  GList *names = json_object_get_members(accounts);
  bool any = false;
  for (GList *l = names; l && !any; l = l->next) {
    JsonNode *acc = json_object_get_member(accounts, static_cast<const char *>(l->data));
    any = JSON_NODE_HOLDS_OBJECT(acc) &&
          json_string_or(json_node_get_object(acc), "password", nullptr) != nullptr;
  }
  g_list_free(names);
  return any;
}

void Auth::expire(gint64 now) {
  for (auto it = challenges_.begin(); it != challenges_.end();) {
    auto &list = it->second;
    while (!list.empty() && list.front().expires_us < now) list.pop_front();
    it = list.empty() ? challenges_.erase(it) : std::next(it);
  }
}

std::string Auth::issue_challenge(const std::string &host) {
  gint64 now = g_get_monotonic_time();
  expire(now);
  if (challenges_.size() >= kMaxHosts && !challenges_.count(host)) {
    challenges_.erase(challenges_.begin());  // bounded memory under a flood of hosts
  }
  guint8 random[16];
  for (auto &b : random) b = static_cast<guint8>(g_random_int_range(0, 256));
  GCharPtr hex(g_compute_checksum_for_data(G_CHECKSUM_MD5, random, sizeof random));
  auto &list = challenges_[host];
  list.push_back(Challenge{hex.get(), now + kChallengeTtlUs});
  while (list.size() > kChallengesPerHost) list.pop_front();
  return hex.get();
}

bool Auth::check(const std::string &host, const char *username, const char *password) {
  if (!username || !password || !*username || !*password) return false;
  JsonNode *acc = json_object_get_member(config_.accounts(), username);
  if (!acc || !JSON_NODE_HOLDS_OBJECT(acc)) return false;
  const char *stored = json_string_or(json_node_get_object(acc), "password", nullptr);
  if (!stored) return false;
  expire(g_get_monotonic_time());
  auto it = challenges_.find(host);
  if (it == challenges_.end()) return false;
  for (const Challenge &c : it->second) {
    if (constant_time_equal(md5_hex(std::string(stored) + c.value), password)) return true;
  }
  return false;
}

bool Auth::create_first_account(const char *username, const char *password) {
  if (has_accounts() || !username || !password || !*username || !*password) return false;
  JsonObject *acc = json_object_new();
  json_object_set_string_member(acc, "password", md5_hex(password).c_str());
  json_object_set_object_member(config_.accounts(), username, acc);
  GST_CAT_WARNING(log::cat_auth, "account '%s' created", username);
  return true;
}

}  // namespace estuary
