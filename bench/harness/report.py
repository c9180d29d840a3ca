"""Turns the runs into one table (median and min–max per cell) and describes the machine."""
import datetime
import os
import platform
import re
import statistics
import subprocess

from harness.figures import SERVERS
from harness.servers import Missing, NotApplicable

# Rows whose ratio compares estuary's HLS figure with nginx's static-file ceiling.
CEILING_OF = {"static_rps": "hls_rps", "static_mbps": "hls_mbps"}


def fmt(v):
    if abs(v) >= 100:
        return f"{v:.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def _cell(values):
    """(text, median or None) for one server's values across runs."""
    nums = [v for v in values if not isinstance(v, Missing)]
    # Runs use different free ports, so reasons that differ only in numbers are one reason.
    by_shape = {}
    for v in values:
        if isinstance(v, Missing):
            by_shape.setdefault(re.sub(r"\d+", "#", v), str(v))
    reasons = list(by_shape.values())
    if not nums:
        word = "n/a" if all(isinstance(v, NotApplicable) for v in values) else "missing"
        return f"{word} ({'; '.join(reasons) or 'not measured'})", None
    med = statistics.median(nums)
    text = fmt(med)
    if len(values) > 1:
        text += f" ({fmt(min(nums))}–{fmt(max(nums))})"
    if reasons:
        text += f" [{len(nums)}/{len(values)} runs; missing: {'; '.join(reasons)}]"
    return text, med


def _escape(text):
    return text.replace("|", "\\|")


def table(rows, runs):
    """Markdown table; `runs` is a list of {key: {server: value}}."""
    out = ["| Figure | Unit | estuary | nginx-rtmp | estuary / nginx |",
           "|---|---|---|---|---|"]
    medians = {}
    for key, label, unit in rows:
        cells = []
        for server in SERVERS:
            values = [r.get(key, {}).get(server, Missing("not measured")) for r in runs]
            text, med = _cell(values)
            medians[(key, server)] = med
            cells.append(text)
        e_key = CEILING_OF.get(key, key)
        e, n = medians.get((e_key, "estuary")), medians[(key, "nginx-rtmp")]
        if e is not None and n:
            ratio = f"{e / n:.2f}" + (" (estuary HLS / nginx static)" if key in CEILING_OF else "")
        else:
            ratio = "—"
        out.append(f"| {_escape(label)} | {unit} | {_escape(cells[0])} | {_escape(cells[1])} "
                   f"| {ratio} |")
    return "\n".join(out)


def _read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def machine():
    cpuinfo = _read("/proc/cpuinfo")
    models = [l.split(":", 1)[1].strip() for l in cpuinfo.splitlines() if l.startswith("model name")]
    mem_kib = next((int(l.split()[1]) for l in _read("/proc/meminfo").splitlines()
                    if l.startswith("MemTotal:")), 0)
    kernel = _read("/proc/sys/kernel/osrelease").strip()
    return (f"CPU {models[0] if models else platform.processor() or 'unknown'}, "
            f"{len(models) or os.cpu_count()} logical cores, RAM {mem_kib / 1048576:.1f} GiB, "
            f"Linux {kernel}")


def _first_line(cmd):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
        return (r.stdout or r.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "unknown"


def versions(root):
    return {
        "estuary": _first_line(["git", "-C", root, "log", "-1", "--format=%h %cd", "--date=short"]),
        "nginx": _first_line(["nginx", "-v"]),
        "ffmpeg": _first_line(["ffmpeg", "-version"]),
        "wrk": _first_line(["wrk", "-v"]),
    }


NOTES = """\
Notes
- Each cell: median over the runs, then (min–max). `missing (reason)` means the figure could not
  be taken; nothing in this table is estimated.
- Both servers run side by side on the same machine and each receives the same clip pushed by its
  own `ffmpeg -re -stream_loop -1 -c copy -f flv`; wrk, the pushers and the viewer reader share the
  same cores as the servers, so heavy rows are bounded by the machine, not only by the server.
- CPU: utime+stime of the server's whole process tree from /proc (all threads), over the window.
  "% of a core" = CPU seconds / window seconds × 100. RSS sums over the tree, so nginx's master and
  worker count shared pages twice; nginx runs one worker (nginx-rtmp's live fan-out is per worker).
- nginx-rtmp writes HLS to disk (a temp dir, served by nginx with sendfile); estuary keeps segments
  in sealed memfds (shared memory, served with sendfile). Neither shows in VmRSS, so the row
  "HLS segments held outside RSS" gives both, to add to the RSS rows.
- Viewers: one epoll process (bench/reader) opens N players at once. A reader is behind when it
  never got media, was disconnected, went 2 s without media, or received < 80 % of the clip's
  bitrate over the last 5 s of the window. nginx-rtmp has no HTTP-FLV output.
- API: estuary answers /api2?command={} (transport and authorization only) and
  /api2?command={"capabilities":true} (a ~7 KB answer); nginx has no API, so its column is its rate
  for a small static page, a reference for HTTP handling cost only."""


def _load_line(loads):
    cores = os.cpu_count() or 1
    text = (f"- Load average (1 min) when each run started (before its servers): "
            f"{', '.join(f'{l:.1f}' for l in loads)} on {cores} cores")
    if max(loads) > cores:
        text += (" — other work was running on this machine during the benchmark, so these "
                 "figures are noisy; rerun on an idle machine before drawing conclusions")
    return text


def document(rows, runs, params, root):
    v = versions(root)
    lines = [
        "# estuary vs nginx-rtmp on loopback",
        "",
        f"Measured {datetime.datetime.now().strftime('%Y-%m-%d %H:%M')} by `bench/run"
        f"{' --quick' if params['quick'] else ''}` ({params['runs']} run(s)).",
        "",
        f"- Machine: {machine()}",
        f"- estuary: commit {v['estuary']}; {v['nginx']} with libnginx-mod-rtmp; {v['ffmpeg']}; "
        f"{v['wrk']}",
        f"- Source: {params['clip_desc']}",
        _load_line(params["loads"]),
        f"- Windows: steady ingest {params['windows']['ingest']} s, wrk {params['windows']['wrk']} s, "
        f"viewers {params['windows']['viewers']} s after {params['windows']['warmup']} s warm-up",
        "",
        table(rows, runs),
        "",
        NOTES,
        "",
    ]
    if params["notes"]:
        lines += ["Observations (what the numbers alone would hide)"]
        lines += [f"- {n}" for n in params["notes"]] + [""]
    return "\n".join(lines)
