"""One benchmark run: both servers side by side, every figure taken once for each."""
import os
import shutil
import sys
import tempfile
import time
import urllib.parse

from harness import probes, proctree
from harness.servers import STREAM, Estuary, Missing, NginxRtmp, NotApplicable, start_pusher

VIEWER_COUNTS = (10, 100, 500, 1000)
SERVERS = ("estuary", "nginx-rtmp")


def figure_list(windows):
    """(key, label, unit) for every row of the table, in order."""
    rows = [
        ("ingest_s", "Ingest → HLS playable (first segment listed and fetched)", "s"),
        ("ingest_cpu", f"Server CPU over {windows['ingest']} s of steady ingest", "CPU-s"),
        ("ingest_hwm", "Peak RSS during ingest (VmHWM, whole tree)", "MiB"),
        ("ingest_segments", "HLS segments held outside RSS at the end of that window (estuary: "
         "memfds; nginx: its hls dir)", "MiB"),
        ("hls_rps", f"HLS newest segment, wrk -t2 -c100 -d{windows['wrk']}s", "req/s"),
        ("hls_mbps", "HLS newest segment, throughput", "MB/s"),
        ("static_rps", "Same segment as a static file on nginx (ceiling)", "req/s"),
        ("static_mbps", "Same segment as a static file on nginx (ceiling)", "MB/s"),
    ]
    for proto, label in (("rtmp", "RTMP play"), ("flv", "HTTP-FLV")):
        for n in VIEWER_COUNTS:
            rows.append((f"{proto}_{n}_cpu", f"{label} ×{n}: server CPU", "% of a core"))
            rows.append((f"{proto}_{n}_rss", f"{label} ×{n}: server RSS at end", "MiB"))
            rows.append((f"{proto}_{n}_behind", f"{label} ×{n}: readers behind", "%"))
        rows.append((f"{proto}_reader_cpu", f"{label} ×{VIEWER_COUNTS[-1]}: the reader's own CPU "
                     "(load generator)", "% of a core"))
    rows.append(("api_trivial_rps", "API trivial call `{}` (nginx: static page, it has no API)",
                 "req/s"))
    rows.append(("api_rps", "API `capabilities` call (nginx: same static page)", "req/s"))
    return rows


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


class Run:
    def __init__(self, ctx, windows):
        self.ctx = ctx  # clip, bitrate, reader, estuary binary
        self.w = windows
        self.values = {}  # key -> {server name -> float | Missing}
        self.tmp = tempfile.mkdtemp(prefix="estuary-bench-")
        self.servers = [Estuary(os.path.join(self.tmp, "estuary"), ctx["estuary"]),
                        NginxRtmp(os.path.join(self.tmp, "nginx"))]
        self.pushers = {}
        self.ingest_error = {}  # server name -> Missing, when its ingest is not working
        self.segments = {}  # server name -> newest segment URL
        self.notes = []  # observations that a number alone would hide (errors, timeouts)

    def put(self, key, server, value):
        self.values.setdefault(key, {})[server.name if hasattr(server, "name") else server] = value
        shown = value if isinstance(value, Missing) else f"{value:.3f}"
        log(f"{key} {getattr(server, 'name', server)}: {shown}")

    def execute(self):
        self.load = [os.getloadavg()[0]]
        try:
            for s in self.servers:
                os.makedirs(s.tmp, exist_ok=True)
                s.start()
            self.ingest()
            self.steady()
            self.segment_serving()
            self.viewer_load()
            self.api()
        finally:
            self.cleanup()
        return self.values

    def cleanup(self):
        for p in self.pushers.values():
            p.stop()
        for s in self.servers:
            s.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    # (1) ingest → HLS playable
    def ingest(self):
        started = {}
        for s in self.servers:
            why = s.unavailable
            if not why and isinstance(s, Estuary):
                why = s.listener_missing("RTMP", s.rtmp_port)
            if why:
                self.ingest_error[s.name] = why
                continue
            self.pushers[s.name] = start_pusher(self.ctx["clip"], s.push_url,
                                                os.path.join(s.tmp, "push.log"))
            started[s.name] = time.monotonic()
        pending = {s.name: s for s in self.servers if s.name in started}
        last = {}
        deadline = time.monotonic() + self.w["playable"]
        while pending and time.monotonic() < deadline:
            for name, s in list(pending.items()):
                pusher = self.pushers[name]
                if not pusher.alive():
                    self.ingest_error[name] = Missing(f"push refused: ffmpeg {pusher.exit_reason()}")
                    del pending[name]
                    continue
                ok = probes.playable(s.hls_url)
                if ok is True:
                    self.put("ingest_s", s, time.monotonic() - started[name])
                    del pending[name]
                else:
                    last[name] = ok
            time.sleep(0.05)
        for name in pending:
            self.put("ingest_s", name, Missing(f"HLS not playable after {self.w['playable']} s: "
                                               f"{last.get(name, '')}"))
        for name, why in self.ingest_error.items():
            self.put("ingest_s", name, why)

    # (2) CPU over a steady window and (3) peak RSS, both servers measured over the same window
    def steady(self):
        live = [s for s in self.servers if s.name not in self.ingest_error and s.pid()]
        before = {s.name: proctree.cpu_seconds(s.pid()) for s in live}
        time.sleep(self.w["ingest"])
        for s in self.servers:
            why = self.ingest_error.get(s.name)
            if not why and (not s.pid() or not self.pushers[s.name].alive()):
                why = Missing("server or its pusher exited during the window")
            if why:
                self.put("ingest_cpu", s, why)
                self.put("ingest_hwm", s, why)
                self.put("ingest_segments", s, why)
                continue
            self.put("ingest_cpu", s, proctree.cpu_seconds(s.pid()) - before[s.name])
            self.put("ingest_hwm", s, proctree.memory_mib(s.pid(), "VmHWM"))
            self.put("ingest_segments", s, s.segment_mib())

    # (4) segment serving, and nginx serving the same bytes as a plain file
    def segment_serving(self):
        for s in self.servers:
            seg = self.newest_segment(s)
            if isinstance(seg, Missing):
                self.put_pair("hls", s, seg)
                continue
            self.segments[s.name] = seg
            self.put_pair("hls", s, self.wrk(s, "HLS segment", seg))
        nginx = self.servers[1]
        seg = self.segments.get(nginx.name)
        if not seg:
            self.put_pair("static", nginx, Missing("nginx produced no segment to copy"))
        else:
            name = os.path.basename(urllib.parse.urlparse(seg).path)
            shutil.copyfile(os.path.join(nginx.tmp, "hls", name),
                            os.path.join(nginx.tmp, "static", "segment.ts"))
            self.put_pair("static", nginx, self.wrk(nginx, "static segment", nginx.static_url))
        self.put_pair("static", self.servers[0], NotApplicable("ceiling row, nginx only"))

    def wrk(self, server, what, url):
        result = probes.wrk(url, self.w["wrk"])
        if not isinstance(result, Missing) and result["socket_errors"]:
            self.notes.append(f"{server.name} {what}: wrk socket errors "
                              f"({result['socket_errors']}) in {result['requests']} requests")
        return result

    def put_pair(self, prefix, server, result):
        if isinstance(result, Missing):
            self.put(f"{prefix}_rps", server, result)
            self.put(f"{prefix}_mbps", server, result)
        else:
            self.put(f"{prefix}_rps", server, result["rps"])
            self.put(f"{prefix}_mbps", server, result["mbps"])

    def newest_segment(self, s):
        why = self.ingest_error.get(s.name)
        if why:
            return why
        segs = probes.hls_segments(s.hls_url)
        if isinstance(segs, Missing):
            return segs
        status, body = probes.http_get(segs[-1])
        if status != 200 or not body:
            return Missing(f"newest segment not fetchable: {status or body}")
        return segs[-1]

    # (5) concurrent progressive viewers
    def viewer_load(self):
        estuary, nginx = self.servers
        for proto in ("rtmp", "flv"):
            for s in self.servers:
                target = self.viewer_target(s, proto)
                skip = target if isinstance(target, Missing) else None
                for n in VIEWER_COUNTS:
                    if skip:
                        self.put_viewers(proto, n, s, skip)
                        continue
                    result = self.run_viewers(s, proto, target, n)
                    self.put_viewers(proto, n, s, result)
                    if isinstance(result, Missing) and n == VIEWER_COUNTS[0]:
                        skip = result
                    if n == VIEWER_COUNTS[-1]:
                        self.put(f"{proto}_reader_cpu", s, result if isinstance(result, Missing)
                                 else result["reader_cpu_pct"])
                if skip:
                    self.put(f"{proto}_reader_cpu", s, skip)

    def viewer_target(self, s, proto):
        """The port to play from, or why this server cannot be played with this protocol."""
        if s.unavailable:
            return s.unavailable
        if proto == "flv" and isinstance(s, NginxRtmp):
            return s.flv_missing
        if s.name in self.ingest_error:
            return Missing(f"no ingest: {self.ingest_error[s.name]}")
        port = s.rtmp_port if proto == "rtmp" else s.http_port
        if isinstance(s, Estuary):
            why = s.listener_missing("RTMP" if proto == "rtmp" else "HTTP", port)
            if why:
                return why
        return port

    def run_viewers(self, s, proto, port, n):
        def sample():
            pid = s.pid()
            busy = proctree.machine_busy_seconds()
            if not pid:
                return None, 0.0, busy
            return proctree.cpu_seconds(pid), proctree.memory_mib(pid, "VmRSS"), busy

        result = probes.viewers(self.ctx["reader"], proto, port, STREAM, n, self.ctx["bitrate"],
                                self.w, sample)
        wait_connections_closed(port, 5)
        return result

    def put_viewers(self, proto, n, s, result):
        if isinstance(result, Missing):
            for k in ("cpu", "rss", "behind"):
                self.put(f"{proto}_{n}_{k}", s, result)
            return
        d = result["detail"]
        summary = (f"mean {d['mean_kbps']:.0f} kbit/s per viewer (min {d['min_kbps']:.0f}); "
                   f"never played {d['never_played']}, disconnected {d['disconnected']}, "
                   f"stalled {d['stalled']}, under 80 % {d['under_80pct_last5s']}")
        if d["errors"]:
            summary += f"; errors {d['errors']}"
        summary += (f"; CPU in the window: server {result['cpu_pct']:.0f} %, reader "
                    f"{result['reader_cpu_pct']:.0f} %, all other processes "
                    f"{result['others_pct']:.0f} % of a core")
        log(f"{s.name} {proto} ×{n}: {summary}")
        if d["behind"] or n == VIEWER_COUNTS[-1]:
            self.notes.append(f"{s.name} {proto} ×{n}: {summary}")
        self.put(f"{proto}_{n}_cpu", s, result["cpu_pct"])
        self.put(f"{proto}_{n}_rss", s, result["rss"])
        self.put(f"{proto}_{n}_behind", s, result["behind_pct"])

    # (6) API request rate (nginx: a static page, as a reference only)
    def api(self):
        estuary, nginx = self.servers
        for key, url in (("api_trivial_rps", "api_trivial_url"), ("api_rps", "api_url")):
            if estuary.unavailable or not estuary.pid():
                self.put(key, estuary, estuary.unavailable or Missing("estuary exited"))
                continue
            url = getattr(estuary, url)
            status, body = probes.http_get(url)
            if status != 200 or not body.lstrip().startswith(b"{"):
                self.put(key, estuary, Missing(f"API call answered {status or body}"))
            else:
                r = self.wrk(estuary, key, url)
                self.put(key, estuary, r if isinstance(r, Missing) else r["rps"])
        # One measurement of nginx's static page serves as the reference for both rows.
        r = nginx.unavailable or self.wrk(nginx, "static page", nginx.page_url)
        for key in ("api_trivial_rps", "api_rps"):
            self.put(key, nginx, r if isinstance(r, Missing) else r["rps"])


def wait_connections_closed(port, seconds):
    """Polls /proc/net/tcp until no established connection to the port is left (or time is up),
    so one viewer test's teardown is not billed to the next."""
    deadline = time.monotonic() + seconds
    suffix = f":{port:04X}"
    while time.monotonic() < deadline:
        count = 0
        for path in ("/proc/net/tcp", "/proc/net/tcp6"):
            try:
                with open(path) as f:
                    next(f)
                    for line in f:
                        parts = line.split()
                        if parts[1].endswith(suffix) and parts[3] == "01":
                            count += 1
            except OSError:
                pass
        if count == 0:
            return
        time.sleep(0.1)
