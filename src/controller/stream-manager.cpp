#include "controller/stream-manager.h"

#include "controller/controller.h"
#include "controller/log.h"
#include "elements/estbuffer-ring.h"
#include "pipelines/stream-pipeline.h"
#include "protocols/push-rule.h"
#include "protocols/stream-name.h"

namespace estuary {

namespace {

constexpr gint64 kAlwaysOnRetryUs = 5 * G_USEC_PER_SEC;

bool truthy(JsonObject *obj, const char *name) {
  JsonNode *n = obj ? json_object_get_member(obj, name) : nullptr;
  if (!n || !JSON_NODE_HOLDS_VALUE(n)) return false;
  GType t = json_node_get_value_type(n);
  if (t == G_TYPE_BOOLEAN) return json_node_get_boolean(n);
  if (t == G_TYPE_INT64) return json_node_get_int(n) != 0;
  return false;
}

}  // namespace

StreamManager::StreamManager(Controller &ctl) : ctl_(ctl) {
  directory_.set_control(g_main_context_get_thread_default() ? g_main_context_get_thread_default()
                                                             : g_main_context_default(),
                         [this](const std::string &name) { start(name); });
  StreamDirectory::SessionHooks hooks;
  hooks.open = [this](const ViewerReport &r) {
    return ctl_.sessions.open(SessionInfo{r.host, r.stream, r.protocol});
  };
  hooks.update = [this](guint64 id, gint64 pos, guint64 down, guint64 up) {
    ctl_.sessions.update(id, pos, down, up);
  };
  hooks.close = [this](guint64 id) { ctl_.sessions.close(id); };
  directory_.set_session_hooks(std::move(hooks));
  directory_.set_push_handler(
      [this](const PushRequest &r, StreamDirectory::PushAccepted reply) { accept_push(r, reply); });
}

StreamManager::~StreamManager() { stop_all(); }

JsonObject *StreamManager::settings_for(const std::string &name) const {
  std::string base(stream_base_name(name));
  JsonNode *node = json_object_get_member(ctl_.config.streams(), base.c_str());
  return node && JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : nullptr;
}

void StreamManager::start(const std::string &name) {
  if (running_.count(name)) return;
  JsonObject *settings = settings_for(name);
  if (!settings) {
    directory_.fail(name, "no stream called " + name);
    return;
  }
  std::string source = json_string_or(settings, "source", "");
  if (g_str_has_prefix(source.c_str(), "push://")) {
    directory_.fail(name, "waiting for a push to " + name);
    return;
  }
  ctl_.streams.set_state(name, StreamState::kBooting, "requested");
  StreamPipeline::Callbacks cb;
  cb.on_ready = [this, name] { on_ready(name); };
  cb.on_failed = [this, name](const std::string &reason) { on_gone(name, "source failed: " + reason); };
  cb.on_ended = [this, name] { on_gone(name, "source ended"); };
  GError *error = nullptr;
  std::unique_ptr<StreamPipeline> pipeline =
      StreamPipeline::create(name, source, settings, std::move(cb), &error);
  if (!pipeline) {
    std::string reason = std::string("source unavailable: ") + (error ? error->message : "?");
    g_clear_error(&error);
    ctl_.streams.set_state(name, StreamState::kOffline, reason);
    GST_CAT_WARNING(log::cat_streams, "stream %s: %s", name.c_str(), reason.c_str());
    directory_.fail(name, reason);
    if (truthy(settings, "always_on")) retry_after_us_[name] = g_get_monotonic_time() + kAlwaysOnRetryUs;
    return;
  }
  ctl_.streams.set_state(name, StreamState::kWaiting, "waiting for data");
  Running r;
  r.pipeline = std::move(pipeline);
  r.source = source;
  r.idle_since_us = g_get_monotonic_time();
  running_[name] = std::move(r);
}

void StreamManager::on_ready(const std::string &name) {
  auto it = running_.find(name);
  if (it == running_.end()) return;
  Running &r = it->second;
  r.live = std::make_shared<LiveStream>(name, r.pipeline->ring(), r.pipeline->live(),
                                        r.pipeline->segment_ms());
  r.idle_since_us = g_get_monotonic_time();
  ctl_.streams.set_state(name, StreamState::kReady, "media buffered");
  directory_.publish(r.live);
}

void StreamManager::on_gone(const std::string &name, const std::string &reason) {
  GST_CAT_WARNING(log::cat_streams, "stream %s: %s", name.c_str(), reason.c_str());
  // Called from the pipeline's bus watch: destroy it from an idle callback, not under its feet.
  auto *args = new std::pair<StreamManager *, std::pair<std::string, std::string>>(this, {name, reason});
  g_idle_add(
      [](gpointer p) -> gboolean {
        auto *a = static_cast<std::pair<StreamManager *, std::pair<std::string, std::string>> *>(p);
        a->first->stop(a->second.first, a->second.second);
        delete a;
        return G_SOURCE_REMOVE;
      },
      args);
}

void StreamManager::stop(const std::string &name, const std::string &reason) {
  auto it = running_.find(name);
  if (it == running_.end()) return;
  if (it->second.publisher) it->second.publisher->close();
  ctl_.streams.set_state(name, StreamState::kShuttingDown, reason);
  directory_.withdraw(name);
  directory_.fail(name, reason);
  running_.erase(it);
  ctl_.streams.set_state(name, StreamState::kOffline, reason);
  if (JsonObject *s = settings_for(name); s && truthy(s, "always_on"))
    retry_after_us_[name] = g_get_monotonic_time() + kAlwaysOnRetryUs;
}

void StreamManager::apply_config() {
  std::vector<std::string> to_stop;
  for (auto &[name, r] : running_) {
    JsonObject *s = settings_for(name);
    if (!s) to_stop.push_back(name);
    else if (r.source != json_string_or(s, "source", "")) to_stop.push_back(name);
  }
  for (const auto &name : to_stop) stop(name, "configuration changed");
  GList *names = json_object_get_members(ctl_.config.streams());
  for (GList *l = names; l; l = l->next) {
    const char *name = static_cast<const char *>(l->data);
    if (truthy(settings_for(name), "always_on") && !running_.count(name) && !retry_after_us_.count(name))
      start(name);
  }
  g_list_free(names);
}

void StreamManager::tick() {
  gint64 now = g_get_monotonic_time();
  gint64 idle_s = json_int_or(ctl_.config.controller(), "idle_timeout", kDefaultIdleSeconds);
  std::vector<std::string> idle;
  for (auto &[name, r] : running_) {
    if (r.live) {
      StreamMeta meta = r.live->ring()->snapshot();
      guint64 first = G_MAXUINT64, last = 0;
      for (const TrackMeta &t : meta.tracks) {
        first = std::min(first, t.firstms);
        last = std::max(last, t.lastms);
      }
      ctl_.streams.set_times(name, first == G_MAXUINT64 ? 0 : static_cast<gint64>(first),
                             static_cast<gint64>(last), r.live->live());
    }
    if (ctl_.sessions.count_for(name) > 0 || (r.publisher && !r.publisher->closed())) {
      r.idle_since_us = now;
      continue;
    }
    if (truthy(settings_for(name), "always_on")) continue;
    if (now - r.idle_since_us > idle_s * G_USEC_PER_SEC) idle.push_back(name);
  }
  for (const auto &name : idle) stop(name, "no viewers");
  for (auto it = retry_after_us_.begin(); it != retry_after_us_.end();) {
    if (it->second > now) {
      ++it;
      continue;
    }
    std::string name = it->first;
    it = retry_after_us_.erase(it);
    if (truthy(settings_for(name), "always_on")) start(name);
  }
}

void StreamManager::accept_push(const PushRequest &request, StreamDirectory::PushAccepted reply) {
  std::string name = sanitize_stream_name(request.stream);
  auto refuse = [&](const std::string &why) {
    // The passphrase is never logged.
    GST_CAT_WARNING(log::cat_streams, "%s push to '%s' from %s refused: %s", request.protocol.c_str(),
                    name.c_str(), request.address.c_str(), why.c_str());
    reply(nullptr, why);
  };
  if (name.empty() || name[0] == '+') return refuse("invalid stream name");
  JsonObject *settings = settings_for(name);
  if (!settings) return refuse("no stream called " + std::string(stream_base_name(name)));
  std::string source = json_string_or(settings, "source", "");
  std::optional<PushRule> rule = PushRule::parse(source);
  if (!rule) return refuse("stream " + std::string(stream_base_name(name)) + " does not take pushes");
  if (!rule->allows(request.address, request.passphrase)) {
    return refuse(rule->has_passphrase() && !request.passphrase.empty() ? "wrong passphrase"
                                                                        : "host not allowed");
  }
  auto it = running_.find(name);
  if (it != running_.end() && it->second.publisher && !it->second.publisher->closed())
    return refuse("already being pushed to");

  std::shared_ptr<PushFeed> feed;
  GError *error = nullptr;
  GRef<GstElement> input = GRef<GstElement>::adopt(
      input_push_build(name, request.container_caps.c_str(), &feed, &error));
  if (!input) {
    std::string why = error ? error->message : "input failed";
    g_clear_error(&error);
    return refuse(why);
  }
  if (it == running_.end()) {
    StreamPipeline::Callbacks cb;
    cb.on_ready = [this, name] { on_ready(name); };
    cb.on_failed = [this, name](const std::string &reason) { on_gone(name, "push failed: " + reason); };
    cb.on_ended = [this, name] { on_gone(name, "push ended"); };
    std::unique_ptr<StreamPipeline> pipeline =
        StreamPipeline::create_push(name, settings, std::move(cb), &error);
    if (!pipeline) {
      std::string why = error ? error->message : "pipeline failed";
      g_clear_error(&error);
      return refuse(why);
    }
    Running r;
    r.pipeline = std::move(pipeline);
    r.source = source;
    r.idle_since_us = g_get_monotonic_time();
    it = running_.emplace(name, std::move(r)).first;
    ctl_.streams.set_state(name, StreamState::kWaiting, request.protocol + " push from " + request.address);
  } else {
    GST_CAT_INFO(log::cat_streams, "stream %s: publisher back, resuming", name.c_str());
  }
  it->second.pipeline->attach_input(input.get());
  it->second.publisher = feed;
  GST_CAT_INFO(log::cat_streams, "stream %s: %s push from %s accepted", name.c_str(),
               request.protocol.c_str(), request.address.c_str());
  reply(feed, "");
}

void StreamManager::stop_all() {
  std::vector<std::string> names;
  for (auto &[name, r] : running_) names.push_back(name);
  for (const auto &name : names) stop(name, "server stopping");
  retry_after_us_.clear();
}

}  // namespace estuary
