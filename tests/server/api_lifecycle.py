"""The daemon's life: persistence across kill -9 and SIGTERM, refusing a corrupt configuration,
the UDP API (manual 4.2), and the command line."""

import json
import re
import signal
import socket
import subprocess

from estuary_harness import DEADLINE_S, Daemon, poll

EMPTY_CONFIG = json.dumps({"config": {"protocols": []}})


def test_save_then_kill9_keeps_streams(binary):
    d = Daemon(binary, EMPTY_CONFIG).start()
    try:
        d.call({"addstream": {"saved": {"source": "/saved.mp4"}}})
        d.call({"save": True})
        d.call({"addstream": {"unsaved": {"source": "/unsaved.mp4"}}})
        d.signal(signal.SIGKILL)
        assert d.wait() == -signal.SIGKILL
        d.start()
        streams = d.call({"streams": True})["streams"]
        # What was saved survives; what was not is rolled back (manual 4.1.13).
        assert streams == {"saved": {"source": "/saved.mp4", "name": "saved"}}, streams
    finally:
        d.cleanup()


def test_sigterm_saves_and_exits_0(binary):
    d = Daemon(binary, EMPTY_CONFIG).start()
    try:
        d.call({"addstream": {"onexit": {"source": "/x.mp4"}}, "ui_settings": {"a": 1}})
        d.signal(signal.SIGTERM)
        assert d.wait() == 0, d.stderr()
        saved = json.loads(d.read_config())
        assert saved["streams"] == {"onexit": {"source": "/x.mp4", "name": "onexit"}}, saved
        assert saved["ui_settings"] == {"a": 1}
        d.start()
        assert "onexit" in d.call({"streams": True})["streams"]
    finally:
        d.cleanup()


def _refuses(binary, text, expect_line, expect_words):
    d = Daemon(binary, text)
    try:
        before = d.read_config()
        d.start(expect_ready=False)
        rc = d.wait()
        err = d.stderr()
        assert rc != 0, "started with a corrupt configuration"
        m = re.search(re.escape(d.config) + r":(\d+):(\d+): ", err)
        assert m, "no FILE:LINE:COLUMN in stderr:\n" + err
        assert int(m.group(1)) == expect_line, (m.group(0), err)
        for w in expect_words:
            assert w in err, (w, err)
        assert d.read_config() == before, "the configuration file was changed"
        out = d.proc.stdout.read()
        assert b"API and web panel" not in out
    finally:
        d.cleanup()


def test_corrupt_config_refused(binary):
    _refuses(binary, '{\n "streams": {\n  "a": {"source": "/a.mp4"},,\n }\n}\n', 3, [])
    _refuses(binary, '{\n "streams": {\n  "a": {\n   "source": 5\n  }\n }\n}\n', 4,
             ["streams.a.source"])
    _refuses(binary, '{"config": {"controller": {"port": "4242"}}}', 1, ["config.controller.port"])


def test_udp_api(binary):
    with Daemon(binary, EMPTY_CONFIG).start() as d:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.sendto(b'{"addstream":{"udpx":{"source":"/tmp/x.mp4"}}}', ("127.0.0.1", d.port))
            streams = poll("udpx to appear", lambda: "udpx" in d.call({"streams": True})["streams"] and
                           d.call({"streams": True})["streams"])
            assert streams["udpx"] == {"source": "/tmp/x.mp4", "name": "udpx"}, streams
            # Garbage and invalid calls are ignored; a later valid datagram still works.
            s.sendto(b"\x00\xffnot json", ("127.0.0.1", d.port))
            s.sendto(b'{"addstream": 5}', ("127.0.0.1", d.port))
            s.sendto(b'{"deletestream": "udpx"}', ("127.0.0.1", d.port))
            poll("udpx to go", lambda: "udpx" not in d.call({"streams": True})["streams"])
            # No reply is sent (manual 4.2).
            s.settimeout(0.2)
            try:
                data = s.recv(100)
                raise AssertionError("UDP API replied: %r" % data)
            except socket.timeout:
                pass
        finally:
            s.close()


def test_command_line(binary):
    r = subprocess.run([binary, "--no-such-flag"], capture_output=True, timeout=DEADLINE_S,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 2, r
    err = r.stderr.decode()
    assert "no-such-flag" in err and "--config" in err and "--port" in err, err
    assert r.stdout == b""
    r = subprocess.run([binary, "stray-argument"], capture_output=True, timeout=DEADLINE_S,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 2 and b"--config" in r.stderr, r
    r = subprocess.run([binary, "-p", "70000"], capture_output=True, timeout=DEADLINE_S,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 2, r
    r = subprocess.run([binary, "--version"], capture_output=True, timeout=DEADLINE_S,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r
    assert re.fullmatch(rb"estuary \d+\.\d+\.\d+\S*\n", r.stdout), r.stdout
    r = subprocess.run([binary, "-h"], capture_output=True, timeout=DEADLINE_S, stdin=subprocess.DEVNULL)
    assert r.returncode == 0 and b"--config" in r.stdout, r


TESTS = [
    ("save, kill -9, restart keeps saved streams", test_save_then_kill9_keeps_streams),
    ("SIGTERM saves and exits 0", test_sigterm_saves_and_exits_0),
    ("corrupt config: exit non-zero with FILE:LINE:COLUMN, file untouched", test_corrupt_config_refused),
    ("UDP API adds and deletes streams", test_udp_api),
    ("unknown flag exits 2 with usage; --version", test_command_line),
]
