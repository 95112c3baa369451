#!/usr/bin/env bash
# The national season's exact solve against LEMON's network simplex, in the
# same run (issue 16, item 4).
#
#   benches/national_lemon.sh            # max-fit (the default policy)
#   POLICY=max-placed benches/national_lemon.sh
#
# Steps:
#   1. the season target/bench-data/national-e2e (scripts/bench-data.sh
#      national-e2e: 500,000 learners) is copied once, with the candidate
#      pairs that `dualmatch score` writes for it (29M rows, about 3 GB), to
#      target/bench-data/national-lemon, so that both solvers read the same
#      scored pairs (its candidates.csv);
#   2. `dualmatch match` on that copy: summary.json's timings (the solve
#      phase: building the networks and solving them, all components) and
#      objective;
#   3. `../shared/anchors/solve.py --anchors lemon` on the same copy:
#      LEMON's solve time of the whole graph (single-threaded, excluding its
#      CSV load) and objective.
# Prints both, the ratio ours / LEMON, and whether the optima agree.
#
# Needs ../shared/anchors/setup.sh (LEMON, the Python venv) once, about
# 8 GB of memory for the anchors' Python load, and several minutes: LEMON's
# solve of the national graph took 262 s on this machine (issue 16).
#
#   DUALMATCH_BIN  a dualmatch binary to measure (default: target/release,
#                  built here)
#   DUALMATCH_ANCHORS  the anchors' directory (default ../shared/anchors)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ANCHORS="${DUALMATCH_ANCHORS:-../shared/anchors}"
POLICY="${POLICY:-max-fit}"
if [ -n "${DUALMATCH_BIN:-}" ]; then
    BIN=$DUALMATCH_BIN
else
    cargo build -q --release -p dualmatch-cli
    BIN=target/release/dualmatch
fi
DATA=target/bench-data
season=$DATA/national-e2e
work=$DATA/national-lemon
if [ ! -f "$season/learners.csv" ]; then
    BIN=$BIN scripts/bench-data.sh national-e2e
fi
if [ ! -f "$work/candidates.csv" ]; then
    rm -rf "$work.tmp"
    mkdir -p "$work.tmp"
    cp "$season"/*.csv "$work.tmp/"
    "$BIN" score "$season" --out "$work.tmp/candidates.csv" -q
    rm -rf "$work"
    mv "$work.tmp" "$work"
fi

out=$DATA/national-lemon-result
/usr/bin/time -f "%e %M" -o "$DATA/national-lemon-time.txt" \
    "$BIN" match "$work" --policy "$POLICY" --no-advice --out "$out" --force -q
read -r wall rss < "$DATA/national-lemon-time.txt"
lemon_json=$("$ANCHORS/solve.py" "$work" --policy "$POLICY" --anchors lemon --json)
python3 - "$out/summary.json" "$wall" "$rss" "$lemon_json" <<'PY'
import json, sys
summary, wall, rss, lemon_doc = sys.argv[1:]
ours = json.load(open(summary))
lemon = json.loads(lemon_doc)
anchor = lemon["anchors"]["lemon"]
o_solve = ours["timings"]["solve"]
l_solve = anchor["solve_s"]
o_obj = ours["total_score"]
l_obj = anchor["objective"]
agree = abs(float(o_obj) - float(l_obj)) <= 1e-6 * max(1.0, abs(float(l_obj)))
print(f"dualmatch solve {o_solve:.2f} s (match end to end {float(wall):.1f} s without advice, "
      f"peak {int(rss) / 1024:.0f} MB)")
print(f"LEMON solve {l_solve:.2f} s (its load {lemon.get('load_s', float('nan')):.1f} s)")
print(f"ratio ours / LEMON: {o_solve / l_solve:.3f}")
print(f"objective: ours {o_obj}, LEMON {l_obj:.6f}: {'AGREE' if agree else 'DISAGREE'}")
sys.exit(0 if agree else 1)
PY
