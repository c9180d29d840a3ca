"""Debug levels change live (issue 2): `config.controller.debug` and a protocol's `debug` take
effect without a restart, and the console lines are the daemon's own.

argv: ESTUARY_BINARY.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import estuary_harness as h  # noqa: E402


def count_call_lines(d, name):
    return d.stderr().count("estuary-api: call %s" % name)


def test_levels_live(binary):
    with h.Daemon(binary, config_text=json.dumps({"config": {"protocols": []}})) as d:
        d.start()
        d.call({"ui_settings": True})
        assert count_call_lines(d, "ui_settings") == 0, "level 3 must not print debug lines"
        # MistServer level 5 (MEDIUM) maps onto GStreamer's DEBUG: the per-call line appears.
        d.call({"config": {"controller": {"debug": 5}}})
        d.call({"ui_settings": True})
        h.poll("the debug line", lambda: count_call_lines(d, "ui_settings") == 1)
        # Back to 3: no more of them.
        d.call({"config": {"controller": {"debug": 3}}})
        d.call({"ui_settings": True})
        d.call({"log": True})  # a later call, so the line would have been written by now
        assert count_call_lines(d, "ui_settings") == 1, d.stderr()[-2000:]


def test_protocol_debug_live(binary):
    with h.Daemon(binary, config_text=json.dumps({"config": {"protocols": []}})) as d:
        d.start()
        # A protocol entry's `debug` sets its module's category (estuary-<connector>), here the
        # API's own, which is easy to observe.
        d.call({"addprotocol": {"connector": "API", "debug": 5}})
        d.call({"ui_settings": True})
        h.poll("the per-module debug line", lambda: count_call_lines(d, "ui_settings") == 1)
        d.call({"deleteprotocol": {"connector": "API", "debug": 5}})
        d.call({"ui_settings": True})
        d.call({"log": True})
        assert count_call_lines(d, "ui_settings") == 1


if __name__ == "__main__":
    binary = os.path.abspath(sys.argv[1])
    sys.exit(h.run_tests([("controller debug level changes live", lambda: test_levels_live(binary)),
                          ("a protocol's debug level changes live",
                           lambda: test_protocol_debug_live(binary))]))
