#!/usr/bin/env bash
# Writes the outputs of a dualmatch binary that must not change under a
# refactoring, so that two builds can be compared with `diff -r`:
#
#   scripts/golden-outputs.sh target/release/dualmatch /tmp/before
#   ... change the code, rebuild ...
#   scripts/golden-outputs.sh target/release/dualmatch /tmp/after
#   diff -r /tmp/before /tmp/after
#
# For data/sample and a generated flanders season (seed 7): `match` with every
# policy (and --by-school, --improve, the LP solver), `rematch` (plain,
# --max-placed and --allow-moves) after a fixed set of changes derived from
# the first match, `compare --policies all --seeds 3`, `score`, `explain` and
# `validate`; and the generator itself (the flanders season and a small
# --scenario sweep). Every run uses --no-timings where the command has it.
# Console output (stdout and stderr, with the exit code) is kept as well.
# Everything runs inside OUT_DIR with relative paths (the sample season is
# copied there), so paths echoed into the outputs are the same for any OUT_DIR.
set -euo pipefail

if [ $# -ne 2 ]; then
    echo "usage: $0 DUALMATCH_BINARY OUT_DIR (OUT_DIR must not exist)" >&2
    exit 2
fi
bin=$(realpath "$1")
out=$2
if [ -e "$out" ]; then
    echo "$out exists; give a new directory" >&2
    exit 2
fi
repo=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
cd "$out"
out=.
cp -r "$repo/data/sample" sample-season
policies="max-fit max-placed fair-share stable stable-workplace serial-dictatorship random-serial greedy first-come boston"

# run NAME ARGS...: runs the binary, keeping its console output and exit code.
run() {
    local name=$1
    shift
    local rc=0
    "$bin" "$@" >"$out/$name.stdout" 2>"$out/$name.stderr" || rc=$?
    echo "$rc" >"$out/$name.rc"
}

# changes FIRST_RESULT FILE: agreement_ended for the 1st-5th placements,
# learner_left for the 6th, seats withdrawn at the 10th's site, two seats added
# at the 20th's site.
changes() {
    {
        echo "event,learner,workplace,programme,seats"
        awk -F, 'NR>=2 && NR<=6 {print "agreement_ended," $1 "," $2 ",,"}
                 NR==7 {print "learner_left," $1 ",,,"}
                 NR==11 {print "seats_withdrawn,," $2 "," $3 ",1"}
                 NR==21 {print "seats_added,," $2 "," $3 ",2"}' "$1/placements.csv"
    } >"$2"
}

# season NAME DIR: every command on one season.
season() {
    local name=$1 dir=$2
    local o="$out/$name"
    mkdir -p "$o"
    run "$name/validate" validate "$dir"
    run "$name/score" score "$dir" -q --out "$o/candidates.csv"
    local first
    first=$(awk -F, 'NR==2 {print $1}' "$dir/learners.csv")
    run "$name/explain" explain "$dir" --learner "$first" --top 8
    for p in $policies; do
        run "$name/match-$p" match "$dir" --policy "$p" --seed 3 -q --no-timings --out "$o/match-$p"
    done
    run "$name/match-by-school" match "$dir" -q --no-timings --by-school --out "$o/match-by-school"
    run "$name/match-improve" match "$dir" --policy greedy --improve -q --no-timings --out "$o/match-improve"
    run "$name/match-candidates" match "$dir" --policy max-placed --candidates "$o/candidates.csv" \
        -q --no-timings --out "$o/match-candidates"
    changes "$o/match-max-fit" "$o/changes.csv"
    run "$name/rematch" rematch "$dir" --previous "$o/match-max-fit" --changes "$o/changes.csv" \
        -q --no-timings --out "$o/rematch"
    run "$name/rematch-max-placed" rematch "$dir" --previous "$o/match-max-fit" --changes "$o/changes.csv" \
        --max-placed -q --no-timings --out "$o/rematch-max-placed"
    run "$name/rematch-moves" rematch "$dir" --previous "$o/match-max-fit" --changes "$o/changes.csv" \
        --allow-moves 3 -q --no-timings --out "$o/rematch-moves"
    run "$name/compare" compare "$dir" --policies all --seeds 3 -q --no-timings --out "$o/compare"
}

season sample sample-season
run generate-flanders generate --preset flanders --seed 7 -q --out "$out/flanders-season"
season flanders "$out/flanders-season"
run generate-json generate --preset tiny --seed 5 --format json -q --out "$out/tiny.json"
run generate-sweep generate --preset tiny --seed 2 --scenario --scarcity 0.6,1.2 --school-counts 2,5 -q \
    --out "$out/sweep"
run match-lp match sample-season --solver lp -q --no-timings --out "$out/match-lp"
echo "golden outputs written"
