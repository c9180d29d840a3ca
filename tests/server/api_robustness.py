"""1,000 malformed requests: each gets a JSON `error` answer, the configuration does not change
and the server keeps answering."""

import http.client
import json
import random
import socket
import urllib.parse

from estuary_harness import DEADLINE_S, Daemon, RawHttp, poll

MAX_BODY = 4 * 1024 * 1024
CONFIG = json.dumps({"config": {"protocols": [], "serverid": "robust"},
                     "streams": {"keep": {"source": "/keep.mp4", "name": "keep"}}})

WRONG_TYPES = [
    {"addstream": 5}, {"addstream": {"a": {"source": 1}}}, {"addstream": {"a": "x"}},
    {"addstream": {"b": {"source": "/b", "DVR": "long"}}}, {"deletestream": 5},
    {"deletestream": [1, 2]}, {"streams": {"a": {"source": []}}}, {"streams": {"x": 7}},
    {"config": {"controller": {"port": "x"}}}, {"config": {"protocols": {"connector": "HTTP"}}},
    {"config": {"protocols": [{"port": 1}]}}, {"config": {"serverid": 5}}, {"browse": 5},
    {"browse": "/definitely/not/here"}, {"addprotocol": "HTTP"}, {"addprotocol": [{"nope": 1}]},
    {"deleteprotocol": 3}, {"updateprotocol": 1}, {"updateprotocol": [{"connector": "A"}]},
    {"addstream": {"": {"source": "/e"}}}, {"addstream": {"w+x": {"source": "/w"}}},
]


def _bad_json(rng):
    good = json.dumps({"addstream": {"s%d" % rng.randrange(1000): {"source": "/x.mp4"}}})
    cut = rng.randrange(1, len(good) - 1)
    return rng.choice([good[:cut], good.replace(":", "", 1), "{", "{'a': 1}",
                       "{\"a\": tru}", "{\"a\" 1}", "nul", good + "garbage"])


def _garbage(rng, n=None):
    return bytes(rng.randrange(256) for _ in range(n or rng.randrange(1, 300)))


class Client:
    """Keep-alive connection that reconnects when the server closes it."""

    def __init__(self, port):
        self.port = port
        self.conn = None

    def send(self, method, path, body=None, headers=None):
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=DEADLINE_S)
            try:
                self.conn.request(method, path, body=body, headers=headers or {})
                resp = self.conn.getresponse()
                data = resp.read()
                if resp.will_close:
                    self.conn.close()
                    self.conn = None
                return resp.status, resp.getheader("Content-Type", ""), data
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise


def _raw_once(port, head, body):
    raw = RawHttp(port)
    try:
        try:
            raw.send(head + body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before taking the whole body
        return raw.read_response()
    finally:
        raw.close()


def _one(i, rng, client, port):
    """Sends malformed request number i; returns (what, status, content type, body)."""
    kind = i % 10
    if kind == 0:
        text = _bad_json(rng)
        return ("bad JSON", *client.send("GET", "/api2?command=" + urllib.parse.quote(text)))
    if kind == 1:
        cmd = rng.choice(WRONG_TYPES)
        return ("wrong type %s" % json.dumps(cmd), *client.send(
            "POST", "/api2", body=json.dumps(cmd), headers={"Content-Type": "application/json"}))
    if kind == 2:
        cmd = {"no_such_call_%d" % i: rng.choice([1, "x", None, {}, []])}
        return ("unknown call", *client.send("GET", "/api?command=" + urllib.parse.quote(json.dumps(cmd))))
    if kind == 3:
        return ("binary JSON body", *client.send("POST", "/api", body=_garbage(rng),
                                                  headers={"Content-Type": "application/json"}))
    if kind == 4:
        form = "command=" + urllib.parse.quote_from_bytes(_garbage(rng))
        return ("binary form command", *client.send(
            "POST", "/api2", body=form, headers={"Content-Type": "application/x-www-form-urlencoded"}))
    if kind == 5:
        text = rng.choice(["[1, 2]", "\"str\"", "5", "null", "[]", "true"])
        return ("not an object", *client.send("GET", "/api2?command=" + urllib.parse.quote(text)))
    if kind == 6:
        # A chunked body: refused with 411 before it is read.
        head = (b"POST /api2 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n")
        status, headers, body = _raw_once(port, head, b"2\r\n{}\r\n0\r\n\r\n")
        return ("chunked", status, headers.get("content-type", ""), body)
    if kind == 7:
        # Oversize: more than 4 MiB. A client that asks first (Expect: 100-continue) gets the 413
        # without sending the body; others send it all, and the server drops it unread.
        size = MAX_BODY + 1 + rng.randrange(1000)
        expect = "Expect: 100-continue\r\n" if i % 20 == 7 else ""
        head = ("POST /api2 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n%s"
                "Content-Length: %d\r\n\r\n" % (expect, size)).encode()
        status, headers, body = _raw_once(port, head, b"" if expect else b"{" * size)
        return ("oversize", status, headers.get("content-type", ""), body)
    if kind == 8:
        cmd = json.dumps({"addstream": {"x": {"source": "/x"}}})[: rng.randrange(5, 20)]
        return ("truncated JSON body", *client.send("POST", "/api2", body=cmd,
                                                     headers={"Content-Type": "application/json"}))
    # Valid UTF-8 that is not JSON, as a GET parameter with a JSONP callback.
    text = "\u20ac" + "".join(rng.choice("äöü{}[]:,\"\\ \t\n€😀abc") for _ in range(rng.randrange(1, 40)))
    return ("text garbage", *client.send("GET", "/api2?callback=cb&command=" + urllib.parse.quote(text)))


def _state(d):
    a = d.call({"streams": True, "config": True, "ui_settings": True, "minimal": 1})
    a["config"].pop("time", None)
    return a


def test_malformed_requests(binary):
    with Daemon(binary, CONFIG).start() as d:
        d.call({"save": True})
        file_before = d.read_config()
        state_before = _state(d)
        rng = random.Random(20240605)
        client = Client(d.port)
        expect = {"chunked": 411, "oversize": 413}
        for i in range(1000):
            what, status, ctype, body = _one(i, rng, client, d.port)
            assert ctype.startswith("application/json"), (i, what, status, ctype, body[:200])
            answer = json.loads(body)
            assert isinstance(answer.get("error"), str) and answer["error"], (i, what, answer)
            if what in expect:
                assert status == expect[what], (i, what, status)
        # Raw binary garbage that is not HTTP at all: the server answers or closes, and survives.
        rng2 = random.Random(7)
        for _ in range(20):
            s = socket.create_connection(("127.0.0.1", d.port), timeout=DEADLINE_S)
            s.sendall(_garbage(rng2, 2000) + b"\r\n\r\n")
            try:
                s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                pass
            s.close()
        assert d.read_config() == file_before, "the configuration file changed"
        assert _state(d) == state_before, "the running configuration changed"
        # Still answering, and still able to change things.
        a = d.call({"addstream": {"after": {"source": "/after.mp4"}}})
        assert "after" in a["streams"]


def _rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_refused_body_not_kept(binary):
    # 256 MiB announced and sent: answered 413, and the daemon does not grow by the body's size.
    with Daemon(binary, CONFIG).start() as d:
        d.call({})
        before = _rss_kib(d.proc.pid)
        size = 256 * 1024 * 1024
        raw = RawHttp(d.port)
        raw.send(("POST /api HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % size).encode())
        chunk = b"x" * (1 << 20)
        for _ in range(size // len(chunk)):
            raw.send(chunk)
        status, headers, body = raw.read_response()
        raw.close()
        assert status == 413 and "error" in json.loads(body), (status, body)
        grown = _rss_kib(d.proc.pid) - before
        assert grown < 32 * 1024, "daemon grew by %d KiB while refusing a 256 MiB body" % grown
        # The same for a chunked body that never ends within the cap.
        raw = RawHttp(d.port)
        raw.send(b"POST /api HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        for _ in range(64):
            raw.send(b"100000\r\n" + chunk + b"\r\n")
        raw.send(b"0\r\n\r\n")
        status, headers, body = raw.read_response()
        raw.close()
        assert status == 411, status
        grown = _rss_kib(d.proc.pid) - before
        assert grown < 32 * 1024, "daemon grew by %d KiB while refusing a chunked body" % grown
        assert d.call({"ui_settings": True})["ui_settings"] == {}


def test_deep_nesting(binary):
    # json-glib recurses per level: 100,000 '[' used to overflow the daemon's stack, before login.
    with Daemon(binary, CONFIG, env={"ESTUARY_TEST_UNTRUSTED_LOOPBACK": "1"}).start() as d:
        for depth in (65, 100000, 1000000):
            text = '{"ui_settings":' + "[" * depth + "]" * depth + "}"
            status, headers, body = d.request("POST", "/api2", body=text,
                                              headers={"Content-Type": "application/json"})
            assert status == 400 and "nested" in json.loads(body)["error"], (depth, status, body[:200])
            status, headers, body = d.request("GET", "/api?command=" + urllib.parse.quote(text[:8000]))
            assert status == 400 and "error" in json.loads(body), (depth, status, body[:200])
            status, headers, body = d.request("GET", "/panel?command=" + urllib.parse.quote(text[:8000]))
            assert headers["content-type"].startswith("text/html"), headers
        # Strings full of brackets are not nesting.
        status, a = d.api({"authorize": {"username": "[" * 5000, "password": "{" * 5000}})
        assert a["authorize"]["status"] == "NOACC", a
        # 64 levels are fine.
        status, headers, body = d.request("POST", "/api2", body='{"a":' + "[" * 63 + "]" * 63 + "}",
                                          headers={"Content-Type": "application/json"})
        assert status == 200, body
    with Daemon(binary, CONFIG).start() as d:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.sendto(b'{"a":' + b"[" * 30000 + b"]" * 30000 + b"}", ("127.0.0.1", d.port))
            s.sendto(b'{"addstream":{"afterdeep":{"source":"/x.mp4"}}}', ("127.0.0.1", d.port))
        finally:
            s.close()
        poll("the UDP datagram after the deep one", lambda: "afterdeep" in d.call({"streams": True})["streams"])
        assert d.proc.poll() is None


TESTS = [
    ("1,000 malformed requests each get a JSON error; nothing changes", test_malformed_requests),
    ("a refused oversize or chunked body is not kept in memory", test_refused_body_not_kept),
    ("deeply nested JSON is refused, not a stack overflow (HTTP and UDP)", test_deep_nesting),
]
