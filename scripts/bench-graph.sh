#!/usr/bin/env bash
# Builds the traversal benchmark's comparison fixture (1,000,000 nodes, 5,000,000 edges by default), ingests it,
# compiles the graph snapshot and times loading it. Not part of CI (a few minutes, ~1 GB in the work folder).
# Usage: scripts/bench-graph.sh [WORKDIR] [NODES] [EDGES]
set -euo pipefail
cd "$(dirname "$0")/.."
work="${1:-${TMPDIR:-/tmp}/flowtrace-graph-bench}"; nodes="${2:-1000000}"; edges="${3:-5000000}"
mkdir -p "$work"
swift build -c release --product flowtrace >&2
(cd Benchmarks && swift build -c release --product make-graph-fixture >&2 && swift build -c release --product snapshot-load >&2)
Benchmarks/.build/release/make-graph-fixture --nodes "$nodes" --edges "$edges" --seed 42 --out "$work"
rm -f "$work/case.sqlite" "$work/case.sqlite-wal" "$work/case.sqlite-shm"
time .build/release/flowtrace ingest transfers-csv "$work/transfers.csv" --db "$work/case.sqlite" --chain bench --no-progress
time .build/release/flowtrace compile --db "$work/case.sqlite"
Benchmarks/.build/release/snapshot-load "$work/case.sqlite"
