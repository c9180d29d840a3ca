#include "protocols/rtmp/session.h"

#include "protocols/rtmp/control.h"
#include "protocols/rtmp/rtmp-url.h"

namespace estuary::rtmp {

// Messages held while the server decides; a client that floods meanwhile is cut off.
constexpr size_t kMaxHeldMessages = 1024;
constexpr size_t kMaxHeldBytes = 8 * 1024 * 1024;

Session::Session(SessionConfig config) : config_(std::move(config)) {}

std::vector<Message> Session::take_outgoing() { return std::exchange(outgoing_, {}); }
std::vector<Event> Session::take_events() { return std::exchange(events_, {}); }

void Session::on_message(Message m) {
  if (state_ == State::kClosing) return;
  if (waiting_) {
    held_bytes_ += m.payload.size();
    if (held_.size() >= kMaxHeldMessages || held_bytes_ > kMaxHeldBytes) {
      state_ = State::kClosing;
      held_.clear();
      held_bytes_ = 0;
      return;
    }
    held_.push_back(std::move(m));
    return;
  }
  handle(std::move(m));
}

void Session::release_held() {
  while (!waiting_ && state_ != State::kClosing && !held_.empty()) {
    Message m = std::move(held_.front());
    held_.pop_front();
    held_bytes_ -= m.payload.size();
    handle(std::move(m));
  }
}

void Session::handle(Message m) {
  switch (m.type) {
    case kMsgUserControl: {
      auto uc = parse_user_control(m);
      if (uc && uc->event == kUcPingRequest)
        outgoing_.push_back(make_user_control(kUcPingResponse, uc->value));
      break;
    }
    case kMsgCommandAmf0:
    case kMsgCommandAmf3:
      if (auto c = parse_command(m)) handle_command(*c);
      break;
    case kMsgAudio:
    case kMsgVideo:
    case kMsgDataAmf0:
    case kMsgDataAmf3:
      on_media(std::move(m));
      break;
    default:  // chunk-layer control, shared objects, aggregates: not ours
      break;
  }
}

void Session::reply_result(double txn, const AmfValue &object, const AmfValue &value) {
  // Transaction 0 means the client expects no answer.
  if (txn != 0) outgoing_.push_back(make_command(0, "_result", txn, object, {value}));
}

void Session::handle_command(const Command &c) {
  if (c.name == "connect") {
    on_connect(c);
    return;
  }
  if (state_ != State::kConnected) return;  // nothing else is valid before connect

  const std::string &n = c.name;
  if (n == "releaseStream") {
    reply_result(c.transaction_id, AmfValue::null(), AmfValue::undefined());
  } else if (n == "FCPublish") {
    outgoing_.push_back(
        make_command(0, "onFCPublish", 0, AmfValue::null(),
                     {make_status_info("status", "NetStream.Publish.Start", c.arg_string(0))}));
    reply_result(c.transaction_id, AmfValue::null(), AmfValue::undefined());
  } else if (n == "FCUnpublish") {
    outgoing_.push_back(
        make_command(0, "onFCUnpublish", 0, AmfValue::null(),
                     {make_status_info("status", "NetStream.Unpublish.Success", c.arg_string(0))}));
    reply_result(c.transaction_id, AmfValue::null(), AmfValue::undefined());
    if (publishing_) on_delete_stream(active_stream_id_);
  } else if (n == "createStream") {
    if (next_stream_id_ > config_.max_streams) {
      outgoing_.push_back(make_command(
          0, "_error", c.transaction_id, AmfValue::null(),
          {make_status_info("error", "NetConnection.Call.Failed", "Too many streams")}));
      return;
    }
    reply_result(c.transaction_id, AmfValue::null(), AmfValue::number(next_stream_id_++));
  } else if (n == "publish") {
    on_publish(c);
  } else if (n == "play") {
    on_play(c);
  } else if (n == "deleteStream") {
    on_delete_stream(static_cast<uint32_t>(c.arg_number(0, 0)));
  } else if (n == "closeStream") {
    on_delete_stream(c.stream_id);
  } else if (n == "seek") {
    Event e{EventType::kSeek};
    e.stream_id = c.stream_id;
    e.time_ms = c.arg_number(0, 0);
    emit(std::move(e));
    outgoing_.push_back(make_on_status(c.stream_id, "status", "NetStream.Seek.Notify", "Seeking."));
  } else if (n == "pause") {
    Event e{EventType::kPause};
    e.stream_id = c.stream_id;
    e.flag = c.arg_boolean(0, true);
    e.time_ms = c.arg_number(1, 0);
    paused_ = e.flag;
    outgoing_.push_back(make_on_status(
        c.stream_id, "status", paused_ ? "NetStream.Pause.Notify" : "NetStream.Unpause.Notify",
        paused_ ? "Paused." : "Unpaused."));
    emit(std::move(e));
  } else if (n == "receiveAudio" || n == "receiveVideo") {
    bool audio = n == "receiveAudio";
    Event e{audio ? EventType::kReceiveAudio : EventType::kReceiveVideo};
    e.stream_id = c.stream_id;
    e.flag = c.arg_boolean(0, true);
    (audio ? want_audio_ : want_video_) = e.flag;
    emit(std::move(e));
  }
  // Anything else (getStreamLength, _checkbw, client-side _result/onStatus) needs no answer.
}

void Session::on_connect(const Command &c) {
  if (state_ != State::kStart) return;
  connect_txn_ = c.transaction_id;
  connect_.object = c.object;
  connect_.tc_url = c.object.get_string("tcUrl");
  connect_.flash_ver = c.object.get_string("flashVer");
  connect_.swf_url = c.object.get_string("swfUrl");
  connect_.page_url = c.object.get_string("pageUrl");
  connect_.object_encoding = c.object.get_number("objectEncoding", 0);
  NameQuery app = split_name_query(c.object.get_string("app"));
  connect_.app = app.name;
  connect_.app_query = app.query;
  // Clients that omit `app` (or its query) still carry both in tcUrl.
  if (auto url = parse_rtmp_url(connect_.tc_url)) {
    if (connect_.app.empty()) connect_.app = url->app;
    if (connect_.app_query.empty()) connect_.app_query = url->query;
  }
  state_ = State::kConnectPending;
  waiting_ = true;
  emit(Event{EventType::kConnect});
}

void Session::accept_connect() {
  if (state_ != State::kConnectPending) return;
  outgoing_.push_back(make_window_ack_size(config_.window_ack_size));
  outgoing_.push_back(make_set_peer_bandwidth(config_.peer_bandwidth, kLimitDynamic));
  outgoing_.push_back(make_set_chunk_size(config_.chunk_size));
  AmfValue props = AmfValue::object({{"fmsVer", AmfValue::string(config_.fms_version)},
                                     {"capabilities", AmfValue::number(31)},
                                     {"mode", AmfValue::number(1)}});
  AmfValue info =
      make_status_info("status", "NetConnection.Connect.Success", "Connection succeeded.");
  info.set("objectEncoding", AmfValue::number(connect_.object_encoding));
  outgoing_.push_back(make_command(0, "_result", connect_txn_, props, {info}));
  state_ = State::kConnected;
  waiting_ = false;
  release_held();
}

void Session::reject_connect(std::string_view description) {
  if (state_ != State::kConnectPending) return;
  outgoing_.push_back(
      make_command(0, "_error", connect_txn_, AmfValue::null(),
                   {make_status_info("error", "NetConnection.Connect.Rejected", description)}));
  state_ = State::kClosing;
  waiting_ = false;
  held_.clear();
  held_bytes_ = 0;
}

void Session::on_publish(const Command &c) {
  NameQuery name = split_name_query(c.arg_string(0));
  bool known_stream = c.stream_id >= 1 && c.stream_id < next_stream_id_;
  if (publishing_ || playing_ || !known_stream || name.name.empty()) {
    outgoing_.push_back(make_on_status(c.stream_id, "error", "NetStream.Publish.BadName",
                                       name.name.empty() ? "No stream name." : "Invalid stream."));
    return;
  }
  pending_stream_id_ = c.stream_id;
  pending_txn_ = c.transaction_id;
  pending_play_ = false;
  stream_name_ = name.name;
  waiting_ = true;
  Event e{EventType::kPublish};
  e.stream_id = c.stream_id;
  e.stream_name = name.name;
  e.stream_query = name.query;
  e.publish_type = c.arg_string(1, "live");
  emit(std::move(e));
}

void Session::accept_publish() {
  if (!waiting_ || state_ != State::kConnected || pending_play_ || pending_stream_id_ == 0) return;
  active_stream_id_ = pending_stream_id_;
  pending_stream_id_ = 0;
  publishing_ = true;
  outgoing_.push_back(make_stream_begin(active_stream_id_));
  outgoing_.push_back(make_on_status(active_stream_id_, "status", "NetStream.Publish.Start",
                                     stream_name_ + " is now published.",
                                     {{"details", AmfValue::string(stream_name_)}}));
  waiting_ = false;
  release_held();
}

void Session::reject_publish(std::string_view code, std::string_view description) {
  if (!waiting_ || pending_play_ || pending_stream_id_ == 0) return;
  outgoing_.push_back(make_on_status(pending_stream_id_, "error", code, description));
  pending_stream_id_ = 0;
  state_ = State::kClosing;
  waiting_ = false;
  held_.clear();
  held_bytes_ = 0;
}

void Session::on_play(const Command &c) {
  NameQuery name = split_name_query(c.arg_string(0));
  bool known_stream = c.stream_id >= 1 && c.stream_id < next_stream_id_;
  if (publishing_ || playing_ || !known_stream || name.name.empty()) {
    outgoing_.push_back(make_on_status(c.stream_id, "error", "NetStream.Play.Failed",
                                       name.name.empty() ? "No stream name." : "Invalid stream."));
    return;
  }
  pending_stream_id_ = c.stream_id;
  pending_txn_ = c.transaction_id;
  pending_play_ = true;
  stream_name_ = name.name;
  waiting_ = true;
  Event e{EventType::kPlay};
  e.stream_id = c.stream_id;
  e.stream_name = name.name;
  e.stream_query = name.query;
  e.start = c.arg_number(1, -2);
  e.duration = c.arg_number(2, -1);
  e.reset = c.arg_boolean(3, true);
  pending_reset_ = e.reset;
  emit(std::move(e));
}

void Session::accept_play() {
  if (!waiting_ || state_ != State::kConnected || !pending_play_ || pending_stream_id_ == 0) return;
  active_stream_id_ = pending_stream_id_;
  pending_stream_id_ = 0;
  playing_ = true;
  paused_ = false;
  outgoing_.push_back(make_stream_begin(active_stream_id_));
  if (pending_reset_)
    outgoing_.push_back(make_on_status(active_stream_id_, "status", "NetStream.Play.Reset",
                                       "Playing and resetting " + stream_name_ + ".",
                                       {{"details", AmfValue::string(stream_name_)}}));
  outgoing_.push_back(make_on_status(active_stream_id_, "status", "NetStream.Play.Start",
                                     "Started playing " + stream_name_ + ".",
                                     {{"details", AmfValue::string(stream_name_)}}));
  // Lets Flash-based players read the decoded samples (harmless elsewhere).
  outgoing_.push_back(make_data(
      active_stream_id_,
      {AmfValue::string("|RtmpSampleAccess"), AmfValue::boolean(true), AmfValue::boolean(true)}));
  waiting_ = false;
  release_held();
}

void Session::reject_play(std::string_view code, std::string_view description) {
  if (!waiting_ || !pending_play_ || pending_stream_id_ == 0) return;
  outgoing_.push_back(make_on_status(pending_stream_id_, "error", code, description));
  pending_stream_id_ = 0;
  state_ = State::kClosing;
  waiting_ = false;
  held_.clear();
  held_bytes_ = 0;
}

void Session::on_delete_stream(uint32_t stream_id) {
  if (stream_id == 0 || stream_id != active_stream_id_) return;
  Event e(publishing_ ? EventType::kUnpublish : EventType::kPlayStop, stream_id);
  e.stream_name = stream_name_;
  if (publishing_ || playing_) emit(std::move(e));
  publishing_ = playing_ = false;
  active_stream_id_ = 0;
}

void Session::on_media(Message m) {
  if (!publishing_ || m.stream_id != active_stream_id_) return;
  if (m.type == kMsgDataAmf0 || m.type == kMsgDataAmf3) {
    m.payload = strip_set_data_frame(m.payload);
    m.type = kMsgDataAmf0;
  }
  Event e{EventType::kMedia, m.stream_id};
  e.media = std::move(m);
  emit(std::move(e));
}

void Session::send_media(uint8_t type, uint32_t timestamp, std::vector<uint8_t> payload) {
  if (!playing_ || paused_) return;
  if ((type == kMsgAudio && !want_audio_) || (type == kMsgVideo && !want_video_)) return;
  Message m;
  m.csid = type == kMsgAudio ? kCsidAudio : type == kMsgVideo ? kCsidVideo : kCsidData;
  m.type = type;
  m.timestamp = timestamp;
  m.stream_id = active_stream_id_;
  m.payload = std::move(payload);
  outgoing_.push_back(std::move(m));
}

void Session::send_status(std::string_view level, std::string_view code,
                          std::string_view description) {
  uint32_t sid = active_stream_id_ ? active_stream_id_ : pending_stream_id_;
  outgoing_.push_back(make_on_status(sid, level, code, description));
}

void Session::end_play() {
  if (!playing_) return;
  outgoing_.push_back(make_on_status(active_stream_id_, "status", "NetStream.Play.UnpublishNotify",
                                     stream_name_ + " is now unpublished."));
  outgoing_.push_back(make_user_control(kUcStreamEof, active_stream_id_));
  playing_ = false;
}

}  // namespace estuary::rtmp
