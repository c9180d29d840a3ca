// LiveStream and StreamDirectory: how media servers (HTTP, RTMP, RTSP...) on their own threads
// reach the running streams that the control thread owns.
//
// The control thread publishes each running stream as a LiveStream (immutable handle; its
// members are thread-safe) in the StreamDirectory. Servers look streams up, ask for streams to
// be started, and report viewers joining and leaving so idle streams can stop. Everything that
// changes server state is posted to the control context; nothing here blocks.
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "common/gref.h"
#include "pipelines/input-push.h"
#include "pipelines/output-hub.h"

namespace estuary {

class BufferRing;

class LiveStream {
 public:
  LiveStream(std::string name, std::shared_ptr<BufferRing> ring, bool live, guint64 segment_ms);
  const std::string &name() const { return name_; }
  const std::shared_ptr<BufferRing> &ring() const { return ring_; }
  OutputHub &outputs() { return hub_; }
  bool live() const { return live_; }
  // The json_ "meta" part ({"tracks": ..., "live"/"vod": 1}) as of now. Transfer full.
  JsonObject *meta_json() const;

 private:
  const std::string name_;
  const std::shared_ptr<BufferRing> ring_;
  const bool live_;
  OutputHub hub_;
};

// A publisher asking to push into a stream (RTMP publish, SRT, RTSP RECORD, TS).
struct PushRequest {
  std::string stream;          // as the publisher named it (sanitised by the control side)
  std::string address;         // the publisher's IP address, for push://host rules
  std::string passphrase;      // as given by the publisher; never logged
  std::string protocol;        // "RTMP", "SRT", ... for logs and sessions
  std::string container_caps;  // what the feed carries: "video/x-flv", "video/mpegts, systemstream=true"
};

// Session reporting from media servers; ids come from open().
struct ViewerReport {
  std::string host, stream, protocol;
};

class StreamDirectory {
 public:
  using Ready = std::function<void(std::shared_ptr<LiveStream> stream, const std::string &error)>;

  // Set up by the controller: how requests reach the control thread. `start` runs on the
  // control context and must eventually call publish() or fail().
  void set_control(GMainContext *control, std::function<void(const std::string &name)> start);

  // Any thread. The running, ready stream called `name` (canonical name), or nullptr.
  std::shared_ptr<LiveStream> find(const std::string &name) const;

  // Any thread. Calls `done` on `context` once `name` is ready (starting it if needed), or with
  // an error ("no stream called x", "source is offline: ...") when it cannot be, or after
  // `timeout_ms`.
  void request(const std::string &name, GMainContext *context, guint timeout_ms, Ready done);

  // Any thread. Asks the control thread to accept a publisher; `done` runs on `context` with a
  // feed to write into, or null and the reason it was refused (unknown stream, not a push
  // stream, host/passphrase refused, already being pushed).
  using PushAccepted = std::function<void(std::shared_ptr<PushFeed> feed, const std::string &error)>;
  void accept_push(const PushRequest &request, GMainContext *context, PushAccepted done);
  // Set by the controller: decides on the control thread and calls `reply` once.
  using PushHandler = std::function<void(const PushRequest &, PushAccepted reply)>;
  void set_push_handler(PushHandler handler);

  // Control thread: `stream` is ready (replaces any previous one of that name) / has stopped /
  // could not start.
  void publish(std::shared_ptr<LiveStream> stream);
  void withdraw(const std::string &name);
  void fail(const std::string &name, const std::string &error);

  // Any thread: viewers and publishers, so idle streams stop and `clients` has them. The
  // callbacks are installed by the controller and run on the control context.
  struct SessionHooks {
    std::function<guint64(const ViewerReport &)> open;
    std::function<void(guint64 id, gint64 position_ms, guint64 down, guint64 up)> update;
    std::function<void(guint64 id)> close;
  };
  void set_session_hooks(SessionHooks hooks);
  // Returns a handle the caller passes to session_update/close; asynchronous underneath.
  std::shared_ptr<guint64> session_open(const ViewerReport &report);
  void session_update(const std::shared_ptr<guint64> &id, gint64 position_ms, guint64 down, guint64 up);
  void session_close(const std::shared_ptr<guint64> &id);

 private:
  struct Waiter {
    GRef<GMainContext> context;
    Ready done;
    GSource *timeout = nullptr;  // on `context`
    bool fired = false;
  };
  void complete_waiters(const std::string &name, std::shared_ptr<LiveStream> stream,
                        const std::string &error);

  mutable std::mutex lock_;  // guards everything below
  GRef<GMainContext> control_;
  std::function<void(const std::string &)> start_;
  std::map<std::string, std::shared_ptr<LiveStream>> streams_;
  std::multimap<std::string, std::shared_ptr<Waiter>> waiters_;
  SessionHooks hooks_;
  PushHandler push_handler_;
};

}  // namespace estuary
