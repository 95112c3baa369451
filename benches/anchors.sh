#!/usr/bin/env bash
# Solve time of `dualmatch match` against LEMON's network simplex (and
# optionally OR-Tools) on the anchor instances, measured in the same run, plus
# the anchors' optimality check of our result.
#
#   benches/anchors.sh [PRESETS...]        # default: S M L
#   REPEAT=3 benches/anchors.sh S M        # min of 3 runs per solver (default 3; L uses 2)
#
# Needs ../shared/anchors/setup.sh to have run once. Instances are cached in
# target/bench-data/anchors/<preset> (seed 0). Prints one line per preset and
# policy: our solve seconds (from summary.json: building the networks and
# solving them), LEMON's solve seconds (solve.py, excluding its CSV load), the
# ratio, and the checker's verdict; the end to end is our best `match` wall
# time. The two take turns going first: a run right after the other's large
# process exits is slower on a machine where fresh memory is slow to fault
# in. With PHASES=1, each line is followed by
# our exact solve split by phase (benches/solve_phases.rs: model, components,
# network build, simplex set-up, pivots, finish, proof, assemble; best of 5).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source benches/anchor-instances.sh
for p in "${PRESETS[@]}"; do
    dir=$(anchor_instance "$p")
    for policy in max-fit max-placed; do
        reps=${REPEAT:-3}
        [ "$p" = "L" ] && reps=${REPEAT:-2}
        lemon=nan; ours=nan; wall=nan; rss=0
        out="$DATA/result-$p-$policy"
        run_lemon() {
            l=$("$ANCHORS/solve.py" "$dir" --policy "$policy" --anchors lemon --json 2>/dev/null \
                | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["anchors"]["lemon"]["solve_s"])' 2>/dev/null || echo nan)
            lemon=$(python3 -c "import math; a,b=float('$lemon'),float('$l'); print(b if math.isnan(a) else min(a,b))")
        }
        run_ours() {
            /usr/bin/time -f "%e %M" -o "$DATA/time.txt" "$BIN" match "$dir" --policy "$policy" --out "$out" --force -q
            o=$(python3 -c "import json; print(json.load(open('$out/summary.json'))['timings']['solve'])")
            ours=$(python3 -c "import math; a,b=float('$ours'),float('$o'); print(b if math.isnan(a) else min(a,b))")
            read -r w r < "$DATA/time.txt"
            wall=$(python3 -c "import math; a,b=float('$wall'),float('$w'); print(b if math.isnan(a) else min(a,b))")
            rss=$(( r > rss ? r : rss ))
        }
        for rep in $(seq "$reps"); do
            if [ $((rep % 2)) = 1 ]; then run_lemon; run_ours; else run_ours; run_lemon; fi
        done
        verdict=$("$ANCHORS/check_result.py" "$dir" "$out" --anchor lemon 2>&1 | tail -1 | cut -c1-60)
        python3 - "$p" "$policy" "$ours" "$lemon" "$wall" "$rss" "$verdict" <<'PY'
import sys
p, pol, ours, lemon, wall, rss, verdict = sys.argv[1:]
ours, lemon = float(ours), float(lemon)
ratio = ours / lemon if lemon == lemon and lemon > 0 else float("nan")
print(f"{p:2s} {pol:10s} dualmatch solve {ours:7.3f}s  lemon {lemon:7.3f}s  ratio {ratio:5.2f}  "
      f"(end-to-end {float(wall):6.2f}s, peak {int(rss)/1024:6.0f} MB)  {verdict}")
PY
        if [ "${PHASES:-0}" = 1 ]; then
            echo "   phases: $(cargo bench -q -p dualmatch --bench solve_phases -- "$PWD/$dir" "$policy" 5 2>/dev/null)"
        fi
    done
done
