// One RTMP client connection, bytes in and bytes out: handshake, chunk reader and writer,
// acknowledgements and the command Session, with no socket and no server state.
//
// The server's loop: feed() what the socket read; write take_output(); act on take_events()
// (answering decisions through session()); close once wants_close() and the output is written.
//
//   ServerConnection conn;
//   conn.feed(buf, n);
//   for (Event &e : conn.take_events())
//     if (e.type == EventType::kPublish) conn.session().accept_publish();
//   write(fd, conn.take_output());
//
// Not thread-safe: one owner calls everything.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "protocols/rtmp/chunk-reader.h"
#include "protocols/rtmp/chunk-writer.h"
#include "protocols/rtmp/control.h"
#include "protocols/rtmp/handshake.h"
#include "protocols/rtmp/session.h"

namespace estuary::rtmp {

struct ServerConnectionConfig {
  ChunkReaderLimits limits;
  SessionConfig session;
  // For deterministic tests; defaults to GLib's random generator.
  std::function<void(uint8_t *, size_t)> handshake_random;
  uint32_t handshake_epoch_ms = 0;
};

class ServerConnection {
 public:
  explicit ServerConnection(ServerConnectionConfig config = {});

  // Consumes bytes read from the socket. Returns false once the connection is broken (bad
  // handshake, chunk stream error); error() then says why and the socket should be closed.
  bool feed(const uint8_t *data, size_t len);

  // Bytes to write to the socket, including anything queued through session() since the last
  // call (transfer: the caller owns the returned buffer).
  std::vector<uint8_t> take_output();
  std::vector<Event> take_events() { return session_.take_events(); }

  // Whether media chunked for every player (rtmp::chunk_flv_tags at kSharedChunkSize on
  // kSharedStreamId) is right for this client now: our chunk size was announced and the session
  // passes media unfiltered on that stream. Otherwise media goes through session().send_media().
  bool takes_shared_media() const;
  // take_output() for a caller that writes `shared_bytes` of those chunks right after the bytes
  // returned: they count as sent, and the media chunk streams restart with fmt 0 headers.
  std::vector<uint8_t> take_output_then_shared(size_t shared_bytes);

  Session &session() { return session_; }
  // True after a reject or an error: write the remaining output, then close.
  bool wants_close() const { return failed_ || session_.wants_close(); }
  bool failed() const { return failed_; }
  const std::string &error() const { return error_; }
  bool handshake_done() const { return handshake_.done(); }
  // The last Acknowledgement sequence number the peer sent us.
  uint32_t peer_acked() const { return peer_acked_; }

 private:
  void fail(std::string why);
  void flush_session();

  ServerHandshake handshake_;
  ChunkReader reader_;
  ChunkWriter writer_;
  Session session_;
  AckWindow ack_;
  uint32_t peer_acked_ = 0;
  bool failed_ = false;
  std::string error_;
  std::vector<uint8_t> out_;
};

}  // namespace estuary::rtmp
