"""The two servers under test and the processes bench/run starts. Every process is started here,
remembered by PID, and stopped by that PID only."""
import json
import os
import signal
import socket
import subprocess
import time

from harness import prepare

STREAM = "bench"
APP = "live"


class Missing(str):
    """A figure that could not be taken; the string says why."""


class NotApplicable(Missing):
    """A figure that does not exist for this server (e.g. nginx-rtmp has no HTTP-FLV)."""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_error(port):
    """None when something accepts TCP connections on 127.0.0.1:port, else why not."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return None
    except OSError as e:
        return (e.strerror or str(e)).lower()


def tail(path, lines=3):
    try:
        with open(path, errors="replace") as f:
            text = [l.strip() for l in f.read().splitlines() if l.strip()]
    except OSError:
        return ""
    return " | ".join(text[-lines:])[-300:]


class Process:
    """A child process with its output in a log file."""

    def __init__(self, argv, log_path):
        self.log_path = log_path
        self.log = open(log_path, "wb")
        self.popen = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.log,
                                      stderr=subprocess.STDOUT, start_new_session=True)
        self.pid = self.popen.pid

    def alive(self):
        return self.popen.poll() is None

    def exit_reason(self):
        return f"exited with status {self.popen.returncode}: {tail(self.log_path)}"

    def stop(self, sig=signal.SIGTERM, grace=5.0):
        if self.alive():
            os.kill(self.pid, sig)
            try:
                self.popen.wait(grace)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.popen.wait()
        self.log.close()


def wait_listening(port, proc, seconds):
    """Polls until the port accepts connections; returns None or why it did not."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not proc.alive():
            return proc.exit_reason()
        if port_error(port) is None:
            return None
        time.sleep(0.05)
    return f"nothing listening on port {port} after {seconds:.0f} s"


class Server:
    name = ""
    proc = None
    unavailable = None  # Missing reason when the server could not be started at all

    def pid(self):
        return self.proc.pid if self.proc and self.proc.alive() else None

    def stop(self):
        if self.proc:
            self.proc.stop()


def _memfd_mib(pid):
    """Bytes of the memfds process `pid` holds open, in MiB (estuary keeps HLS segments there:
    shared memory that VmRSS does not show until the process itself reads it)."""
    total = 0
    fd_dir = f"/proc/{pid}/fd"
    try:
        names = os.listdir(fd_dir)
    except OSError:
        return 0.0
    for name in names:
        path = os.path.join(fd_dir, name)
        try:
            if os.readlink(path).startswith("/memfd:"):
                total += os.stat(path).st_size
        except OSError:
            continue  # closed while we looked
    return total / (1024.0 * 1024.0)


class NginxRtmp(Server):
    name = "nginx-rtmp"

    def __init__(self, tmp):
        self.tmp = tmp
        self.rtmp_port = free_port()
        self.http_port = free_port()

    def start(self):
        module = prepare.rtmp_module()
        if not module:
            self.unavailable = Missing("ngx_rtmp_module.so not found (libnginx-mod-rtmp)")
            return
        for d in ("hls", "static"):
            os.makedirs(os.path.join(self.tmp, d), exist_ok=True)
        with open(os.path.join(prepare.BENCH_DIR, "nginx-rtmp.conf.in")) as f:
            conf = f.read()
        # Workers run as root when we are root: the temp dir is private (0700) to us.
        user = "user root;" if os.geteuid() == 0 else ""
        for key, value in {"MODULE": module, "USER": user, "TMP": self.tmp,
                           "RTMP_PORT": self.rtmp_port, "HTTP_PORT": self.http_port}.items():
            conf = conf.replace(f"@{key}@", str(value))
        path = os.path.join(self.tmp, "nginx.conf")
        with open(path, "w") as f:
            f.write(conf)
        with open(os.path.join(self.tmp, "static", "index.html"), "w") as f:
            f.write("<!doctype html><title>bench</title><p>static page for the API reference.\n")
        self.proc = Process(["nginx", "-c", path, "-p", self.tmp], os.path.join(self.tmp, "nginx.log"))
        why = wait_listening(self.http_port, self.proc, 10)
        if why:
            self.unavailable = Missing(f"nginx did not start: {why} {tail(path + '-error.log')}")

    def stop(self):
        # SIGQUIT is nginx's graceful stop; the master takes its workers down with it.
        if self.proc:
            self.proc.stop(signal.SIGQUIT)

    push_url = property(lambda s: f"rtmp://127.0.0.1:{s.rtmp_port}/{APP}/{STREAM}")
    hls_url = property(lambda s: f"http://127.0.0.1:{s.http_port}/hls/{STREAM}.m3u8")
    static_url = property(lambda s: f"http://127.0.0.1:{s.http_port}/static/segment.ts")
    page_url = property(lambda s: f"http://127.0.0.1:{s.http_port}/static/index.html")
    flv_missing = NotApplicable("nginx-rtmp has no HTTP-FLV output")

    def segment_mib(self):
        """HLS files nginx-rtmp keeps in its hls dir (page cache, outside its RSS)."""
        hls = os.path.join(self.tmp, "hls")
        total = 0
        for name in os.listdir(hls) if os.path.isdir(hls) else []:
            try:
                total += os.stat(os.path.join(hls, name)).st_size
            except OSError:
                continue  # rotated away while we looked
        return total / (1024.0 * 1024.0)


class Estuary(Server):
    name = "estuary"

    def segment_mib(self):
        """HLS segments estuary keeps in memfds (shared memory, outside its RSS)."""
        return _memfd_mib(self.pid()) if self.pid() else 0.0

    def __init__(self, tmp, binary):
        self.tmp = tmp
        self.binary = binary
        self.api_port = free_port()
        self.http_port = free_port()
        self.rtmp_port = free_port()

    def start(self):
        if not os.path.exists(self.binary):
            self.unavailable = Missing(f"{self.binary} not built (make build)")
            return
        config = {
            "config": {
                "controller": {"port": self.api_port},
                "protocols": [
                    {"connector": "HTTP", "port": self.http_port, "interface": "127.0.0.1"},
                    {"connector": "RTMP", "port": self.rtmp_port, "interface": "127.0.0.1"},
                    {"connector": "HLS"},
                    {"connector": "FLV"},
                ],
            },
            "streams": {STREAM: {"name": STREAM, "source": "push://"}},
        }
        path = os.path.join(self.tmp, "config.json")
        with open(path, "w") as f:
            json.dump(config, f, indent=2)
        self.proc = Process([self.binary, "-c", path, "-p", str(self.api_port)],
                            os.path.join(self.tmp, "estuary.log"))
        why = wait_listening(self.api_port, self.proc, 15)
        if why:
            self.unavailable = Missing(f"estuary did not start: {why}")

    def listener_missing(self, what, port):
        """Missing reason when the named listener is not there, else None."""
        err = port_error(port)
        return Missing(f"estuary has no {what} listener yet: {err} on port {port}") if err else None

    push_url = property(lambda s: f"rtmp://127.0.0.1:{s.rtmp_port}/{APP}/{STREAM}")
    hls_url = property(lambda s: f"http://127.0.0.1:{s.http_port}/hls/{STREAM}/index.m3u8")
    flv_url = property(lambda s: f"http://127.0.0.1:{s.http_port}/{STREAM}.flv")
    # The cheapest call (an empty command object: only the transport and authorization run) and
    # `capabilities`, a ~7 KB answer.
    api_trivial_url = property(lambda s: f"http://127.0.0.1:{s.api_port}/api2?command=%7B%7D")
    api_url = property(lambda s: f"http://127.0.0.1:{s.api_port}/api2?command="
                       "%7B%22capabilities%22%3Atrue%7D")


def start_pusher(clip, url, log_path):
    return Process(["ffmpeg", "-hide_banner", "-loglevel", "error", "-re", "-stream_loop", "-1",
                    "-i", clip, "-c", "copy", "-f", "flv", url], log_path)
