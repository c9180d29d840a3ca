// Internal to the HTTP output (src/servers): the state every handler shares and helpers for
// answering an HttpExchange (http1-server.h). Everything here runs on the HTTP thread only,
// unless a comment says otherwise.
#pragma once

#include <gst/gst.h>

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "common/gref.h"
#include "pipelines/live-stream.h"
#include "servers/http1-server.h"
#include "servers/output-catalog.h"

GST_DEBUG_CATEGORY_EXTERN(estuary_http_debug);

namespace estuary {

class ProgressiveViewer;
struct ProgressiveWakes;
class HlsSessions;

struct HttpSettings {
  guint port = 8080;
  std::string interface = "0.0.0.0";
  std::string pubaddr;  // public base URL ("https://cdn.example.com/") or host; "" = Host header
};

// Shared by the handlers of one HttpOutput. Created and destroyed by HttpOutput; touched only on
// its thread (the fields are set before the thread starts and are constant afterwards, except
// the containers, which only the HTTP thread uses).
struct HttpServerState {
  HttpServerState(StreamDirectory &d, std::shared_ptr<OutputCatalog> c, HttpSettings s);
  ~HttpServerState();
  StreamDirectory &streams;
  const std::shared_ptr<OutputCatalog> catalog;
  const HttpSettings settings;
  GRef<GMainContext> context;  // the HTTP thread's context
  bool stopping = false;
  std::set<std::shared_ptr<ProgressiveViewer>> viewers;
  // Progressive viewers' wakes (http-progressive.cpp); the fanouts' threads add to it.
  std::shared_ptr<ProgressiveWakes> progressive_wakes;
  std::unique_ptr<HlsSessions> hls_sessions;
};

namespace http {

using Exchange = std::shared_ptr<HttpExchange>;

// How long a request waits for its stream to start, and for HLS segments to appear.
constexpr guint kStreamWaitMs = 20000;

void add_cors(HttpExchange &ex);
// Complete answers with CORS and Cache-Control. `body` is copied (small texts); respond_bytes
// shares `bytes` (no copy). Both are no-ops once the client left.
void respond(HttpExchange &ex, guint status, const char *content_type, std::string_view body,
             const char *cache_control = "no-cache");
void respond_bytes(HttpExchange &ex, guint status, const char *content_type, GBytes *bytes,
                   const char *cache_control);
// {"error": message}
void respond_json_error(HttpExchange &ex, guint status, const std::string &message);

// Calls `ready` with the running stream `name`, at once when it is running, otherwise after
// starting it (the exchange is kept meanwhile, and `ready` is not called if the client left).
// When it cannot be had, `failed` gets the HTTP status (404 unknown, 503 offline/timeout) and a
// message.
void with_stream(HttpServerState &state, const Exchange &ex, const std::string &name,
                 std::function<void(std::shared_ptr<LiveStream>)> ready,
                 std::function<void(guint status, const std::string &error)> failed);

// Absolute base URL for this request ("http://host:port", no trailing slash) and the bare host,
// from `pubaddr`, else the Host header, else the local address.
void request_base(const HttpServerState &state, const HttpExchange &ex, std::string *http_base,
                  std::string *host);

}  // namespace http
}  // namespace estuary
