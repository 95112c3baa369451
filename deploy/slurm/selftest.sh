#!/usr/bin/env bash
# Proves the Slurm recipes on a real scheduler: a one-node Slurm cluster on
# 127.0.0.1 (munged, slurmctld, slurmd, started here and stopped by pid),
# a sharded compare as a 4-task job array with the merge as a dependent job,
# and the same for a sharded match of a flanders-preset season; each merged
# result must equal the single-machine run byte for byte (--no-timings).
# Exits 0 only when everything matched.
#
#   deploy/slurm/selftest.sh                 # uses target/debug/dualmatch (cargo build first)
#   DUALMATCH=target/release/dualmatch deploy/slurm/selftest.sh
#
# Installs Slurm and munge from the distribution's packages (apt-get:
# slurm-wlm, munge) when they are missing; needs root or sudo for that and
# for the daemons. Everything else lives in one temporary directory.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DUALMATCH=$(realpath "${DUALMATCH:-${CARGO_TARGET_DIR:-$ROOT/target}/debug/dualmatch}")
SHARDS=${SHARDS:-4}
WAIT_S=${WAIT_S:-1800}
[ -x "$DUALMATCH" ] || { echo "selftest: no dualmatch binary at $DUALMATCH (cargo build first)"; exit 2; }
# shellcheck source=deploy/slurm/local-cluster.sh
. "$ROOT/deploy/slurm/local-cluster.sh"
cluster_start

W="$T/work"
cd "$W"
export DUALMATCH
failed=0
# Runs the array of RECIPE with SHARDS tasks and the dependent merge;
# waits for the merge (sbatch --wait), which runs only when all tasks succeeded.
sharded() {
    local recipe=$1
    local jid
    jid=$(sbatch --parsable --array=0-$((SHARDS - 1)) --mem=100M -o "$W/%x-%A_%a.log" "$ROOT/deploy/slurm/$recipe")
    echo "   array job $jid ($SHARDS tasks of $recipe), then the merge after it"
    timeout "$WAIT_S" sbatch --parsable --wait --dependency="afterok:$jid" --kill-on-invalid-dep=yes --mem=100M \
        -o "$W/%x-%j.log" "$ROOT/deploy/slurm/merge.sbatch" >/dev/null
}
# Compares every file of two result directories but the marker.
same() {
    local a=$1 b=$2 what=$3
    if diff -r -q --exclude=.dualmatch-result "$a" "$b" && [ -n "$(ls -A "$a")" ]; then
        echo "   $what: merged result identical to the single run ($(ls "$a" | tr '\n' ' '))"
    else
        echo "selftest: FAILED: $what: the merged result differs from the single run"
        failed=1
    fi
}

echo "== selftest: sharded compare ($SHARDS-task array + dependent merge)"
"$DUALMATCH" -q generate --preset tiny --seed 1 --out "$W/s1"
"$DUALMATCH" -q generate --preset tiny --seed 2 --out "$W/s2"
export SEASONS="$W/s1 $W/s2" POLICIES=max-fit,max-placed,stable,random-serial,first-come SEEDS=4
"$DUALMATCH" -q compare $SEASONS --policies "$POLICIES" --seeds "$SEEDS" --no-timings --out "$W/compare-single"
start=$(date +%s)
PARTS="$W/compare-parts" OUT="$W/compare-merged" sharded compare-array.sbatch || { echo "selftest: FAILED: compare jobs"; failed=1; }
echo "   compare on Slurm: $(( $(date +%s) - start )) s"
same "$W/compare-single" "$W/compare-merged" "compare"

echo "== selftest: sharded match of a flanders-preset season ($SHARDS-task array + dependent merge)"
"$DUALMATCH" -q generate --preset flanders --learners 2000 --workplaces 2500 --seed 7 --out "$W/flanders"
export SEASON="$W/flanders" POLICY=max-fit
"$DUALMATCH" -q match "$SEASON" --policy "$POLICY" --no-timings --out "$W/match-single"
start=$(date +%s)
PARTS="$W/match-parts" OUT="$W/match-merged" sharded match-array.sbatch || { echo "selftest: FAILED: match jobs"; failed=1; }
echo "   match on Slurm: $(( $(date +%s) - start )) s"
same "$W/match-single" "$W/match-merged" "match"

if [ "$failed" != 0 ]; then
    echo "selftest: logs and results kept in $T"
    for f in "$W"/*.log "$T"/slurmctld.log "$T"/slurmd.log; do
        [ -f "$f" ] && { echo "--- $f"; tail -n 15 "$f"; }
    done
    exit 1
fi
cluster_stop
cd /
rm -rf "$T"
echo "== selftest passed"
