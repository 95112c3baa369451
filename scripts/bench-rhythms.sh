#!/bin/sh
# Issue 18 benchmark: a Flanders-shaped season with mentors and 4 rhythm
# patterns (generate --mentors --rhythms, seed 4), matched exactly (max-fit;
# components with different rhythms go to the mixed-integer path), with wall
# time and peak memory from /usr/bin/time -v. Usage:
#   scripts/bench-rhythms.sh [path/to/dualmatch] [learners] [workplaces] [schools]
# Defaults: target/release/dualmatch, 1200 learners, 1800 sites, 12 schools.
set -eu
bin=${1:-target/release/dualmatch}
learners=${2:-1200}
workplaces=${3:-1800}
schools=${4:-12}
out=${TMPDIR:-/tmp}/dualmatch-bench-rhythms
rm -rf "$out"
"$bin" generate --preset flanders --learners "$learners" --workplaces "$workplaces" --schools "$schools" \
    --mentors --rhythms --seed 4 --out "$out/season" -q
echo "rhythm patterns: $(tail -n +2 "$out/season/schools.csv" | awk -F, '{print $NF}' | sort -u | tr '\n' ' ')"
/usr/bin/time -v "$bin" match "$out/season" --no-advice --out "$out/result" 2>&1 |
    grep -E "placed|Elapsed|Maximum resident"
python3 -c "import json,sys; p=json.load(open(sys.argv[1]))['proof']; print('method', p['method'], 'gap', p['gap'])" \
    "$out/result/summary.json"
