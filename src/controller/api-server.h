// The HTTP side of the API (manual 4.1): transport, login, JSONP, CORS, the web panel.
// Runs on the control context, on the lean HTTP/1.1 core (servers/http1-server.h).
#pragma once

#include <gio/gio.h>

#include <memory>
#include <string>

#include "common/gref.h"
#include "servers/http1-server.h"

namespace estuary {

class Controller;

class ApiServer {
 public:
  // Largest request body accepted; larger ones get 413 and a JSON error.
  static constexpr gsize kMaxBodyBytes = 4 * 1024 * 1024;
  // Request line + headers; commands can travel in the query string, so this is generous.
  static constexpr gsize kMaxHeadBytes = 256 * 1024;
  // Failed logins after which a connection is closed.
  static constexpr int kMaxLoginFailures = 4;

  explicit ApiServer(Controller &ctl);
  ~ApiServer();

  // Listens on `interface` ("0.0.0.0", "::", an address) and `port` (0 = any free port), in the
  // calling thread's default main context (the control context).
  bool listen(const std::string &interface, guint16 port, GError **error);
  // The port actually bound, once listening.
  guint16 port() const;

 private:
  void handle(const std::shared_ptr<HttpExchange> &ex);
  void serve_panel(HttpExchange &ex);

  Controller &ctl_;
  std::unique_ptr<Http1Server> server_;
  GRef<GBytes> panel_;  // the compiled-in index.html, looked up once
};

// True for addresses the API trusts without login (loopback), unless the test-only environment
// variable ESTUARY_TEST_UNTRUSTED_LOOPBACK=1 is set, which makes loopback clients log in too.
bool api_is_trusted_address(GSocketAddress *address);

}  // namespace estuary
