"""Streams as the media core runs them (issue 3): started on demand, stopped when idle and
started again, a broken source reported with its reason, and HTTP-FLV fan-out to many viewers
with a viewer that stops reading dropped while the others keep receiving.

argv: ESTUARY_BINARY GROUP (ondemand | fanout). Real daemon, real sockets, real ffmpeg.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import estuary_harness as h  # noqa: E402


def daemon_with_http(binary, streams, controller=None):
    d = h.Daemon(binary, config_text=json.dumps({
        "config": {"protocols": [], "controller": controller or {}}, "streams": {}}))
    d.start()
    port = h.free_port()
    d.call({"addstream": streams})
    d.call({"addprotocol": [{"connector": "HTTP", "port": port}, {"connector": "FLV"},
                            {"connector": "HLS"}, {"connector": "JSON"}]})
    h.poll("the HTTP output", lambda: http_get(port, "/crossdomain.xml")[0] == 200)
    return d, port


def http_get(port, path, timeout=30):
    conn = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    conn.sendall(("GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" % path).encode())
    data = b""
    while True:
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    conn.close()
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1]) if head.startswith(b"HTTP/") else 0
    return status, body


def stream_status(d, name):
    answer = d.call({"stats_streams": ["status", "reason"]})["stats_streams"]
    return answer.get(name)


def active(d):
    return d.call({"active_streams": True})["active_streams"]


# --- on demand -----------------------------------------------------------------------------

def test_on_demand_and_idle_stop(binary):
    media = tempfile.mkdtemp(prefix="estuary-lifecycle-")
    try:
        clip = os.path.join(media, "clip.mp4")
        subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
                        "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=3",
                        "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", clip],
                       check=True, timeout=60)
        d, port = daemon_with_http(binary, {"clip": {"source": clip}},
                                   controller={"idle_timeout": 2})
        with d:
            assert "clip" not in active(d), "a stream must not run before it is asked for"
            status, body = http_get(port, "/json_clip.js")
            assert status == 200, (status, body[:200])
            info = json.loads(body)
            assert info["type"] == "vod", info
            assert "clip" in active(d)
            assert stream_status(d, "clip")[0] == "Online", stream_status(d, "clip")
            # No viewers: stops after the idle time, with the reason.
            h.poll("the idle stream to stop", lambda: "clip" not in active(d), timeout=20)
            st = stream_status(d, "clip")
            assert st == ["Offline", "no viewers"], st
            # And starts again on the next request.
            status, body = http_get(port, "/json_clip.js")
            assert status == 200 and json.loads(body)["type"] == "vod"
            assert "clip" in active(d)
    finally:
        shutil.rmtree(media, ignore_errors=True)


def test_broken_source_reported(binary):
    d, port = daemon_with_http(binary, {
        "gone": {"source": "/nonexistent/estuary-test/missing.mp4"},
        "ok": {"source": "gst:videotestsrc is-live=true ! x264enc tune=zerolatency key-int-max=30"
                         " ! h264parse"}})
    with d:
        status, body = http_get(port, "/json_gone.js")
        assert status == 404 or b"error" in body, (status, body[:200])
        st = h.poll("the failure to be recorded", lambda: stream_status(d, "gone"))
        assert st[0] == "Offline" and "source unavailable" in st[1], st
        log = d.call({"log": True})["log"]
        assert any("gone" in line[2] and "source unavailable" in line[2] for line in log), log[-5:]
        # Nothing else is affected: another stream still plays, and the API answers.
        status, body = http_get(port, "/json_ok.js")
        assert status == 200 and json.loads(body)["type"] == "live", body[:200]


# --- fan-out -------------------------------------------------------------------------------

LIVE = ("gst:videotestsrc is-live=true pattern=snow ! video/x-raw,width=320,height=180,framerate=25/1"
        " ! x264enc tune=zerolatency speed-preset=ultrafast bitrate=3000 key-int-max=25"
        " option-string=scenecut=0 ! h264parse")


class FlvReader:
    """An HTTP-FLV viewer on a raw socket that checks the stream as it reads it."""

    def __init__(self, port, path, rcvbuf=None):
        self.sock = socket.socket()
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(30)
        self.sock.connect(("127.0.0.1", port))
        self.sock.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % path).encode())
        self.buf = b""
        self.body = b""
        self.headers_done = False
        self.chunked = False
        self.total = 0

    def _read_some(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("server closed the connection")
        self.total += len(chunk)
        self.buf += chunk
        if not self.headers_done and b"\r\n\r\n" in self.buf:
            head, _, self.buf = self.buf.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 200"), head[:100]
            self.chunked = b"chunked" in head.lower()
            self.headers_done = True
        if self.headers_done:
            self._dechunk()

    def _dechunk(self):
        if not self.chunked:
            self.body += self.buf
            self.buf = b""
            return
        while True:
            line, sep, rest = self.buf.partition(b"\r\n")
            if not sep:
                return
            size = int(line.split(b";")[0], 16)
            if len(rest) < size + 2:
                return
            self.body += rest[:size]
            self.buf = rest[size + 2:]

    def read_until(self, n):
        while len(self.body) < n:
            self._read_some()

    def first_video_frame_is_key(self):
        """FLV: header, then tags; the first coded video frame must be a keyframe."""
        self.read_until(13)
        assert self.body[:3] == b"FLV", self.body[:16]
        pos = 13
        while True:
            self.read_until(pos + 11)
            tag_type = self.body[pos]
            size = int.from_bytes(self.body[pos + 1:pos + 4], "big")
            self.read_until(pos + 11 + size + 4)
            payload = self.body[pos + 11:pos + 11 + size]
            if tag_type == 9 and len(payload) >= 2 and payload[1] == 1:  # AVC NALU
                return (payload[0] >> 4) == 1
            pos += 11 + size + 4

    def close(self):
        self.sock.close()


def test_many_flv_viewers(binary):
    d, port = daemon_with_http(binary, {"live": {"source": LIVE}})
    with d:
        readers = [FlvReader(port, "/live.flv") for _ in range(20)]
        try:
            for i, r in enumerate(readers):
                assert r.first_video_frame_is_key(), "viewer %d did not start at a keyframe" % i
            for r in readers:
                r.read_until(len(r.body) + 50000)  # all keep receiving
            flv = [c for c in clients(d) if c["protocol"] == "FLV" and c["stream"] == "live"]
            h.poll("20 FLV sessions", lambda: len([c for c in clients(d)
                                                   if c["protocol"] == "FLV"]) == 20)
        finally:
            for r in readers:
                r.close()


def clients(d):
    answer = d.call({"clients": {}})["clients"]
    return [dict(zip(answer["fields"], row)) for row in answer.get("data", [])]


def test_stuck_viewer_dropped(binary):
    d, port = daemon_with_http(binary, {"live": {"source": LIVE}})
    with d:
        stuck = FlvReader(port, "/live.flv", rcvbuf=4096)
        stuck.read_until(13)  # it started, then never reads again
        good = FlvReader(port, "/live.flv")
        try:
            # The good viewer keeps receiving while the stuck one's backlog grows, until the
            # server gives up on the stuck one and closes it.
            def stuck_gone():
                good.read_until(len(good.body) + 20000)
                return len([c for c in clients(d) if c["protocol"] == "FLV"]) == 1
            h.poll("the stuck viewer to be dropped", stuck_gone, timeout=90, interval=0.05)
            before = len(good.body)
            good.read_until(before + 100000)
        finally:
            stuck.close()
            good.close()


GROUPS = {
    "ondemand": [("on demand, idle stop, restart", test_on_demand_and_idle_stop),
                 ("broken source reported, others unaffected", test_broken_source_reported)],
    "fanout": [("20 HTTP-FLV viewers start at a keyframe", test_many_flv_viewers),
               ("a viewer that stops reading is dropped", test_stuck_viewer_dropped)],
}

if __name__ == "__main__":
    if not shutil.which("ffmpeg"):
        print("1..0 # SKIP ffmpeg is not installed")
        sys.exit(0)
    h.main(GROUPS)
