"""Measurements against a running server: HLS readiness, wrk, and the viewer-load reader."""
import json
import re
import subprocess
import urllib.error
import urllib.parse
import urllib.request

from harness.servers import Missing


def http_get(url, timeout=2.0):
    """(status, body) or (None, reason)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, b""
    except (OSError, ValueError) as e:
        reason = getattr(e, "reason", e)
        return None, str(getattr(reason, "strerror", None) or reason)


def hls_segments(playlist_url, depth=0):
    """Absolute segment URLs of a media playlist (following a master playlist's first variant),
    or a Missing reason."""
    status, body = http_get(playlist_url)
    if status != 200:
        return Missing(f"playlist {status or body}")
    lines = [l.strip() for l in body.decode(errors="replace").splitlines() if l.strip()]
    if not lines or lines[0] != "#EXTM3U":
        return Missing("playlist is not an m3u8")
    uris = [urllib.parse.urljoin(playlist_url, l) for l in lines if not l.startswith("#")]
    if any(l.startswith("#EXT-X-STREAM-INF") for l in lines):
        if not uris or depth > 0:
            return Missing("master playlist without a usable variant")
        return hls_segments(uris[0], depth + 1)
    return uris if uris else Missing("playlist lists no segment yet")


def playable(playlist_url):
    """True when the playlist lists a segment and the first one is fetchable, else the reason."""
    segs = hls_segments(playlist_url)
    if isinstance(segs, Missing):
        return segs
    status, body = http_get(segs[0])
    if status != 200 or not body:
        return Missing(f"first segment {segs[0]}: {status or body}")
    return True


_UNITS = {"B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30, "TB": 1 << 40}


def wrk(url, seconds, threads=2, connections=100):
    """{'rps', 'mbps'} from `wrk -tT -cC -dSs url`, or a Missing reason. wrk's own units are
    binary; MB/s here is 10^6 bytes per second."""
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", url]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 30).stdout
    except subprocess.TimeoutExpired:
        return Missing("wrk did not finish")
    m = re.search(r"(\d+) requests in ([\d.]+)(\w+), ([\d.]+)(\w+) read", out)
    if not m or int(m.group(1)) == 0:
        err = re.search(r"Socket errors: (.*)", out)
        return Missing("wrk completed no request" + (f" ({err.group(1)})" if err else ""))
    requests = int(m.group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if bad and int(bad.group(1)) > requests // 1000:
        return Missing(f"{bad.group(1)} of {requests} responses were not 2xx/3xx")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    t = re.search(r"Transfer/sec:\s+([\d.]+)(\w+)", out)
    err = re.search(r"Socket errors: (.*)", out)
    return {"rps": rps, "mbps": float(t.group(1)) * _UNITS.get(t.group(2), 1) / 1e6,
            "requests": requests, "socket_errors": err.group(1) if err else None}


def viewers(reader, proto, port, stream, clients, bitrate, windows, sample):
    """Runs the reader with `clients` viewers. `sample()` is called at the window's start and end
    (it returns the server's cpu_seconds, its rss_mib and the machine's busy CPU seconds). Returns
    a dict of figures or a Missing."""
    cmd = [reader, "--proto", proto, "--port", str(port), "--stream", stream,
           "--clients", str(clients), "--bitrate", str(bitrate),
           "--connect-timeout", str(windows["connect"]), "--warmup", str(windows["warmup"]),
           "--window", str(windows["viewers"])]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    start = end = None
    result = None
    for line in proc.stdout:
        line = line.strip()
        if line == "WINDOW_START":
            start = sample()
        elif line == "WINDOW_END":
            end = sample()
        elif line.startswith("{"):
            result = json.loads(line)
    proc.wait()
    if proc.returncode != 0 or result is None or start is None or end is None:
        return Missing(f"reader failed: {proc.stderr.read().strip()[-200:]}")
    if result["never_played"] == clients:
        errors = "; ".join(f"{k} ×{v}" for k, v in result["errors"].items())
        return Missing(f"no reader got media: {errors or 'nothing within the connect timeout'}")
    if start[0] is None or end[0] is None:
        return Missing("server exited during the window")
    window = result["window_s"]
    server_cpu = end[0] - start[0]
    return {
        "cpu_pct": 100.0 * server_cpu / window,
        "others_pct": 100.0 * (end[2] - start[2] - server_cpu - result["reader_cpu_s"]) / window,
        "rss": end[1],
        "behind_pct": 100.0 * result["behind"] / clients,
        "reader_cpu_pct": 100.0 * result["reader_cpu_s"] / result["window_s"],
        "detail": result,
    }
