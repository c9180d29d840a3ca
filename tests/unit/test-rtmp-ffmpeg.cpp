// Real clients against the pure RTMP classes: ffmpeg publishes and ffprobe plays through a tiny
// test-only socket loop on 127.0.0.1 (port 0). Skips when ffmpeg/ffprobe are not installed.
#include <arpa/inet.h>
#include <gio/gio.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <string>

#include "common/gref.h"
#include "protocols/rtmp/flv-tag.h"
#include "protocols/rtmp/media-header.h"
#include "protocols/rtmp/server-connection.h"
#include "test-rtmp-util.h"

using namespace estuary::rtmp;
using estuary::GRef;

static int listen_local(int *port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  g_assert_cmpint(fd, >=, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  g_assert_cmpint(bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof a), ==, 0);
  g_assert_cmpint(listen(fd, 4), ==, 0);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr *>(&a), &len);
  *port = ntohs(a.sin_port);
  return fd;
}

static bool write_all(int fd, const Bytes &b) {
  size_t off = 0;
  while (off < b.size()) {
    ssize_t n = send(fd, b.data() + off, b.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

// Serves one client until it disconnects, the handler returns false, or the deadline passes.
// The handler sees each event and answers through the connection.
static void serve_one(int listen_fd, double timeout_s,
                      const std::function<bool(ServerConnection &, Event &)> &on_event) {
  gint64 deadline = g_get_monotonic_time() + static_cast<gint64>(timeout_s * G_USEC_PER_SEC);
  pollfd lp{listen_fd, POLLIN, 0};
  while (poll(&lp, 1, 100) == 0) g_assert_cmpint(g_get_monotonic_time(), <, deadline);
  int fd = accept(listen_fd, nullptr, nullptr);
  g_assert_cmpint(fd, >=, 0);
  ServerConnection conn;
  uint8_t buf[65536];
  bool go = true;
  while (go && g_get_monotonic_time() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
    if (!conn.feed(buf, static_cast<size_t>(n))) g_error("rtmp: %s", conn.error().c_str());
    for (Event &e : conn.take_events())
      if (!on_event(conn, e)) go = false;
    if (!write_all(fd, conn.take_output()) || conn.wants_close()) break;
  }
  g_assert_cmpint(g_get_monotonic_time(), <, deadline);
  close(fd);
}

struct Published {
  std::string app, name;
  bool publish_seen = false;
  std::vector<Message> media;
  int video_frames = 0;
  bool avc_header = false, aac_header = false, metadata = false;
};

static GRef<GSubprocess> spawn(std::initializer_list<const char *> argv, GSubprocessFlags flags) {
  std::vector<const char *> v(argv);
  v.push_back(nullptr);
  GError *err = nullptr;
  GSubprocess *p = g_subprocess_newv(v.data(), flags, &err);
  g_assert_no_error(err);
  return GRef<GSubprocess>::adopt(p);
}

static Published publish_with_ffmpeg(int listen_fd, int port) {
  std::string url = "rtmp://127.0.0.1:" + std::to_string(port) + "/live/test";
  auto ffmpeg = spawn({"ffmpeg",    "-hide_banner",
                       "-loglevel", "error",
                       "-f",        "lavfi",
                       "-i",        "testsrc=size=320x240:rate=25",
                       "-f",        "lavfi",
                       "-i",        "sine=frequency=440",
                       "-t",        "2",
                       "-c:v",      "libx264",
                       "-preset",   "ultrafast",
                       "-g",        "25",
                       "-c:a",      "aac",
                       "-f",        "flv",
                       url.c_str()},
                      G_SUBPROCESS_FLAGS_STDIN_PIPE);
  Published got;
  serve_one(listen_fd, 30, [&](ServerConnection &c, Event &e) {
    switch (e.type) {
      case EventType::kConnect:
        got.app = c.session().connect_info().app;
        c.session().accept_connect();
        break;
      case EventType::kPublish:
        got.publish_seen = true;
        got.name = e.stream_name;
        c.session().accept_publish();
        break;
      case EventType::kMedia: {
        const Message &m = e.media;
        if (m.type == kMsgVideo) {
          auto h = parse_video_header(m.payload.data(), m.payload.size());
          if (is_sequence_header(h) && h->codec_fourcc == fourcc('a', 'v', 'c', '1'))
            got.avc_header = true;
          else if (h && h->kind == PacketKind::kCodedFrames)
            got.video_frames++;
        } else if (m.type == kMsgAudio) {
          auto h = parse_audio_header(m.payload.data(), m.payload.size());
          if (h && h->kind == PacketKind::kSequenceHeader && h->sound_format == 10)
            got.aac_header = true;
        } else if (m.payload.size() > 13 && memcmp(m.payload.data() + 3, "onMetaData", 10) == 0) {
          got.metadata = true;
        }
        got.media.push_back(m);
        break;
      }
      default:
        break;
    }
    return true;
  });
  GError *err = nullptr;
  g_assert_true(g_subprocess_wait_check(ffmpeg.get(), nullptr, &err));
  g_assert_no_error(err);
  return got;
}

static bool have_tools() {
  for (const char *tool : {"ffmpeg", "ffprobe"}) {
    estuary::GCharPtr path(g_find_program_in_path(tool));
    if (!path) {
      g_test_skip((std::string(tool) + " not installed").c_str());
      return false;
    }
  }
  return true;
}

static void test_ffmpeg_publish_and_play() {
  if (!have_tools()) return;
  int port;
  int lfd = listen_local(&port);
  Published got = publish_with_ffmpeg(lfd, port);
  g_assert_true(got.publish_seen);
  assert_str(got.app, "live");
  assert_str(got.name, "test");
  g_assert_true(got.avc_header);
  g_assert_true(got.aac_header);
  g_assert_true(got.metadata);
  g_test_message("published: %d video frames, %zu messages", got.video_frames, got.media.size());
  g_assert_cmpint(got.video_frames, >=, 45);  // 2 s at 25 fps, header excluded

  // The published messages as an FLV file must be readable by ffprobe.
  Bytes flv = flv_file_header(true, true);
  for (const Message &m : got.media) flv_append_message(m, &flv);
  estuary::GCharPtr dir(g_dir_make_tmp("rtmp-test-XXXXXX", nullptr));
  std::string file = std::string(dir.get()) + "/pub.flv";
  g_assert_true(g_file_set_contents(file.c_str(), reinterpret_cast<const char *>(flv.data()),
                                    static_cast<gssize>(flv.size()), nullptr));
  auto probe = spawn({"ffprobe", "-v", "error", "-show_entries", "stream=codec_name,width", "-of",
                      "csv=p=0", file.c_str()},
                     G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  char *out = nullptr;
  g_assert_true(
      g_subprocess_communicate_utf8(probe.get(), nullptr, nullptr, &out, nullptr, nullptr));
  std::string probed = out ? out : "";
  g_free(out);
  g_assert_true(probed.find("h264,320") != std::string::npos);
  g_assert_true(probed.find("aac") != std::string::npos);
  g_unlink(file.c_str());
  g_rmdir(dir.get());

  // Play: ffprobe pulls rtmp://.../live/test and gets the recorded messages back.
  std::string url = "rtmp://127.0.0.1:" + std::to_string(port) + "/live/test";
  auto player = spawn({"ffprobe", "-v", "error", "-show_entries", "stream=codec_name,width", "-of",
                       "csv=p=0", url.c_str()},
                      G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  std::string play_name;
  serve_one(lfd, 30, [&](ServerConnection &c, Event &e) {
    if (e.type == EventType::kConnect) c.session().accept_connect();
    if (e.type == EventType::kPlay) {
      play_name = e.stream_name;
      c.session().accept_play();
      for (const Message &m : got.media) c.session().send_media(m.type, m.timestamp, m.payload);
      c.session().end_play();
      return false;  // everything is queued: flush and hang up, ffprobe reports what it got
    }
    return true;
  });
  out = nullptr;
  g_assert_true(
      g_subprocess_communicate_utf8(player.get(), nullptr, nullptr, &out, nullptr, nullptr));
  probed = out ? out : "";
  g_free(out);
  g_test_message("ffprobe over RTMP play: %s", probed.c_str());
  assert_str(play_name, "test");
  g_assert_true(probed.find("h264,320") != std::string::npos);
  close(lfd);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, nullptr);
  g_test_add_func("/rtmp/ffmpeg/publish-and-play", test_ffmpeg_publish_and_play);
  return g_test_run();
}
