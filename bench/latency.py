#!/usr/bin/env python3
"""Live latency of RTMP play, HTTP-FLV and HLS against the real daemon (issue 4; not a test).

    bench/latency.py [--estuary PATH] [--runs 3] [--window 15] [--warmup 5]

One ffmpeg pushes a live source (-re lavfi testsrc2 1280x720@30 + sine, libx264 veryfast
zerolatency, -g 60, 2500k, AAC) to rtmp://127.0.0.1:P/live/lat through a `tee` muxer whose first
slave is an FLV copy on ffmpeg's stdout: this script stamps each video packet as ffmpeg writes it
(E, just before the same packet goes to the RTMP socket). At the same time it reads the stream
back as an RTMP player (its own client: handshake, connect, createStream, play), as an HTTP-FLV
player (GET /lat.flv) and as an HLS watcher (polls the media playlist every 20 ms). Frames are
matched by content (the last 64 bytes of the frame's coded data, which no container change
alters), so no assumption is made about how the server rebases timestamps.

Per matched frame with source timestamp p (the stream's own timeline: -re releases frame p at
T0 + p):
  encoder -> reader   = A(p) - E(p): server ingest, buffering, remux, play-out and loopback
                        transport and this script's parsing; measured per frame to ~1 ms.
  total               = A(p) - (T0 + p): the above plus ffmpeg's decode/filter/encode delay.
T0 is not observable from outside ffmpeg; it is taken as min over the run of E(p) - p, i.e.
the moment the fastest frame would have entered the encoder had it taken no time to encode. So
`total` is low by at most the fastest frame's encode time (bounded above by the mean unpaced
encode time per frame, measured once and printed as the T0 uncertainty).
For HLS, A(p) is the moment the media playlist first lists the segment whose first frame is p
(poll interval 20 ms plus the fetch time is the stamping uncertainty); a player adds its own
buffering on top of that (typically several segments).
Not included anywhere: capture before the encoder, decoding and display at the player.
Python 3 standard library; needs ffmpeg.
"""
import argparse
import hashlib
import json
import os
import re
import selectors
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, BENCH_DIR)
sys.dont_write_bytecode = True
from harness.waiting import Missing, free_port, poll, stop_process  # noqa: E402

STREAM = "lat"
KEY_BYTES = 64
HLS_POLL_S = 0.02
SOURCE_ARGS = [
    "-re", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30",
    "-re", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
    "-map", "0:v", "-map", "1:a",
    "-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-pix_fmt", "yuv420p",
    "-g", "60", "-b:v", "2500k", "-c:a", "aac", "-b:a", "128k"]


def frame_key(coded):
    """Identifies a frame by the tail of its coded data (the end of its last slice)."""
    if len(coded) < KEY_BYTES:
        return None
    return hashlib.blake2b(coded[-KEY_BYTES:], digest_size=12).digest()


def avc_video(body):
    """FLV/RTMP video tag body -> (key, composition offset ms) for AVC NALU packets, else None."""
    if len(body) < 5 or body[0] & 0x0F != 7 or body[1] != 1:
        return None
    cts = int.from_bytes(body[2:5], "big")
    if cts & 0x800000:
        cts -= 1 << 24
    key = frame_key(body[5:])
    return (key, cts) if key else None


class FlvTags:
    """Incremental FLV parser: feed() bytes, get (type, timestamp ms, body) for whole tags."""

    def __init__(self):
        self.buf = bytearray()
        self.header_done = False

    def feed(self, data):
        self.buf += data
        out = []
        if not self.header_done:
            if len(self.buf) < 9:
                return out
            if self.buf[:3] != b"FLV":
                raise Missing("not FLV: %r" % bytes(self.buf[:16]))
            skip = int.from_bytes(self.buf[5:9], "big") + 4
            if len(self.buf) < skip:
                return out
            del self.buf[:skip]
            self.header_done = True
        pos = 0
        while len(self.buf) - pos >= 11:
            size = int.from_bytes(self.buf[pos + 1:pos + 4], "big")
            if len(self.buf) - pos < 11 + size + 4:
                break
            ts = int.from_bytes(self.buf[pos + 4:pos + 7], "big") | (self.buf[pos + 7] << 24)
            out.append((self.buf[pos] & 0x1F, ts, bytes(self.buf[pos + 11:pos + 11 + size])))
            pos += 11 + size + 4
        del self.buf[:pos]
        return out


# --- AMF0, just enough for connect/createStream/play results -----------------------------------

def amf_encode(value):
    if isinstance(value, str):
        b = value.encode()
        return b"\x02" + struct.pack(">H", len(b)) + b
    if isinstance(value, bool):
        return b"\x01" + bytes([value])
    if isinstance(value, (int, float)):
        return b"\x00" + struct.pack(">d", float(value))
    if value is None:
        return b"\x05"
    if isinstance(value, dict):
        out = b"\x03"
        for k, v in value.items():
            kb = k.encode()
            out += struct.pack(">H", len(kb)) + kb + amf_encode(v)
        return out + b"\x00\x00\x09"
    raise TypeError(value)


def amf_decode(data, pos=0):
    """Returns (value, next position); raises IndexError/ValueError on malformed input."""
    t = data[pos]
    pos += 1
    if t == 0:
        return struct.unpack(">d", data[pos:pos + 8])[0], pos + 8
    if t == 1:
        return bool(data[pos]), pos + 1
    if t == 2:
        n = struct.unpack(">H", data[pos:pos + 2])[0]
        return data[pos + 2:pos + 2 + n].decode("utf-8", "replace"), pos + 2 + n
    if t in (3, 8):
        if t == 8:
            pos += 4
        obj = {}
        while True:
            n = struct.unpack(">H", data[pos:pos + 2])[0]
            if n == 0 and data[pos + 2] == 9:
                return obj, pos + 3
            k = data[pos + 2:pos + 2 + n].decode("utf-8", "replace")
            obj[k], pos = amf_decode(data, pos + 2 + n)
    if t in (5, 6):
        return None, pos
    if t == 10:
        n = struct.unpack(">I", data[pos:pos + 4])[0]
        pos += 4
        arr = []
        for _ in range(n):
            v, pos = amf_decode(data, pos)
            arr.append(v)
        return arr, pos
    raise ValueError("AMF0 type %d" % t)


def amf_decode_all(data):
    out, pos = [], 0
    while pos < len(data):
        v, pos = amf_decode(data, pos)
        out.append(v)
    return out


class RtmpPlayer:
    """A non-blocking RTMP play client; on_video(timestamp, body) per whole video message."""

    OUT_CHUNK = 4096

    def __init__(self, port, app, stream, on_video, steps):
        self.steps = steps  # (state, monotonic) as the session advances
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.port, self.app, self.stream, self.on_video = port, app, stream, on_video
        c1 = struct.pack(">II", 0, 0) + os.urandom(1528)
        self.sock.sendall(b"\x03" + c1)
        self.sock.setblocking(False)
        self.buf = bytearray()
        self.state = "handshake"
        self.in_chunk = 128
        self.chunks = {}  # csid -> dict(ts, delta, length, type, msid, ext, data)
        self.received = 0
        self.acked = 0
        self.window = 2500000
        self.stream_id = None

    def fileno(self):
        return self.sock.fileno()

    def send_msg(self, csid, mtype, msid, payload, ts=0):
        out = bytearray()
        first = True
        for i in range(0, max(len(payload), 1), self.OUT_CHUNK):
            if first:
                out += bytes([csid]) + ts.to_bytes(3, "big") + len(payload).to_bytes(3, "big")
                out += bytes([mtype]) + struct.pack("<I", msid)
                first = False
            else:
                out += bytes([0xC0 | csid])
            out += payload[i:i + self.OUT_CHUNK]
        self.sock.setblocking(True)
        self.sock.sendall(out)
        self.sock.setblocking(False)

    def command(self, msid, *values):
        self.send_msg(3 if msid == 0 else 8, 20, msid, b"".join(amf_encode(v) for v in values))

    def readable(self, now):
        try:
            data = self.sock.recv(1 << 18)
        except BlockingIOError:
            return True
        if not data:
            return False
        self.received += len(data)
        self.buf += data
        if self.state == "handshake":
            if len(self.buf) < 1 + 1536 * 2:
                return True
            s1 = bytes(self.buf[1:1537])
            del self.buf[:1 + 1536 * 2]
            self.sock.setblocking(True)
            self.sock.sendall(s1)  # C2 echoes S1
            self.sock.setblocking(False)
            self.send_msg(2, 1, 0, struct.pack(">I", self.OUT_CHUNK))
            tc = "rtmp://127.0.0.1:%d/%s" % (self.port, self.app)
            self.command(0, "connect", 1, {"app": self.app, "flashVer": "LNX 9,0,124,2",
                                           "tcUrl": tc, "fpad": False, "capabilities": 15,
                                           "audioCodecs": 3575, "videoCodecs": 252,
                                           "videoFunction": 1})
            self.state = "connect"
            self.steps.append((self.state, time.monotonic()))
        self.parse()
        if self.received - self.acked > self.window // 2:
            self.acked = self.received
            self.send_msg(2, 3, 0, struct.pack(">I", self.received & 0xFFFFFFFF))
        return True

    def parse(self):
        b = self.buf
        pos = 0
        while True:
            p = pos
            if len(b) - p < 1:
                break
            fmt, csid = b[p] >> 6, b[p] & 0x3F
            p += 1
            if csid == 0:
                if len(b) - p < 1:
                    break
                csid = 64 + b[p]
                p += 1
            elif csid == 1:
                if len(b) - p < 2:
                    break
                csid = 64 + b[p] + 256 * b[p + 1]
                p += 2
            st = self.chunks.setdefault(csid, {"ts": 0, "delta": 0, "length": 0, "type": 0,
                                               "msid": 0, "ext": False, "data": None})
            hlen = (11, 7, 3, 0)[fmt]
            if len(b) - p < hlen:
                break
            new = dict(st)
            if fmt <= 2:
                field = int.from_bytes(b[p:p + 3], "big")
                new["ext"] = field == 0xFFFFFF
            if fmt <= 1:
                new["length"] = int.from_bytes(b[p + 3:p + 6], "big")
                new["type"] = b[p + 6]
            if fmt == 0:
                new["msid"] = struct.unpack("<I", b[p + 7:p + 11])[0]
            p += hlen
            if new["ext"]:
                if len(b) - p < 4:
                    break
                field = int.from_bytes(b[p:p + 4], "big")
                p += 4
            starting = st["data"] is None
            if fmt == 0:
                new["ts"] = field
                new["delta"] = 0
            elif fmt in (1, 2):
                new["delta"] = field
                new["ts"] = st["ts"] + field
            elif starting:
                new["ts"] = st["ts"] + st["delta"]
            data = new["data"] if not starting else bytearray()
            want = min(self.in_chunk, new["length"] - len(data))
            if len(b) - p < want:
                break
            data = data + b[p:p + want]
            p += want
            pos = p
            st.update(new)
            if len(data) >= st["length"]:
                st["data"] = None
                self.message(st["type"], st["ts"], st["msid"], bytes(data))
            else:
                st["data"] = data
        del b[:pos]

    def message(self, mtype, ts, msid, body):
        if mtype == 1 and len(body) >= 4:
            self.in_chunk = struct.unpack(">I", body[:4])[0] & 0x7FFFFFFF
        elif mtype == 5 and len(body) >= 4:
            self.window = struct.unpack(">I", body[:4])[0] or self.window
        elif mtype == 4 and len(body) >= 6 and struct.unpack(">H", body[:2])[0] == 6:
            self.send_msg(2, 4, 0, b"\x00\x07" + body[2:6])
        elif mtype == 9:
            self.on_video(ts, body)
        elif mtype == 20:
            try:
                values = amf_decode_all(body)
            except (IndexError, ValueError, struct.error):
                return
            if not values:
                return
            if values[0] == "_result" and self.state == "connect":
                self.command(0, "createStream", 2, None)
                self.state = "createStream"
                self.steps.append((self.state, time.monotonic()))
            elif values[0] == "_result" and self.state == "createStream" and len(values) >= 4:
                self.stream_id = int(values[3])
                self.send_msg(2, 4, 0, struct.pack(">HII", 3, self.stream_id, 100))
                self.command(self.stream_id, "play", 0, None, self.stream)
                self.state = "play"
                self.steps.append((self.state, time.monotonic()))
            elif values[0] == "_error":
                raise Missing("RTMP %s refused: %r" % (self.state, values[3:]))


class HttpFlvPlayer:
    """GET /STREAM.flv on a raw non-blocking socket (identity or chunked body)."""

    def __init__(self, port, path, on_video):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n\r\n"
                           % (path, port)).encode())
        self.sock.setblocking(False)
        self.head = bytearray()
        self.headers_done = False
        self.chunked = False
        self.raw = bytearray()  # chunked framing not yet removed
        self.flv = FlvTags()
        self.on_video = on_video

    def fileno(self):
        return self.sock.fileno()

    def readable(self, now):
        try:
            data = self.sock.recv(1 << 18)
        except BlockingIOError:
            return True
        if not data:
            return False
        if not self.headers_done:
            self.head += data
            end = self.head.find(b"\r\n\r\n")
            if end < 0:
                return True
            status = self.head[:self.head.find(b"\r\n")].decode("latin-1")
            if " 200" not in status:
                raise Missing("HTTP-FLV answered %r" % status)
            headers = self.head[:end].decode("latin-1").lower()
            self.chunked = "transfer-encoding: chunked" in headers
            data = bytes(self.head[end + 4:])
            self.headers_done = True
        if self.chunked:
            self.raw += data
            data = bytearray()
            while True:
                line_end = self.raw.find(b"\r\n")
                if line_end < 0:
                    break
                size = int(self.raw[:line_end].split(b";")[0] or b"0", 16)
                if len(self.raw) < line_end + 2 + size + 2:
                    break
                data += self.raw[line_end + 2:line_end + 2 + size]
                del self.raw[:line_end + 2 + size + 2]
                if size == 0:
                    return False
        for ttype, ts, body in self.flv.feed(bytes(data)):
            if ttype == 9:
                self.on_video(ts, body)
        return True


class FfmpegTap:
    """The tee's FLV copy on ffmpeg's stdout: stamps E per video packet."""

    def __init__(self, proc, on_video):
        self.proc = proc
        self.fd = proc.stdout.fileno()
        os.set_blocking(self.fd, False)
        self.flv = FlvTags()
        self.on_video = on_video

    def fileno(self):
        return self.fd

    def readable(self, now):
        try:
            data = os.read(self.fd, 1 << 18)
        except BlockingIOError:
            return True
        if not data:
            return False
        for ttype, ts, body in self.flv.feed(data):
            if ttype == 9:
                self.on_video(ts, body)
        return True


def first_video_frame_of_ts(seg):
    """Coded bytes of the first video PES (H.264) of an MPEG-TS segment, or None."""
    pmt_pids, video_pid = set(), None
    pes, started = bytearray(), False
    for off in range(0, len(seg) - 187, 188):
        pkt = seg[off:off + 188]
        if pkt[0] != 0x47:
            return None
        pid = ((pkt[1] & 0x1F) << 8) | pkt[2]
        pusi = bool(pkt[1] & 0x40)
        afc = (pkt[3] >> 4) & 3
        p = 4
        if afc & 2:
            p += 1 + pkt[4]
        if not afc & 1 or p >= 188:
            continue
        payload = pkt[p:]
        if pid == 0 and pusi:
            sec = payload[1 + payload[0]:]
            n = ((sec[1] & 0x0F) << 8) | sec[2]
            for i in range(8, 3 + n - 4, 4):
                if (sec[i] << 8 | sec[i + 1]) != 0:
                    pmt_pids.add(((sec[i + 2] & 0x1F) << 8) | sec[i + 3])
        elif pid in pmt_pids and pusi and video_pid is None:
            sec = payload[1 + payload[0]:]
            n = ((sec[1] & 0x0F) << 8) | sec[2]
            i = 12 + (((sec[10] & 0x0F) << 8) | sec[11])
            while i < 3 + n - 4:
                stype, epid = sec[i], ((sec[i + 1] & 0x1F) << 8) | sec[i + 2]
                if stype == 0x1B:
                    video_pid = epid
                i += 5 + (((sec[i + 3] & 0x0F) << 8) | sec[i + 4])
        elif pid == video_pid:
            if pusi:
                if started:
                    break
                started = True
                payload = payload[9 + payload[8]:]
            if started:
                pes += payload
    return bytes(pes) if started else None


class HlsWatcher(threading.Thread):
    """Polls the media playlist; stamps each newly listed segment and keys its first frame."""

    def __init__(self, port, stream, stop_event):
        super().__init__(daemon=True)
        self.base = "http://127.0.0.1:%d/hls/%s/" % (port, stream)
        self.stop_event = stop_event
        self.listed = []  # (monotonic when first seen, key)
        self.error = None
        self.segment_s = []

    def get(self, url):
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.read()

    def run(self):
        try:
            self.watch()
        except Exception as e:  # reported, not raised: the thread's figure becomes `missing`
            self.error = "%s: %s" % (type(e).__name__, e)

    def watch(self):
        master = poll("the HLS master playlist",
                      lambda: self.get(self.base + "index.m3u8"), timeout=30, interval=0.1)
        variant = [l for l in master.decode().splitlines() if l and not l.startswith("#")][0]
        media_url = urllib.request.urljoin(self.base + "index.m3u8", variant)
        seen = None
        while not self.stop_event.is_set():
            try:
                text = self.get(media_url).decode()
            except urllib.error.HTTPError:
                time.sleep(HLS_POLL_S)
                continue
            now = time.monotonic()
            lines = text.splitlines()
            uris = [l for l in lines if l and not l.startswith("#")]
            if seen is None:
                seen = set(uris)  # listed before we watched: no stamp
            for uri in uris:
                if uri in seen:
                    continue
                seen.add(uri)
                seg = self.get(urllib.request.urljoin(media_url, uri))
                coded = first_video_frame_of_ts(seg)
                self.listed.append((now, frame_key(coded) if coded else None))
            for l in lines:
                if l.startswith("#EXTINF:"):
                    self.segment_s.append(float(l[8:].split(",")[0]))
            time.sleep(HLS_POLL_S)


class Estuary:
    """The daemon on free ports: HTTP (HLS, FLV) and RTMP; stream `lat` from push://."""

    def __init__(self, binary):
        self.dir = tempfile.mkdtemp(prefix="estuary-latency-")
        self.http_port, self.rtmp_port = free_port(), free_port()
        config = {"config": {"protocols": [
            {"connector": "HTTP", "port": self.http_port}, {"connector": "HLS"},
            {"connector": "FLV"}, {"connector": "RTMP", "port": self.rtmp_port}]},
            "streams": {STREAM: {"source": "push://"}}}
        with open(os.path.join(self.dir, "config.json"), "w") as f:
            json.dump(config, f)
        self.log = open(os.path.join(self.dir, "stderr.txt"), "w")
        self.proc = subprocess.Popen(
            [binary, "-c", os.path.join(self.dir, "config.json"), "-p", "0", "-i", "127.0.0.1"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self.log, cwd=self.dir)
        line = self.proc.stdout.readline().decode()
        if not re.search(r"http://127\.0\.0\.1:(\d+)/", line):
            self.stop()
            raise Missing("estuary did not start: %r" % line)
        poll("the HTTP output", lambda: self.http_ok("/crossdomain.xml"))
        poll("the RTMP port", lambda: socket.create_connection(
            ("127.0.0.1", self.rtmp_port), timeout=1).close() or True)

    def http_ok(self, path):
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d%s" % (self.http_port, path),
                                        timeout=5) as r:
                return r.status == 200
        except urllib.error.HTTPError:
            return False

    def stop(self):
        stop_process(self.proc)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def encode_ms_per_frame():
    """Mean wall time per frame of the same encode, unpaced (an upper bound on the fastest
    frame's encode delay, which is what T0 is uncertain by)."""
    frames = 150
    t = time.monotonic()
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin",
                    "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30", "-frames:v",
                    str(frames)] + SOURCE_ARGS[SOURCE_ARGS.index("-c:v"):SOURCE_ARGS.index("-c:a")]
                   + ["-f", "null", "-"], check=True)
    return (time.monotonic() - t) * 1000 / frames


def percentile(values, q):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(q * (len(v) - 1))))]


def one_run(binary, warmup, window):
    server = Estuary(binary)
    enc = {}  # key -> (E, pts ms)
    arrivals = {"RTMP": {}, "HTTP-FLV": {}}
    now = [0.0]

    def tap_video(ts, body):
        v = avc_video(body)
        if v and v[0] not in enc:
            enc[v[0]] = (now[0], ts + v[1])

    def reader_video(name):
        def on_video(ts, body):
            v = avc_video(body)
            if v:
                arrivals[name].setdefault(v[0], now[0])
        return on_video

    ffmpeg = None
    stop_event = threading.Event()
    try:
        url = "rtmp://127.0.0.1:%d/live/%s" % (server.rtmp_port, STREAM)
        ffmpeg = subprocess.Popen(
            ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin"] + SOURCE_ARGS +
            ["-flags", "+global_header", "-f", "tee", "[f=flv]pipe:1|[f=flv]" + url],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        sel = selectors.DefaultSelector()
        tap = FfmpegTap(ffmpeg, tap_video)
        sel.register(tap, selectors.EVENT_READ)
        # Viewers join once the stream is up (RTMP play of an absent push stream is refused).
        def pushing():  # one second of video written by ffmpeg: the push is up
            for key, _ in sel.select(timeout=0.1):
                now[0] = time.monotonic()
                if not tap.readable(now[0]):
                    raise Missing("ffmpeg closed its output: %s" %
                                  ffmpeg.stderr.read().decode()[-300:])
            return len(enc) > 30
        poll("ffmpeg to push one second", pushing, timeout=30, interval=0)
        rtmp_steps = []
        joined = time.monotonic()
        readers = [RtmpPlayer(server.rtmp_port, "live", STREAM, reader_video("RTMP"), rtmp_steps),
                   HttpFlvPlayer(server.http_port, "/%s.flv" % STREAM, reader_video("HTTP-FLV"))]
        for r in readers:
            sel.register(r, selectors.EVENT_READ)
        hls = HlsWatcher(server.http_port, STREAM, stop_event)
        hls.start()
        end = joined + warmup + window
        closed = []
        while time.monotonic() < end:
            for key, _ in sel.select(timeout=0.5):
                now[0] = time.monotonic()
                if not key.fileobj.readable(now[0]):
                    sel.unregister(key.fileobj)
                    closed.append(type(key.fileobj).__name__)
            if ffmpeg.poll() is not None:
                raise Missing("ffmpeg exited: %s" % ffmpeg.stderr.read().decode()[-300:])
        stop_event.set()
        hls.join(timeout=15)
    finally:
        stop_event.set()
        if ffmpeg:
            stop_process(ffmpeg, timeout=10)
        server.stop()

    # T0: -re releases frame p at T0 + p; E(p) - p >= T0 for every frame.
    t0 = min(e - pts / 1000.0 for e, pts in enc.values())
    lo = joined + warmup
    results = {}
    series = dict(arrivals)
    series["HLS"] = {k: t for t, k in hls.listed if k}
    for name, arr in series.items():
        tot, net, unmatched = [], [], 0
        for key, a in arr.items():
            if key not in enc:
                unmatched += 1
                continue
            e, pts = enc[key]
            if e < lo:
                continue
            tot.append((a - (t0 + pts / 1000.0)) * 1000)
            net.append((a - e) * 1000)
        note = ""
        if name == "HLS" and hls.error:
            note = hls.error
        if unmatched:
            note += " %d frames not matched to the encoder's" % unmatched
        sent = sum(1 for e, _ in enc.values() if e >= lo and e < end - 0.5)
        got = sum(1 for k in arr if k in enc and lo <= enc[k][0] < end - 0.5)
        if name != "HLS" and got < sent:  # dropped by the server (slow viewer) or lost here
            gaps = sorted(arr.values()) + [end]  # arrival times since joining
            worst = max(zip(gaps, gaps[1:]), key=lambda g: g[1] - g[0])
            note += " missed %d of %d frames (longest arrival gap %.2f s from +%.2f s)" % (
                sent - got, sent, worst[1] - worst[0], worst[0] - joined)
            if arr:
                note += "; first frame %.2f s after joining" % (min(arr.values()) - joined)
            if name == "RTMP":
                note += " (%s)" % ", ".join("%s sent +%.2f s" % (st, t - joined)
                                            for st, t in rtmp_steps)
        if net and min(net) < -1:  # the tap was buffered (E stamped late); -1..0: same select
            note += " min encoder->reader %.1f ms" % min(net)
        if closed:
            note += " closed early: " + ",".join(closed)
        results[name] = {"total": tot, "net": net, "note": note.strip()}
    enc_delay = [(e - (t0 + pts / 1000.0)) * 1000 for e, pts in enc.values() if e >= lo]
    seg = statistics.median(hls.segment_s) if hls.segment_s else None
    return results, enc_delay, seg


def fmt(values):
    if not values:
        return "missing"
    return "%6.0f / %6.0f" % (statistics.median(values), percentile(values, 0.95))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--estuary", default=os.path.join(
        BENCH_DIR, "..", "build-latency", "src", "controller", "estuary"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--warmup", type=float, default=5.0)
    ap.add_argument("--window", type=float, default=15.0)
    args = ap.parse_args()
    args.estuary = os.path.abspath(args.estuary)
    if not shutil.which("ffmpeg"):
        sys.exit("latency: ffmpeg is missing")
    sys.setswitchinterval(0.0005)  # the HLS thread must not delay the socket stamps
    enc_ms = encode_ms_per_frame()
    runs = []
    for i in range(args.runs):
        try:
            res, enc_delay, seg = one_run(args.estuary, args.warmup, args.window)
        except Missing as e:
            print("run %d: missing (%s)" % (i + 1, e))
            continue
        runs.append((res, enc_delay, seg))
        print("run %d: encoder delay above the fastest frame %s ms (median/p95); HLS segment %s s"
              % (i + 1, fmt(enc_delay), seg))
        for name, r in res.items():
            print("  %-8s total %s  encoder->reader %s  frames %d %s" % (
                name, fmt(r["total"]), fmt(r["net"]), len(r["total"]), r["note"]))
    print()
    print("Latency, ms, median / p95 over %g s after %g s warm-up; %d runs; load avg %s" % (
        args.window, args.warmup, len(runs), os.getloadavg()))
    print("%-9s %-4s %-17s %-17s %-17s %s" % ("protocol", "run", "total (from T0+p)",
                                              "encoder->reader", "target", "frames"))
    for name in ("RTMP", "HTTP-FLV", "HLS"):
        for i, (res, _, _) in enumerate(runs):
            r = res[name]
            target = "p95 < 1000 " + ("pass" if r["total"] and percentile(r["total"], 0.95) < 1000
                                  else "FAIL") if name == "RTMP" else "-"
            print("%-9s %-4d %-17s %-17s %-17s %d" % (name, i + 1, fmt(r["total"]),
                                                      fmt(r["net"]), target, len(r["total"])))
    print()
    print("total = A(p) - (T0 + p): encoder delay + server ingest/buffering/remux + play-out +\n"
          "  loopback transport + parsing here (no capture, decode or display).")
    print("encoder->reader = A(p) - E(p), E = when ffmpeg's tee wrote the packet (just before the\n"
          "  RTMP socket write); exact to ~1 ms.")
    print("T0 = min(E(p) - p): late by the fastest frame's encode time, so `total` may be low by\n"
          "  up to %.0f ms (mean unpaced encode time per frame on this machine)." % enc_ms)
    print("HLS: A = first poll (every %d ms) that lists the segment whose first frame is p; a\n"
          "  player adds its own buffer (usually >= 1 segment) on top." % (HLS_POLL_S * 1000))


if __name__ == "__main__":
    main()
