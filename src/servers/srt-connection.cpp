#include "servers/srt-connection.h"

#include <gio/gio.h>

#include <vector>

#include "common/gref.h"
#include "protocols/srt/streamid.h"
#include "servers/srt-debug.h"
#include "servers/ts-session.h"

#define GST_CAT_DEFAULT estuary_srt_debug

namespace estuary {

namespace {

// How long a caller without a mode may take to send its first TS before it counts as a player.
constexpr int kSniffMs = 1000;
// How long a caller without a mode whose stream cannot be played may take to start pushing.
constexpr int kLateSniffMs = 10000;
// A player that does not take data for this long is dropped (the fan-out drops it too).
constexpr int kSendTimeoutMs = 5000;

std::string peer_address(SRTSOCKET socket) {
  sockaddr_storage storage{};
  int len = sizeof(storage);
  if (srt_getpeername(socket, reinterpret_cast<sockaddr *>(&storage), &len) != 0) return "";
  GRef<GSocketAddress> address = GRef<GSocketAddress>::adopt(
      g_socket_address_new_from_native(&storage, static_cast<gsize>(len)));
  if (!address || !G_IS_INET_SOCKET_ADDRESS(address.get())) return "";
  GInetAddress *ip = g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(address.get()));
  GCharPtr text(g_inet_address_to_string(ip));
  return text.get();
}

std::string socket_streamid(SRTSOCKET socket) {
  char id[kMaxSrtStreamIdBytes + 1] = {};
  int len = static_cast<int>(kMaxSrtStreamIdBytes);
  if (srt_getsockflag(socket, SRTO_STREAMID, id, &len) != 0 || len < 0) return "";
  return std::string(id, static_cast<size_t>(MIN(len, static_cast<int>(kMaxSrtStreamIdBytes))));
}

}  // namespace

SrtConnection::SrtConnection(SRTSOCKET socket, StreamDirectory &streams, std::string passphrase)
    : socket_(socket), streams_(streams), passphrase_(std::move(passphrase)) {
  peer_ = peer_address(socket_);
  int timeout = kSendTimeoutMs;
  srt_setsockflag(socket_, SRTO_SNDTIMEO, &timeout, sizeof(timeout));
}

SrtConnection::~SrtConnection() { srt_close(socket_); }

void SrtConnection::stop() { stopping_.store(true); }

gssize SrtConnection::read(guint8 *buf, gsize size, int timeout_ms) {
  if (stopping_.load()) return -1;
  if (timeout_ms != read_timeout_ms_) {
    srt_setsockflag(socket_, SRTO_RCVTIMEO, &timeout_ms, sizeof(timeout_ms));
    read_timeout_ms_ = timeout_ms;
  }
  // Live mode hands out one message (at most 1316 bytes) per call, whatever `size` is.
  int n =
      srt_recvmsg(socket_, reinterpret_cast<char *>(buf), static_cast<int>(MIN(size, G_MAXINT)));
  if (n > 0) return n;
  if (n == SRT_ERROR) {
    int code = srt_getlasterror(nullptr);
    if (code == SRT_EASYNCRCV || code == SRT_ETIMEOUT) return 0;
  }
  return -1;
}

bool SrtConnection::write(const guint8 *data, gsize size) {
  if (stopping_.load()) return false;
  while (size > 0) {
    int n = static_cast<int>(MIN(size, static_cast<gsize>(SRT_LIVE_DEF_PLSIZE)));
    if (srt_sendmsg2(socket_, reinterpret_cast<const char *>(data), n, nullptr) == SRT_ERROR) {
      return false;
    }
    data += n;
    size -= static_cast<gsize>(n);
  }
  return true;
}

bool SrtConnection::alive() {
  return !stopping_.load() && srt_getsockstate(socket_) == SRTS_CONNECTED;
}

void SrtConnection::run() {
  std::string id_text = socket_streamid(socket_);
  // The listen callback refused bad ids already; this only guards against a changed socket.
  std::optional<SrtStreamId> id = parse_srt_streamid(id_text);
  if (id) {
    TsSessionContext ctx{streams_, *this, "TSSRT", estuary_srt_debug, stopping_};
    switch (id->mode) {
      case SrtStreamId::Mode::kPublish:
        ts_publish(ctx, id->resource, passphrase_, {});
        break;
      case SrtStreamId::Mode::kRequest:
        ts_play(ctx, id->resource);
        break;
      default:
        ts_serve_undecided(ctx, id->resource, passphrase_, kSniffMs, kLateSniffMs);
        break;
    }
  }
  finished_.store(true);
}

}  // namespace estuary
