// The NetConnection/NetStream command flow of one RTMP client, as a state machine with no I/O.
//
// Fed with reassembled messages (ChunkReader), it queues the messages to send back and the
// events the server acts on. Decisions that need the server (may this client connect, publish
// this stream, play that one?) are events the server answers with accept_*/reject_*; messages
// arriving meanwhile are held and processed after the answer, in order.
//
// Publish: connect → accept_connect() → releaseStream, FCPublish, createStream → publish →
//          accept_publish() → media events → FCUnpublish/deleteStream → kUnpublish.
// Play:    connect → accept_connect() → createStream → play → accept_play() → send_media()...
//
// Not thread-safe: one owner (the connection's thread) calls everything.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/rtmp/amf0.h"
#include "protocols/rtmp/command.h"
#include "protocols/rtmp/message.h"

namespace estuary::rtmp {

struct SessionConfig {
  uint32_t window_ack_size = 2500000;
  uint32_t peer_bandwidth = 2500000;
  uint32_t chunk_size = 4096;  // our outgoing chunk size, announced after connect
  std::string fms_version = "FMS/3,5,7,7009";
  uint32_t max_streams = 8;  // createStream calls allowed per connection
};

// What the client asked for in `connect`.
struct ConnectInfo {
  std::string app;        // without any "?query" part
  std::string app_query;  // "" when absent
  std::string tc_url;
  std::string flash_ver;
  std::string swf_url;
  std::string page_url;
  double object_encoding = 0;
  AmfValue object;  // the whole command object
};

enum class EventType {
  kConnect,       // connect_info() filled; answer with accept_connect/reject_connect
  kPublish,       // answer with accept_publish/reject_publish
  kPlay,          // answer with accept_play/reject_play
  kMedia,         // audio/video/data from the publisher, in `media`
  kUnpublish,     // publisher stopped (FCUnpublish/deleteStream/closeStream)
  kPlayStop,      // player stopped (deleteStream/closeStream)
  kSeek,          // `time_ms`
  kPause,         // `flag` = paused, `time_ms`
  kReceiveAudio,  // `flag`
  kReceiveVideo,  // `flag`
};

struct Event {
  explicit Event(EventType t, uint32_t sid = 0) : type(t), stream_id(sid) {}
  EventType type;
  uint32_t stream_id = 0;
  std::string stream_name;   // publish/play name without "?query"
  std::string stream_query;  // "" when absent
  std::string publish_type;  // "live", "record" or "append"
  double start = -2;         // play arguments (spec defaults)
  double duration = -1;
  bool reset = true;
  double time_ms = 0;
  bool flag = false;
  Message media;  // kMedia: type 8/9, or 18 with "@setDataFrame" removed (starts "onMetaData")
};

class Session {
 public:
  enum class State { kStart, kConnectPending, kConnected, kClosing };

  explicit Session(SessionConfig config = {});

  // Takes one message from the ChunkReader. Protocol control messages that concern the chunk
  // layer (chunk size, abort, acks) are ignored here; the connection handles them.
  void on_message(Message m);

  // Messages to write, in order (transfer: the caller owns them). Clears the queue.
  std::vector<Message> take_outgoing();
  std::vector<Event> take_events();

  void accept_connect();
  // Sends _error NetConnection.Connect.Rejected; the server should flush and close.
  void reject_connect(std::string_view description);
  // Answers the pending publish with StreamBegin + onStatus NetStream.Publish.Start.
  void accept_publish();
  // E.g. code "NetStream.Publish.BadName" (name taken or not allowed) or
  // "NetStream.Publish.Denied"; the server should flush and close.
  void reject_publish(std::string_view code, std::string_view description);
  // Answers the pending play with StreamBegin, onStatus Play.Reset (if asked) and Play.Start.
  void accept_play();
  // E.g. "NetStream.Play.StreamNotFound".
  void reject_play(std::string_view code, std::string_view description);

  // Queues a media message for the player (type 8, 9 or 18, payload in FLV tag body form).
  // Dropped when nobody plays, while paused, or when the player turned that kind off.
  void send_media(uint8_t type, uint32_t timestamp, std::vector<uint8_t> payload);
  // True when send_media() would pass every media message unchanged on message stream
  // `stream_id`: playing that stream, not paused, taking audio and video. The server may then
  // write media chunked once for all players (rtmp::chunk_flv_tags) instead of send_media().
  bool takes_media_unfiltered(uint32_t stream_id) const {
    return playing_ && !paused_ && want_audio_ && want_video_ && active_stream_id_ == stream_id;
  }
  // Any onStatus the server wants to send on the active play or publish stream.
  void send_status(std::string_view level, std::string_view code, std::string_view description);
  // Tells a player the stream ended (onStatus Play.Stop + StreamEOF).
  void end_play();

  State state() const { return state_; }
  bool wants_close() const { return state_ == State::kClosing; }
  const ConnectInfo &connect_info() const { return connect_; }
  bool publishing() const { return publishing_; }
  bool playing() const { return playing_; }
  const std::string &stream_name() const { return stream_name_; }

 private:
  void handle(Message m);
  void handle_command(const Command &c);
  void on_connect(const Command &c);
  void on_publish(const Command &c);
  void on_play(const Command &c);
  void on_delete_stream(uint32_t stream_id);
  void on_media(Message m);
  void reply_result(double txn, const AmfValue &object, const AmfValue &value);
  void release_held();
  void emit(Event e) { events_.push_back(std::move(e)); }

  SessionConfig config_;
  State state_ = State::kStart;
  ConnectInfo connect_;
  double connect_txn_ = 1;
  uint32_t next_stream_id_ = 1;
  uint32_t pending_stream_id_ = 0;  // stream of the publish/play awaiting the server's answer
  double pending_txn_ = 0;
  bool pending_play_ = false;
  bool pending_reset_ = true;
  bool waiting_ = false;  // a decision is pending: incoming messages are held
  std::string stream_name_;
  uint32_t active_stream_id_ = 0;  // the publishing or playing stream
  bool publishing_ = false;
  bool playing_ = false;
  bool paused_ = false;
  bool want_audio_ = true;
  bool want_video_ = true;
  std::deque<Message> held_;
  size_t held_bytes_ = 0;
  std::vector<Message> outgoing_;
  std::vector<Event> events_;
};

}  // namespace estuary::rtmp
