#!/usr/bin/env bash
# Load time of `dualmatch validate` (reading, validating and building a
# season, process start included) against polars reading the same CSV files
# (../shared/anchors/load_anchor.py), interleaved in the same run.
#
#   benches/load_anchor.sh [PRESETS...]           # default: S M L
#   REPEAT=5 benches/load_anchor.sh S M           # best of 5 rounds (default 3)
#   BASELINE=/path/to/old/dualmatch benches/load_anchor.sh   # also time another binary
#
# Needs ../shared/anchors/setup.sh to have run once (polars in its venv).
# Instances are those of benches/anchors.sh: target/bench-data/anchors/<preset>
# (gen_random.py, seed 0). Each round runs polars, then ours (then the
# baseline), so that all see the same machine load; each figure is the best
# round. Prints one line per preset: wall seconds and CPU seconds (user +
# system, all threads; for polars around its reads only, without Python's
# start), each with its ratio to polars. On a loaded machine the CPU seconds
# are the steadier figure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source benches/anchor-instances.sh
for p in "${PRESETS[@]}"; do
    dir=$(anchor_instance "$p")
    python3 - "$p" "$dir" "$BIN" "${BASELINE:-}" "${REPEAT:-3}" "$ANCHORS/load_anchor.py" <<'PY'
import glob, json, os, subprocess, sys, time
p, d, ours, base, reps, anchor = sys.argv[1:]
home = os.environ.get("DUALMATCH_ANCHORS_HOME") or os.path.expanduser("~/.cache/dualmatch-anchors")
venv_py = os.path.join(home, "venv", "bin", "python")
# polars' CPU seconds (all its threads) for the same reads as load_anchor.py.
cpu_snippet = """
import glob, os, sys, time
import polars as pl
files = sorted(glob.glob(os.path.join(sys.argv[1], '*.csv')))
t = time.process_time()
for f in files:
    pl.read_csv(f, infer_schema_length=10000)
print(time.process_time() - t)
"""
def timed(cmd):
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    _, status, use = os.wait4(proc.pid, 0)
    assert status == 0, cmd
    return time.perf_counter() - t, use.ru_utime + use.ru_stime
inf = float("inf")
best = {k: [inf, inf] for k in ("polars", "ours", "baseline")}
def keep(k, wall, cpu):
    best[k] = [min(best[k][0], wall), min(best[k][1], cpu)]
for _ in range(int(reps)):
    out = subprocess.run([anchor, d, "--repeat", "1", "--json"], check=True, capture_output=True, text=True).stdout
    cpu = subprocess.run([venv_py, "-c", cpu_snippet, d], check=True, capture_output=True, text=True).stdout
    keep("polars", json.loads(out)["load_s"], float(cpu))
    keep("ours", *timed([ours, "validate", d]))
    if base:
        keep("baseline", *timed([base, "validate", d]))
mb = sum(os.path.getsize(f) for f in glob.glob(os.path.join(d, "*.csv"))) / 1e6
pw, pc = best["polars"]
def show(name, k):
    w, c = best[k]
    return f"  {name} {w:6.3f}s ({w / pw:5.2f}x) cpu {c:6.3f}s ({c / pc:5.2f}x)"
line = f"{p:2s} ({mb:5.1f} MB)  polars {pw:6.3f}s cpu {pc:6.3f}s" + show("dualmatch", "ours")
if base:
    line += show("baseline", "baseline")
print(line + f"  (best of {reps}; wall, then CPU seconds of all threads)", flush=True)
PY
done
