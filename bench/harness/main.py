"""bench/run: estuary against nginx-rtmp on loopback. See bench/README.md."""
import argparse
import os
import resource
import signal
import sys

from harness import prepare, report
from harness.figures import Run, figure_list, log

ROOT = os.path.dirname(prepare.BENCH_DIR)

FULL = {"ingest": 30, "wrk": 15, "viewers": 15, "warmup": 3, "connect": 15, "playable": 30}
QUICK = {"ingest": 10, "wrk": 5, "viewers": 6, "warmup": 2, "connect": 10, "playable": 30}


def _terminate(signum, frame):
    raise SystemExit(128 + signum)  # unwinds through every run's cleanup


def default_estuary(build):
    """$BUILD/src/estuary, or where meson puts it when it is built in src/controller."""
    candidates = [os.path.join(ROOT, build, "src", "estuary"),
                  os.path.join(ROOT, build, "src", "controller", "estuary")]
    return next((c for c in candidates if os.path.exists(c)), candidates[0])


def main(argv):
    ap = argparse.ArgumentParser(prog="bench/run", description=__doc__)
    ap.add_argument("--quick", action="store_true", help="1 run, shorter windows (development)")
    ap.add_argument("--runs", type=int, help="number of runs (default 3, or 1 with --quick)")
    ap.add_argument("--write-results", action="store_true", help="write bench/RESULTS.md")
    ap.add_argument("--estuary", help="estuary binary (default $BUILD/src/estuary or $BUILD/src/controller/estuary)")
    args = ap.parse_args(argv)
    runs = args.runs or (1 if args.quick else 3)
    windows = QUICK if args.quick else FULL
    estuary = args.estuary or default_estuary(os.environ.get("BUILD", "build"))
    signal.signal(signal.SIGTERM, _terminate)
    # 1000 viewers need more descriptors than the usual soft limit; children inherit this.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))

    prepare.install_packages()
    reader = prepare.build_reader()
    clip, bitrate = prepare.clip()
    ctx = {"clip": clip, "bitrate": bitrate, "reader": reader, "estuary": os.path.abspath(estuary)}

    results, loads, notes = [], [], []
    for i in range(runs):
        log(f"run {i + 1} of {runs}")
        run = Run(ctx, windows)
        results.append(run.execute())
        loads.extend(run.load)
        notes.extend(f"run {i + 1}: {n}" for n in run.notes)

    rows = figure_list(windows)
    params = {"quick": args.quick, "runs": runs, "windows": windows, "loads": loads, "notes": notes,
              "clip_desc": f"{os.path.basename(clip)}, {bitrate / 1e6:.2f} Mbit/s overall "
                           "(1280x720 30 fps H.264 2.5 Mbit/s, keyframe every 2 s, AAC 128 kbit/s, "
                           "20 s looped)"}
    doc = report.document(rows, results, params, ROOT)
    print(doc)
    if args.write_results:
        with open(os.path.join(prepare.BENCH_DIR, "RESULTS.md"), "w") as f:
            f.write(doc)
        log("wrote bench/RESULTS.md")
    return 0
