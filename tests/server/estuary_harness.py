"""Shared parts of the estuary server tests: start the real daemon on port 0 with a temporary
configuration, talk HTTP to it (http.client, or a raw socket where http.client would hide what
the server did), and report results as TAP.

Only python3's standard library is used. Every wait polls under a deadline; nothing sleeps a
fixed time. Only processes started here are ever signalled, by their own pid.
"""

import hashlib
import http.client
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request

DEADLINE_S = 15.0


def poll(what, check, timeout=DEADLINE_S, interval=0.02):
    """Calls check() until it returns a true value, which is returned; fails after timeout."""
    end = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < end:
        try:
            value = check()
            if value:
                return value
        except Exception as e:  # the server may not be ready yet
            last_error = e
        time.sleep(interval)
    raise AssertionError("timed out waiting for %s (last error: %r)" % (what, last_error))


def md5(text):
    return hashlib.md5(text.encode()).hexdigest()


def free_port(kind=socket.SOCK_STREAM):
    """A port on 127.0.0.1 free a moment ago, for a listener whose port the test must know first."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def have_media_tools():
    """True when ffmpeg and ffprobe are on PATH (tests that need them skip otherwise)."""
    return all(shutil.which(t) for t in ("ffmpeg", "ffprobe"))


def ffmpeg(*args):
    """Runs ffmpeg quietly, overwriting outputs; raises when it fails."""
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y"] + list(args),
                   check=True, timeout=120)


def probe_span(target):
    """(sorted codec names, covered time span in s of the first video stream, else the first)."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries",
         "stream=index,codec_name,codec_type:packet=stream_index,pts_time,dts_time,duration_time",
         "-of", "json", target], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, (target, out.stderr)
    info = json.loads(out.stdout)
    streams = info.get("streams", [])
    codecs = sorted(s["codec_name"] for s in streams)
    main = next((s for s in streams if s["codec_type"] == "video"), streams[0] if streams else None)
    times = []
    for p in info.get("packets", []):
        if main is None or p.get("stream_index") != main["index"]:
            continue
        t = p.get("pts_time", p.get("dts_time"))
        if t in (None, "N/A"):
            continue
        d = p.get("duration_time", "0")
        times.append((float(t), float(t) + (float(d) if d not in (None, "N/A") else 0.0)))
    span = (max(e for _, e in times) - min(s for s, _ in times)) if times else 0.0
    return codecs, span


class Daemon:
    """One estuary process with its own folder and configuration file."""

    def __init__(self, binary, config_text=None, env=None, folder=None, extra_args=()):
        self.binary = binary
        self.own_folder = folder is None
        self.folder = folder or tempfile.mkdtemp(prefix="estuary-server-test-")
        self.config = os.path.join(self.folder, "config.json")
        if config_text is not None:
            with open(self.config, "w") as f:
                f.write(config_text)
        self.env = dict(os.environ)
        self.env.pop("GST_DEBUG", None)
        self.env.update(env or {})
        self.extra_args = list(extra_args)
        self.proc = None
        self.port = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup()

    def start(self, expect_ready=True):
        args = [self.binary, "-c", self.config, "-p", "0", "-i", "127.0.0.1"] + self.extra_args
        self.stderr_path = os.path.join(self.folder, "stderr-%d.txt" % time.monotonic_ns())
        self.stderr_file = open(self.stderr_path, "w")
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=self.stderr_file, env=self.env, cwd=self.folder)
        if not expect_ready:
            return self
        line = self._read_ready_line()
        m = re.search(r"^estuary [^:]+: API and web panel on http://127\.0\.0\.1:(\d+)/$", line)
        assert m, "unexpected first line on stdout: %r" % line
        self.port = int(m.group(1))
        assert self.port > 0
        return self

    def _read_ready_line(self):
        end = time.monotonic() + DEADLINE_S
        buf = b""
        fd = self.proc.stdout.fileno()
        while b"\n" not in buf:
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError("daemon did not print its port; stderr:\n" + self.stderr())
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 4096)
                if not chunk:
                    raise AssertionError("daemon exited before listening (rc %s); stderr:\n%s" %
                                         (self.proc.wait(), self.stderr()))
                buf += chunk
        return buf.split(b"\n", 1)[0].decode()

    def stderr(self):
        if not self.stderr_file.closed:
            self.stderr_file.flush()
        with open(self.stderr_path, errors="replace") as f:
            return f.read()

    def wait(self, timeout=DEADLINE_S):
        rc = self.proc.wait(timeout=timeout)
        self.stderr_file.close()
        return rc

    def signal(self, sig):
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, sig)

    def stop(self):
        """SIGTERM and wait; SIGKILL if it does not go (still only our own pid)."""
        if self.proc and self.proc.poll() is None:
            self.signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=DEADLINE_S)
            except subprocess.TimeoutExpired:
                self.signal(signal.SIGKILL)
                self.proc.wait()
        if self.proc:
            self.proc.stdout.close()
            if not self.stderr_file.closed:
                self.stderr_file.close()

    def cleanup(self):
        self.stop()
        if self.own_folder:
            shutil.rmtree(self.folder, ignore_errors=True)

    def read_config(self):
        with open(self.config, "rb") as f:
            return f.read()

    # --- HTTP ---------------------------------------------------------------------------

    def connection(self):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=DEADLINE_S)

    def request(self, method, path, body=None, headers=None, conn=None):
        """Returns (status, headers dict with lowercase names, body bytes)."""
        own = conn is None
        conn = conn or self.connection()
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
        finally:
            if own:
                conn.close()

    def api(self, command, path="/api2", conn=None, method="GET"):
        """Sends `command` (a dict, or raw text) as the command parameter; returns the JSON answer."""
        text = command if isinstance(command, str) else json.dumps(command)
        if method == "GET":
            status, headers, body = self.request(
                "GET", path + "?command=" + urllib.parse.quote(text), conn=conn)
        else:
            status, headers, body = self.request(
                "POST", path, body=urllib.parse.urlencode({"command": text}),
                headers={"Content-Type": "application/x-www-form-urlencoded"}, conn=conn)
        assert headers.get("content-type", "").startswith("application/json"), headers
        return status, json.loads(body)

    def call(self, command, path="/api2"):
        status, answer = self.api(command, path)
        assert status == 200, (status, answer)
        return answer


class MediaServer:
    """A daemon with HTTP on a free port, `connectors` beside it, `streams` (a dict for
    addstream) and a temporary media folder, all removed on exit."""

    def __init__(self, binary, streams, connectors, controller=None, prefix="estuary-media-"):
        self.media = tempfile.mkdtemp(prefix=prefix)
        self.daemon = Daemon(binary, config_text=json.dumps(
            {"config": {"protocols": [], "controller": controller or {}}, "streams": {}}))
        self.daemon.start()
        self.http_port = free_port()
        self.base = "http://127.0.0.1:%d" % self.http_port
        if streams:
            self.daemon.call({"addstream": streams})
        self.daemon.call({"addprotocol": [{"connector": "HTTP", "port": self.http_port}] +
                          [{"connector": c} for c in connectors]})
        poll("the HTTP output to listen", lambda: self.get("/crossdomain.xml")[0] == 200)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.daemon.cleanup()
        shutil.rmtree(self.media, ignore_errors=True)

    def get(self, path, timeout=120):
        """(status, {lower-case header: value}, body) of a GET of a path or an absolute URL."""
        url = path if path.startswith("http") else self.base + path
        try:
            with urllib.request.urlopen(url, timeout=timeout) as resp:
                return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
        except urllib.error.HTTPError as e:
            return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


class RawHttp:
    """A keep-alive HTTP/1.1 connection on a plain socket, for cases http.client hides: bodies
    sent before the answer, chunked bodies, and seeing the server close the connection."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE_S)
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def request(self, method, path, body=b"", headers=None):
        head = "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n" % (method, path)
        hdrs = dict(headers or {})
        if body is not None and "Transfer-Encoding" not in hdrs:
            hdrs.setdefault("Content-Length", str(len(body)))
        for k, v in hdrs.items():
            head += "%s: %s\r\n" % (k, v)
        self.send(head.encode() + b"\r\n" + (body or b""))
        return self.read_response()

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed by the server")
        self.buf += chunk

    def read_response(self):
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        length = int(headers.get("content-length", "0"))
        while len(self.buf) < length:
            self._fill()
        body, self.buf = self.buf[:length], self.buf[length:]
        return status, headers, body

    def closed_by_server(self, timeout=DEADLINE_S):
        """True once the server has closed its side (recv returns EOF or a reset)."""
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False

    def close(self):
        self.sock.close()


class Shared:
    """One fixture for a whole test group: made by make(binary) on the first get(), cleaned up
    by main_with_media_tools() when the group ends."""

    def __init__(self, make):
        self.make = make
        self.value = None

    def get(self, binary):
        if self.value is None:
            self.value = self.make(binary)
        return self.value

    def cleanup(self):
        if self.value is not None:
            self.value.cleanup()


def run_tests(tests):
    """Runs (name, function) pairs, printing TAP. Returns the process exit code."""
    print("1..%d" % len(tests), flush=True)
    failed = 0
    for i, (name, fn) in enumerate(tests, 1):
        try:
            fn()
            print("ok %d - %s" % (i, name), flush=True)
        except Exception:
            failed += 1
            print("not ok %d - %s" % (i, name), flush=True)
            for line in traceback.format_exc().splitlines():
                print("# " + line, flush=True)
    return 1 if failed else 0


def main(tests_by_group):
    """argv: BINARY GROUP. Runs that group's tests."""
    if len(sys.argv) != 3 or sys.argv[2] not in tests_by_group:
        sys.stderr.write("usage: %s ESTUARY_BINARY {%s}\n" % (sys.argv[0], "|".join(tests_by_group)))
        sys.exit(2)
    binary = os.path.abspath(sys.argv[1])
    sys.exit(run_tests([(name, lambda fn=fn: fn(binary)) for name, fn in tests_by_group[sys.argv[2]]]))


def main_with_media_tools(tests_by_group, shared=()):
    """main() for groups that need ffmpeg and ffprobe: a TAP skip without them. Every Shared
    fixture in `shared` is cleaned up afterwards."""
    if len(sys.argv) == 3 and sys.argv[2] in tests_by_group and not have_media_tools():
        print("1..0 # SKIP ffmpeg/ffprobe not installed")
        sys.exit(0)
    try:
        main(tests_by_group)
    finally:
        for fixture in shared:
            fixture.cleanup()
