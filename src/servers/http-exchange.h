// Internal to the HTTP output (src/servers): the state every handler shares and helpers for
// answering a SoupServerMessage. Everything here runs on the HTTP thread only, unless a comment
// says otherwise.
#pragma once

#include <gst/gst.h>
#include <libsoup/soup.h>

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "common/gref.h"
#include "pipelines/live-stream.h"
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

// How long a request waits for its stream to start, and for HLS segments to appear.
constexpr guint kStreamWaitMs = 20000;

// False once the message finished (answered, or the client went away): do not touch it then.
bool alive(SoupServerMessage *msg);
// Connects the "finished" tracking that alive() reads. Called once per message.
void track(SoupServerMessage *msg);

void add_cors(SoupServerMessage *msg);
// Complete answers. `body` is copied (small texts); respond_bytes shares `bytes` (no copy).
void respond(SoupServerMessage *msg, guint status, const char *content_type,
             const std::string &body, const char *cache_control = "no-cache");
void respond_bytes(SoupServerMessage *msg, guint status, const char *content_type, GBytes *bytes,
                   const char *cache_control);
// {"error": message}
void respond_json_error(SoupServerMessage *msg, guint status, const std::string &message);
// Pause/resume that remember the state, so a handler can answer the same way whether its
// message was paused (waiting for a stream) or not: resume() is a no-op for running messages.
void pause(SoupServerMessage *msg);
void resume(SoupServerMessage *msg);

// Calls `ready` with the running stream `name`, at once when it is running, otherwise after
// starting it (the message is paused meanwhile and `ready` is not called if the client left;
// `ready` must answer and call resume()).
// When it cannot be had, `failed` gets the HTTP status (404 unknown, 503 offline/timeout) and a
// message, and the message is unpaused afterwards.
void with_stream(HttpServerState &state, SoupServerMessage *msg, const std::string &name,
                 std::function<void(std::shared_ptr<LiveStream>)> ready,
                 std::function<void(guint status, const std::string &error)> failed);

// Absolute base URL for this request ("http://host:port", no trailing slash) and the bare host,
// from `pubaddr`, else the Host header, else the local address.
void request_base(const HttpServerState &state, SoupServerMessage *msg, std::string *http_base,
                  std::string *host);

// The client's address, for sessions.
std::string remote_host(SoupServerMessage *msg);

}  // namespace http
}  // namespace estuary
