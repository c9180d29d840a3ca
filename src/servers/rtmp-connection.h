// Internal to the RTMP server (src/servers): one client connection. Owns the socket, drives the
// pure protocol code (protocols/rtmp/server-connection.h) and hands publish and play to
// RtmpPublish / RtmpPlay. Everything here runs on the RTMP server thread.
//
// Writes never block: output goes into a bounded queue drained when the socket is writable. A
// player's queue is refilled from its fanout only below a low mark, so a client that stops
// reading falls behind in the fanout (which drops it) instead of growing memory here.
#pragma once

#include <gio/gio.h>
#include <gst/gst.h>

#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/gref.h"
#include "pipelines/live-stream.h"
#include "protocols/rtmp/server-connection.h"
#include "servers/epoll-poller.h"

GST_DEBUG_CATEGORY_EXTERN(estuary_rtmp_debug);

namespace estuary {

class RtmpConnection;
class RtmpPublish;
class RtmpPlay;
struct PlayWakes;

struct RtmpSettings {
  guint port = 1935;
  std::string interface = "0.0.0.0";
};

// Shared by the connections of one RtmpServer; touched only on its thread.
struct RtmpServerState {
  explicit RtmpServerState(StreamDirectory &d) : streams(d) {}
  StreamDirectory &streams;
  RtmpSettings settings;
  GRef<GMainContext> context;  // the server thread's context
  bool stopping = false;
  // Watches the listening sockets and every connection's socket (one fd for the context).
  EpollPoller poller;
  // Every live connection by id (its poller key), owned here; a connection removes itself soon
  // after it closes. Ids are never reused, so a stale event finds nothing.
  std::unordered_map<guint64, std::shared_ptr<RtmpConnection>> connections;
  guint64 next_id = 1;
  std::shared_ptr<PlayWakes> play_wakes;  // created with the first player
};

class RtmpConnection : public std::enable_shared_from_this<RtmpConnection> {
 public:
  // `socket` is an accepted client; `id` its key in state.connections and the poller.
  RtmpConnection(RtmpServerState &state, guint64 id, GRef<GSocket> socket);
  ~RtmpConnection();
  RtmpConnection(const RtmpConnection &) = delete;
  RtmpConnection &operator=(const RtmpConnection &) = delete;

  // Starts reading; call once right after the connection joined state.connections.
  void start();
  // The poller's report for this connection's socket (G_IO_* bits).
  void on_ready(guint events);
  // Once a second from the server: statistics and time limits.
  void tick(gint64 now_us);
  // Ends the connection now (logged with `reason`) and removes it from the server soon after.
  void close(const std::string &reason);
  // Refills the output from the player's fanout (posted from the fanout's thread).
  void pump_play();

  const std::string &peer() const { return peer_; }

 private:
  void set_reading(bool on);
  void wait_writable(bool on);
  void update_watch();  // the poller's interest from reading_ and write_blocked_
  void read_some();
  void process();  // events and output of the protocol code, until nothing is left
  void handle_event(rtmp::Event &e);
  void begin_publish(const rtmp::Event &e);
  void begin_play(const rtmp::Event &e);
  void publish_decided(std::shared_ptr<PushFeed> feed, const std::string &error);
  void play_decided(std::shared_ptr<LiveStream> stream, const std::string &error);
  void queue_output(std::vector<uint8_t> bytes);
  void queue_shared(GRef<GBytes> bytes);  // media chunks every player of the stream writes
  void try_write();
  void coalesce_reads(gint64 now_us);
  void set_rcvlowat(int bytes);
  void unwatch();

  RtmpServerState &state_;
  const guint64 id_;
  GRef<GSocket> owned_socket_;
  GSocket *socket_ = nullptr;  // owned by owned_socket_
  const int fd_;
  std::string peer_;  // client IP address
  rtmp::ServerConnection conn_;
  bool reading_ = false;        // readable interest (publishers: at their SO_RCVLOWAT)
  bool write_blocked_ = false;  // output waits for the socket: writable interest
  // Interest registered with state_.poller; 0: not in it (HUP/ERR then go unseen, as with no
  // interest at all: a paused connection learns of a gone client when it reads or writes).
  guint watched_ = 0;
  // One piece of output: this connection's own bytes (replies, control, a player's own media),
  // or a reference to media chunks shared by the players of a stream (never copied here).
  struct OutPiece {
    std::vector<uint8_t> own;
    GRef<GBytes> shared;
    const uint8_t *data() const {
      return shared ? static_cast<const uint8_t *>(g_bytes_get_data(shared.get(), nullptr))
                    : own.data();
    }
    size_t size() const { return shared ? g_bytes_get_size(shared.get()) : own.size(); }
  };
  void queue_piece(OutPiece piece);

  std::deque<OutPiece> out_;
  size_t out_offset_ = 0;  // bytes of out_.front() already written
  size_t out_bytes_ = 0;   // bytes queued and not written
  bool close_after_flush_ = false;
  bool closed_ = false;
  bool deciding_ = false;  // a publish/play decision is pending: reading paused
  gint64 created_us_ = 0;
  gint64 last_read_us_ = 0;
  gint64 last_write_us_ = 0;  // last progress writing, or when output became pending
  gint64 last_report_us_ = 0;
  guint64 bytes_read_ = 0;
  guint64 bytes_written_ = 0;
  int rcvlowat_ = 1;              // SO_RCVLOWAT of a publisher's socket (see coalesce_reads)
  guint64 rate_mark_bytes_ = 0;   // bytes_read_ at rate_mark_us_
  gint64 rate_mark_us_ = 0;
  std::unique_ptr<RtmpPublish> publish_;
  std::unique_ptr<RtmpPlay> play_;
};

}  // namespace estuary
