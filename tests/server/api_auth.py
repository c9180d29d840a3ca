"""The login flow of manual 4.1.1 over real connections. ESTUARY_TEST_UNTRUSTED_LOOPBACK=1 makes
127.0.0.1 an untrusted caller, so the challenge flow can run here."""

import json
import urllib.parse

from estuary_harness import Daemon, RawHttp, md5

EMPTY_CONFIG = json.dumps({"config": {"protocols": []}})
UNTRUSTED = {"ESTUARY_TEST_UNTRUSTED_LOOPBACK": "1"}


def _raw_api(raw, command, path="/api"):
    status, headers, body = raw.request("GET", path + "?command=" + urllib.parse.quote(json.dumps(command)),
                                        body=None)
    assert status == 200, status
    return headers, json.loads(body)


def test_challenge_flow(binary):
    with Daemon(binary, EMPTY_CONFIG, env=UNTRUSTED).start() as d:
        # No account: NOACC, and nothing else is answered.
        status, a = d.api({"addstream": {"early": {"source": "/e.mp4"}}}, path="/api")
        assert a == {"authorize": {"status": "NOACC"}}, a
        # The one-time account creation.
        status, a = d.api({"authorize": {"new_username": "test", "new_password": "secret"}}, path="/api")
        assert a == {"authorize": {"status": "ACC_MADE"}}, a
        saved = json.loads(d.read_config())
        assert saved["account"] == {"test": {"password": md5("secret")}}, saved["account"]
        # Not again, now that an account exists.
        status, a = d.api({"authorize": {"new_username": "evil", "new_password": "x"}}, path="/api")
        assert a["authorize"]["status"] == "CHALL", a
        assert "evil" not in json.loads(d.read_config())["account"]

        # CHALL with a challenge; an unauthorized caller gets only `authorize`.
        status, a = d.api({"addstream": {"sneaky": {"source": "/s.mp4"}}, "log": True}, path="/api")
        assert set(a) == {"authorize"} and a["authorize"]["status"] == "CHALL", a
        challenge = a["authorize"]["challenge"]
        assert len(challenge) >= 8

        # The correct MD5(MD5(password) + challenge) logs in; the answer is a full one.
        login = {"username": "test", "password": md5(md5("secret") + challenge)}
        raw = RawHttp(d.port)
        headers, a = _raw_api(raw, {"authorize": login})
        assert a["authorize"] == {"status": "OK"}, a
        assert "streams" in a and "config" in a and "log" in a, a.keys()
        # The same keep-alive connection stays logged in without repeating it.
        headers, a = _raw_api(raw, {"ui_settings": True}, path="/api2")
        assert a["authorize"]["status"] == "OK" and a["ui_settings"] == {}, a
        raw.close()
        # A new connection with the same challenge: OK again (clients that log in per request).
        status, a = d.api({"authorize": login, "addstream": {"after": {"source": "/a.mp4"}}})
        assert a["authorize"]["status"] == "OK" and "after" in a["streams"], a
        # ...while a new connection without login is refused again.
        status, a = d.api({"streams": True}, path="/api")
        assert set(a) == {"authorize"} and a["authorize"]["status"] == "CHALL", a
        # Nothing from the refused requests happened.
        status, a = d.api({"authorize": login, "streams": True})
        assert a["authorize"]["status"] == "OK", a
        assert set(a["streams"]) == {"after"}, a["streams"]
        # A wrong user name with the right hash fails.
        status, a = d.api({"authorize": dict(login, username="other")})
        assert a["authorize"]["status"] == "CHALL", a


def test_failures_close_connection(binary):
    with Daemon(binary, EMPTY_CONFIG, env=UNTRUSTED).start() as d:
        d.api({"authorize": {"new_username": "test", "new_password": "secret"}})
        raw = RawHttp(d.port)
        headers, a = _raw_api(raw, {})
        assert a["authorize"]["status"] == "CHALL"
        for attempt in range(1, 5):
            headers, a = _raw_api(raw, {"authorize": {"username": "test", "password": md5("wrong%d" % attempt)},
                                        "streams": True})
            assert set(a) == {"authorize"} and a["authorize"]["status"] == "CHALL", a
            if attempt < 4:
                assert "close" not in headers.get("connection", "").lower(), (attempt, headers)
        # After the fourth failure on this connection the server closes it.
        assert "close" in headers.get("connection", "").lower(), headers
        assert raw.closed_by_server(), "the connection stayed open after 4 failed logins"
        raw.close()
        # Other connections are not affected: a correct login still works.
        status, a = d.api({})
        login = {"username": "test", "password": md5(md5("secret") + a["authorize"]["challenge"])}
        status, a = d.api({"authorize": login})
        assert a["authorize"]["status"] == "OK", a


def test_trusted_loopback(binary):
    # Without the test switch, 127.0.0.1 is trusted even when accounts exist (manual 4.1.1).
    config = json.dumps({"config": {"protocols": []}, "account": {"test": {"password": md5("secret")}}})
    with Daemon(binary, config).start() as d:
        status, a = d.api({"ui_settings": True}, path="/api")
        assert a["authorize"] == {"status": "OK"} and "streams" in a, a


TESTS = [
    ("NOACC, ACC_MADE, CHALL, MD5 login, same challenge on a new connection", test_challenge_flow),
    ("4 failed logins on one connection close it", test_failures_close_connection),
    ("loopback trusted without the test switch", test_trusted_loopback),
]
