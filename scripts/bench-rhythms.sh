#!/bin/sh
# Issue 18 benchmark: the Flanders preset with mentors and rhythms
# (generate --preset flanders --mentors --rhythms, seed 4: 6,000 learners,
# 8,000 sites, 25 schools, 4 rhythm patterns), matched exactly (max-fit;
# components with different rhythms go to the mixed-integer path), with wall
# time and peak memory from /usr/bin/time -v. Usage:
#   scripts/bench-rhythms.sh [path/to/dualmatch] [learners] [workplaces] [schools] [time-limit-seconds]
# Defaults: target/release/dualmatch, the preset's sizes, no time limit.
# An empty argument keeps the default (e.g. `'' '' '' '' 600`).
set -eu
bin=${1:-target/release/dualmatch}
size=""
[ -n "${2:-}" ] && size="$size --learners $2"
[ -n "${3:-}" ] && size="$size --workplaces $3"
[ -n "${4:-}" ] && size="$size --schools $4"
limit=""
[ -n "${5:-}" ] && limit="--time-limit $5"
out=${TMPDIR:-/tmp}/dualmatch-bench-rhythms
rm -rf "$out"
# shellcheck disable=SC2086 # $size and $limit are lists of words
"$bin" generate --preset flanders $size --mentors --rhythms --seed 4 --out "$out/season" -q
echo "rhythm patterns: $(tail -n +2 "$out/season/schools.csv" | awk -F, '{print $NF}' | sort -u | tr '\n' ' ')"
# shellcheck disable=SC2086
/usr/bin/time -v "$bin" match "$out/season" --no-advice $limit --out "$out/result" 2>&1 |
    grep -E "placed|Elapsed|Maximum resident|time limit|dualmatch:" || true
if [ -f "$out/result/summary.json" ]; then python3 -c "
import json, sys
d = json.load(open(sys.argv[1])); p = d['proof']
print('placed', d['placed'], 'of', d['learners'], 'method', p['method'], 'gap', p['gap'],
      'components', p['components'], 'largest', p['largest_component'])" "$out/result/summary.json"; fi
