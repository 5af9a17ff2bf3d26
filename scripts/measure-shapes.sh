#!/usr/bin/env bash
# The numbers of docs/performance.md's Kubernetes tables, for every SHAPE in one run,
# the shapes alternating within each round (so that a busy spell of the machine falls
# on all of them): `check` (text) findings, `check -o json` wall time and peak RSS,
# `report -o json` bytes written, wall time and peak RSS, and rapidyaml (PyPI
# `rapidyaml`) parsing the same files in-process. Prints the median of each.
#
#   scripts/measure-shapes.sh [RUNS] [SHAPE...]   (defaults: 3 kubernetes-uniform kubernetes)
#
# BIN=path/to/meshtcp measures that binary instead of building this checkout's.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
shift || true
shapes=("$@")
[ ${#shapes[@]} -gt 0 ] || shapes=(kubernetes-uniform kubernetes)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

python3 -c 'import ryml' 2>/dev/null || pip install --quiet rapidyaml
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet --bin meshtcp
  target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
  BIN=$target_dir/release/meshtcp
fi
gen=$BIN
# The shapes come from this checkout's generator when the binary measured predates them.
if ! "$gen" generate --help 2>/dev/null | grep -q kubernetes-uniform; then
  cargo build --release --quiet --bin meshtcp
  gen=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/meshtcp
fi
for s in "${shapes[@]}"; do
  "$gen" generate --shape "$s" -o "$dir/$s" 2>/dev/null
done

# run NAME CMD...: appends "seconds peak_kib bytes_written" to $dir/NAME; the last 4 KiB
# of the command's stdout go to $dir/out.
run() {
  local name=$1; shift
  local t0 t1
  t0=$(date +%s.%N)
  { /usr/bin/time -f '%M' -o "$dir/rss" "$@" || true; } | tee >(wc -c > "$dir/bytes") | tail -c 4096 > "$dir/out"
  t1=$(date +%s.%N)
  sleep 0.2 # the byte count's process substitution
  echo "$(awk "BEGIN {print $t1 - $t0}") $(tail -1 "$dir/rss") $(cat "$dir/bytes")" >> "$dir/$name"
}

for round in $(seq "$runs"); do
  for s in "${shapes[@]}"; do
    run "$s.check_text" "$BIN" check "$dir/$s"
    tail -1 "$dir/out" > "$dir/$s.summary"
    run "$s.check_json" "$BIN" check -o json "$dir/$s"
    run "$s.report_json" "$BIN" report -o json "$dir/$s"
    python3 scripts/ryml_parse.py "$dir/$s" >> "$dir/$s.ryml"
  done
  echo "round $round of $runs done" >&2
done

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
col() { awk "{print \$$2}" "$dir/$1"; }
for s in "${shapes[@]}"; do
  size=$(du -sb "$dir/$s" | cut -f1)
  ryml=$(median < "$dir/$s.ryml")
  cj=$(col "$s.check_json" 1 | median)
  printf '%s (%s bytes of YAML), medians of %s runs:\n' "$s" "$size" "$runs"
  printf '  check (text):     %s\n' "$(cat "$dir/$s.summary")"
  printf '  check -o json:    %.3f s (%.1fx rapidyaml), peak RSS %s MiB\n' \
    "$cj" "$(awk "BEGIN {print $cj / $ryml}")" "$(( $(col "$s.check_json" 2 | median) / 1024 ))"
  printf '  report -o json:   %s bytes, %.3f s, peak RSS %s MiB\n' "$(col "$s.report_json" 3 | median)" \
    "$(col "$s.report_json" 1 | median)" "$(( $(col "$s.report_json" 2 | median) / 1024 ))"
  printf '  rapidyaml parse:  %.4f s\n' "$ryml"
done
