#!/usr/bin/env bash
# Figure of docs/scale-out.md: a sweep of 4 flanders seasons × 10 policies
# (all) × 10 seeds, wall time of the unsharded `compare` against the same
# sweep as a Slurm job array (SHARDS tasks of 1 CPU) with the dependent
# merge, on a one-node Slurm on this machine (deploy/slurm/local-cluster.sh).
# Checks that both results are byte-identical. Prints a Markdown table.
#
#   cargo build --release -p dualmatch-cli && scripts/scale-out/sweep.sh
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DUALMATCH=$(realpath "${DUALMATCH:-$ROOT/target/release/dualmatch}")
SHARDS=${SHARDS:-4}
export DUALMATCH
# shellcheck source=deploy/slurm/local-cluster.sh
. "$ROOT/deploy/slurm/local-cluster.sh"
cluster_start
W="$T/work"
cd "$W"
for s in 1 2 3 4; do
    "$DUALMATCH" -q generate --preset flanders --seed "$s" --out "$W/flanders-$s"
done
export SEASONS="$W/flanders-1 $W/flanders-2 $W/flanders-3 $W/flanders-4" POLICIES=all SEEDS=10
start=$(date +%s)
# shellcheck disable=SC2086
"$DUALMATCH" -q compare $SEASONS --policies all --seeds 10 --no-timings --out "$W/single"
single=$(( $(date +%s) - start ))
start=$(date +%s)
jid=$(sbatch --parsable --array=0-$((SHARDS - 1)) --cpus-per-task=1 --mem=1G -o "$W/%x-%A_%a.log" \
    --export=ALL,PARTS="$W/parts" "$ROOT/deploy/slurm/compare-array.sbatch")
sbatch --parsable --wait --dependency="afterok:$jid" --kill-on-invalid-dep=yes --mem=1G -o "$W/%x-%j.log" \
    --export=ALL,PARTS="$W/parts",OUT="$W/merged" "$ROOT/deploy/slurm/merge.sbatch" >/dev/null
slurm=$(( $(date +%s) - start ))
diff -r -q --exclude=.dualmatch-result "$W/single" "$W/merged"
runs=$(($(wc -l < "$W/single/comparison.csv") - 1))
load=$(cut -d' ' -f1-3 /proc/loadavg)
echo
echo "| sweep ($runs runs: 4 flanders seasons × all 10 policies × 10 seeds) | wall time |"
echo "|---|---|"
printf '| unsharded `compare` (%s threads) | %s s |\n' "$(nproc)" "$single"
printf '| Slurm array, %s tasks × 1 CPU, + dependent merge | %s s |\n' "$SHARDS" "$slurm"
echo
echo "merged result byte-identical to the unsharded one; $(nproc) cores; load average at the end: $load"
cluster_stop
cd /
rm -rf "$T"
