#!/usr/bin/env python3
"""Every input container through every HTTP output that can carry it (issue 3), on the real daemon.

Clips are made at test time (tests/media/make-media.sh: 3 s, 320x240 H.264 + 48 kHz AAC and the
audio-only/subtitle files; VP8 WebM with ffmpeg directly). Each clip is a VoD stream; for each,
HLS (when every codec fits MPEG-TS) and every progressive format that can carry at least one of its
tracks are checked with ffprobe (codec names, covered time span 3 s +-1 s); the formats that cannot
carry it answer 415 with a reason. The A/V clips' HLS decodes with `ffmpeg -v error` without a
word on stderr, and GStreamer's playbin3 reads a VoD HLS stream to EOS. A folder source serves
name+file and refuses escapes; a missing source and a source of random bytes go offline with
their reason while other streams keep playing.

    test_input_matrix.py ESTUARY_BINARY {av|webm|audio|subtitles|players|folder|broken}
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import estuary_harness as h  # noqa: E402

MAKE_MEDIA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "media",
                          "make-media.sh")
CLIP_S = 3.0
# Every progressive format of the HTTP output, by URL extension.
PROGRESSIVE = ["flv", "ts", "mp4", "webm", "mkv", "mp3", "aac", "ogg", "wav", "vtt", "srt"]
CONNECTORS = ["HLS", "FLV", "HTTPTS", "MP4", "EBML", "MP3", "AAC", "OGG", "WAV", "SubRip"]
LIVE_SOURCE = ("gst:videotestsrc is-live=true ! video/x-raw,width=160,height=120,framerate=25/1 ! "
               "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=25 ! h264parse")

AV = ["aac", "h264"]
# Per clip: the ffprobe codec names HLS gives (None: HLS must answer 415), and per progressive
# extension the codec names it gives; extensions not listed must answer 415. The expectations
# follow the format table (src/pipelines/output-formats.cpp): a format carries the tracks it can
# and refuses only when it can carry none of them.
MATRIX = {
    "clip.mp4": (AV, {"flv": AV, "ts": AV, "mp4": AV, "mkv": AV, "aac": ["aac"]}),
    "clip.mov": (AV, {"flv": AV, "ts": AV, "mp4": AV, "mkv": AV, "aac": ["aac"]}),
    "clip.mkv": (AV, {"flv": AV, "ts": AV, "mp4": AV, "mkv": AV, "aac": ["aac"]}),
    "clip.flv": (AV, {"flv": AV, "ts": AV, "mp4": AV, "mkv": AV, "aac": ["aac"]}),
    "clip.ts": (AV, {"flv": AV, "ts": AV, "mp4": AV, "mkv": AV, "aac": ["aac"]}),
    # VP8/VP9 do not fit TS: HLS (like /NAME.ts) carries the Opus track alone.
    "clip.webm": (["opus"], {"webm": ["opus", "vp9"], "mkv": ["opus", "vp9"],
                             "mp4": ["opus", "vp9"], "ts": ["opus"], "ogg": ["opus"]}),
    "vp8.webm": (["opus"], {"webm": ["opus", "vp8"], "mkv": ["opus", "vp8"], "mp4": ["opus"],
                        "ts": ["opus"], "ogg": ["opus"]}),
    # FLV takes MP3 only at 5.5/8/11/22/44.1 kHz; the clip is 48 kHz.
    "clip.mp3": (["mp3"], {"mp3": ["mp3"], "ts": ["mp3"], "mp4": ["mp3"], "mkv": ["mp3"]}),
    "clip.aac": (["aac"], {"aac": ["aac"], "flv": ["aac"], "ts": ["aac"], "mp4": ["aac"],
                           "mkv": ["aac"]}),
    "vorbis.ogg": (None, {"ogg": ["vorbis"], "webm": ["vorbis"], "mkv": ["vorbis"]}),
    "opus.ogg": (["opus"], {"ogg": ["opus"], "webm": ["opus"], "mkv": ["opus"], "mp4": ["opus"],
                            "ts": ["opus"]}),
    "clip.wav": (None, {"wav": ["pcm_s16le"], "mkv": ["pcm_s16le"]}),
    "clip.flac": (None, {"ogg": ["flac"], "mkv": ["flac"]}),
    "clip.srt": (None, {"vtt": ["webvtt"], "srt": ["subrip"], "mkv": ["subrip"]}),
    "clip.vtt": (None, {"vtt": ["webvtt"], "srt": ["subrip"], "mkv": ["subrip"]}),
}
# HLS that ffmpeg must decode without a single message on stderr.
AV_CLIPS = ["clip.mp4", "clip.mov", "clip.mkv", "clip.flv", "clip.ts"]


def stream_name(clip):
    """clip.mp4 -> mp4clip, vorbis.ogg -> oggvorbis: a valid, distinct stream name per clip."""
    base, ext = clip.rsplit(".", 1)
    return ext + re.sub(r"[^a-z0-9]", "", base)


def make_clips(folder, names):
    made = [n for n in names if n != "vp8.webm"]
    if made:
        subprocess.run(["sh", MAKE_MEDIA, folder] + made, check=True, timeout=300)
    if "vp8.webm" in names:
        subprocess.run(
            ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
             "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=%g" % CLIP_S,
             "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=%g" % CLIP_S,
             "-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-g", "25",
             "-c:a", "libopus", "-ac", "2", "-shortest", os.path.join(folder, "vp8.webm")],
            check=True, timeout=300)


class Server(h.MediaServer):
    """One daemon with HTTP on a free port, every HTTP connector enabled, and `streams`."""

    def __init__(self, binary, streams, controller=None):
        super().__init__(binary, streams, CONNECTORS, controller, prefix="estuary-matrix-")

    def status(self, name):
        return self.daemon.call({"stats_streams": ["status", "reason"]})["stats_streams"].get(name)


def check_clip(server, clip):
    """HLS and every progressive URL of one clip's stream against MATRIX."""
    name = stream_name(clip)
    want_hls, want_progressive = MATRIX[clip]
    failures = []
    is_subtitle = clip.endswith((".srt", ".vtt"))
    # A subtitle clip's cues cover 0.5 s .. 3.0 s.
    want_span = 2.5 if is_subtitle else CLIP_S

    def expect(what, codecs, span, want):
        if codecs != want:
            failures.append("%s: codecs %s, want %s" % (what, codecs, want))
        elif abs(span - want_span) > 1.0:
            failures.append("%s: %.2f s, want %.1f +- 1 s" % (what, span, want_span))

    hls = "/hls/%s/index.m3u8" % name
    if want_hls is None:
        status, _, body = server.get(hls)
        if status != 415 or not body.strip():
            failures.append("HLS: %d %r, want 415 with a reason" % (status, body[:120]))
    else:
        status, _, body = server.get(hls)
        if status != 200:
            failures.append("HLS: %d %r" % (status, body[:200]))
        else:
            expect("HLS", *h.probe_span(server.base + hls), want_hls)

    for ext in PROGRESSIVE:
        path = "/%s.%s" % (name, ext)
        status, headers, body = server.get(path)
        want = want_progressive.get(ext)
        if want is None:
            if status != 415 or not body.strip():
                failures.append("%s: %d %r, want 415 with a reason" % (path, status, body[:120]))
            continue
        if status != 200:
            failures.append("%s: %d %r" % (path, status, body[:200]))
            continue
        target = os.path.join(server.media, "%s.%s" % (name, ext))
        with open(target, "wb") as f:
            f.write(body)
        if is_subtitle and ext in ("vtt", "srt"):
            text = body.decode("utf-8", "replace")
            for cue in ("Hello", "Second"):
                if cue not in text:
                    failures.append("%s: cue %r missing in %r" % (path, cue, text[:200]))
        try:
            expect(path, *h.probe_span(target), want)
        except AssertionError as e:
            failures.append("%s: ffprobe failed: %s" % (path, e))
    assert not failures, "%s (%s):\n  %s" % (clip, name, "\n  ".join(failures))


def run_matrix(binary, clips):
    with Server(binary, {}) as server:
        make_clips(server.media, clips)
        server.daemon.call({"addstream": {stream_name(c): {"source": os.path.join(server.media, c)}
                                          for c in clips}})
        errors = []
        for clip in clips:
            try:
                check_clip(server, clip)
            except AssertionError as e:
                errors.append(str(e))
        assert not errors, "\n".join(errors)


def test_av(binary):
    run_matrix(binary, AV_CLIPS)


def test_webm(binary):
    run_matrix(binary, ["clip.webm", "vp8.webm"])


def test_audio(binary):
    run_matrix(binary, ["clip.mp3", "clip.aac", "vorbis.ogg", "opus.ogg", "clip.wav", "clip.flac"])


def test_subtitles(binary):
    run_matrix(binary, ["clip.srt", "clip.vtt"])


# --- players --------------------------------------------------------------------------------

def ffmpeg_decodes_hls(binary, clips):
    with Server(binary, {}) as server:
        make_clips(server.media, clips)
        server.daemon.call({"addstream": {stream_name(c): {"source": os.path.join(server.media, c)}
                                          for c in clips}})
        for clip in clips:
            url = server.base + "/hls/%s/index.m3u8" % stream_name(clip)
            out = subprocess.run(["ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-i", url,
                                  "-f", "null", "-"], capture_output=True, text=True, timeout=120)
            assert out.returncode == 0 and out.stderr.strip() == "", (clip, out.stderr)


def test_ffmpeg_decodes_hls(binary):
    # clip.mkv has B-frames and Matroska stores no DTS: the input rebuilds decode times, or the
    # TS segments carry DTS = PTS ("non monotonically increasing dts").
    ffmpeg_decodes_hls(binary, AV_CLIPS)


def test_gstreamer_reads_hls(binary):
    if not shutil.which("gst-launch-1.0"):
        print("# SKIP gst-launch-1.0 not installed")
        return
    with Server(binary, {}) as server:
        make_clips(server.media, ["clip.mp4"])
        server.daemon.call({"addstream": {"vid": {"source": os.path.join(server.media,
                                                                          "clip.mp4")}}})
        url = server.base + "/hls/vid/index.m3u8"
        # -v prints fakesink's last-message for every buffer: the count shows it really played.
        out = subprocess.run(
            ["gst-launch-1.0", "-v", "playbin3", "uri=" + url,
             "video-sink=fakesink name=vsink sync=false silent=false",
             "audio-sink=fakesink name=asink sync=false silent=false"],
            capture_output=True, text=True, timeout=120)
        text = out.stdout + out.stderr
        assert out.returncode == 0, text[-3000:]
        assert "Got EOS from element" in text, text[-3000:]
        video = len(re.findall(r"vsink: last-message = chain", text))
        audio = len(re.findall(r"asink: last-message = chain", text))
        # 3 s at 25 fps and ~47 AAC frames a second (decoded: fewer, larger buffers).
        assert video >= 60, (video, text[-2000:])
        assert audio >= 10, (audio, text[-2000:])


# --- folder ---------------------------------------------------------------------------------

def test_folder_source(binary):
    with Server(binary, {}) as server:
        folder = os.path.join(server.media, "x") + "/"
        os.mkdir(folder)
        make_clips(folder, ["clip.mp4"])
        # A playable clip outside the folder, and a symlink in the folder that points to it.
        shutil.copy(os.path.join(folder, "clip.mp4"), os.path.join(server.media, "secret.mp4"))
        os.symlink(os.path.join(server.media, "secret.mp4"), os.path.join(folder, "link.mp4"))
        server.daemon.call({"addstream": {"files": {"source": folder}}})
        status, _, body = server.get("/json_files+clip.mp4.js")
        assert status == 200, (status, body[:300])
        info = json.loads(body)
        assert info["type"] == "vod", info
        codecs = sorted(t["codec"] for t in info["meta"]["tracks"].values())
        assert codecs == ["AAC", "H264"], codecs
        codecs, span = h.probe_span(server.base + "/hls/files+clip.mp4/index.m3u8")
        assert codecs == AV and abs(span - CLIP_S) <= 1.0, (codecs, span)
        # Escapes, percent-encoded so that no client or proxy folds the dots away. Names with a
        # slash are refused before any stream exists; the others reach the folder input, which
        # refuses them with its reason (stats_streams, and the JSON error).
        for escape, reason in (("../secret.mp4", None), ("../../../../etc/passwd", None),
                               ("..", "not a file name"), (".hidden.mp4", "not a file name"),
                               ("link.mp4", "leads outside the folder")):
            name = "files+" + escape
            quoted = urllib.parse.quote(name, safe="+")
            for path in ("/json_%s.js" % quoted, "/hls/%s/index.m3u8" % quoted, "/%s.ts" % quoted):
                status, _, body = server.get(path)
                assert status in (400, 403, 404, 503), (path, status, body[:200])
                assert b"root:" not in body, (path, body[:200])
                if path.startswith("/json_") and status != 400:
                    error = json.loads(body)["error"]
                    assert reason is None or reason in error, (path, error)
            if reason:
                st = server.status(name)
                assert st and st[0] == "Offline" and reason in st[1], (name, st)
            else:
                assert server.status(name) is None, name
        # The folder still serves afterwards.
        assert server.get("/json_files+clip.mp4.js")[0] == 200


# --- broken sources -------------------------------------------------------------------------

def test_broken_sources(binary):
    with Server(binary, {}) as server:
        make_clips(server.media, ["garbage.mp4", "clip.mp4"])
        server.daemon.call({"addstream": {
            "gone": {"source": os.path.join(server.media, "missing.mp4")},
            "noise": {"source": os.path.join(server.media, "garbage.mp4")},
            "vid": {"source": os.path.join(server.media, "clip.mp4")},
            "cam": {"source": LIVE_SOURCE}}})
        # A live viewer and a VoD stream are running while the broken ones fail.
        sock = socket.create_connection(("127.0.0.1", server.http_port), timeout=h.DEADLINE_S)
        try:
            sock.sendall(b"GET /cam.ts HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            first = sock.recv(65536)
            assert first.startswith(b"HTTP/1.1 200"), first[:100]
            assert server.get("/json_vid.js")[0] == 200
            for name, words in (("gone", ("source unavailable", "No such file")),
                                ("noise", ("source",))):
                status, _, body = server.get("/json_%s.js" % name)
                assert status in (404, 503), (name, status, body[:200])
                assert "error" in json.loads(body), body
                st = h.poll("%s to be reported" % name,
                            lambda n=name: (server.status(n) or [None])[0] == "Offline" and
                            server.status(n))
                assert st[1] and all(w in st[1] for w in words), (name, st)
                status, _, body = server.get("/hls/%s/index.m3u8" % name)
                assert status in (404, 503), (name, status)
            # Still playing: the live viewer keeps receiving, VoD and the API still answer.
            got = 0
            while got < 50000:
                chunk = sock.recv(65536)
                assert chunk, "the live viewer was cut"
                got += len(chunk)
            codecs, span = h.probe_span(server.base + "/hls/vid/index.m3u8")
            assert codecs == AV and abs(span - CLIP_S) <= 1.0, (codecs, span)
            assert "cam" in server.daemon.call({"active_streams": True})["active_streams"]
        finally:
            sock.close()


GROUPS = {
    "av": [("MP4/MOV/MKV/FLV/TS through HLS and every progressive format", test_av)],
    "webm": [("WebM VP9+Opus and VP8+Opus", test_webm)],
    "audio": [("MP3/AAC/Vorbis/Opus/WAV/FLAC", test_audio)],
    "subtitles": [("SRT and WebVTT", test_subtitles)],
    "players": [("ffmpeg decodes MP4/MOV/MKV/FLV/TS HLS without errors", test_ffmpeg_decodes_hls),
                ("playbin3 reads VoD HLS to EOS", test_gstreamer_reads_hls)],
    "folder": [("folder source: name+file, escapes refused", test_folder_source)],
    "broken": [("missing and random-bytes sources go offline, others play", test_broken_sources)],
}


if __name__ == "__main__":
    h.main_with_media_tools(GROUPS)
