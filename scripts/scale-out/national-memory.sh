#!/usr/bin/env bash
# Figure of docs/scale-out.md: the national season (preset national, about
# 500,000 learners) matched in one run against 4 shards run one after the
# other: peak memory (maximum resident set, /usr/bin/time -v) and wall time
# of each process, then the merge; checks that the merged files equal the
# single run's byte for byte. Prints a Markdown table.
#
#   cargo build --release -p dualmatch-cli && scripts/scale-out/national-memory.sh [WORKDIR]
#
# MATCH_OPTIONS (default --no-timings --no-advice) is passed to every match.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DUALMATCH=$(realpath "${DUALMATCH:-$ROOT/target/release/dualmatch}")
W=${1:-$(mktemp -d /tmp/dualmatch-national.XXXXXX)}
SHARDS=${SHARDS:-4}
OPTS=${MATCH_OPTIONS:---no-timings --no-advice}
mkdir -p "$W/times"
cd "$W"
[ -d national ] || "$DUALMATCH" -q generate --preset national --seed 1 --out national
# Runs a command under /usr/bin/time -v (its report in times/, not beside the
# parts: merge takes part-*); prints "<peak MiB> <wall s>".
measure() {
    local log=$1
    shift
    /usr/bin/time -v "$@" 2> "times/$log" >/dev/null
    awk -F': ' '/Maximum resident set size/ {kb=$2} /Elapsed \(wall clock\)/ {t=$2}
        END {n=split(t, p, ":"); s=0; for (i=1; i<=n; i++) s=s*60+p[i]; printf "%.0f %.0f\n", kb/1024, s}' "times/$log"
}
rows=()
# shellcheck disable=SC2086
read -r mem wall < <(measure single "$DUALMATCH" -q match national $OPTS --out single --force)
rows+=("| single run | $mem MiB | $wall s |")
for i in $(seq 0 $((SHARDS - 1))); do
    # shellcheck disable=SC2086
    read -r mem wall < <(measure "part-$i" "$DUALMATCH" -q match national $OPTS --shard "$i/$SHARDS" --out "part-$i" --force)
    comps=$(python3 -c "import json,sys; p=json.load(open('part-$i/part.json')); print(len(p['components']), 'of', p['layout']['components'])")
    rows+=("| shard $i/$SHARDS ($comps components) | $mem MiB | $wall s |")
done
read -r mem wall < <(measure merge "$DUALMATCH" -q merge part-* --out merged --force)
rows+=("| merge | $mem MiB | $wall s |")
diff -r -q --exclude=.dualmatch-result single merged
echo
echo "| national season, \`match $OPTS\` | peak memory | wall time |"
echo "|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "merged result byte-identical to the single run; $(nproc) cores; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
