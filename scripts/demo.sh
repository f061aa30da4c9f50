#!/usr/bin/env bash
# Walk-through on real data (the README's main job is `flowtrace demo`): ingest real mainnet blocks 0–438, show what the store holds,
# the first person-to-person transfer (block 170), the history of Hal Finney's address, and traces of block 9's coins.
set -euo pipefail
cd "$(dirname "$0")/.."
db="${1:-${TMPDIR:-/tmp}/flowtrace-demo.sqlite}"
rm -f "$db" "$db-wal" "$db-shm"
swift build -c release --product flowtrace >&2
bin=.build/release/flowtrace
"$bin" ingest btc-raw Fixtures/btc/blk/blocks-0-438.blk --db "$db"
echo "== store ($db)"
"$bin" stats --db "$db"
echo "== the first person-to-person transfer, block 170"
"$bin" tx f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16 --db "$db"
echo "== Hal Finney's address"
"$bin" address 1Q2TWHE3GMdB6BZKafqwxXtWAWgFt5Jvm3 --db "$db"
echo "== Satoshi's block-9 coinbase key (JSON)"
"$bin" address 12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S --db "$db" --json
echo "== where block 9's 50 BTC went: forward, FIFO and haircut"
"$bin" trace --db "$db" --from 0437cd7f8525ceed2324359c2d0ba26006d92d856a9c20fa0241106ee5a597c9 --policy fifo
"$bin" trace --db "$db" --from 0437cd7f8525ceed2324359c2d0ba26006d92d856a9c20fa0241106ee5a597c9 --policy haircut
echo "== where Hal's 10 BTC came from: backward"
"$bin" trace --db "$db" --from f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16:0 --direction backward --policy fifo
echo "== paths from Satoshi's block-9 address to Hal's"
"$bin" path --db "$db" --from 12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S --to 1Q2TWHE3GMdB6BZKafqwxXtWAWgFt5Jvm3
echo "== the investigator's report and a verifiable case folder of the FIFO trace"
out="${db%.sqlite}-case"
rm -rf "$out"
"$bin" report --db "$db" --from 0437cd7f8525ceed2324359c2d0ba26006d92d856a9c20fa0241106ee5a597c9 --policy fifo --out "$out-report"
"$bin" case export --db "$db" --from 0437cd7f8525ceed2324359c2d0ba26006d92d856a9c20fa0241106ee5a597c9 --policy fifo --out "$out"
"$bin" case verify "$out" --db "$db"
echo "report: $out-report/report.html"
