#!/usr/bin/env python3
"""Media-core figures of issue 3, measured on this machine against the real daemon (not a test).

    bench/media-core.py [--estuary PATH] [--quick]

(a) first request of an idle VoD stream (60 s 720p H.264+AAC MP4) to its first HLS segment
    fetched, median of 5, each on a freshly stopped stream (idle_timeout 1);
(b) server RSS (VmRSS + its HLS segment memfds) idle, with one live 2.5 Mbit/s stream (ffmpeg
    RTMP push into a push:// stream, sampled once its DVR window is full), and per viewer (100 HTTP-FLV viewers minus none, /100);
(c) server CPU with that stream and 100 HTTP-TS viewers (bench/reader) over a 20 s window.
Prints one table: figure, value, target, pass/fail; a figure it could not take is `missing`
with the reason. Python 3 standard library; needs ffmpeg and g++ (for bench/reader).
"""
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, BENCH_DIR)
sys.dont_write_bytecode = True
from harness import prepare  # noqa: E402
from harness.waiting import Missing, free_port, poll, stop_process  # noqa: E402

MIB = 1024 * 1024
VOD_CLIP_ARGS = [
    "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30",
    "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "60",
    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-b:v", "2500k",
    "-g", "60", "-keyint_min", "60", "-sc_threshold", "0",
    "-c:a", "aac", "-b:a", "128k", "-ac", "2", "-movflags", "+faststart"]
VOD_CLIP_NAME = "vod-720p30-2500k-aac-60s-v1.mp4"
DVR_S = 50  # the default buffer time: the live stream's RSS is taken once it is full


def memfd_bytes(pid):
    """Bytes of the memfds the server holds (HLS segments): shared memory outside VmRSS."""
    total = 0
    fd_dir = "/proc/%d/fd" % pid
    for name in os.listdir(fd_dir):
        try:
            if os.readlink(os.path.join(fd_dir, name)).startswith("/memfd:"):
                total += os.stat(os.path.join(fd_dir, name)).st_size
        except OSError:
            continue  # closed while we looked
    return total


def rss_bytes(pid):
    """VmRSS plus the memfd segments, so memory kept outside the heap is still counted."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024 + memfd_bytes(pid)
    raise Missing("no VmRSS for pid %d" % pid)


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid, "rb") as f:
        fields = f.read().rsplit(b")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def vod_clip():
    path = os.path.join(prepare.CACHE_DIR, VOD_CLIP_NAME)
    os.makedirs(prepare.CACHE_DIR, exist_ok=True)
    if not os.path.exists(path):
        print("bench: encoding the 60 s VoD clip (once)", file=sys.stderr)
        tmp = path + ".part.mp4"
        subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y"] +
                       VOD_CLIP_ARGS + [tmp], check=True)
        os.rename(tmp, path)
    return path


class Estuary:
    """The daemon on free ports: API, HTTP (HLS, FLV, HTTPTS), RTMP; streams vod and bench."""

    def __init__(self, binary, vod):
        self.dir = tempfile.mkdtemp(prefix="estuary-media-core-")
        self.http_port, self.rtmp_port = free_port(), free_port()
        config = {"config": {"controller": {"idle_timeout": 1}, "protocols": [
            {"connector": "HTTP", "port": self.http_port}, {"connector": "HLS"},
            {"connector": "FLV"}, {"connector": "HTTPTS"},
            {"connector": "RTMP", "port": self.rtmp_port}]},
            "streams": {"vod": {"source": vod}, "bench": {"source": "push://"}}}
        with open(os.path.join(self.dir, "config.json"), "w") as f:
            json.dump(config, f)
        self.log = open(os.path.join(self.dir, "stderr.txt"), "w")
        self.proc = subprocess.Popen(
            [binary, "-c", os.path.join(self.dir, "config.json"), "-p", "0", "-i", "127.0.0.1"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self.log, cwd=self.dir)
        line = self.proc.stdout.readline().decode()
        m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        if not m:
            self.stop()
            raise Missing("estuary did not start: %r" % line)
        self.api_port = int(m.group(1))
        self.pid = self.proc.pid
        poll("the HTTP output", lambda: self.get("/crossdomain.xml")[0] == 200)
        poll("the RTMP port", lambda: socket.create_connection(
            ("127.0.0.1", self.rtmp_port), timeout=1).close() or True)

    def get(self, path, timeout=60):
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d%s" % (self.http_port, path),
                                        timeout=timeout) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def api(self, command):
        url = "http://127.0.0.1:%d/api2?command=%s" % (
            self.api_port, urllib.parse.quote(json.dumps(command)))
        with urllib.request.urlopen(url, timeout=30) as r:
            return json.loads(r.read())

    def active(self):
        return self.api({"active_streams": True}).get("active_streams") or []

    def stop(self):
        stop_process(self.proc)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def first_segment_ms(server):
    """(a): five cold starts of `vod`, each timed from the master playlist request to the body of
    the first segment."""
    times = []
    for _ in range(5):
        poll("vod to stop (idle_timeout 1)", lambda: "vod" not in server.active(), timeout=60,
             interval=0.05)
        t0 = time.monotonic()
        status, master = server.get("/hls/vod/index.m3u8")
        if status != 200:
            raise Missing("master playlist answered %d: %r" % (status, master[:100]))
        variant = [l for l in master.decode().splitlines() if l and not l.startswith("#")][0]
        rendition = variant.rsplit("/", 1)[0]
        for seq in (0, 1):  # the store numbers VoD segments from 0 (1 tolerated)
            status, seg = server.get("/hls/vod/%s/%d.ts" % (rendition, seq))
            if status == 200:
                break
        t1 = time.monotonic()
        if status != 200 or seg[:1] != b"\x47":
            raise Missing("first segment answered %d" % status)
        times.append((t1 - t0) * 1000)
    return statistics.median(times), times


class Push:
    """ffmpeg -re -stream_loop -1 -c copy of the 2.5 Mbit/s clip into rtmp://.../live/bench."""

    def __init__(self, server, clip):
        self.proc = subprocess.Popen(
            ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re", "-stream_loop",
             "-1", "-i", clip, "-c", "copy", "-f", "flv",
             "rtmp://127.0.0.1:%d/live/bench" % server.rtmp_port],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def stop(self):
        stop_process(self.proc, timeout=10)


def run_reader(reader, server, proto, clients, bitrate, window, at_start=None, at_end=None):
    """Runs bench/reader; calls at_start/at_end at its WINDOW_START/END lines; returns its JSON."""
    proc = subprocess.Popen(
        [reader, "--proto", proto, "--port", str(server.http_port), "--stream", "bench",
         "--clients", str(clients), "--bitrate", str(bitrate), "--warmup", "3",
         "--window", str(window)], stdout=subprocess.PIPE, text=True)
    result = None
    for line in proc.stdout:
        line = line.strip()
        if line == "WINDOW_START" and at_start:
            at_start()
        elif line == "WINDOW_END" and at_end:
            at_end()
        elif line.startswith("{"):
            result = json.loads(line)
    proc.wait()
    if result is None:
        raise Missing("reader printed no result (exit %d)" % proc.returncode)
    return result


def main(argv):
    quick = "--quick" in argv
    binary = None
    if "--estuary" in argv:
        binary = argv[argv.index("--estuary") + 1]
    else:
        build = os.environ.get("BUILD", "build")
        binary = os.path.join(os.path.dirname(BENCH_DIR), build, "src", "controller", "estuary")
    binary = os.path.abspath(binary)
    if not os.access(binary, os.X_OK):
        print("bench: no estuary binary at %s (use --estuary PATH or BUILD=dir)" % binary,
              file=sys.stderr)
        return 2
    for tool in ("ffmpeg", "ffprobe", "g++"):
        if not shutil.which(tool):
            print("bench: %s is needed" % tool, file=sys.stderr)
            return 2
    reader = prepare.build_reader()
    live_clip, live_bps = prepare.clip()
    vod = vod_clip()

    rows = []  # (figure, value text, target text, passed or None)

    def row(figure, fn, target, limit, unit, scale=1.0):
        try:
            value, note = fn()
            v = value / scale
            rows.append((figure, "%.1f %s%s" % (v, unit, note), target,
                         None if limit is None else v < limit))
        except Missing as e:
            rows.append((figure, "missing (%s)" % e, target, None))

    server = Estuary(binary, vod)
    push = None
    try:
        poll("no stream to run", lambda: not server.active())
        idle = rss_bytes(server.pid)
        row("RSS idle (no streams)", lambda: (idle, ""), "< 30 MiB", 30, "MiB", MIB)

        push = Push(server, live_clip)
        poll("the pushed stream", lambda: "bench" in server.active() and
             server.get("/json_bench.js", timeout=10)[0] == 200, timeout=30, interval=0.2)
        settle = 12 if quick else DVR_S + 5
        state = {}

        def one_stream():
            time.sleep(settle)  # the DVR window filling is what is measured, not a readiness wait
            if push.proc.poll() is not None:
                raise Missing("ffmpeg push ended: " + push.proc.stderr.read().decode()[-200:])
            state["live"] = rss_bytes(server.pid)
            return state["live"] - idle, " (after %d s; %d s DVR window)" % (settle, DVR_S)
        row("RSS of one live 2.5 Mbit/s stream", one_stream, "< 10 MiB", 10, "MiB", MIB)

        def per_viewer():
            if "live" not in state:
                raise Missing("no live stream")
            samples = {}
            before = rss_bytes(server.pid)
            res = run_reader(reader, server, "flv", 100, live_bps, 5 if quick else 10,
                             at_end=lambda: samples.setdefault("with", rss_bytes(server.pid)))
            if "with" not in samples:
                raise Missing("reader window did not end")
            note = " (%d of 100 behind)" % res["behind"] if res["behind"] else ""
            return (samples["with"] - before) / 100, note
        row("RSS per HTTP-FLV viewer (100 viewers)", per_viewer, "< 64 KiB", 64, "KiB", 1024)

        def cpu():
            if "live" not in state:
                raise Missing("no live stream")
            s = {}
            window = 10 if quick else 20

            def start():
                s["t0"], s["c0"] = time.monotonic(), cpu_seconds(server.pid)

            def end():
                s["t1"], s["c1"] = time.monotonic(), cpu_seconds(server.pid)
            res = run_reader(reader, server, "ts", 100, live_bps, window, start, end)
            if "c1" not in s:
                raise Missing("reader window did not end")
            pct = (s["c1"] - s["c0"]) / (s["t1"] - s["t0"]) * 100
            return pct, " of one core over %d s; %d of 100 behind, mean %.0f kbit/s" % (
                window, res["behind"], res["mean_kbps"])
        row("CPU, 1 live stream + 100 HTTP-TS viewers", cpu, "(no target)", None, "%")

        push.stop()
        push = None
        poll("bench to stop", lambda: "bench" not in server.active(), timeout=60, interval=0.1)

        def first_segment():
            median, runs = first_segment_ms(server)
            return median, " (runs: %s)" % ", ".join("%.0f" % t for t in runs)
        row("idle VoD request -> first HLS segment (median of 5)", first_segment, "< 200 ms",
            200, "ms")
    finally:
        if push:
            push.stop()
        server.stop()

    with open("/proc/loadavg") as f:
        load = f.read().split()[:3]
    print("estuary media core, %s, %d cores, load %s at the end%s" % (
        time.strftime("%Y-%m-%d %H:%M"), os.cpu_count(), " ".join(load),
        " (--quick)" if quick else ""))
    width = max(len(r[0]) for r in rows)
    vwidth = max(len(r[1]) for r in rows)
    for figure, value, target, ok in rows:
        verdict = "-" if ok is None else ("pass" if ok else "FAIL")
        print("%-*s  %-*s  %-10s  %s" % (width, figure, vwidth, value, target, verdict))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
