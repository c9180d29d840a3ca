#include "controller/api-session.h"

#include <string>

#include "common/gref.h"
#include "controller/api-server.h"
#include "controller/controller.h"
#include "controller/log.h"

namespace estuary {

namespace {

std::string host_of(GSocketAddress *remote) {
  if (!remote || !G_IS_INET_SOCKET_ADDRESS(remote)) return "unknown";
  GCharPtr text(g_inet_address_to_string(
      g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(remote))));
  return text.get();
}

void set_status(JsonObject *answer, const char *status, const std::string &challenge = "") {
  JsonObject *auth = json_object_new();
  json_object_set_string_member(auth, "status", status);
  if (!challenge.empty()) json_object_set_string_member(auth, "challenge", challenge.c_str());
  json_object_set_object_member(answer, "authorize", auth);
}

}  // namespace

LoginResult api_login(Controller &ctl, ApiSession &session, GSocketAddress *remote,
                      JsonObject *command, JsonObject *answer) {
  std::string host = host_of(remote);
  JsonNode *auth_node = json_object_get_member(command, "authorize");
  JsonObject *request = auth_node && JSON_NODE_HOLDS_OBJECT(auth_node) ? json_node_get_object(auth_node)
                                                                     : nullptr;
  bool trusted = api_is_trusted_address(remote);

  if (!ctl.auth.has_accounts()) {
    // NOACC: the only state in which an account can be made through the API.
    const char *user = json_string_or(request, "new_username", nullptr);
    const char *pass = json_string_or(request, "new_password", nullptr);
    if (user && pass && *user && *pass) {
      if (ctl.auth.create_first_account(user, pass)) {
        GError *error = nullptr;
        if (!ctl.save(&error)) {
          GST_CAT_ERROR(log::cat_auth, "%s", error->message);
          g_error_free(error);
        }
        set_status(answer, "ACC_MADE");
        return trusted ? LoginResult::kAuthorized : LoginResult::kRefused;
      }
    }
    set_status(answer, "NOACC");
    return trusted ? LoginResult::kAuthorized : LoginResult::kRefused;
  }

  if (trusted || session.authorized) {
    set_status(answer, "OK");
    return LoginResult::kAuthorized;
  }

  const char *user = json_string_or(request, "username", nullptr);
  const char *pass = json_string_or(request, "password", nullptr);
  if (user && pass && *pass) {
    if (ctl.auth.check(host, user, pass)) {
      session.authorized = true;
      session.failures = 0;
      GST_CAT_INFO(log::cat_auth, "API login of '%s' from %s", user, host.c_str());
      set_status(answer, "OK");
      return LoginResult::kAuthorized;
    }
    session.failures++;
    // The user name is safe to log; the password hash is not logged.
    GST_CAT_WARNING(log::cat_auth, "failed API login of '%s' from %s (%d on this connection)", user,
                    host.c_str(), session.failures);
  }
  set_status(answer, "CHALL", ctl.auth.issue_challenge(host));
  if (session.failures >= ApiServer::kMaxLoginFailures) return LoginResult::kClose;
  return LoginResult::kRefused;
}

}  // namespace estuary
