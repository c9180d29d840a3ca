"""The HTTP side of the API (manual 4.1): how a command arrives, JSONP, /api vs /api2, combined
calls, CORS, and the web panel."""

import json
import re
import urllib.parse

from estuary_harness import Daemon

EMPTY_CONFIG = json.dumps({"config": {"protocols": []}})


def _daemon(binary):
    return Daemon(binary, EMPTY_CONFIG).start()


def test_command_carriers(binary):
    with _daemon(binary) as d:
        # GET parameter, the manual's own URL-encoded example shape.
        status, a = d.api({"addstream": {"viaget": {"source": "/g.mp4"}}}, method="GET")
        assert status == 200 and "viaget" in a["streams"], a
        # POST form parameter.
        status, a = d.api({"addstream": {"viaform": {"source": "/f.mp4"}}}, method="POST")
        assert status == 200 and "viaform" in a["streams"], a
        # POST with a JSON body.
        status, headers, body = d.request(
            "POST", "/api2", body=json.dumps({"addstream": {"viajson": {"source": "/j.mp4"}}}),
            headers={"Content-Type": "application/json"})
        assert status == 200 and headers["content-type"].startswith("application/json")
        assert "viajson" in json.loads(body)["streams"], body
        # The server is lenient about unencoded strings (manual 4.1).
        status, headers, body = d.request("GET", '/api2?command={"ui_settings":true}')
        assert status == 200 and json.loads(body)["ui_settings"] == {}, body
        # HEAD asks what a GET would answer and never runs a call.
        status, headers, body = d.request(
            "HEAD", "/api2?command=" + urllib.parse.quote(
                json.dumps({"addstream": {"viahead": {"source": "/h.mp4"}}})))
        assert status == 200 and body == b"", (status, body)
        names = set(d.call({"streams": True})["streams"])
        assert names == {"viaget", "viaform", "viajson"}, names


def test_jsonp(binary):
    with _daemon(binary) as d:
        cmd = urllib.parse.quote(json.dumps({"ui_settings": True}))
        for param in ("callback", "jsonp"):
            status, headers, body = d.request("GET", "/api2?%s=my_cb.x$1&command=%s" % (param, cmd))
            assert status == 200, status
            assert "javascript" in headers["content-type"], headers
            m = re.fullmatch(rb"my_cb\.x\$1\((.*)\);\n?", body, re.S)
            assert m, body
            assert json.loads(m.group(1))["ui_settings"] == {}
        # JSONP in a POST form too.
        status, headers, body = d.request(
            "POST", "/api2", body=urllib.parse.urlencode({"command": "{}", "callback": "cb"}),
            headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert body.startswith(b"cb(") and status == 200, body
        # Hostile callback names are refused with a plain JSON error, never echoed as script.
        for evil in ("alert(1)//", "a;b", "</script><script>x", "a b", "x" * 200, "a\nb"):
            status, headers, body = d.request(
                "GET", "/api2?callback=%s&command=%s" % (urllib.parse.quote(evil), cmd))
            assert status == 400, (evil, status)
            assert headers["content-type"].startswith("application/json")
            answer = json.loads(body)
            assert "callback" in answer["error"], answer
            assert not body.startswith(evil.encode())


def test_api_vs_api2(binary):
    with _daemon(binary) as d:
        d.call({"addstream": {"s1": {"source": "/s1.mp4"}}})
        full = d.call({}, path="/api")
        for member in ("streams", "config", "log", "authorize", "LTS"):
            assert member in full, (member, full.keys())
        assert full["streams"]["s1"]["source"] == "/s1.mp4"
        assert full["LTS"] == 1 and full["authorize"]["status"] in ("OK", "NOACC")
        minimal = d.call({"ui_settings": True}, path="/api2")
        assert set(minimal) <= {"ui_settings", "authorize", "LTS"}, minimal.keys()
        # "minimal": 1 on /api, and /api2 stays minimal even when asked otherwise.
        m = d.call({"minimal": 1, "ui_settings": True}, path="/api")
        assert "streams" not in m and "config" not in m and "log" not in m, m.keys()
        m = d.call({"minimal": 0}, path="/api2")
        assert "streams" not in m and "log" not in m, m.keys()
        # /api with no command at all is still a JSON answer.
        status, headers, body = d.request("GET", "/api")
        assert status == 200 and "streams" in json.loads(body)


def test_combined_calls(binary):
    with _daemon(binary) as d:
        a = d.call({"addstream": {"c1": {"source": "/c1.mp4"}, "c2": {"source": "push://"}},
                    "deletestream": "c0", "ui_settings": {"k": 1}, "addprotocol": {"connector": "MP3", "listlimit": 9},
                    "capabilities": True, "active_streams": True, "clients": {}, "totals": {},
                    "browse": "/", "log": True, "save": True})
        for member in ("streams", "ui_settings", "capabilities", "active_streams", "clients", "totals",
                       "browse", "log"):
            assert member in a, (member, a.keys())
        assert "error" not in a, a["error"]
        assert set(a["streams"]) == {"incomplete list", "c1", "c2"}, a["streams"]
        # `save` ran last and stored what the same request changed.
        saved = json.loads(d.read_config())
        assert set(saved["streams"]) == {"c1", "c2"} and saved["ui_settings"] == {"k": 1}
        assert {"connector": "MP3", "listlimit": 9} in saved["config"]["protocols"]


def test_cors(binary):
    with _daemon(binary) as d:
        status, headers, body = d.request("GET", "/api2?command=%7B%7D")
        assert headers.get("access-control-allow-origin") == "*", headers
        status, headers, body = d.request("GET", "/api2?command=%7B%7D",
                                          headers={"Origin": "http://panel.example"})
        assert headers.get("access-control-allow-origin") == "http://panel.example", headers
        # Errors carry CORS headers too, so browsers can read them.
        status, headers, body = d.request("GET", "/api2?command=%7Bbad")
        assert status == 400 and headers.get("access-control-allow-origin"), headers
        # Preflight.
        status, headers, body = d.request("OPTIONS", "/api", headers={
            "Origin": "http://panel.example", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, x-custom"})
        assert status in (200, 204), status
        assert headers.get("access-control-allow-origin") == "http://panel.example"
        assert "POST" in headers.get("access-control-allow-methods", ""), headers
        assert "x-custom" in headers.get("access-control-allow-headers", "").lower(), headers
        assert body == b""


def test_panel(binary):
    with _daemon(binary) as d:
        for path in ("/", "/index.html", "/some/other/page?x=1"):
            status, headers, body = d.request("GET", path)
            assert status == 200, (path, status)
            assert headers["content-type"].startswith("text/html"), headers
            assert re.search(rb"<html|<!doctype html", body, re.I), body[:200]
        # A command on a non-API path is still answered as an API call (manual 4.1).
        status, headers, body = d.request("GET", "/anything?command=%7B%22ui_settings%22%3Atrue%7D")
        assert headers["content-type"].startswith("application/json")
        assert "ui_settings" in json.loads(body)
        # An invalid command elsewhere serves the panel; /api and /api2 always answer JSON.
        for bad in ("%7Bbroken", "%5B1%5D"):
            status, headers, body = d.request("GET", "/page?command=" + bad)
            assert headers["content-type"].startswith("text/html"), (bad, headers)
            for api in ("/api", "/api2"):
                status, headers, body = d.request("GET", api + "?command=" + bad)
                assert status == 400 and "error" in json.loads(body), (api, bad, body)


TESTS = [
    ("GET command=, POST form command=, POST application/json", test_command_carriers),
    ("JSONP via callback and jsonp; hostile callback refused", test_jsonp),
    ("/api carries streams, config, log; /api2 and minimal do not", test_api_vs_api2),
    ("combined calls in one request", test_combined_calls),
    ("CORS headers and OPTIONS preflight", test_cors),
    ("web panel for non-API paths without a command", test_panel),
]
