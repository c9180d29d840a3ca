"""First-time setup on a terminal (manual 1.5): with no account and stdin on a terminal, estuary
asks for a user name, a password (twice, not echoed) and whether to enable the default
protocols, then serves the API with that account.

argv: ESTUARY_BINARY. A real pseudo-terminal drives the real daemon.
"""

import hashlib
import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import tempfile
import shutil
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import estuary_harness as h  # noqa: E402


class Terminal:
    def __init__(self, args, cwd):
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=subprocess.DEVNULL,
                                     cwd=cwd, close_fds=True, start_new_session=True)
        os.close(slave)
        self.seen = b""
        self.transcript = b""  # everything the terminal showed

    def expect(self, pattern, timeout=h.DEADLINE_S):
        end = time.monotonic() + timeout
        regex = re.compile(pattern)
        while True:
            m = regex.search(self.seen.decode(errors="replace"))
            if m:
                self.seen = self.seen[m.end():]
                return m
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError("no %r on the terminal; got %r" % (pattern, self.seen[-400:]))
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.master, 4096)
                    self.seen += chunk
                    self.transcript += chunk
                except OSError:
                    raise AssertionError("terminal closed; got %r" % self.seen[-400:])

    def send(self, text):
        os.write(self.master, text.encode())

    def close(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=h.DEADLINE_S)
        os.close(self.master)


def test_first_run(binary):
    folder = tempfile.mkdtemp(prefix="estuary-first-run-")
    config = os.path.join(folder, "config.json")
    term = Terminal([binary, "-c", config, "-p", "0", "-i", "127.0.0.1"], folder)
    try:
        term.expect(r"User name: ")
        term.send("admin\n")
        term.expect(r"Password: ")
        term.send("s3cret\n")
        term.expect(r"Password again: ")
        term.send("different\n")
        term.expect(r"differ")
        term.expect(r"Password: ")
        term.send("s3cret\n")
        term.expect(r"Password again: ")
        term.send("s3cret\n")
        term.expect(r"default protocols")
        term.send("n\n")
        port = int(term.expect(r"API and web panel on http://127\.0\.0\.1:(\d+)/").group(1))
        assert b"s3cret" not in term.transcript, "the password was echoed"
        assert b"admin" in term.transcript, "the user name should be echoed"

        d = h.Daemon(binary, folder=folder)
        d.port = port
        # Local callers are trusted: the account exists, so the status is OK, not NOACC.
        answer = d.call({"config": True})
        assert answer["authorize"]["status"] == "OK", answer["authorize"]
        assert answer["config"]["protocols"] == [], "answered no, but protocols were enabled"
        assert "demo" in d.call({"streams": True})["streams"]
    finally:
        term.close()
    try:
        with open(config) as f:
            saved = json.load(f)
        assert saved["account"] == {"admin": {"password": hashlib.md5(b"s3cret").hexdigest()}}, \
            saved["account"]
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    binary = os.path.abspath(sys.argv[1])
    sys.exit(h.run_tests([("interactive first-time setup", lambda: test_first_run(binary))]))
