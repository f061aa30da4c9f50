#!/usr/bin/env bash
# Ethereum ETL CSV ingest rate: generates a synthetic ethereum-etl export (blocks, transactions, receipts,
# token_transfers; Benchmarks/Sources/make-eth-etl-fixture), ingests it with `flowtrace ingest eth-etl` into a
# fresh store, and in the same run loads the same files with two peers that only copy the CSV rows into tables
# (no keys, no derivation): the sqlite3 shell's .import and DuckDB's read_csv. Prints rows/s, transfers/s, peak
# memory and ratios. Not part of CI.
# Usage: scripts/bench-eth-ingest.sh [TRANSACTIONS=300000] [WORKDIR=/tmp/flowtrace-eth-bench]
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-300000}"
work="${2:-/tmp/flowtrace-eth-bench}"
swift build -c release --product flowtrace >&2
(cd Benchmarks && swift build -c release --product make-eth-etl-fixture >&2)
rm -rf "$work" && mkdir -p "$work"
Benchmarks/.build/release/make-eth-etl-fixture --transactions "$n" --out "$work/csv" >&2
files=("$work/csv/blocks.csv" "$work/csv/transactions.csv" "$work/csv/receipts.csv" "$work/csv/token_transfers.csv")
rows=$(( $(cat "${files[@]}" | wc -l) - 4 ))

secs() { python3 -c "import sys; print(f'{float(sys.argv[1]):.2f}')" "$1"; }
run_timed() {  # prints "seconds peak_kib"
  /usr/bin/time -f "%e %M" -o "$work/time.txt" "$@" > "$work/out.txt" 2> "$work/err.txt" || { cat "$work/err.txt" >&2; exit 1; }
  cat "$work/time.txt"
}

read ft_s ft_kib < <(run_timed .build/release/flowtrace ingest eth-etl "${files[@]}" --db "$work/store.sqlite" --no-progress)
transfers=$(sqlite3 "$work/store.sqlite" "SELECT count(*) FROM transfers")
cat "$work/err.txt" >&2

cat > "$work/import.sql" <<SQL
PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-262144;
.mode csv
.import $work/csv/blocks.csv blocks
.import $work/csv/transactions.csv transactions
.import $work/csv/receipts.csv receipts
.import $work/csv/token_transfers.csv token_transfers
SQL
read sq_s sq_kib < <(run_timed sqlite3 "$work/peer.sqlite" ".read $work/import.sql")

duck="none"
if python3 -c "import duckdb" 2>/dev/null; then
  cat > "$work/duck.py" <<PY
import duckdb, sys
c = duckdb.connect("$work/peer.duckdb")
for t in ("blocks", "transactions", "receipts", "token_transfers"):
    c.execute(f"CREATE TABLE {t} AS SELECT * FROM read_csv('$work/csv/{t}.csv', header=true, all_varchar=true)")
c.close()
PY
  read dk_s dk_kib < <(run_timed python3 "$work/duck.py")
  duck="ok"
fi

python3 - "$rows" "$transfers" "$ft_s" "$ft_kib" "$sq_s" "$sq_kib" "${dk_s:-0}" "${dk_kib:-0}" "$duck" <<'PY'
import sys
rows, transfers = int(sys.argv[1]), int(sys.argv[2])
ft_s, ft_kib, sq_s, sq_kib, dk_s, dk_kib = map(float, sys.argv[3:9])
print(f"input: {rows} CSV rows (ethereum-etl blocks, transactions, receipts, token_transfers)")
print(f"| tool | seconds | rows/s | transfers/s | peak RSS |")
print(f"|---|---|---|---|---|")
print(f"| flowtrace ingest eth-etl (stores rows, derives {transfers} transfers) | {ft_s:.2f} | {rows/ft_s:,.0f} | {transfers/ft_s:,.0f} | {ft_kib/1024:,.0f} MiB |")
print(f"| sqlite3 .import (copies rows only) | {sq_s:.2f} | {rows/sq_s:,.0f} | – | {sq_kib/1024:,.0f} MiB |")
if sys.argv[9] == "ok":
    print(f"| duckdb read_csv (copies rows only) | {dk_s:.2f} | {rows/dk_s:,.0f} | – | {dk_kib/1024:,.0f} MiB |")
print(f"flowtrace / sqlite3 import: {sq_s/ft_s:.2f}x the rate" + (f"; flowtrace / duckdb: {dk_s/ft_s:.2f}x" if sys.argv[9] == "ok" else ""))
PY
