#!/bin/sh
# RTMP ingest figures for estuary (issue 4), on loopback:
#   1. time from the first RTMP byte of a publisher to the HLS media playlist listing its first
#      segment (a viewer asks for the master playlist right when the push starts), per run;
#   2. server CPU (% of one core, utime+stime of the estuary process from /proc) for one
#      2.5 Mbit/s RTMP ingest alone, and with one HLS, one RTMP and one HTTP-FLV viewer attached.
#
#   bench/rtmp-ingest.sh [ESTUARY_BINARY] [RUNS] [CPU_WINDOW_S]
#
# The clip (1280x720 25 fps H.264 2.5 Mbit/s, keyframe every 2 s, AAC 128k, 20 s) is encoded once
# into a temp dir and pushed with `ffmpeg -re -stream_loop -1 -c copy`, so no encoder competes
# with the server for the CPU. Only processes started here are stopped, by their own pid.
set -eu
BIN=${1:-build/src/controller/estuary}
RUNS=${2:-3}
WINDOW=${3:-30}
exec python3 - "$BIN" "$RUNS" "$WINDOW" <<'EOF'
import json, os, re, select, shutil, signal, socket, statistics, subprocess, sys, tempfile
import threading, time, urllib.parse, urllib.request

BIN, RUNS, WINDOW = os.path.abspath(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
TMP = tempfile.mkdtemp(prefix="estuary-rtmp-bench-")
CLK = os.sysconf("SC_CLK_TCK")
children = []


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


def spawn(args, **kw):
    p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=kw.pop("stdout", subprocess.DEVNULL),
                         stderr=kw.pop("stderr", subprocess.DEVNULL), **kw)
    children.append(p)
    return p


def stop(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            p.send_signal(signal.SIGKILL); p.wait()


def get(url, timeout=30):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, b""


class Daemon:
    def __init__(self):
        d = tempfile.mkdtemp(dir=TMP)
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump({"config": {"protocols": []}, "streams": {}}, f)
        self.p = spawn([BIN, "-c", os.path.join(d, "config.json"), "-p", "0", "-i", "127.0.0.1"],
                       stdout=subprocess.PIPE, cwd=d)
        line = b""
        while b"\n" not in line:
            r, _, _ = select.select([self.p.stdout], [], [], 15)
            if not r: raise SystemExit("estuary did not start")
            chunk = os.read(self.p.stdout.fileno(), 4096)
            if not chunk: raise SystemExit("estuary exited")
            line += chunk
        self.api_port = int(re.search(rb"127\.0\.0\.1:(\d+)/", line).group(1))
        self.rtmp, self.http = free_port(), free_port()
        self.call({"addstream": {"live": {"source": "push://"}}})
        self.call({"addprotocol": [{"connector": "RTMP", "port": self.rtmp},
                                   {"connector": "HTTP", "port": self.http},
                                   {"connector": "HLS"}, {"connector": "FLV"}]})
        end = time.monotonic() + 15
        while time.monotonic() < end:
            try:
                socket.create_connection(("127.0.0.1", self.rtmp), 1).close(); break
            except OSError:
                time.sleep(0.05)

    def call(self, cmd):
        q = urllib.parse.quote(json.dumps(cmd))
        return json.loads(get("http://127.0.0.1:%d/api2?command=%s" % (self.api_port, q))[1])

    def cpu_s(self):
        with open("/proc/%d/stat" % self.p.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK

    def stop(self):
        stop(self.p)


class FirstByteProxy:
    """Forwards a publisher to the RTMP port and notes when its first byte arrives."""

    def __init__(self, target):
        self.target, self.first = target, None
        self.ls = socket.socket(); self.ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.ls.bind(("127.0.0.1", 0)); self.ls.listen(1)
        self.port = self.ls.getsockname()[1]
        threading.Thread(target=self.run, daemon=True).start()

    def run(self):
        a, _ = self.ls.accept()
        b = socket.create_connection(("127.0.0.1", self.target))
        for s in (a, b): s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while True:
            r, _, _ = select.select([a, b], [], [])
            for s in r:
                data = s.recv(65536)
                if not data: a.close(); b.close(); return
                if s is a and self.first is None: self.first = time.monotonic()
                (b if s is a else a).sendall(data)


clip = os.path.join(TMP, "clip.flv")
subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
                "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=25:duration=20",
                "-f", "lavfi", "-i", "sine=frequency=440:duration=20",
                "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-g", "50",
                "-b:v", "2400k", "-maxrate", "2500k", "-bufsize", "2500k",
                "-c:a", "aac", "-b:a", "128k", clip], check=True)


def push(port):
    return spawn(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re",
                  "-stream_loop", "-1", "-i", clip, "-c", "copy", "-f", "flv",
                  "rtmp://127.0.0.1:%d/live/live" % port])


try:
    # 1. first RTMP byte -> first segment listed
    times = []
    for run in range(RUNS):
        d = Daemon()
        proxy = FirstByteProxy(d.rtmp)
        pub = push(proxy.port)
        base = "http://127.0.0.1:%d/hls/live/" % d.http
        end = time.monotonic() + 30
        while time.monotonic() < end:  # a viewer asking as the push starts
            status, master = get(base + "index.m3u8")
            if status == 200: break
            time.sleep(0.01)
        media = [l for l in master.decode().splitlines() if l and not l.startswith("#")][0]
        end = time.monotonic() + 30
        listed = None
        while time.monotonic() < end:
            status, body = get(base + media)
            if status == 200 and b"#EXTINF" in body:
                listed = time.monotonic(); break
            time.sleep(0.01)
        stop(pub); d.stop()
        if listed and proxy.first:
            times.append(listed - proxy.first)
            print("run %d: first RTMP byte -> first HLS segment listed: %.2f s" % (run + 1, times[-1]),
                  flush=True)
        else:
            print("run %d: no segment within 30 s" % (run + 1), flush=True)
    if times:
        print("FIGURE first RTMP byte -> HLS playlist lists first segment: median %.2f s "
              "(min %.2f, max %.2f, %d runs; segment size 2 s, target 2.5 s)"
              % (statistics.median(times), min(times), max(times), len(times)), flush=True)

    # 2. CPU
    d = Daemon()
    pub = push(d.rtmp)

    def window(label):
        c0, t0 = d.cpu_s(), time.monotonic()
        time.sleep(WINDOW)
        c1, t1 = d.cpu_s(), time.monotonic()
        pct = 100.0 * (c1 - c0) / (t1 - t0)
        print("FIGURE server CPU, %s: %.1f %% of one core (%.0f s window)" % (label, pct, t1 - t0),
              flush=True)

    end = time.monotonic() + 5
    while time.monotonic() < end: time.sleep(0.1)  # let the stream settle
    window("1 RTMP ingest (2.5 Mbit/s), no viewers")
    viewers = [spawn(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-i", url,
                      "-c", "copy", "-f", "null", "-"]) for url in (
        "http://127.0.0.1:%d/hls/live/index.m3u8" % d.http,
        "rtmp://127.0.0.1:%d/live/live" % d.rtmp,
        "http://127.0.0.1:%d/live.flv" % d.http)]
    end = time.monotonic() + 8
    while time.monotonic() < end: time.sleep(0.1)
    alive = [v.poll() is None for v in viewers]
    window("1 RTMP ingest + 1 HLS + 1 RTMP + 1 HTTP-FLV viewer")
    alive2 = [v.poll() is None for v in viewers]
    print("viewers still playing at the end (HLS, RTMP, HTTP-FLV): %s" % alive2, flush=True)
    clients = d.call({"clients": {}}).get("clients", {})
    print("sessions: %d" % len(clients.get("data", [])), flush=True)
    for v in viewers: stop(v)
    stop(pub); d.stop()
finally:
    for p in children: stop(p)
    shutil.rmtree(TMP, ignore_errors=True)
EOF
