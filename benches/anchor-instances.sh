# Sourced by benches/anchors.sh and benches/load_anchor.sh: the anchors'
# tools, the release binary and the cached S/M/L instances they share.
#
#   ANCHORS  ../shared/anchors (or $DUALMATCH_ANCHORS)
#   DATA     target/bench-data/anchors
#   BIN      target/release/dualmatch (built here), or $DUALMATCH_BIN
#   PRESETS  the script's arguments, default S M L
#   anchor_instance P   prints the directory of preset P's instance,
#                       generating it once (gen_random.py, seed 0)
ANCHORS="${DUALMATCH_ANCHORS:-../shared/anchors}"
DATA=target/bench-data/anchors
PRESETS=("$@")
[ $# -eq 0 ] && PRESETS=(S M L)
#   DUALMATCH_BIN  a dualmatch binary to measure instead (not built here),
#                  e.g. a copy of an earlier build for a before/after run
if [ -n "${DUALMATCH_BIN:-}" ]; then
    BIN=$DUALMATCH_BIN
else
    cargo build -q --release -p dualmatch-cli
    BIN=target/release/dualmatch
fi
mkdir -p "$DATA"

anchor_instance() {
    local dir
    dir="$DATA/$(echo "$1" | tr 'A-Z' 'a-z')"
    if [ ! -f "$dir/candidates.csv" ]; then
        "$ANCHORS/gen_random.py" --preset "$1" --seed 0 "$dir.tmp" >/dev/null
        rm -rf "$dir"; mv "$dir.tmp" "$dir"
    fi
    echo "$dir"
}
