#!/usr/bin/env python3
"""HTTP/1.1 core under many idle keep-alive connections (issue 5, on demand; python3 stdlib + wrk).

Starts one estuary (HTTP connector on 127.0.0.1), then for each idle count (default 0 and 2000):
opens that many keep-alive connections, each answered once and then left idle, runs
`wrk -t2 -c100 -d15s` on a small answer (/crossdomain.xml, served by the HTTP thread) and prints
requests/s, latency, server CPU seconds over the wrk window (all threads, from /proc), server CPU
over a quiet window with only the idle connections, and whether every idle connection still
answers afterwards. Nothing is estimated: a figure that could not be taken prints as missing.

    bench/http1-connections.py [--estuary build/src/controller/estuary] [--idle 0,2000]
                               [--duration 15] [--runs 3]

With --runs N the rows are taken N times in turn (idle counts interleaved, one server) and a
median row per idle count follows, with the req/s spread.
"""

import argparse
import json
import statistics
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

PATH = "/crossdomain.xml"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, proc, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return f"estuary exited with {proc.returncode}"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return None
        except OSError:
            time.sleep(0.05)
    return f"nothing listening on port {port} after {seconds} s"


def cpu_seconds(pid):
    """utime + stime of the whole process (every thread), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


REQUEST = f"GET {PATH} HTTP/1.1\r\nHost: bench\r\n\r\n".encode()


def read_answer(sock):
    """Reads one answer with a Content-Length body; returns the status or raises."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed before the head")
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    m = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    length = int(m.group(1)) if m else 0
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed in the body")
        rest += chunk
    return int(head.split(b" ", 2)[1])


def open_idle(port, count):
    """`count` connections, each answered once (so keep-alive, not a pending head), then idle."""
    conns = []
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(REQUEST)
        status = read_answer(s)
        if status != 200:
            raise RuntimeError(f"idle connection setup got {status}")
        conns.append(s)
    return conns


def still_answering(conns):
    """How many idle connections still answer a request (the server kept them all)."""
    ok = 0
    for s in conns:
        try:
            s.sendall(REQUEST)
            if read_answer(s) == 200:
                ok += 1
        except OSError:
            pass
    return ok


def run_wrk(url, duration, connections, threads):
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency",
                          url], capture_output=True, text=True, timeout=duration + 30)
    text = out.stdout
    rps = re.search(r"Requests/sec:\s*([\d.]+)", text)
    lat = re.search(r"^\s*Latency\s+([\d.]+\w+)", text, re.M)
    p99 = re.search(r"^\s*99%\s+([\d.]+\w+)", text, re.M)
    errors = re.search(r"Socket errors:.*|Non-2xx or 3xx responses:.*", text)
    if not rps:
        return None, f"wrk printed no rate: {text.strip()[-200:]} {out.stderr.strip()[-200:]}"
    return {"rps": float(rps.group(1)), "latency": lat.group(1) if lat else "?",
            "p99": p99.group(1) if p99 else "?", "errors": errors.group(0) if errors else ""}, None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--estuary", default=os.path.join(os.environ.get("BUILD", "build"),
                                                      "src/controller/estuary"))
    ap.add_argument("--idle", default="0,2000", help="idle keep-alive connection counts")
    ap.add_argument("--duration", type=int, default=15)
    ap.add_argument("--connections", type=int, default=100, help="wrk -c")
    ap.add_argument("--threads", type=int, default=2, help="wrk -t")
    ap.add_argument("--quiet", type=float, default=5.0, help="seconds of idle-only CPU sampling")
    ap.add_argument("--runs", type=int, default=1)
    args = ap.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing (apt-get install wrk)")
    if not os.path.exists(args.estuary):
        sys.exit(f"{args.estuary} not built")
    counts = [int(x) for x in args.idle.split(",")]
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = max(counts) + 256
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, hard), hard))

    tmp = tempfile.mkdtemp(prefix="estuary-h1bench-")
    api_port, http_port = free_port(), free_port()
    config = {"config": {"controller": {"port": api_port},
                         "protocols": [{"connector": "HTTP", "port": http_port,
                                        "interface": "127.0.0.1"}]},
              "streams": {}}
    path = os.path.join(tmp, "config.json")
    with open(path, "w") as f:
        json.dump(config, f)
    log = open(os.path.join(tmp, "estuary.log"), "w")
    proc = subprocess.Popen([args.estuary, "-c", path, "-p", str(api_port)], stdout=log,
                            stderr=subprocess.STDOUT)
    rows = []
    try:
        why = wait_listening(http_port, proc, 15)
        if why:
            sys.exit(f"estuary did not start: {why}")
        url = f"http://127.0.0.1:{http_port}{PATH}"
        # Warm-up, so the first row does not pay for first-use allocations.
        run_wrk(url, 2, args.connections, args.threads)
        for count in counts * args.runs:
            conns = open_idle(http_port, count)
            t0, c0 = time.monotonic(), cpu_seconds(proc.pid)
            time.sleep(args.quiet)  # idle-only window: what the held connections cost at rest
            idle_cpu = (cpu_seconds(proc.pid) - c0) / (time.monotonic() - t0)
            c0, t0 = cpu_seconds(proc.pid), time.monotonic()
            res, err = run_wrk(url, args.duration, args.connections, args.threads)
            cpu = cpu_seconds(proc.pid) - c0
            wall = time.monotonic() - t0
            rss = rss_mib(proc.pid)
            alive = still_answering(conns)
            for s in conns:
                s.close()
            rows.append((count, res, err, cpu, wall, idle_cpu, rss, alive))
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"estuary {args.estuary}; wrk -t{args.threads} -c{args.connections} -d{args.duration}s "
          f"{PATH}; {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}")
    print(f"{'idle conns':>10} {'req/s':>10} {'lat avg':>8} {'p99':>8} {'srv CPU s':>9} "
          f"{'CPU us/req':>10} {'idle CPU %':>10} {'RSS MiB':>8} {'idle alive':>10}")
    taken = {}
    for count, res, err, cpu, wall, idle_cpu, rss, alive in rows:
        if not res:
            print(f"{count:>10} missing ({err})")
            continue
        per_req = cpu / (res["rps"] * wall) * 1e6
        taken.setdefault(count, []).append((res["rps"], per_req, idle_cpu))
        print(f"{count:>10} {res['rps']:>10.0f} {res['latency']:>8} {res['p99']:>8} {cpu:>9.2f} "
              f"{per_req:>10.1f} {idle_cpu * 100:>10.2f} {rss:>8.1f} {alive:>5}/{count:<4}"
              + (f"  {res['errors']}" if res["errors"] else ""))
    if args.runs > 1:
        print("median of the runs (req/s min-max):")
        for count, runs in taken.items():
            rps = [r[0] for r in runs]
            print(f"{count:>10} {statistics.median(rps):>10.0f} ({min(rps):.0f}-{max(rps):.0f}, "
                  f"{len(runs)} runs) {statistics.median(r[1] for r in runs):>6.1f} us CPU/req "
                  f"{statistics.median(r[2] for r in runs) * 100:>6.2f} % idle CPU")


if __name__ == "__main__":
    main()
