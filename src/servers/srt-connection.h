// SrtConnection: one caller accepted by the SRT listener (srt-listener.h). It is the
// ByteTransport of a TS session and decides, from the caller's streamid, whether it pushes or
// plays:
//   m=publish            → push into the stream (push:// rules; see SrtListener for passphrases)
//   m=request            → play the stream's TS fan-out
//   no mode (plain name) → a publisher sends TS at once: push if data arrives within a second,
//                          else play; when the stream cannot be played (a push stream with no
//                          publisher yet: a slow encoder), push if data comes within 10 s
// Runs on its own thread (run()); the listener owns it and joins it.
#pragma once

#include <srt/srt.h>

#include <atomic>
#include <string>

#include "pipelines/live-stream.h"
#include "servers/ts-transport.h"

namespace estuary {

class SrtConnection : public ByteTransport {
 public:
  // Takes ownership of `socket` (closed by the destructor). `passphrase` is the listener's SRT
  // passphrase ("" when none), used as the push passphrase: a caller that got through the
  // encrypted handshake knows it.
  SrtConnection(SRTSOCKET socket, StreamDirectory &streams, std::string passphrase);
  ~SrtConnection() override;
  SrtConnection(const SrtConnection &) = delete;
  SrtConnection &operator=(const SrtConnection &) = delete;

  // The connection's thread body; returns when the session ends or stop() was called.
  void run();
  // Any thread: ends the session within about 200 ms.
  void stop();
  bool finished() const { return finished_.load(); }

  gssize read(guint8 *buf, gsize size, int timeout_ms) override;
  bool write(const guint8 *data, gsize size) override;
  bool alive() override;
  void shutdown() override { stop(); }
  const std::string &peer() const override { return peer_; }
  gsize max_write() const override { return SRT_LIVE_DEF_PLSIZE; }

 private:
  SRTSOCKET socket_;
  StreamDirectory &streams_;
  const std::string passphrase_;
  std::string peer_;
  int read_timeout_ms_ = -1;  // as last set on the socket
  std::atomic<bool> stopping_{false};
  std::atomic<bool> finished_{false};
};

}  // namespace estuary
