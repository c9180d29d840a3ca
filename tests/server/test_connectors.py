#!/usr/bin/env python3
"""The HTTP output's connectors against the configuration, on the real daemon (issue 3).

sources: json_NAME.js advertises /NAME.webm only for WebM's codecs (VP8/VP9/AV1, Opus/Vorbis) and
/NAME.mkv otherwise (a .webm of H.264 answers 415), and every URL it advertises answers 200.
disabled: a connector missing from the protocols serves nothing: its URLs answer 404 with a JSON
error naming it (HLS included); adding or removing the entry opens or closes them at once.

    test_connectors.py ESTUARY_BINARY {sources|disabled}
"""

import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import estuary_harness as h  # noqa: E402
from test_input_matrix import make_clips  # noqa: E402

# Every connector the HTTP listener serves (none with a port of its own).
HTTP_CONNECTORS = ["HLS", "FLV", "HTTPTS", "MP4", "EBML", "MP3", "AAC", "OGG", "WAV", "SubRip",
                   "JSON"]


class Server(h.MediaServer):
    def __init__(self, binary, clips, connectors):
        super().__init__(binary, {}, connectors, prefix="estuary-connectors-")
        make_clips(self.media, clips)
        self.daemon.call({"addstream": {
            c.replace(".", ""): {"source": os.path.join(self.media, c)} for c in clips}})

    def sources(self, name):
        status, _, body = self.get("/json_%s.js" % name)
        assert status == 200, (name, status, body[:200])
        return json.loads(body)["source"]


def test_webm_only_for_webm_codecs(binary):
    with Server(binary, ["clip.mp4", "clip.webm"], HTTP_CONNECTORS) as server:
        h264 = [s["url"] for s in server.sources("clipmp4")]
        vp9 = [s["url"] for s in server.sources("clipwebm")]
        assert server.base + "/clipmp4.mkv" in h264, h264
        assert not any(u.endswith(".webm") for u in h264), h264
        assert server.base + "/clipwebm.webm" in vp9, vp9
        assert not any(u.endswith(".mkv") for u in vp9), vp9
        # The .webm that used to be advertised for H.264 is refused; the .mkv plays.
        assert server.get("/clipmp4.webm")[0] == 415
        for url in h264 + vp9:
            status, headers, body = server.get(url)
            assert status == 200 and body, (url, status, body[:200])
        # And it is what it says: Matroska with H.264, WebM with VP9.
        for url, codec in ((server.base + "/clipmp4.mkv", "h264"),
                           (server.base + "/clipwebm.webm", "vp9")):
            out = subprocess.run(["ffprobe", "-v", "error", "-show_entries",
                                  "stream=codec_name", "-of", "json", url],
                                 capture_output=True, text=True, timeout=120)
            codecs = [s["codec_name"] for s in json.loads(out.stdout or "{}").get("streams", [])]
            assert codec in codecs, (url, codecs, out.stderr)


def expect_disabled(server, path, connector):
    status, headers, body = server.get(path)
    assert status == 404, (path, status, body[:200])
    assert headers.get("content-type", "").startswith("application/json"), (path, headers)
    assert headers.get("access-control-allow-origin") == "*", (path, headers)
    error = json.loads(body)["error"]
    assert connector in error, (path, error)


def test_disabled_connectors(binary):
    with Server(binary, ["clip.mp4"], ["FLV", "JSON"]) as server:
        assert server.get("/clipmp4.flv")[0] == 200
        for path, connector in (("/clipmp4.ts", "HTTPTS"), ("/clipmp4.mp4", "MP4"),
                                ("/clipmp4.mkv", "EBML"), ("/clipmp4.webm", "EBML"),
                                ("/clipmp4.aac", "AAC"), ("/hls/clipmp4/index.m3u8", "HLS"),
                                ("/hls/clipmp4/main/index.m3u8", "HLS")):
            expect_disabled(server, path, connector)
        # The info handler lists the enabled one only.
        assert [s["url"] for s in server.sources("clipmp4")] == [server.base + "/clipmp4.flv"]
        # Enabling takes effect at once, and so does disabling.
        server.daemon.call({"addprotocol": [{"connector": "HLS"}, {"connector": "HTTPTS"}]})
        h.poll("HLS to be served", lambda: server.get("/hls/clipmp4/index.m3u8")[0] == 200)
        assert server.get("/clipmp4.ts")[0] == 200
        server.daemon.call({"deleteprotocol": [{"connector": "FLV"}]})
        h.poll("FLV to be refused", lambda: server.get("/clipmp4.flv")[0] == 404)
        expect_disabled(server, "/clipmp4.flv", "FLV")


GROUPS = {
    "sources": [(".webm advertised only for WebM codecs, .mkv otherwise; every source answers 200",
                 test_webm_only_for_webm_codecs)],
    "disabled": [("a disabled connector's URLs answer 404 naming it; changes apply live",
                  test_disabled_connectors)],
}

if __name__ == "__main__":
    h.main_with_media_tools(GROUPS)
