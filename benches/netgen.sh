#!/usr/bin/env bash
# The min-cost-flow solver on the NETGEN families of Kovács, "Minimum-cost
# flow algorithms: an experimental evaluation" (2015), beside LEMON's
# network simplex (`dimacs-solver`, Debian package liblemon-utils).
#
#   benches/netgen.sh                 # NETGEN-8 and NETGEN-LO-8 at 2^10..2^16 nodes, NETGEN-SR at 2^10..2^13
#   SIZES="10 12" SR_SIZES="10" REPEAT=5 benches/netgen.sh
#
# Installs what it needs: liblemon-utils with apt-get (as root, when
# dimacs-solver is missing) and the `pynetgen` generator (PyPI) in a venv
# under $CACHE (default ~/.cache/dualmatch-netgen), where the instances are
# kept too. Families (n nodes, r = floor(sqrt(n)) sources and as many sinks,
# costs 1..10000, capacities 1..1000, NETGEN's own random generator, seed 1):
#   NETGEN-8     8n arcs,      total supply 1000 r
#   NETGEN-SR    n*r arcs,     total supply 1000 r
#   NETGEN-LO-8  8n arcs,      total supply 10 r
# Each instance is solved REPEAT times (default 3) by ours (the example
# `dimacs` of dualmatch-optimiser: Network::solve, set-up included) and by
# dimacs-solver (its "Setup NetworkSimplex class" plus "Run NetworkSimplex"),
# reading the file excluded for both, the two solvers alternately; the best
# times are compared. Both
# optima must be equal (the script exits 1 otherwise). Prints a Markdown
# table: ours / LEMON per family and size.
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE=${CACHE:-$HOME/.cache/dualmatch-netgen}
SIZES=${SIZES:-10 11 12 13 14 15 16}
SR_SIZES=${SR_SIZES:-10 11 12 13}
REPEAT=${REPEAT:-3}
mkdir -p "$CACHE"

if ! command -v dimacs-solver >/dev/null; then
    [ "$(id -u)" = 0 ] || { echo "netgen.sh: dimacs-solver is missing; run as root to install liblemon-utils" >&2; exit 2; }
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq liblemon-utils >/dev/null
fi
if [ ! -x "$CACHE/venv/bin/python" ]; then
    python3 -m venv "$CACHE/venv"
    "$CACHE/venv/bin/pip" install -q pynetgen==1.0.0
fi
cargo build --release -q -p dualmatch-optimiser --example dimacs
OURS=${CARGO_TARGET_DIR:-target}/release/examples/dimacs

gen() { # family k -> file
    local fam=$1 k=$2 f="$CACHE/$1-$2.min"
    if [ ! -s "$f" ]; then
        "$CACHE/venv/bin/python" - "$fam" "$k" "$f.tmp" <<'PY'
import math, sys
import pynetgen
fam, k, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
n = 2 ** k
r = math.isqrt(n)
arcs = n * r if fam == "NETGEN-SR" else 8 * n
supply = 10 * r if fam == "NETGEN-LO-8" else 1000 * r
pynetgen.netgen_generate(seed=1, nodes=n, sources=r, sinks=r, density=arcs, mincost=1, maxcost=10000,
                         supply=supply, mincap=1, maxcap=1000, fname=out)
PY
        mv "$f.tmp" "$f"
    fi
    echo "$f"
}

lemon_once() { # file -> "cost seconds"
    local out
    out=$(dimacs-solver -long "$1" 2>&1)
    echo "$(sed -n 's/^Min flow cost: //p' <<<"$out" | grep . || echo none)" \
        "$(awk '/^Setup NetworkSimplex class:|^Run NetworkSimplex:/ { sub(/s$/, "", $NF); sub(/^real: /, "", $NF); t += $NF } END { print t }' <<<"$out")"
}

min() { python3 -c "import sys; print(min(float(x) for x in sys.argv[1:]))" "$@"; }

echo "| family | nodes | arcs | ours (s) | LEMON (s) | ours / LEMON |"
echo "|---|---:|---:|---:|---:|---:|"
status=0
for fam in NETGEN-8 NETGEN-SR NETGEN-LO-8; do
    sizes=$SIZES
    [ "$fam" = NETGEN-SR ] && sizes=$SR_SIZES
    for k in $sizes; do
        f=$(gen "$fam" "$k")
        # Alternately, so that a change of the machine's load hits both.
        osec=inf; lsec=inf
        for _ in $(seq "$REPEAT"); do
            IFS=$'\t' read -r _ n m ocost o < <(DUALMATCH_DIMACS_REPEAT=1 "$OURS" "$f")
            read -r lcost l < <(lemon_once "$f")
            osec=$(min "$osec" "$o"); lsec=$(min "$lsec" "$l")
        done
        if [ "$ocost" != "$lcost" ]; then
            echo "netgen.sh: $f: optimum $ocost (ours) != $lcost (LEMON)" >&2
            status=1
        fi
        python3 -c "print(f'| $fam | 2^$k | {$m:,} | {$osec:.4f} | {$lsec:.4f} | {$osec / $lsec:.2f} |')"
    done
done
exit $status
