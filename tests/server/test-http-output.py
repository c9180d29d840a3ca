#!/usr/bin/env python3
"""The HTTP output (port 8080 protocol) of the real estuary daemon, driven by ffmpeg/ffprobe.

A VoD stream whose source is a clip made with ffmpeg at test time (H.264 + AAC, 6 s), a video-only
clip and an MP3 clip; HTTP is enabled on a free port through the API (addprotocol). Checks the HLS
playlists and segments with ffprobe and a full ffmpeg decode, every progressive format's codecs and
duration, 415/404 answers, the info handler (manual 4.3) and that viewers show up as sessions.

    test-http-output.py ESTUARY_BINARY {info|hls|progressive}
"""

import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import estuary_harness as h  # noqa: E402

CLIP_S = 6.0
# A live stream scripted with GStreamer (the gst: input): H.264 + AAC in MPEG-TS, in real time.
LIVE_SOURCE = (
    "gst:videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=25/1 ! "
    "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=25 ! h264parse ! mux. "
    "audiotestsrc is-live=true ! audioconvert ! voaacenc ! aacparse ! mux. "
    "mpegtsmux name=mux")


class Fixture:
    """One daemon for the whole group, with three streams and HTTP on a free port."""

    def __init__(self, binary):
        self.media = tempfile.mkdtemp(prefix="estuary-http-media-")
        video = ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=%g" % CLIP_S]
        audio = ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=%g" % CLIP_S]
        x264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "25"]
        self.av = os.path.join(self.media, "av.mp4")
        h.ffmpeg(*(video + audio + x264 + ["-c:a", "aac", "-ac", "2", "-b:a", "96k", "-shortest",
                                         self.av]))
        self.vonly = os.path.join(self.media, "vonly.mp4")
        h.ffmpeg(*(video + x264 + [self.vonly]))
        self.mp3 = os.path.join(self.media, "song.mp3")
        h.ffmpeg(*(audio + ["-c:a", "libmp3lame", "-b:a", "128k", self.mp3]))

        # An existing configuration without protocols: only what the test enables is served.
        self.daemon = h.Daemon(binary, config_text=json.dumps({"config": {"protocols": []},
                                                               "streams": {}}))
        self.daemon.start()
        self.http_port = h.free_port()
        self.daemon.call({
            "addstream": {"vid": {"source": self.av}, "vonly": {"source": self.vonly},
                          "song": {"source": self.mp3}, "cam": {"source": LIVE_SOURCE}},
        })
        self.daemon.call({"addprotocol": [
            {"connector": "HTTP", "port": self.http_port},
            {"connector": "HLS"}, {"connector": "FLV"}, {"connector": "HTTPTS"},
            {"connector": "MP4"}, {"connector": "MP3"}, {"connector": "AAC"},
            {"connector": "EBML"}, {"connector": "WAV"},
        ]})
        self.base = "http://127.0.0.1:%d" % self.http_port
        h.poll("the HTTP output to listen", lambda: self.get("/crossdomain.xml")[0] == 200)

    def get(self, path, headers=None, timeout=h.DEADLINE_S * 4):
        req = urllib.request.Request(self.base + path, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
        except urllib.error.HTTPError as e:
            return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()

    def clients(self):
        answer = self.daemon.call({"clients": {}})["clients"]
        fields = answer["fields"]
        return [dict(zip(fields, row)) for row in answer.get("data", [])]

    def cleanup(self):
        self.daemon.cleanup()
        shutil.rmtree(self.media, ignore_errors=True)


_fixture = h.Shared(Fixture)


def fixture(binary):
    return _fixture.get(binary)


def probe_codecs(url):
    """Codec names of an endless (live) URL: ffprobe stops once it knows the streams."""
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_name", "-of",
                          "json", url], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return sorted(s["codec_name"] for s in json.loads(out.stdout).get("streams", []))


# --- info handler ---------------------------------------------------------------------------

def test_info_json(binary):
    f = fixture(binary)
    status, headers, body = f.get("/json_vid.js")
    assert status == 200, (status, body)
    assert headers["content-type"].startswith("application/json"), headers
    assert headers.get("access-control-allow-origin") == "*", headers
    info = json.loads(body)
    assert list(info)[:3] == ["type", "width", "height"], list(info)
    assert info["type"] == "vod", info["type"]
    assert (info["width"], info["height"]) == (320, 240), info
    codecs = sorted(t["codec"] for t in info["meta"]["tracks"].values())
    assert codecs == ["AAC", "H264"], codecs
    assert info["meta"].get("vod") == 1, info["meta"]
    sources = info["source"]
    types = [s["type"] for s in sources]
    # Enabled and able to play H264+AAC: HLS, MP4, EBML, FLV, HTTPTS (2 tracks), AAC (1); not
    # MP3 or WAV.
    assert types == ["html5/application/vnd.apple.mpegurl", "html5/video/mp4", "html5/video/webm",
                     "flash/7", "html5/video/mpeg", "html5/audio/aac"], types
    # H.264 is not WebM's: EBML advertises the Matroska URL (a .webm would answer 415).
    assert sources[2]["url"] == f.base + "/vid.mkv", sources[2]
    hls = sources[0]
    assert list(hls) == ["priority", "relurl", "simul_tracks", "total_matches", "type", "url"], hls
    assert hls["relurl"] == "/hls/vid/index.m3u8", hls
    assert hls["url"] == f.base + "/hls/vid/index.m3u8", hls
    assert (hls["simul_tracks"], hls["total_matches"], hls["priority"]) == (2, 2, 9), hls
    keys = [(-s["simul_tracks"], -s["total_matches"], -s["priority"]) for s in sources]
    assert keys == sorted(keys), keys
    # The Host header decides the absolute URLs.
    _, _, body = f.get("/json_vid.js", headers={"Host": "media.example.com:8080"})
    assert json.loads(body)["source"][0]["url"] == \
        "http://media.example.com:8080/hls/vid/index.m3u8"


def test_info_js(binary):
    f = fixture(binary)
    status, headers, body = f.get("/info_vid.js")
    assert status == 200, status
    assert headers["content-type"].startswith("application/javascript"), headers
    text = body.decode()
    prefix = ("// Generating info code for stream vid\nif (!mistvideo){var mistvideo = {};}\n"
              "mistvideo['vid'] = ")
    assert text.startswith(prefix), text[:200]
    assert text.rstrip().endswith(";"), text[-50:]
    info = json.loads(text[len(prefix):].rstrip().rstrip(";"))
    assert info["type"] == "vod" and info["source"], info


def test_unknown_and_misc(binary):
    f = fixture(binary)
    status, headers, body = f.get("/json_nosuchstream.js")
    assert status == 404, status
    assert headers["content-type"].startswith("application/json"), headers
    assert json.loads(body) == {"error": "Stream not found"}, body
    for path in ("/nosuchstream.flv", "/hls/nosuchstream/index.m3u8", "/nothing/here"):
        status, headers, _ = f.get(path)
        assert status == 404, (path, status)
        assert headers.get("access-control-allow-origin") == "*", (path, headers)
    status, headers, body = f.get("/crossdomain.xml")
    assert status == 200 and b"<cross-domain-policy>" in body, (status, body)
    # CORS preflight.
    req = urllib.request.Request(f.base + "/vid.flv", method="OPTIONS")
    with urllib.request.urlopen(req, timeout=h.DEADLINE_S) as resp:
        assert resp.status in (200, 204), resp.status
        assert resp.headers["Access-Control-Allow-Origin"] == "*"
    # Templates and player files are served when compiled in, else 404 (never an error page).
    for path in ("/vid.html", "/embed_vid.js", "/player.js"):
        status, _, body = f.get(path)
        assert status in (200, 404), (path, status)
        if status == 200:
            assert b"{{STREAM}}" not in body and b"{{HOST}}" not in body, path


def test_move_listener(binary):
    # Changing the HTTP entry recreates the listener: the old port closes, the new one serves.
    f = fixture(binary)
    old, new = f.http_port, h.free_port()
    f.daemon.call({"updateprotocol": [{"connector": "HTTP", "port": old},
                                      {"connector": "HTTP", "port": new}]})
    f.http_port, f.base = new, "http://127.0.0.1:%d" % new
    h.poll("the new port to serve", lambda: f.get("/crossdomain.xml")[0] == 200)

    def old_closed():
        try:
            socket.create_connection(("127.0.0.1", old), timeout=1).close()
            return False
        except OSError:
            return True
    h.poll("the old port to close", old_closed)
    assert f.get("/json_vid.js")[0] == 200


# --- HLS --------------------------------------------------------------------------------------

def test_hls_probe(binary):
    f = fixture(binary)
    status, headers, body = f.get("/hls/vid/index.m3u8")
    assert status == 200, (status, body)
    assert headers["content-type"] == "application/vnd.apple.mpegurl", headers
    assert headers["cache-control"] == "max-age=1", headers
    master = body.decode()
    assert master.startswith("#EXTM3U"), master
    assert "RESOLUTION=320x240" in master and "BANDWIDTH=" in master, master
    assert 'CODECS="avc1.' in master and "mp4a.40.2" in master, master
    variant = [l for l in master.splitlines() if l and not l.startswith("#")][0]
    status, _, media = f.get("/hls/vid/" + variant)
    assert status == 200, status
    media = media.decode()
    assert "#EXT-X-ENDLIST" in media, media
    segment = [l for l in media.splitlines() if l and not l.startswith("#")][0]
    seg_path = "/hls/vid/" + variant.rsplit("/", 1)[0] + "/" + segment
    status, headers, data = f.get(seg_path)
    assert status == 200 and headers["content-type"] == "video/mp2t", (status, headers)
    # VoD segments are numbered from 0 on every run and their file may change: not forever.
    assert headers["cache-control"] == "public, max-age=3600", headers
    assert data[:1] == b"\x47" and len(data) % 188 == 0, len(data)
    codecs, _ = h.probe_span(f.base + "/hls/vid/index.m3u8")
    assert codecs == ["aac", "h264"], codecs


def test_hls_segment_transport(binary):
    """Segments leave from sealed memfds (sendfile): the same bytes over one keep-alive
    connection, a Range answer and a HEAD, and the daemon holds the memfds."""
    f = fixture(binary)
    status, _, media = f.get("/hls/vid/main/index.m3u8")
    assert status == 200, status
    seg_path = "/hls/vid/main/" + [l for l in media.decode().splitlines()
                                   if l and not l.startswith("#")][0]
    conn = http.client.HTTPConnection("127.0.0.1", f.http_port, timeout=h.DEADLINE_S)
    try:
        bodies = []
        for _ in range(2):
            conn.request("GET", seg_path)
            resp = conn.getresponse()
            body = resp.read()
            assert resp.status == 200, resp.status
            assert int(resp.getheader("Content-Length")) == len(body), resp.getheaders()
            bodies.append(body)
        assert bodies[0] == bodies[1] and len(bodies[0]) % 188 == 0, [len(b) for b in bodies]
        whole = bodies[0]
        conn.request("GET", seg_path, headers={"Range": "bytes=188-375"})
        resp = conn.getresponse()
        part = resp.read()
        assert resp.status == 206, resp.status
        assert resp.getheader("Content-Range") == "bytes 188-375/%d" % len(whole), resp.getheaders()
        assert part == whole[188:376], len(part)
        conn.request("HEAD", seg_path)
        resp = conn.getresponse()
        assert resp.status == 200 and resp.read() == b"", resp.status
        assert int(resp.getheader("Content-Length")) == len(whole), resp.getheaders()
    finally:
        conn.close()
    fd_dir = "/proc/%d/fd" % f.daemon.proc.pid
    links = []
    for name in os.listdir(fd_dir):
        try:
            links.append(os.readlink(os.path.join(fd_dir, name)))
        except OSError:
            pass
    assert any("memfd:estuary-hls-segment" in l for l in links), links


def test_hls_decode(binary):
    f = fixture(binary)
    out = subprocess.run(["ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-i",
                          f.base + "/hls/vid/index.m3u8", "-f", "null", "-"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stderr.strip() == "", out.stderr
    codecs, span = h.probe_span(f.base + "/hls/vid/index.m3u8")
    assert abs(span - CLIP_S) <= 1.0, span


def test_hls_session(binary):
    f = fixture(binary)
    status, _, _ = f.get("/hls/vid/index.m3u8", headers={"User-Agent": "session-test"})
    assert status == 200

    def hls_client():
        return [c for c in f.clients() if c.get("protocol") == "HLS" and c.get("stream") == "vid"]
    rows = h.poll("an HLS session in clients", hls_client)
    assert rows[0].get("down", 0) > 0, rows


# --- progressive ------------------------------------------------------------------------------

def fetch_to_file(f, path, name):
    status, headers, body = f.get(path)
    assert status == 200, (path, status, body[:200])
    target = os.path.join(f.media, name)
    with open(target, "wb") as out:
        out.write(body)
    return headers, target


def check_progressive(f, path, mime, want_codecs, want_span=CLIP_S):
    headers, target = fetch_to_file(f, path, "out-" + path.strip("/").replace("/", "_"))
    assert headers["content-type"] == mime, (path, headers)
    assert headers.get("access-control-allow-origin") == "*", headers
    codecs, span = h.probe_span(target)
    assert codecs == want_codecs, (path, codecs)
    assert abs(span - want_span) <= 1.0, (path, span)


def test_progressive_av(binary):
    f = fixture(binary)
    check_progressive(f, "/vid.flv", "video/x-flv", ["aac", "h264"])
    check_progressive(f, "/vid.ts", "video/mp2t", ["aac", "h264"])
    check_progressive(f, "/vid.mp4", "video/mp4", ["aac", "h264"])
    check_progressive(f, "/vid.mkv", "video/x-matroska", ["aac", "h264"])
    check_progressive(f, "/vid.aac", "audio/aac", ["aac"])


def test_progressive_track_selection(binary):
    f = fixture(binary)
    check_progressive(f, "/vid.ts?audio=none", "video/mp2t", ["h264"])
    check_progressive(f, "/vid.flv?video=none", "video/x-flv", ["aac"])


def test_progressive_audio(binary):
    f = fixture(binary)
    check_progressive(f, "/song.mp3", "audio/mpeg", ["mp3"])


def test_unsupported_format(binary):
    f = fixture(binary)
    for path in ("/vonly.mp3", "/vonly.aac", "/vid.wav", "/vid.webm"):
        status, _, body = f.get(path)
        assert status == 415, (path, status)
        assert body.strip(), path  # the reason


def test_vod_range(binary):
    f = fixture(binary)
    status, headers, whole = f.get("/vid.mp4")
    assert status == 200 and headers.get("accept-ranges") == "bytes", (status, headers)
    status, headers, part = f.get("/vid.mp4", headers={"Range": "bytes=100-199"})
    assert status == 206, status
    assert headers["content-range"] == "bytes 100-199/%d" % len(whole), headers
    assert part == whole[100:200]
    status, headers, _ = f.get("/vid.mp4", headers={"Range": "bytes=%d-" % (len(whole) + 10)})
    assert status == 416, status


# --- live -------------------------------------------------------------------------------------

def test_live_info(binary):
    f = fixture(binary)
    status, _, body = f.get("/json_cam.js")
    assert status == 200, (status, body)
    info = json.loads(body)
    assert info["type"] == "live" and info["meta"].get("live") == 1, info
    assert (info["width"], info["height"]) == (320, 240), info


def test_live_progressive(binary):
    f = fixture(binary)
    for ext in ("flv", "ts", "mp4", "mkv"):
        codecs = probe_codecs(f.base + "/cam." + ext)
        assert codecs == ["aac", "h264"], (ext, codecs)


def test_live_hls(binary):
    f = fixture(binary)
    status, _, master = f.get("/hls/cam/index.m3u8")
    assert status == 200, (status, master)
    assert probe_codecs(f.base + "/hls/cam/index.m3u8") == ["aac", "h264"]
    out = subprocess.run(["ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-i",
                          f.base + "/hls/cam/index.m3u8", "-t", "3", "-f", "null", "-"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stderr.strip() == "", out.stderr


def test_live_session(binary):
    f = fixture(binary)
    # A connected live viewer is listed while it is connected and gone as soon as it leaves.
    sock = socket.create_connection(("127.0.0.1", f.http_port), timeout=h.DEADLINE_S)
    sock.sendall(b"GET /cam.ts HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert sock.recv(4096).startswith(b"HTTP/1.1 200"), "no 200"

    def ts_client():
        return [c for c in f.clients() if c.get("protocol") == "HTTPTS" and c.get("stream") == "cam"]
    h.poll("an HTTPTS session in clients", ts_client)
    sock.close()
    h.poll("the HTTPTS session to end", lambda: not ts_client())


def live_media_playlist(f):
    """(media sequence, segment paths) of the cam stream's first media playlist."""
    status, _, master = f.get("/hls/cam/index.m3u8")
    assert status == 200, (status, master)
    variant = [l for l in master.decode().splitlines() if l and not l.startswith("#")][0]
    status, _, media = f.get("/hls/cam/" + variant)
    assert status == 200, (status, media)
    media = media.decode()
    sequence = int(re.search(r"#EXT-X-MEDIA-SEQUENCE:(\d+)", media).group(1))
    base = "/hls/cam/" + variant.rsplit("/", 1)[0] + "/"
    return sequence, [base + l for l in media.splitlines() if l and not l.startswith("#")]


def test_live_segment_urls_unique(binary):
    # Live segments are cached as immutable, so a stream that stops and starts again must not
    # reuse their URLs: its media sequence carries on above the previous run's.
    f = fixture(binary)
    sequence, segments = live_media_playlist(f)
    status, headers, _ = f.get(segments[-1])
    assert status == 200 and "immutable" in headers["cache-control"], (status, headers)
    last = sequence + len(segments) - 1
    f.daemon.call({"deletestream": "cam"})
    h.poll("cam to stop", lambda: f.get("/json_cam.js")[0] == 404)
    f.daemon.call({"addstream": {"cam": {"source": LIVE_SOURCE}}})
    again, new_segments = live_media_playlist(f)
    assert again > last, (again, last)
    assert not set(new_segments) & set(segments), (segments, new_segments)


GROUPS = {
    "info": [("json_ answer (manual 4.3.1)", test_info_json),
             ("info_ answer (manual 4.3.2)", test_info_js),
             ("404 for unknown streams, crossdomain, CORS", test_unknown_and_misc),
             ("moving the HTTP listener to another port", test_move_listener)],
    "hls": [("HLS master/media/segment, ffprobe h264+aac", test_hls_probe),
            ("HLS segments: keep-alive, Range, HEAD, from memfds", test_hls_segment_transport),
            ("HLS decodes with ffmpeg without errors", test_hls_decode),
            ("HLS viewer is a session", test_hls_session)],
    "progressive": [("FLV/TS/MP4/MKV/AAC: codecs and duration", test_progressive_av),
                    ("?video=/?audio= selection", test_progressive_track_selection),
                    ("MP3 from an MP3 source", test_progressive_audio),
                    ("415 when the format cannot carry the stream", test_unsupported_format),
                    ("VoD files answer Range requests", test_vod_range)],
    "live": [("json_ of a live stream", test_live_info),
             ("live FLV/TS/MP4/MKV through the fanout: ffprobe h264+aac", test_live_progressive),
             ("live HLS: ffprobe h264+aac", test_live_hls),
             ("live viewer is a session until it leaves", test_live_session),
             ("a restarted live stream never reuses segment URLs", test_live_segment_urls_unique)],
}


if __name__ == "__main__":
    h.main_with_media_tools(GROUPS, shared=[_fixture])
