#!/usr/bin/env python3
"""Server tests of the estuary API (manual 4.1, 4.2) against the real daemon.

Usage: test_api_server.py ESTUARY_BINARY GROUP
Groups: calls, transport, auth, lifecycle, robustness (see the bottom of this file).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from estuary_harness import main  # noqa: E402
import api_calls  # noqa: E402
import api_transport  # noqa: E402
import api_auth  # noqa: E402
import api_lifecycle  # noqa: E402
import api_robustness  # noqa: E402

if __name__ == "__main__":
    main({
        "calls": api_calls.TESTS,
        "transport": api_transport.TESTS,
        "auth": api_auth.TESTS,
        "lifecycle": api_lifecycle.TESTS,
        "robustness": api_robustness.TESTS,
    })
