// Internal to the RTMP server: one player. Reads the stream's shared FLV fanout (the same
// buffers HTTP-FLV viewers get: FLV header, onMetaData and sequence headers first, then tags
// from the latest keyframe) and sends its tags as RTMP media messages.
//
// Most players take the tags as chunks made once per fanout buffer for every player of the
// stream (shared_chunks() in the .cpp); a player whose session cannot take those (another
// message stream id, paused, audio or video turned off, another chunk size) or whose FLV bytes
// are not whole tags turns each tag into a message of its own session.
// RTMP server thread only, except the wakeup, which the fanout calls from its pushing thread.
#pragma once

#include <glib.h>

#include <functional>
#include <memory>
#include <string>

#include "pipelines/fanout.h"
#include "pipelines/live-stream.h"
#include "protocols/rtmp/flv-tag.h"
#include "protocols/rtmp/server-connection.h"

namespace estuary {

class RtmpPlay {
 public:
  // Joins `fanout` and opens the viewer's session. `wakeup` runs on the fanout's thread when
  // buffers become available (see coalesced_wakeup()).
  RtmpPlay(StreamDirectory &streams, std::shared_ptr<Fanout> fanout, std::string host,
           std::string stream, std::function<void()> wakeup);
  ~RtmpPlay();  // leaves the fanout and closes the session

  // Pulls one fanout buffer. Its tags come back in *shared (the stream's chunks, transfer full;
  // may be empty) when `conn` takes shared media, else they are queued on conn.session() with
  // send_media(). False when nothing was available (or the muxer's bytes could not be parsed:
  // see closed()).
  bool pull_into(rtmp::ServerConnection &conn, GRef<GBytes> *shared);
  // Nothing more will come: end of stream, dropped for being too slow, or bad FLV.
  bool closed() const { return failed_ || viewer_->closed(); }
  std::string close_reason() const;
  bool too_slow() const { return viewer_->close_reason() == "too slow"; }
  void report(guint64 down, guint64 up);

 private:
  void set_path(bool shared);

  StreamDirectory &streams_;
  std::shared_ptr<Fanout> fanout_;
  std::shared_ptr<FanoutViewer> viewer_;
  const std::string stream_;
  std::shared_ptr<guint64> session_;
  rtmp::FlvTagReader reader_;
  std::vector<rtmp::FlvTag> tags_;  // reused between pulls
  bool failed_ = false;
  gint64 position_ms_ = 0;
  enum class Path { kNone, kShared, kOwn } path_ = Path::kNone;  // how media went last (log)
};

// The players of one RTMP server that have something to send, pumped together on its context.
struct PlayWakes;
std::shared_ptr<PlayWakes> make_play_wakes(GMainContext *context);
// Wraps `fn` (run on the batch's context) into a wakeup that any thread may call as often as it
// likes: `fn` runs at most once per batch, a few tens of milliseconds after the first call.
std::function<void()> batched_wakeup(const std::shared_ptr<PlayWakes> &wakes,
                                     std::function<void()> fn);

}  // namespace estuary
