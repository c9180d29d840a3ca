"""What the benchmark needs before a run: Debian packages, the reader binary, the source clip."""
import glob
import json
import os
import subprocess
import sys

BENCH_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE_DIR = os.path.join(BENCH_DIR, ".cache")
PACKAGES = ["nginx", "libnginx-mod-rtmp", "ffmpeg", "wrk", "curl", "g++"]
POLICY_RC = "/usr/sbin/policy-rc.d"

# The source every server gets: 1280x720 30 fps H.264 at 2.5 Mbit/s with a keyframe every 2 s
# (60 frames, no scene-cut keyframes), AAC 128 kbit/s, 20 s. Changing this changes the cache key.
CLIP_ARGS = [
    "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30",
    "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
    "-t", "20",
    "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
    "-b:v", "2500k", "-maxrate", "2500k", "-bufsize", "5000k",
    "-g", "60", "-keyint_min", "60", "-sc_threshold", "0",
    "-c:a", "aac", "-b:a", "128k", "-ac", "2",
    "-movflags", "+faststart",
]
CLIP_NAME = "clip-720p30-2500k-g60-aac128-20s-v1.mp4"


def _installed(pkg):
    r = subprocess.run(["dpkg-query", "-W", "-f=${db:Status-Status}", pkg],
                       capture_output=True, text=True)
    return r.returncode == 0 and r.stdout.strip() == "installed"


def install_packages():
    """apt-get installs the missing packages; silent when all are there."""
    missing = [p for p in PACKAGES if not _installed(p)]
    if not missing:
        return
    print(f"bench: installing {' '.join(missing)}", file=sys.stderr)
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    # Installing nginx would start the system nginx on port 80 where services may start; the
    # benchmark only wants the binary. Forbid service starts for this install if nothing does yet.
    made_policy = False
    if os.geteuid() == 0 and not os.path.exists(POLICY_RC):
        with open(POLICY_RC, "w") as f:
            f.write("#!/bin/sh\n# temporary, from estuary bench/run\nexit 101\n")
        os.chmod(POLICY_RC, 0o755)
        made_policy = True
    try:
        subprocess.run(sudo + ["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(sudo + ["apt-get", "install", "-y", "-qq", "--no-install-recommends"]
                       + missing, check=True, env=env)
    finally:
        if made_policy:
            os.unlink(POLICY_RC)


def rtmp_module():
    found = glob.glob("/usr/lib/nginx/modules/ngx_rtmp_module.so")
    return found[0] if found else None


def build_reader():
    """Builds bench/reader with g++ into the cache when a source is newer than the binary."""
    src_dir = os.path.join(BENCH_DIR, "reader")
    sources = sorted(glob.glob(os.path.join(src_dir, "*.cpp")))
    headers = glob.glob(os.path.join(src_dir, "*.h"))
    out = os.path.join(CACHE_DIR, "reader")
    os.makedirs(CACHE_DIR, exist_ok=True)
    newest = max(os.path.getmtime(p) for p in sources + headers)
    if os.path.exists(out) and os.path.getmtime(out) >= newest:
        return out
    print("bench: building the reader", file=sys.stderr)
    subprocess.run(["g++", "-std=c++17", "-O2", "-Wall", "-o", out] + sources, check=True)
    return out


def clip():
    """Returns (path, bits per second) of the cached source clip, making it once."""
    path = os.path.join(CACHE_DIR, CLIP_NAME)
    os.makedirs(CACHE_DIR, exist_ok=True)
    if not os.path.exists(path):
        print("bench: encoding the source clip (once)", file=sys.stderr)
        tmp = path + ".part.mp4"
        subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y"] + CLIP_ARGS + [tmp],
                       check=True)
        os.rename(tmp, path)
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=bit_rate",
                            "-of", "json", path], capture_output=True, text=True, check=True)
    return path, int(json.loads(probe.stdout)["format"]["bit_rate"])
