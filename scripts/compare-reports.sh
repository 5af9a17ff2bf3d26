#!/usr/bin/env bash
# Compare every report two meshtcp binaries write, byte for byte: the check that a
# refactoring changed no behaviour.
#
#   scripts/compare-reports.sh OLD_BINARY NEW_BINARY [WORKDIR]
#
# Inputs: the embedded demo, every tests/fixtures/examples case, the GitOps and
# Kubernetes fixtures, and generated meshes of every shape (plus twice the routes).
# Outputs: report -o json|yaml|text, check (text and JSON), explain on the first
# proxies, at Kuma 2.3, 2.5, 2.6, 2.9, 2.10 and 2.14 (generated meshes: 2.5 and 2.14). Exit 1 on the first difference
# (both outputs are kept in WORKDIR), 0 when every output is identical.
set -uo pipefail
old=$(realpath "$1"); new=$(realpath "$2")
work=${3:-$(mktemp -d)}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$work/mesh"
"$new" generate -o "$work/mesh/universal" >/dev/null
"$new" generate --routes 2 -o "$work/mesh/universal-routes2" >/dev/null
"$new" generate --shape kubernetes-uniform -o "$work/mesh/kubernetes-uniform" >/dev/null
# The realistic Kubernetes shape's full reports are gigabytes: a twentieth of its proxies.
"$new" generate --shape kubernetes --proxies 0.05 -o "$work/mesh/kubernetes" >/dev/null
inputs=(demo)
for d in "$root"/tests/fixtures/examples/*/ "$root/tests/fixtures/gitops" "$root/tests/fixtures/kube" "$work"/mesh/*/; do
  inputs+=("${d%/}")
done
n=0; differ=0
run() { # name, then the arguments after the binary
  local name=$1; shift
  "$old" "$@" >"$work/old.out" 2>"$work/old.err"; echo "rc=$?" >>"$work/old.out"
  "$new" "$@" >"$work/new.out" 2>"$work/new.err"; echo "rc=$?" >>"$work/new.out"
  n=$((n + 1))
  if ! cmp -s "$work/old.out" "$work/new.out" || ! cmp -s "$work/old.err" "$work/new.err"; then
    echo "DIFFERENT: $name: meshtcp $*"
    diff <(cat "$work/old.out" "$work/old.err") <(cat "$work/new.out" "$work/new.err") | head -20
    differ=$((differ + 1))
  fi
}
for input in "${inputs[@]}"; do
  src=(); [ "$input" = demo ] || src=("$input")
  label=$(basename "$input")
  versions=(2.3 2.5 2.6 2.9 2.10 2.14); formats=(json yaml text)
  # The generated meshes are large: two versions, two formats keep the run short.
  case $input in "$work"/mesh/*) versions=(2.5 2.14); formats=(json text) ;; esac
  for v in "${versions[@]}"; do
    for f in "${formats[@]}"; do
      run "$label@$v $f" report "${src[@]}" --kuma-version "$v" -o "$f"
    done
    run "$label@$v check" check "${src[@]}" --kuma-version "$v"
    run "$label@$v check json" check "${src[@]}" --kuma-version "$v" -o json
  done
  # explain on the first two proxies and their first destination, as the report names them
  "$new" report "${src[@]}" -o json 2>/dev/null | python3 -c '
import json,sys
r=json.load(sys.stdin)
for p in r.get("proxies",[])[:2]:
    for o in p.get("outbounds",[])[:1]:
        d=o["destination"]; print(p["name"], d.get("name",""))
' 2>/dev/null | while read -r proxy dest; do
    [ -n "$dest" ] || continue
    run "$label explain $proxy $dest" explain "$proxy" "$dest" "${src[@]}"
    run "$label explain json $proxy $dest" explain "$proxy" "$dest" "${src[@]}" -o json
  done
done
echo "$n outputs compared, $differ different"
[ "$differ" = 0 ]
