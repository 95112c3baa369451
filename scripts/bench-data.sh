#!/usr/bin/env bash
# Creates the benchmark seasons that README.md and docs/ name, under
# target/bench-data/ (not committed; a few hundred MB):
#
#   national-e2e  `dualmatch generate --preset national --seed 42`: 500,000
#                 learners, 200,000 sites (the `match` on national figures,
#                 the advice timing, the pivot counts); the season the
#                 scoring bench builds in memory (the load bench's
#                 target/bench-data/national is seed 2024)
#   flanders      `dualmatch generate --preset flanders --seed 1`: 6,000
#                 learners (the end-to-end `dualmatch compare` figure; the
#                 compare bench builds the same season in memory)
#
#   scripts/bench-data.sh [NAME...]     # default: every season above
#
# A season that already exists (its .dualmatch-result marker present) is kept;
# delete its directory to generate it again. Generation is deterministic: the
# same seed gives the same files. BIN names the dualmatch binary to use
# (default: target/release/dualmatch, built first).
#
# Not made here: the anchors' S, M and L instances (benches/anchors.sh makes
# them with ../shared/anchors/gen_random.py) and the DMFLOW1 files of the
# flow_bin bench (../shared/anchors/solve.py --export-bin), which need the
# anchors tools outside this repository.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ -z "${BIN:-}" ]; then
    cargo build -q --release -p dualmatch-cli
    BIN=target/release/dualmatch
fi
DATA=target/bench-data
mkdir -p "$DATA"

args_of() {
    case "$1" in
        national-e2e) echo "--preset national --seed 42" ;;
        flanders) echo "--preset flanders --seed 1" ;;
        *) echo "unknown benchmark season: $1 (known: national-e2e flanders)" >&2; return 2 ;;
    esac
}

names=("$@")
[ ${#names[@]} -eq 0 ] && names=(national-e2e flanders)
for name in "${names[@]}"; do
    args=$(args_of "$name")
    dir="$DATA/$name"
    if [ -f "$dir/.dualmatch-result" ] && [ -f "$dir/learners.csv" ]; then
        echo "$dir: kept (delete it to generate it again)"
        continue
    fi
    if [ -e "$dir" ]; then
        echo "$dir exists but is not a generated season: move it away first" >&2
        exit 1
    fi
    # shellcheck disable=SC2086 # the arguments are words
    "$BIN" generate $args --out "$dir" -q
    echo "$dir: dualmatch generate $args"
done
