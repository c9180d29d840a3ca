"""Every API call of manual 4.1 over real HTTP, with the manual's example requests."""

import json
import os
import tempfile
import time

from estuary_harness import Daemon

EMPTY_CONFIG = json.dumps({"config": {"protocols": []}})
# Protocol entries use connectors served through HTTP (no listener of their own), so these tests
# open no media ports; the listeners themselves are tested by their own server tests.


def _daemon(binary):
    return Daemon(binary, EMPTY_CONFIG).start()


def test_streams_family(binary):
    with _daemon(binary) as d:
        a = d.call({"addstream": {"streamname_here": {"source": "/media/a.mp4"},
                                  "second": {"source": "push://"}}})
        assert a["streams"] == {"incomplete list": 1,
                                "streamname_here": {"source": "/media/a.mp4", "name": "streamname_here"},
                                "second": {"source": "push://", "name": "second"}}, a
        assert "error" not in a
        a = d.call({"addstream": {"bad": {"source": 5}}})
        assert "bad.source" in a["error"] and a["error"].startswith("addstream"), a
        for form in ({"deletestream": {"streamname_here": {}}}, {"deletestream": ["second"]},
                     {"deletestream": "third"}):
            if "third" in json.dumps(form):
                d.call({"addstream": {"third": {"source": "/t.mp4"}}})
            a = d.call(form)
            assert a["streams"] == {"incomplete list": 1}, (form, a)
        assert d.call({"streams": True})["streams"] == {}
        a = d.call({"streams": {"x": {"source": "/x.mp4"}, "incomplete list": 1}})
        assert a["streams"] == {"x": {"source": "/x.mp4", "name": "x"}}, a
        a = d.call({"streams": {"y": {"source": "/y.mp4"}}})
        assert a["streams"] == {"y": {"source": "/y.mp4", "name": "y"}}, a


def test_config_family(binary):
    with _daemon(binary) as d:
        a = d.call({"config": {"serverid": "edge-1", "controller": {"debug": 4},
                               "protocols": [{"connector": "HLS", "listlimit": 5}]}})
        cfg = a["config"]
        assert cfg["serverid"] == "edge-1" and cfg["controller"]["debug"] == 4, cfg
        assert cfg["protocols"][0]["connector"] == "HLS" and "online" in cfg["protocols"][0]
        for member in ("iid", "time", "version"):
            assert member in cfg, cfg
        assert abs(cfg["time"] - time.time()) < 5
        a = d.call({"config": {"serverid": None, "controller": {"debug": None}}})
        assert "serverid" not in a["config"] and "debug" not in a["config"]["controller"], a
        a = d.call({"config": {"controller": {"port": "x"}}})
        assert "config.controller.port" in a["error"], a

        def protocols():
            return [{k: v for k, v in p.items() if k != "online"}
                    for p in d.call({"config": True})["config"]["protocols"]]

        d.call({"addprotocol": {"connector": "MP4", "listlimit": 6}})
        d.call({"addprotocol": [{"connector": "MP4", "listlimit": 6}, {"connector": "FLV", "listlimit": 7}]})
        assert protocols() == [{"connector": "HLS", "listlimit": 5}, {"connector": "MP4", "listlimit": 6},
                               {"connector": "FLV", "listlimit": 7}], protocols()
        d.call({"deleteprotocol": {"connector": "FLV"}})  # not exact: nothing
        assert len(protocols()) == 3
        d.call({"deleteprotocol": [{"connector": "FLV", "listlimit": 7}]})
        assert protocols() == [{"connector": "HLS", "listlimit": 5}, {"connector": "MP4", "listlimit": 6}]
        d.call({"updateprotocol": [{"connector": "MP4", "listlimit": 6}, {"connector": "HLS", "listlimit": 5}]})
        assert protocols() == [{"connector": "HLS", "listlimit": 5}], protocols()
        # The answer's online states never reach the file.
        d.call({"save": True})
        saved = json.loads(d.read_config())
        assert saved["config"]["protocols"] == [{"connector": "HLS", "listlimit": 5}], saved["config"]
        for member in ("iid", "time", "version"):
            assert member not in saved["config"], saved["config"]


def test_system_family(binary):
    with _daemon(binary) as d, tempfile.TemporaryDirectory() as folder:
        open(os.path.join(folder, "file1.dtsc"), "w").close()
        os.mkdir(os.path.join(folder, "folder1"))
        a = d.call({"browse": folder})
        assert a["browse"] == {"path": os.path.realpath(folder), "files": ["file1.dtsc"],
                               "subdirectories": ["folder1"]}, a
        a = d.call({"browse": {"path": os.path.join(folder, "missing")}})
        assert a["error"].startswith("browse:") and "browse" not in a, a
        a = d.call({"ui_settings": {"theme": "dark"}})
        assert a["ui_settings"] == {"theme": "dark"}
        assert d.call({"ui_settings": True})["ui_settings"] == {"theme": "dark"}
        caps = d.call({"capabilities": True})["capabilities"]
        assert "HTTP" in caps["connectors"] and "cpu" in caps and "mem" in caps, caps.keys()
        a = d.call({"save": True})
        assert "save" not in a and "error" not in a, a
        assert json.loads(d.read_config())["ui_settings"] == {"theme": "dark"}
        # log, then clearstatlogs: the log answered with it is from before the truncation.
        d.call({"addstream": {"logged": {"source": "/l.mp4"}}})
        log = d.call({"log": True})["log"]
        assert any("logged" in line[2] for line in log), log
        for line in log:
            assert isinstance(line[0], int) and isinstance(line[1], str) and isinstance(line[2], str)
        times = [line[0] for line in log]
        assert times == sorted(times), "log lines are not oldest first"
        a = d.call({"clearstatlogs": True, "log": True})
        assert any("logged" in line[2] for line in a["log"]), a
        assert not any("logged" in line[2] for line in d.call({"log": True})["log"])
        a = d.call({"frobnicate": {}})
        assert "frobnicate" in a["error"], a


def test_stats_family(binary):
    with _daemon(binary) as d:
        assert d.call({"active_streams": True})["active_streams"] == []
        assert d.call({"active_streams": ["clients", "lastms"]})["active_streams"] == {}
        assert d.call({"stats_streams": True})["stats_streams"] == []
        assert d.call({"stats_streams": ["clients"]})["stats_streams"] == {}
        c = d.call({"clients": {"streams": ["streama"], "protocols": ["HLS", "HSS"],
                                "fields": ["host", "stream", "protocol", "conntime"], "time": -20}})["clients"]
        assert set(c) == {"time", "fields", "data"}, c
        assert abs(c["time"] - (time.time() - 20)) < 5 and c["fields"] == ["host", "stream", "protocol", "conntime"]
        assert c["data"] == []
        cs = d.call({"clients": [{}, {"fields": ["host"]}]})["clients"]
        assert isinstance(cs, list) and len(cs) == 2 and cs[1]["fields"] == ["host"], cs
        t = d.call({"totals": {"fields": ["clients", "downbps", "upbps"], "start": -60}})["totals"]
        assert set(t) == {"start", "end", "fields", "interval", "data"}, t
        assert t["fields"] == ["clients", "downbps", "upbps"] and t["start"] <= t["end"], t
        assert len(t["data"]) == sum(n for n, _ in t["interval"])
        ts = d.call({"totals": [{}, {"fields": ["clients"]}]})["totals"]
        assert isinstance(ts, list) and len(ts) == 2


TESTS = [
    ("streams, addstream, deletestream (three forms)", test_streams_family),
    ("config, addprotocol, deleteprotocol, updateprotocol", test_config_family),
    ("browse, ui_settings, capabilities, save, log, clearstatlogs, unknown", test_system_family),
    ("active_streams, stats_streams, clients, totals", test_stats_family),
]
