#!/usr/bin/env bash
# Ethereum ETL CSV ingest rate: generates a synthetic ethereum-etl export (blocks, transactions, receipts,
# token_transfers; Benchmarks/Sources/make-eth-etl-fixture), ingests it with `flowtrace ingest eth-etl` into a
# fresh store (built aside, and again with --in-place), and in the same run loads the same files with three peers:
# the sqlite3 shell doing the same logical work in SQL (.import, address interning, native/fee/token transfers by
# joins, address indexes), and two that only copy the CSV rows into tables (no keys, no derivation): sqlite3's
# .import and DuckDB's read_csv.
# Prints rows/s, transfers/s, peak memory and ratios. Not part of CI.
# Usage: scripts/bench-eth-ingest.sh [TRANSACTIONS=300000] [WORKDIR=/tmp/flowtrace-eth-bench]
# RUNS (default 2) sets how many times each tool runs; the fastest run is kept (the machine's speed drifts).
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

sync  # the fixture's writes reach the disk before anything is timed
runs="${RUNS:-2}"
run_timed() {  # runs $runs times on fresh outputs (the databases are the command's last files); prints the fastest "seconds peak_kib"
  local best=""
  for attempt in $(seq "$runs"); do
    rm -f "$work"/store.sqlite* "$work"/peer*
    /usr/bin/time -f "%e %M" -o "$work/time.txt" "$@" > "$work/out.txt" 2> "$work/err.txt" || { cat "$work/err.txt" >&2; exit 1; }
    if [ -z "$best" ] || python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < float(sys.argv[2]) else 1)" \
        "$(cut -d' ' -f1 "$work/time.txt")" "${best%% *}"; then best=$(cat "$work/time.txt"); fi
  done
  echo "$best"
}

# A new store is built aside (no write-ahead log) and placed at the end; --in-place grows it as it goes.
read fi_s fi_kib < <(run_timed .build/release/flowtrace ingest eth-etl "${files[@]}" --db "$work/store.sqlite" --no-progress --in-place)
read ft_s ft_kib < <(run_timed .build/release/flowtrace ingest eth-etl "${files[@]}" --db "$work/store.sqlite" --no-progress)
transfers=$(sqlite3 "$work/store.sqlite" "SELECT count(*) FROM transfers")
n_addr=$(sqlite3 "$work/store.sqlite" "SELECT count(*) FROM addresses")
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

# The same logical work as flowtrace's in SQLite's own C code: the rows copied, addresses interned, the native,
# fee and token transfers derived by joins, and the transfers' address indexes built.
cat > "$work/derive.sql" <<SQL
PRAGMA page_size=16384; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-262144;
.mode csv
.import $work/csv/blocks.csv blocks
.import $work/csv/transactions.csv transactions
.import $work/csv/receipts.csv receipts
.import $work/csv/token_transfers.csv token_transfers
BEGIN;
CREATE TABLE addresses(id INTEGER PRIMARY KEY, address TEXT NOT NULL UNIQUE);
INSERT OR IGNORE INTO addresses(address) SELECT from_address FROM transactions;
INSERT OR IGNORE INTO addresses(address) SELECT to_address FROM transactions WHERE to_address <> '';
INSERT OR IGNORE INTO addresses(address) SELECT from_address FROM token_transfers;
INSERT OR IGNORE INTO addresses(address) SELECT to_address FROM token_transfers;
INSERT OR IGNORE INTO addresses(address) VALUES ('ethereum:fees');
CREATE INDEX receipts_position ON receipts(block_number, transaction_index);
CREATE TABLE transfers(id INTEGER PRIMARY KEY, chain TEXT NOT NULL, asset_id INTEGER NOT NULL, from_id INTEGER NOT NULL,
    to_id INTEGER NOT NULL, amount NOT NULL, time INTEGER NOT NULL, tx TEXT NOT NULL, block INTEGER, log_index INTEGER NOT NULL,
    source_id INTEGER, kind TEXT);
INSERT INTO transfers(chain, asset_id, from_id, to_id, amount, time, tx, block, log_index, source_id, kind)
  SELECT 'ethereum', 1, (SELECT id FROM addresses WHERE address = t.from_address), (SELECT id FROM addresses WHERE address = t.to_address),
         CASE WHEN length(t.value) < 19 THEN CAST(t.value AS INTEGER) ELSE t.value END, CAST(t.block_timestamp AS INTEGER), t.hash,
         CAST(t.block_number AS INTEGER), -1, 1, 'native'
  FROM transactions t JOIN receipts r ON r.block_number = t.block_number AND r.transaction_index = t.transaction_index
  WHERE r.status = '1' AND t.value <> '0' AND t.to_address <> '';
INSERT INTO transfers(chain, asset_id, from_id, to_id, amount, time, tx, block, log_index, source_id, kind)
  SELECT 'ethereum', 1, (SELECT id FROM addresses WHERE address = t.from_address), (SELECT id FROM addresses WHERE address = 'ethereum:fees'),
         CAST(r.gas_used AS INTEGER) * CAST(r.effective_gas_price AS INTEGER), CAST(t.block_timestamp AS INTEGER), t.hash,
         CAST(t.block_number AS INTEGER), -2, 1, 'fee'
  FROM transactions t JOIN receipts r ON r.block_number = t.block_number AND r.transaction_index = t.transaction_index;
INSERT INTO transfers(chain, asset_id, from_id, to_id, amount, time, tx, block, log_index, source_id, kind)
  SELECT 'ethereum', 2, (SELECT id FROM addresses WHERE address = k.from_address), (SELECT id FROM addresses WHERE address = k.to_address),
         CASE WHEN length(k.value) < 19 THEN CAST(k.value AS INTEGER) ELSE k.value END, CAST(b.timestamp AS INTEGER), k.transaction_hash,
         CAST(k.block_number AS INTEGER), CAST(k.log_index AS INTEGER), 1, 'token'
  FROM token_transfers k JOIN blocks b ON b.number = k.block_number WHERE k.value <> '0';
COMMIT;
-- Sorted in small runs, as flowtrace builds these indexes (a small cache, temporary data in files, the table mapped).
PRAGMA cache_size=-2048; PRAGMA temp_store=FILE; PRAGMA mmap_size=1099511627776;
CREATE INDEX transfers_from ON transfers(from_id, time);
CREATE INDEX transfers_to ON transfers(to_id, time);
SQL
read sd_s sd_kib < <(run_timed sqlite3 "$work/peer-derive.sqlite" ".read $work/derive.sql")
peer_transfers=$(sqlite3 "$work/peer-derive.sqlite" "SELECT count(*) FROM transfers")
[ "$peer_transfers" = "$transfers" ] || { echo "the SQL peer derived $peer_transfers transfers, flowtrace $transfers" >&2; exit 1; }

# A floor, not a peer: SQLite's own cost of writing what the store must hold after this ingest, in the narrowest
# layout that holds it (integer keys, binary hashes and addresses, integer amounts), from rows already in memory.
# The values are generated into in-memory tables first (not timed); only the writes are timed, in SQLite's C code:
# the transactions with their receipts, the token transfers and blocks, the new addresses (unique), the derived
# transfers, and the transfers' two address indexes (built the fastest way found: sorted in small runs). No parsing,
# no derivation, no Swift: a lower bound for any tool writing the same rows through SQLite on this machine.
n_tx=$(( $(wc -l < "$work/csv/transactions.csv") - 1 ))
n_tok=$(( $(wc -l < "$work/csv/token_transfers.csv") - 1 ))
n_blocks=$(( $(wc -l < "$work/csv/blocks.csv") - 1 ))
cat > "$work/floor.sql" <<SQL
PRAGMA page_size=16384; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-262144;
CREATE TABLE eth_blocks(chain INTEGER NOT NULL, number INTEGER NOT NULL, hash BLOB, time INTEGER, miner BLOB, PRIMARY KEY (chain, number)) WITHOUT ROWID;
CREATE TABLE eth_transactions(chain INTEGER NOT NULL, block INTEGER NOT NULL, tx_index INTEGER NOT NULL, hash BLOB NOT NULL,
    from_address BLOB, to_address BLOB, value, gas INTEGER, gas_price, status INTEGER, gas_used INTEGER, effective_gas_price,
    contract_address BLOB, PRIMARY KEY (chain, block, tx_index)) WITHOUT ROWID;
CREATE TABLE eth_token_transfers(chain INTEGER NOT NULL, block INTEGER NOT NULL, log_index INTEGER NOT NULL, tx_hash BLOB NOT NULL,
    token BLOB NOT NULL, from_address BLOB NOT NULL, to_address BLOB NOT NULL, value NOT NULL, PRIMARY KEY (chain, block, log_index)) WITHOUT ROWID;
CREATE TABLE addresses(id INTEGER PRIMARY KEY, address BLOB NOT NULL UNIQUE);
CREATE TABLE transfers(id INTEGER PRIMARY KEY, asset_id INTEGER NOT NULL, from_id INTEGER NOT NULL, to_id INTEGER NOT NULL,
    amount NOT NULL, time INTEGER NOT NULL, block INTEGER, tx_index INTEGER, log_index INTEGER NOT NULL, kind INTEGER NOT NULL);
CREATE TEMP TABLE g_tx AS SELECT value - 1 AS i, randomblob(32) AS h, randomblob(20) AS f, randomblob(20) AS t,
    abs(random()) % 1000000000000000000 AS v FROM generate_series(1, $n_tx);
CREATE TEMP TABLE g_tok AS SELECT value - 1 AS i, randomblob(32) AS h, randomblob(20) AS k, randomblob(20) AS f, randomblob(20) AS t,
    abs(random()) % 1000000000000000000 AS v FROM generate_series(1, $n_tok);
CREATE TEMP TABLE g_addr AS SELECT randomblob(20) AS a FROM generate_series(1, $n_addr);
CREATE TEMP TABLE g_transfers AS SELECT value - 1 AS i, abs(random()) % $n_addr AS f, abs(random()) % $n_addr AS t,
    abs(random()) % 1000000000000000000 AS v FROM generate_series(1, $transfers);
.timer on
BEGIN;
INSERT INTO eth_blocks SELECT 1, value, randomblob(32), 1600000000 + value * 12, randomblob(20) FROM generate_series(1, $n_blocks);
INSERT INTO eth_transactions SELECT 1, i * $n_blocks / $n_tx, i, h, f, t, v, 21000, 30000000000, 1, 21000, 30000000000, NULL FROM g_tx;
INSERT INTO eth_token_transfers SELECT 1, i * $n_blocks / $n_tok, i, h, k, f, t, v FROM g_tok;
INSERT INTO addresses(address) SELECT a FROM g_addr;
INSERT INTO transfers(asset_id, from_id, to_id, amount, time, block, tx_index, log_index, kind)
    SELECT 1, f, t, v, 1600000000 + i / 300, i * $n_blocks / $transfers, i, -1, 1 FROM g_transfers;
COMMIT;
PRAGMA cache_size=-2048; PRAGMA temp_store=FILE; PRAGMA mmap_size=1099511627776;
CREATE INDEX transfers_from ON transfers(from_id, time);
CREATE INDEX transfers_to ON transfers(to_id, time);
SQL
floor_best=""
for attempt in $(seq "$runs"); do
  rm -f "$work"/floor.sqlite*
  s=$(sqlite3 "$work/floor.sqlite" ".read $work/floor.sql" | awk '/^Run Time/ { t += $4 } END { printf "%.3f", t }')
  if [ -z "$floor_best" ] || python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < float(sys.argv[2]) else 1)" "$s" "$floor_best"; then floor_best=$s; fi
done

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

python3 - "$rows" "$transfers" "$ft_s" "$ft_kib" "$sq_s" "$sq_kib" "${dk_s:-0}" "${dk_kib:-0}" "$duck" "$sd_s" "$sd_kib" "$floor_best" "$fi_s" "$fi_kib" <<'PY'
import sys
rows, transfers = int(sys.argv[1]), int(sys.argv[2])
ft_s, ft_kib, sq_s, sq_kib, dk_s, dk_kib = map(float, sys.argv[3:9])
sd_s, sd_kib = map(float, sys.argv[10:12])
print(f"input: {rows} CSV rows (ethereum-etl blocks, transactions, receipts, token_transfers)")
print(f"| tool | seconds | rows/s | transfers/s | peak RSS |")
print(f"|---|---|---|---|---|")
print(f"| flowtrace ingest eth-etl (stores rows, derives {transfers} transfers; new store built aside) | {ft_s:.2f} | {rows/ft_s:,.0f} | {transfers/ft_s:,.0f} | {ft_kib/1024:,.0f} MiB |")
fi_s, fi_kib = float(sys.argv[13]), float(sys.argv[14])
print(f"| flowtrace ingest eth-etl --in-place (the same, growing the store with a write-ahead log) | {fi_s:.2f} | {rows/fi_s:,.0f} | {transfers/fi_s:,.0f} | {fi_kib/1024:,.0f} MiB |")
print(f"| sqlite3 .import + the same derivation in SQL (joins, interning, indexes) | {sd_s:.2f} | {rows/sd_s:,.0f} | {transfers/sd_s:,.0f} | {sd_kib/1024:,.0f} MiB |")
print(f"| sqlite3 .import (copies rows only) | {sq_s:.2f} | {rows/sq_s:,.0f} | – | {sq_kib/1024:,.0f} MiB |")
if sys.argv[9] == "ok":
    print(f"| duckdb read_csv (copies rows only) | {dk_s:.2f} | {rows/dk_s:,.0f} | – | {dk_kib/1024:,.0f} MiB |")
floor_s = float(sys.argv[12])
print(f"| floor: SQLite's writes alone of the same rows, narrowest layout, values already in memory (not a tool) | {floor_s:.2f} | {rows/floor_s:,.0f} | {transfers/floor_s:,.0f} | – |")
print(f"flowtrace / sqlite3 import + SQL derivation: {sd_s/ft_s:.2f}x the rate; flowtrace / sqlite3 import: {sq_s/ft_s:.2f}x" + (f"; flowtrace / duckdb: {dk_s/ft_s:.2f}x" if sys.argv[9] == "ok" else ""))
PY
