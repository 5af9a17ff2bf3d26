#!/usr/bin/env bash
# Times `meshtcp report --format json` end to end on the large generated Universal mesh
# against rapidyaml (PyPI `rapidyaml`, C++) parsing the same files and nothing else.
# Runs alternate; prints the median of each and the ratio. Also times serde-saphyr (the
# YAML parser meshtcp uses) parsing the same files into nothing, on the loader's
# threads (examples/parse_floor.rs): the floor this parser sets; and meshtcp's own
# loading (its YAML fast path, serde-saphyr for what that leaves) up to the values the
# decoder reads (`parse_floor DIR fast`).
#
#   scripts/compare-rapidyaml.sh [RUNS] [SHAPE]     (defaults: 7 universal)
#   SHAPE: a `meshtcp generate --shape` value (docs/performance.md):
#     universal            times `meshtcp report --format json`;
#     kubernetes           (shaped like a real mesh: namespaces, zones, policy roles,
#                          label selection) and
#     kubernetes-uniform   (every proxy selected alike) time `meshtcp check -o json`.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-7}
shape=${2:-universal}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

python3 -c 'import ryml' 2>/dev/null || pip install --quiet rapidyaml
cargo build --release --quiet --bin meshtcp --example parse_floor
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
bin=$target_dir/release/meshtcp
floor=$target_dir/release/examples/parse_floor
"$bin" generate --shape "$shape" -o "$dir/mesh" 2>/dev/null
case $shape in
  universal) cmd=(report --format json) ;;
  kubernetes | kubernetes-uniform) cmd=(check -o json) ;;
  *) echo "unknown shape $shape (universal, kubernetes, kubernetes-uniform)" >&2; exit 2 ;;
esac

meshtcp_times=()
ryml_times=()
floor_times=()
fast_times=()
for _ in $(seq "$runs"); do
  t0=$(date +%s.%N)
  "$bin" "${cmd[@]}" "$dir/mesh" > /dev/null || true
  t1=$(date +%s.%N)
  meshtcp_times+=("$(awk "BEGIN {print $t1 - $t0}")")
  ryml_times+=("$(python3 scripts/ryml_parse.py "$dir/mesh")")
  floor_times+=("$("$floor" "$dir/mesh")")
  fast_times+=("$("$floor" "$dir/mesh" fast 2>/dev/null)")
done

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
m=$(median "${meshtcp_times[@]}")
r=$(median "${ryml_times[@]}")
f=$(median "${floor_times[@]}")
y=$(median "${fast_times[@]}")
size=$(du -sb "$dir/mesh" | cut -f1)
printf 'input: %s shape, %s bytes\n' "$shape" "$size"
printf 'meshtcp %s (end to end): median %.3f s over %s runs\n' "${cmd[*]}" "$m" "$runs"
printf 'rapidyaml parse only:          median %.3f s\n' "$r"
printf 'serde-saphyr parse only:       median %.3f s\n' "$f"
printf 'meshtcp YAML loading (fast path, trees built): median %.3f s (%.1fx rapidyaml); %s\n' \
  "$y" "$(awk "BEGIN {print $y / $r}")" "$("$floor" "$dir/mesh" fast 2>&1 >/dev/null)"
printf 'ratio: %.1fx (serde-saphyr alone: %.1fx; meshtcp over serde-saphyr: %.1fx)\n' \
  "$(awk "BEGIN {print $m / $r}")" "$(awk "BEGIN {print $f / $r}")" "$(awk "BEGIN {print $m / $f}")"
