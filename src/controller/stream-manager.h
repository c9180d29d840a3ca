// StreamManager: starts streams when something asks for them, stops them when idle (unless
// always_on), and keeps the registry's states and reasons current. Control thread only; media
// servers reach it through the StreamDirectory (pipelines/live-stream.h).
#pragma once

#include <map>
#include <memory>
#include <string>

#include "pipelines/live-stream.h"

namespace estuary {

class Controller;
class StreamPipeline;

class StreamManager {
 public:
  // Seconds a stream without viewers keeps running (config.controller.idle_timeout overrides).
  static constexpr gint64 kDefaultIdleSeconds = 30;

  explicit StreamManager(Controller &ctl);
  ~StreamManager();

  StreamDirectory &directory() { return directory_; }

  // Starts `name` (canonical) if it is configured and not running. Idempotent.
  void start(const std::string &name);
  void stop(const std::string &name, const std::string &reason);
  // After a configuration change: stops deleted or changed streams, starts always_on ones.
  void apply_config();
  // Called about once a second: idle stops, always_on restarts, registry times.
  void tick();
  void stop_all();

  // Decides on a publisher (StreamDirectory::accept_push) and answers through `reply`.
  void accept_push(const PushRequest &request, StreamDirectory::PushAccepted reply);

 private:
  struct Running {
    std::unique_ptr<StreamPipeline> pipeline;
    std::shared_ptr<LiveStream> live;
    std::string source;      // as configured when started, to notice changes
    gint64 idle_since_us = 0;
    std::shared_ptr<PushFeed> publisher;  // push streams: the current publisher's feed
  };
  void on_ready(const std::string &name);
  void on_gone(const std::string &name, const std::string &reason);
  JsonObject *settings_for(const std::string &name) const;

  Controller &ctl_;
  StreamDirectory directory_;
  std::map<std::string, Running> running_;
  std::map<std::string, gint64> retry_after_us_;  // always_on streams that failed
};

}  // namespace estuary
