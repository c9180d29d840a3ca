#!/usr/bin/env python3
"""The ingest rows of bench/run alone, for profiling one server (issue 5).

  bench/ingest.py [--estuary PATH | --nginx] [--runs N] [--window S] [--idle S] [--hold S]
                  [--timeline]

Per run: start the server (bench/run's configuration), optionally measure its idle CPU, push the
bench clip with `ffmpeg -re -stream_loop -1 -c copy`, poll the HLS playlist every 10 ms and print
when the first segment is listed and fetched (the same clock as bench/run: from the pusher's
exec), then the server's CPU seconds over a steady window (whole process tree) with the context
switches of each thread of its main process (wakeups show thread hand-offs and timers; nginx's
worker is a child process, so nginx shows none). `--hold S` keeps everything running for S
seconds after the window and prints the server PID, for `perf record -g -p PID`.
`--timeline` runs the pusher with `-loglevel debug -debug_ts` and prints, from the pusher's
exec, when it opened its output (RTMP connected and published), wrote its first packet and the
keyframe that closes the first segment, and when the playlist listed that segment.
"""
import argparse
import os
import re
import subprocess
import threading
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True

from harness import prepare, probes, proctree  # noqa: E402
from harness.main import default_estuary  # noqa: E402
from harness.servers import Estuary, Missing, NginxRtmp, start_pusher  # noqa: E402


def thread_switches(pid):
    """{thread name: voluntary + involuntary context switches} over the process's threads."""
    out = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                fields = dict(l.split(":", 1) for l in f if ":" in l)
        except OSError:
            continue
        name = f"{fields['Name'].strip()}[{tid}]"
        out[name] = (int(fields["voluntary_ctxt_switches"]) +
                     int(fields["nonvoluntary_ctxt_switches"]))
    return out


class TimelinePusher:
    """ffmpeg pushing the clip, its debug output stamped line by line on arrival."""

    EVENTS = [("output opened (RTMP connected, publishing)", re.compile(r"^Output #0")),
              ("first packet written", re.compile(r"muxer <- type:(video|audio)")),
              ("second keyframe written (closes segment 0)",
               re.compile(r"muxer <- type:video pkt_pts:2000 "))]

    def __init__(self, clip, url):
        self.t0 = time.monotonic()
        self.popen = subprocess.Popen(
            ["ffmpeg", "-hide_banner", "-loglevel", "debug", "-debug_ts", "-re", "-stream_loop",
             "-1", "-i", clip, "-c", "copy", "-f", "flv", url],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.pid = self.popen.pid
        self.seen = {}
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for raw in self.popen.stderr:
            now = time.monotonic() - self.t0
            line = raw.decode(errors="replace")
            for name, pattern in self.EVENTS:
                if name not in self.seen and pattern.search(line):
                    self.seen[name] = now

    def alive(self):
        return self.popen.poll() is None

    def stop(self):
        if self.alive():
            self.popen.terminate()
            try:
                self.popen.wait(5)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()


def one_run(args, clip, tmp):
    server = NginxRtmp(tmp) if args.nginx else Estuary(tmp, args.estuary)
    os.makedirs(tmp, exist_ok=True)
    server.start()
    if server.unavailable:
        print(f"server unavailable: {server.unavailable}")
        return None
    pusher = None
    try:
        result = {}
        if args.idle:
            before = proctree.cpu_seconds(server.pid())
            time.sleep(args.idle)
            result["idle_cpu"] = proctree.cpu_seconds(server.pid()) - before
            print(f"idle CPU over {args.idle:.0f} s: {result['idle_cpu']:.3f} CPU-s")
        if args.timeline:
            pusher = TimelinePusher(clip, server.push_url)
            t0 = pusher.t0
        else:
            pusher = start_pusher(clip, server.push_url, os.path.join(tmp, "push.log"))
            t0 = time.monotonic()
        listed = None
        last = None
        while time.monotonic() - t0 < 30:
            segs = probes.hls_segments(server.hls_url)
            if not isinstance(segs, Missing):
                listed = listed or time.monotonic() - t0
                ok = probes.playable(server.hls_url)
                if ok is True:
                    break
                last = ok
            else:
                last = segs
            time.sleep(0.01)
        else:
            print(f"HLS not playable after 30 s: {last}")
            return None
        result["ready"] = time.monotonic() - t0
        print(f"ingest -> HLS: listed {listed:.3f} s, playable {result['ready']:.3f} s")
        if args.timeline:
            for name, at in sorted(pusher.seen.items(), key=lambda kv: kv[1]):
                print(f"  {at:7.3f} s  pusher: {name}")
            print(f"  {listed:7.3f} s  playlist lists segment 0 (polled every 10 ms)")
            print(f"  {result['ready']:7.3f} s  segment 0 fetched")
        time.sleep(2)  # the pusher's and server's start-up out of the window
        cs0 = thread_switches(server.pid())
        c0 = proctree.cpu_seconds(server.pid())
        time.sleep(args.window)
        c1 = proctree.cpu_seconds(server.pid())
        cs1 = thread_switches(server.pid())
        result["cpu"] = c1 - c0
        print(f"CPU over {args.window:.0f} s of steady ingest: {result['cpu']:.3f} CPU-s")
        rates = sorted(((cs1[k] - cs0.get(k, 0)) / args.window, k) for k in cs1)
        busy = [f"{k} {r:.0f}/s" for r, k in reversed(rates) if r >= 0.5]
        print(f"context switches: {sum(r for r, _ in rates):.0f}/s: " + ", ".join(busy))
        if args.hold:
            print(f"holding for {args.hold:.0f} s; server PID {server.pid()}", flush=True)
            time.sleep(args.hold)
        return result
    finally:
        if pusher:
            pusher.stop()
        server.stop()


def main(argv):
    ap = argparse.ArgumentParser(prog="bench/ingest.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--estuary", default=default_estuary(os.environ.get("BUILD", "build")))
    ap.add_argument("--nginx", action="store_true", help="measure nginx-rtmp instead")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--window", type=float, default=30)
    ap.add_argument("--idle", type=float, default=0, help="idle CPU window before the push")
    ap.add_argument("--hold", type=float, default=0)
    ap.add_argument("--timeline", action="store_true")
    args = ap.parse_args(argv)
    args.estuary = os.path.abspath(args.estuary)
    clip, _ = prepare.clip()
    results = []
    with tempfile.TemporaryDirectory(prefix="estuary-ingest-") as tmp:
        for i in range(args.runs):
            print(f"run {i + 1} of {args.runs} (load {os.getloadavg()[0]:.2f})", flush=True)
            r = one_run(args, clip, os.path.join(tmp, f"run{i}"))
            if r:
                results.append(r)
    for key in ("ready", "cpu", "idle_cpu"):
        values = [r[key] for r in results if key in r]
        if values:
            print(f"median {key}: {statistics.median(values):.3f} "
                  f"({min(values):.3f}-{max(values):.3f}) over {len(values)} run(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
