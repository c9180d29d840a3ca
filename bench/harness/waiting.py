"""Waiting under a deadline, for the standalone bench scripts (latency.py, media-core.py)."""
import socket
import subprocess
import time


class Missing(Exception):
    """A figure that could not be taken; the message says why."""


def free_port():
    """A port on 127.0.0.1 free a moment ago, to hand to a server's configuration."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def poll(what, check, timeout=30.0, interval=0.02):
    """Calls check() until it returns a true value, which is returned; OSError counts as not
    yet. Raises Missing after `timeout` seconds."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            value = check()
            if value:
                return value
        except OSError:
            pass
        time.sleep(interval)
    raise Missing("timed out waiting for " + what)


def stop_process(proc, timeout=15.0):
    """SIGTERM to a process this script started (by its Popen), SIGKILL after `timeout` s."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
