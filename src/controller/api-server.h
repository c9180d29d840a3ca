// The HTTP side of the API (manual 4.1): transport, login, JSONP, CORS, the web panel.
// Runs on the control context.
#pragma once

#include <libsoup/soup.h>

#include <string>

#include "common/gref.h"

namespace estuary {

class Controller;

class ApiServer {
 public:
  // Largest request body accepted; larger ones get 413 and a JSON error.
  static constexpr goffset kMaxBodyBytes = 4 * 1024 * 1024;
  // Failed logins after which a connection is closed.
  static constexpr int kMaxLoginFailures = 4;
  static constexpr int kListenBacklog = 1024;

  explicit ApiServer(Controller &ctl);
  ~ApiServer();

  // Listens on `interface` ("0.0.0.0", "::", an address) and `port` (0 = any free port).
  bool listen(const std::string &interface, guint16 port, GError **error);
  // The port actually bound, once listening.
  guint16 port() const;

 private:
  static void on_early(SoupServer *, SoupServerMessage *msg, const char *, GHashTable *, gpointer self);
  static void on_request(SoupServer *, SoupServerMessage *msg, const char *path, GHashTable *query,
                         gpointer self);
  void handle(SoupServerMessage *msg, const char *path, GHashTable *query);

  Controller &ctl_;
  GRef<SoupServer> server_;
};

// True for addresses the API trusts without login (loopback), unless the test-only environment
// variable ESTUARY_TEST_UNTRUSTED_LOOPBACK=1 is set, which makes loopback clients log in too.
bool api_is_trusted_address(GSocketAddress *address);

}  // namespace estuary
