#!/usr/bin/env python3
"""SRT (TSSRT), TS over TCP (TS) and the live TS inputs of the real estuary daemon, driven by real
clients (issue 4).

    test-srt-ts.py ESTUARY_BINARY {srt|ts|exec}

srt:  ffmpeg pushes MPEG-TS over SRT (plain streamid) and ffprobe reads it over HLS (h264+aac)
      and over SRT play (m=request and plain streamid); an srt:// source pulls (caller) from the
      server's own SRT play; two streams pushed over the one SRT port at
      once each keep their own picture size; GStreamer's srtsink pushes (m=publish); with the
      listener's passphrase set, a caller without it is refused and one with it gets through.
ts:   ffmpeg sends TS over UDP to a tsudp:// stream that plays over HLS; the TS protocol serves it
      over TCP; ffmpeg pushes TS over TCP into a push:// stream, and so does a client whose first byte
      comes late; an HLS pull of the server's own
      /hls/ stream plays.
exec: a ts-exec: command that runs ffmpeg for 3 s and exits is restarted, and the stream keeps
      getting media after the restarts; h264-exec: plays.

Every wait polls under a deadline. Only processes started here are signalled, by their own pid.
"""

import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import estuary_harness as h  # noqa: E402

PROBE_TIMEOUT_S = 30


def http_json(port, path):
    with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=10) as r:
        return json.loads(r.read())


def tracks(http_port, stream):
    """The stream's tracks as the info handler lists them ({} while it is not up)."""
    try:
        return http_json(http_port, "/json_%s.js" % stream).get("meta", {}).get("tracks", {})
    except Exception:
        return {}


def wait_tracks(http_port, stream, count=2, timeout=h.DEADLINE_S * 2):
    # Both tracks known before the first HLS request: the HLS branch takes the tracks of the
    # moment it starts.
    return h.poll("%s to have %d tracks" % (stream, count),
                  lambda: len(tracks(http_port, stream)) >= count and tracks(http_port, stream),
                  timeout=timeout, interval=0.2)


def last_ms(http_port, stream):
    t = tracks(http_port, stream)
    return max((v.get("lastms", 0) for v in t.values()), default=0)


def probe(url, extra=()):
    """ffprobe's streams of `url`: a list of dicts with codec_name, width, height."""
    out = subprocess.run(["ffprobe", "-v", "error", "-rw_timeout", "15000000"] + list(extra) +
                         ["-show_entries", "stream=codec_name,width,height", "-of", "json", url],
                         capture_output=True, timeout=PROBE_TIMEOUT_S)
    assert out.returncode == 0, "ffprobe %s failed: %s" % (url, out.stderr.decode()[-800:])
    return json.loads(out.stdout).get("streams", [])


def codecs(streams):
    return sorted(s["codec_name"] for s in streams)


def av_source(size="320x240", seconds=60, tone=440):
    return ["-re", "-f", "lavfi", "-i", "testsrc=size=%s:rate=25" % size, "-f", "lavfi", "-i",
            "sine=frequency=%d:sample_rate=48000" % tone, "-t", str(seconds), "-c:v", "libx264",
            "-preset", "ultrafast", "-tune", "zerolatency", "-g", "25", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-b:a", "64k"]


class Procs:
    """Client processes of one test; all ended (by their own pid) when the test ends."""

    def __init__(self):
        self.procs = []

    def start(self, args, **kw):
        p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, **kw)
        self.procs.append(p)
        return p

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
            if p.stderr:
                p.stderr.close()


class Server:
    """A daemon with HTTP (HLS, JSON), the given extra protocols and streams."""

    def __init__(self, binary, streams, protocols=()):
        self.daemon = h.Daemon(binary, config_text=json.dumps({"config": {"protocols": []},
                                                               "streams": {}}))
        self.daemon.start()
        self.http_port = h.free_port()
        self.daemon.call({"addstream": streams})
        self.daemon.call({"addprotocol": [{"connector": "HTTP", "port": self.http_port},
                                          {"connector": "HLS"}, {"connector": "JSON"},
                                          {"connector": "HTTPTS"}] + list(protocols)})
        h.poll("the HTTP output", self._http_up)

    def _http_up(self):
        with socket.create_connection(("127.0.0.1", self.http_port), timeout=1):
            return True

    def hls(self, stream):
        return "http://127.0.0.1:%d/hls/%s/index.m3u8" % (self.http_port, stream)

    def close(self):
        self.daemon.cleanup()

    def log(self):
        return self.daemon.stderr()


def wait_srt_listening(port):
    # A UDP port cannot be probed by connecting: poll until it is taken (bind fails).
    def taken():
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.bind(("0.0.0.0", port))
            return False
        except OSError:
            return True
        finally:
            s.close()
    h.poll("the SRT listener on %d" % port, taken)


def srt_url(port, streamid, extra=""):
    return "srt://127.0.0.1:%d?streamid=%s%s" % (port, streamid, extra)


# --- srt ------------------------------------------------------------------------------------


def test_srt_push_hls_and_play(binary):
    srt = h.free_port(socket.SOCK_DGRAM)
    server = Server(binary, {"live": {"source": "push://"}},
                    [{"connector": "TSSRT", "port": srt}])
    procs = Procs()
    try:
        wait_srt_listening(srt)
        t0 = time.monotonic()
        procs.start(["ffmpeg", "-v", "error"] + av_source() + ["-f", "mpegts", srt_url(srt, "live")])
        t = wait_tracks(server.http_port, "live")
        ready_s = time.monotonic() - t0
        assert sorted(v["codec"] for v in t.values()) == ["AAC", "H264"], t
        assert codecs(probe(server.hls("live"))) == ["aac", "h264"]
        t1 = time.monotonic()
        played = probe(srt_url(srt, "#!::r=live,m=request"))
        srt_play_s = time.monotonic() - t1
        assert codecs(played) == ["aac", "h264"], played
        assert [s["width"] for s in played if s["codec_name"] == "h264"] == [320]
        # A plain streamid that sends nothing is a player after a second.
        assert codecs(probe(srt_url(srt, "live"))) == ["aac", "h264"]
        print("# push to first tracks %.2f s, SRT play probe %.2f s" % (ready_s, srt_play_s))
    finally:
        procs.stop()
        server.close()


def test_srt_pull_caller(binary):
    """An srt:// source (caller) pulls from an SRT listener: here the server's own SRT play of a
    pushed stream, with the access-control streamid that a URI would cut at '#'."""
    srt = h.free_port(socket.SOCK_DGRAM)
    server = Server(binary, {"live": {"source": "push://"},
                             "relay": {"source": "srt://127.0.0.1:%d?streamid=#!::r=live,m=request"
                                                 "&latency=200" % srt}},
                    [{"connector": "TSSRT", "port": srt}])
    procs = Procs()
    try:
        wait_srt_listening(srt)
        procs.start(["ffmpeg", "-v", "error"] + av_source("640x360") +
                    ["-f", "mpegts", srt_url(srt, "live")])
        wait_tracks(server.http_port, "live")
        wait_tracks(server.http_port, "relay")
        streams = probe(server.hls("relay"))
        assert codecs(streams) == ["aac", "h264"], streams
        assert [s["width"] for s in streams if s["codec_name"] == "h264"] == [640]
        before = last_ms(server.http_port, "relay")
        h.poll("the relay to advance", lambda: last_ms(server.http_port, "relay") > before + 1000)
    finally:
        procs.stop()
        server.close()


def test_srt_two_streams_one_port(binary):
    srt = h.free_port(socket.SOCK_DGRAM)
    server = Server(binary, {"a": {"source": "push://"}, "b": {"source": "push://"}},
                    [{"connector": "TSSRT", "port": srt}])
    procs = Procs()
    try:
        wait_srt_listening(srt)
        procs.start(["ffmpeg", "-v", "error"] + av_source("320x240") +
                    ["-f", "mpegts", srt_url(srt, "#!::r=a,m=publish")])
        procs.start(["ffmpeg", "-v", "error"] + av_source("640x360", tone=880) +
                    ["-f", "mpegts", srt_url(srt, "#!::r=b,m=publish")])
        wait_tracks(server.http_port, "a")
        wait_tracks(server.http_port, "b")
        sizes = {}
        for name in ("a", "b"):
            streams = probe(server.hls(name))
            assert codecs(streams) == ["aac", "h264"], (name, streams)
            sizes[name] = [s["width"] for s in streams if s["codec_name"] == "h264"][0]
        assert sizes == {"a": 320, "b": 640}, sizes
        # Both keep going at once.
        before = {n: last_ms(server.http_port, n) for n in ("a", "b")}
        h.poll("both streams to advance",
               lambda: all(last_ms(server.http_port, n) > before[n] + 1000 for n in ("a", "b")))
    finally:
        procs.stop()
        server.close()


def test_srt_gstreamer_push(binary):
    if not shutil.which("gst-launch-1.0"):
        print("# SKIP gst-launch-1.0 is not installed")
        return
    srt = h.free_port(socket.SOCK_DGRAM)
    server = Server(binary, {"gst": {"source": "push://"}}, [{"connector": "TSSRT", "port": srt}])
    procs = Procs()
    try:
        wait_srt_listening(srt)
        procs.start(["gst-launch-1.0", "-q", "videotestsrc", "is-live=true", "!",
                     "video/x-raw,width=352,height=288,framerate=25/1", "!", "x264enc",
                     "tune=zerolatency", "key-int-max=25", "speed-preset=ultrafast", "!",
                     # SPS/PPS with every keyframe, as live TS senders do. srtsink (1.22) sends
                     # one SRT message per buffer and cuts longer ones: 7 TS packets per buffer.
                     "h264parse", "config-interval=-1", "!", "mpegtsmux", "alignment=7",
                     "name=mux", "!", "srtsink",
                     # In a URI '#' would start the fragment: the streamid goes as a property.
                     "uri=srt://127.0.0.1:%d" % srt, "streamid=#!::r=gst,m=publish",
                     "audiotestsrc", "is-live=true",
                     "!", "audioconvert", "!", "voaacenc", "!", "aacparse", "!", "mux."])
        wait_tracks(server.http_port, "gst")
        streams = probe(server.hls("gst"))
        assert codecs(streams) == ["aac", "h264"], streams
        assert [s["width"] for s in streams if s["codec_name"] == "h264"] == [352]
    finally:
        procs.stop()
        server.close()


def test_srt_passphrase(binary):
    srt = h.free_port(socket.SOCK_DGRAM)
    secret = "estuary-secret-1"
    server = Server(binary, {"sec": {"source": "push://@" + secret}},
                    [{"connector": "TSSRT", "port": srt, "passphrase": secret}])
    procs = Procs()
    try:
        wait_srt_listening(srt)
        # Without the passphrase the handshake fails: ffmpeg gives up, no stream appears.
        bad = subprocess.run(["ffmpeg", "-v", "error"] + av_source(seconds=3) +
                             ["-f", "mpegts", srt_url(srt, "sec", "&connect_timeout=3000")],
                             stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
        assert bad.returncode != 0, "a caller without the passphrase got in"
        assert tracks(server.http_port, "sec") == {}
        procs.start(["ffmpeg", "-v", "error"] + av_source() +
                    ["-f", "mpegts", srt_url(srt, "sec", "&passphrase=" + secret)])
        wait_tracks(server.http_port, "sec")
        assert codecs(probe(server.hls("sec"))) == ["aac", "h264"]
        assert secret not in server.log(), "the passphrase was logged"
    finally:
        procs.stop()
        server.close()


# --- ts -------------------------------------------------------------------------------------


def test_tsudp_hls_and_ts_over_tcp(binary):
    udp = h.free_port(socket.SOCK_DGRAM)
    tcp_play = h.free_port()
    tcp_push = h.free_port()
    server = Server(binary, {"udp": {"source": "tsudp://127.0.0.1:%d" % udp},
                             "tcpin": {"source": "push://127.0.0.1"}},
                    [{"connector": "TS", "port": tcp_play, "streamname": "udp"},
                     {"connector": "TS", "port": tcp_push, "streamname": "tcpin"}])
    procs = Procs()
    try:
        procs.start(["ffmpeg", "-v", "error"] + av_source("320x240") +
                    ["-f", "mpegts", "udp://127.0.0.1:%d?pkt_size=1316" % udp])
        wait_tracks(server.http_port, "udp")  # asking starts the stream, which binds the port
        assert codecs(probe(server.hls("udp"))) == ["aac", "h264"]
        h.poll("the TS listener", lambda: socket.create_connection(("127.0.0.1", tcp_play), 1))
        over_tcp = probe("tcp://127.0.0.1:%d" % tcp_play)
        assert codecs(over_tcp) == ["aac", "h264"], over_tcp
        # A client that starts by sending TS pushes into the listener's stream.
        procs.start(["ffmpeg", "-v", "error"] + av_source("640x360") +
                    ["-f", "mpegts", "tcp://127.0.0.1:%d" % tcp_push])
        wait_tracks(server.http_port, "tcpin")
        pushed = probe(server.hls("tcpin"))
        assert [s["width"] for s in pushed if s["codec_name"] == "h264"] == [640], pushed
    finally:
        procs.stop()
        server.close()


def test_ts_tcp_slow_publisher(binary):
    """A TCP client whose first TS byte comes after the one-second sniff (a slow encoder) still
    pushes: its stream cannot be played, so the server waits for data instead of closing."""
    folder = tempfile.mkdtemp(prefix="estuary-ts-")
    clip = os.path.join(folder, "clip.ts")
    subprocess.run(["ffmpeg", "-v", "error"] + av_source("480x270", seconds=4)[1:] +
                   ["-f", "mpegts", clip], check=True, stdin=subprocess.DEVNULL, timeout=60)
    tcp = h.free_port()
    server = Server(binary, {"slow": {"source": "push://"}},
                    [{"connector": "TS", "port": tcp, "streamname": "slow"}])
    try:
        h.poll("the TS listener", lambda: socket.create_connection(("127.0.0.1", tcp), 1))
        with socket.create_connection(("127.0.0.1", tcp), timeout=10) as sock:
            time.sleep(2.5)  # the scenario: an encoder that takes 2.5 s to produce its first byte
            with open(clip, "rb") as f:
                sock.sendall(f.read())
            t = wait_tracks(server.http_port, "slow")
            assert sorted(v["codec"] for v in t.values()) == ["AAC", "H264"], t
            assert any(v.get("width") == 480 for v in t.values()), t
    finally:
        server.close()
        shutil.rmtree(folder, ignore_errors=True)


def test_hls_pull_of_own_stream(binary):
    udp = h.free_port(socket.SOCK_DGRAM)
    server = Server(binary, {"origin": {"source": "tsudp://127.0.0.1:%d" % udp}})
    procs = Procs()
    try:
        server.daemon.call({"addstream": {"pull": {"source": server.hls("origin")}}})
        procs.start(["ffmpeg", "-v", "error"] + av_source("320x240") +
                    ["-f", "mpegts", "udp://127.0.0.1:%d?pkt_size=1316" % udp])
        wait_tracks(server.http_port, "origin")
        # Let the origin's HLS have a few segments before pulling it.
        h.poll("origin segments", lambda: last_ms(server.http_port, "origin") > 4000,
               timeout=h.DEADLINE_S * 2, interval=0.2)
        wait_tracks(server.http_port, "pull", timeout=h.DEADLINE_S * 3)
        assert codecs(probe(server.hls("pull"))) == ["aac", "h264"]
        before = last_ms(server.http_port, "pull")
        h.poll("the pull to advance", lambda: last_ms(server.http_port, "pull") > before + 2000,
               timeout=h.DEADLINE_S * 2, interval=0.2)
    finally:
        procs.stop()
        server.close()


# --- exec -----------------------------------------------------------------------------------


def write_script(folder, name, body):
    path = os.path.join(folder, name)
    with open(path, "w") as f:
        f.write("#!/bin/sh\n" + body)
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)
    return path


def test_ts_exec_restarts(binary):
    folder = tempfile.mkdtemp(prefix="estuary-exec-")
    runs = os.path.join(folder, "runs.txt")
    script = write_script(folder, "gen.sh",
                          "echo $$ >> %s\nexec ffmpeg -v error %s -f mpegts -\n" %
                          (runs, " ".join(av_source(seconds=3))))
    server = Server(binary, {"ex": {"source": "ts-exec:" + script + " ignored-arg"}})
    try:
        wait_tracks(server.http_port, "ex")
        def run_count():
            if not os.path.exists(runs):
                return 0
            with open(runs) as f:
                return len(f.read().split())
        h.poll("the command to be restarted", lambda: run_count() >= 2, timeout=h.DEADLINE_S * 2)
        at_restart = last_ms(server.http_port, "ex")
        # Media keeps coming after the restart: well past what one 3-second run gives.
        h.poll("media after the restart",
               lambda: last_ms(server.http_port, "ex") > max(at_restart, 3000) + 2000,
               timeout=h.DEADLINE_S * 2, interval=0.2)
        h.poll("a third run", lambda: run_count() >= 3, timeout=h.DEADLINE_S * 2)
        assert codecs(probe(server.hls("ex"))) == ["aac", "h264"]
        print("# %d runs, %d ms of media" % (run_count(), last_ms(server.http_port, "ex")))
        # Stopped with the stream: the running command (the script exec'd ffmpeg, same pid) goes.
        # Signal 0 only checks that the pid exists.
        server.daemon.call({"deletestream": "ex"})
        def gone():
            with open(runs) as f:
                pids = [int(p) for p in f.read().split()]
            for pid in pids:
                try:
                    os.kill(pid, 0)
                    return False
                except ProcessLookupError:
                    pass
            return True
        h.poll("the command to stop with the stream", gone)
    finally:
        server.close()
        shutil.rmtree(folder, ignore_errors=True)


def test_h264_exec(binary):
    cmd = ("h264-exec:ffmpeg -v error -re -f lavfi -i testsrc=size=320x240:rate=25 -t 60 "
           "-c:v libx264 -preset ultrafast -g 25 -f h264 -")
    server = Server(binary, {"raw": {"source": cmd}})
    try:
        wait_tracks(server.http_port, "raw", count=1)
        streams = probe(server.hls("raw"))
        assert codecs(streams) == ["h264"] and streams[0]["width"] == 320, streams
        before = last_ms(server.http_port, "raw")
        h.poll("the stream to advance", lambda: last_ms(server.http_port, "raw") > before + 1000)
    finally:
        server.close()


def test_exec_always_on(binary):
    """always_on: the command runs with no viewer at all, and the stream fills its buffer."""
    cmd = ("ts-exec:ffmpeg -v error -re -f lavfi -i testsrc=size=320x240:rate=25 -t 60 "
           "-c:v libx264 -preset ultrafast -g 25 -f mpegts -")
    server = Server(binary, {"on": {"source": cmd, "always_on": True}})
    try:
        def active():
            return "on" in server.daemon.call({"active_streams": True})["active_streams"]
        h.poll("the always_on stream to be active", active, timeout=h.DEADLINE_S * 2)
        h.poll("media in the always_on stream", lambda: last_ms(server.http_port, "on") > 1000,
               timeout=h.DEADLINE_S * 2, interval=0.2)
    finally:
        server.close()


GROUPS = {
    "srt": [("SRT push plays over HLS and SRT", test_srt_push_hls_and_play),
            ("srt:// source pulls (caller) from an SRT listener", test_srt_pull_caller),
            ("two SRT pushes over one port", test_srt_two_streams_one_port),
            ("GStreamer srtsink pushes", test_srt_gstreamer_push),
            ("SRT passphrase", test_srt_passphrase)],
    "ts": [("tsudp:// plays over HLS and TS over TCP; TS pushed over TCP", test_tsudp_hls_and_ts_over_tcp),
           ("a slow TS publisher over TCP is still taken", test_ts_tcp_slow_publisher),
           ("HLS pull of the server's own stream", test_hls_pull_of_own_stream)],
    "exec": [("ts-exec: restarts a command that exits", test_ts_exec_restarts),
             ("h264-exec: plays", test_h264_exec),
             ("always_on exec stream runs without viewers", test_exec_always_on)],
}

if __name__ == "__main__":
    if not (shutil.which("ffmpeg") and shutil.which("ffprobe")):
        print("1..0 # SKIP ffmpeg/ffprobe are not installed")
        sys.exit(0)
    h.main(GROUPS)
