#!/usr/bin/env bash
# Label import time: every source in ../shared/data/labels/ (GraphSense TagPacks and ActorPacks, OFAC, Etherscan,
# Forta) into a fresh store with the release build; prints seconds and labels per source. Not part of CI.
# Usage: scripts/bench-labels.sh [LABELS=../shared/data/labels] [WORKDIR=/tmp/flowtrace-labels-bench]
set -euo pipefail
cd "$(dirname "$0")/.."
labels="$(cd "${1:-../shared/data/labels}" && pwd)"
work="${2:-/tmp/flowtrace-labels-bench}"
swift build -c release --product flowtrace >&2
rm -rf "$work" && mkdir -p "$work"
db="$work/labels.sqlite"
for spec in "tagpack graphsense-tagpacks" "ofac ofac-sdn" "etherscan-labels etherscan-labels/combined" "forta forta"; do
  set -- $spec
  /usr/bin/time -f "%e %M" -o "$work/time.txt" .build/release/flowtrace labels import "$1" "$labels/$2" --db "$db" --quiet 2> "$work/err.txt" \
    || { cat "$work/err.txt" >&2; exit 1; }
  read -r s kib < "$work/time.txt"
  echo "| $1 | $2 | $(tail -1 "$work/err.txt") | ${s} s | $((kib / 1024)) MiB |"
done
.build/release/flowtrace labels stats --db "$db" | head -1
