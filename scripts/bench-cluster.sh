#!/usr/bin/env bash
# Clustering benchmark: `flowtrace cluster` (release build) on a synthetic bitcoin-etl fixture of N transactions
# (Benchmarks' make-btc-etl-fixture: Zipf wallets, multi-input spends with change, 2% five-party CoinJoins) and on
# every real block in ../shared/data/btc/, against a Python peer doing the multi-input rule on the same store; the
# peer also checks that FlowTrace's clusters equal its own and that no cluster mixes two wallets. Not part of CI.
# Usage: scripts/bench-cluster.sh [TRANSACTIONS=1000000] [WORKDIR=/tmp/flowtrace-cluster-bench]
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-1000000}"
work="${2:-/tmp/flowtrace-cluster-bench}"
swift build -c release --product flowtrace >&2
(cd Benchmarks && swift build -c release --product make-btc-etl-fixture >&2)
rm -rf "$work" && mkdir -p "$work"
Benchmarks/.build/release/make-btc-etl-fixture --transactions "$n" --wallets $((n / 10)) --out "$work/fixture"
timed() { /usr/bin/time -f "%e %M" -o "$work/time.txt" "$@"; read -r s kib < "$work/time.txt"; echo "${s} s, $((kib / 1024)) MiB"; }
db="$work/synthetic.sqlite"
echo "ingest btc-etl ($n transactions): $(timed .build/release/flowtrace ingest btc-etl "$work/fixture/transactions.json" --db "$db" --quiet)"
echo "flowtrace cluster (multi-input, deposit): $(timed .build/release/flowtrace cluster --db "$db" --json)"
.build/release/flowtrace cluster --db "$db" | tail -1
python3 scripts/peer_cluster.py "$db" "$work/fixture/owners.csv"
echo "flowtrace cluster again (nothing new): $(timed .build/release/flowtrace cluster --db "$db" --json)"
echo "flowtrace cluster --rebuild --heuristics multi-input,change: $(timed .build/release/flowtrace cluster --db "$db" --rebuild --heuristics multi-input,change --json)"

real="$work/real.sqlite"
for f in ../shared/data/btc/blk-files/*.blk ../shared/data/btc/raw-blocks/*.raw; do
  .build/release/flowtrace ingest btc-raw "$f" --db "$real" --quiet 2>/dev/null
done
echo "real blocks ($(sqlite3 "$real" 'select count(*) from transactions') transactions): flowtrace cluster $(timed .build/release/flowtrace cluster --db "$real" --json)"
.build/release/flowtrace cluster --db "$real" --rebuild | tail -1
python3 scripts/peer_cluster.py "$real"
