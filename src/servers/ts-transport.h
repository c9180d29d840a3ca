// ByteTransport: one connected peer that carries an MPEG-TS byte stream (an SRT socket, a TCP
// connection), as the TS session logic (ts-session.h) sees it. Blocking calls, used from the
// connection's own thread only, except shutdown().
#pragma once

#include <glib.h>

#include <string>

namespace estuary {

class ByteTransport {
 public:
  virtual ~ByteTransport() = default;
  // Reads up to `size` bytes into `buf`: the count read (> 0), 0 when nothing arrived within
  // `timeout_ms`, or -1 once the peer has left or the transport is broken or shut down.
  virtual gssize read(guint8 *buf, gsize size, int timeout_ms) = 0;
  // Sends all of `data`; false once the peer is gone, too slow, or the transport shut down.
  virtual bool write(const guint8 *data, gsize size) = 0;
  // Whether the peer is still connected (cheap; for idle players).
  virtual bool alive() = 0;
  // Any thread: pending and later read()/write() calls fail promptly. Idempotent.
  virtual void shutdown() = 0;
  // The peer's IP address as text ("127.0.0.1", "::1"), for push rules, sessions and logs.
  virtual const std::string &peer() const = 0;
  // Largest piece write() should get at once (SRT live mode: one 1316-byte message).
  virtual gsize max_write() const = 0;
};

}  // namespace estuary
