// Login state of one API connection and the `authorize` exchange of manual 4.1.1.
// Control thread only.
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

namespace estuary {

class Controller;

// One per HTTP connection, kept in its HttpExchange::connection_slot() (freed with it).
struct ApiSession {
  bool authorized = false;
  int failures = 0;
};

enum class LoginResult {
  kAuthorized,  // run the calls
  kRefused,     // answer only `authorize`
  kClose,       // answer `authorize` and close the connection (too many failures)
};

// Handles the request's `authorize` member, if any, and writes the `authorize` answer into
// `answer`. Loopback callers are trusted (api_is_trusted_address).
LoginResult api_login(Controller &ctl, ApiSession &session, GSocketAddress *remote,
                      JsonObject *command, JsonObject *answer);

}  // namespace estuary
