#!/usr/bin/env bash
# Scale benchmark: generate the `random` background fixture at each SIZE transfers, ingest it, compile the snapshot
# and trace on it; prints ingest rows/s, compile time, store and snapshot size, peak memory (max RSS) of each step,
# and end-to-end CLI trace latency (median of 5 runs, snapshot already compiled).
# Usage: scripts/bench-scale.sh [--keep] [SIZE...]   (default sizes: 10000000 100000000)
# Work goes to $SCALE_DIR (default /tmp/flowtrace-scale); the CSV is deleted after ingest unless --keep (100M
# transfers are ~25 GB of CSV and ~26 GB of store, so both together need ~55 GB of disk).
# REPS (default 5) sets how many runs each trace latency is the median of; FLOWTRACE_BIN runs that binary instead of
# building one (so a long run is not disturbed by rebuilding the checkout); REUSE_FIXTURE=1 keeps a fixture already
# generated in the work folder (generation is deterministic) instead of writing it again.
set -euo pipefail
cd "$(dirname "$0")/.."
keep=0
if [[ "${1:-}" == "--keep" ]]; then keep=1; shift; fi
sizes=("$@")
[[ ${#sizes[@]} -eq 0 ]] && sizes=(10000000 100000000)
root="${SCALE_DIR:-/tmp/flowtrace-scale}"
reps="${REPS:-5}"
if [[ -n "${FLOWTRACE_BIN:-}" ]]; then
    bin="$FLOWTRACE_BIN"
else
    swift build -c release --product flowtrace >&2
    bin="$PWD/.build/release/flowtrace"
fi
timed() {  # timed LABEL command...: runs it, records seconds and max RSS (KiB) in $secs and $rss
    local label=$1; shift
    local log; log=$(mktemp)
    /usr/bin/time -f '%e %M' -o "$log" "$@"
    read -r secs rss < "$log"
    rm -f "$log"
    echo "  $label: ${secs} s, peak ${rss} KiB" >&2
}
rss_log=$(mktemp)
median_ms() {  # median_ms command...: median wall time of $reps runs in ms; appends each run's peak RSS (KiB) to $rss_log
    local times=() log; log=$(mktemp)
    for _ in $(seq "$reps"); do
        /usr/bin/time -f '%e %M' -o "$log" "$@" > /dev/null
        local secs rss; read -r secs rss < "$log"
        times+=("$(awk -v s="$secs" 'BEGIN { printf "%d", s * 1000 }')")
        echo "$rss" >> "$rss_log"
    done
    rm -f "$log"
    printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (reps + 1) / 2 ))p"
}
results=()
for n in "${sizes[@]}"; do
    dir="$root/$n"
    db="$dir/store.sqlite"
    echo "== $n transfers in $dir" >&2
    if [[ "${REUSE_FIXTURE:-0}" == 1 && -f "$dir/fx/transfers.csv" && -f "$dir/fx/truth.json" ]]; then
        rm -f "$db" "$db-wal" "$db-shm" "$db.graph"
        gen_s="(reused)"; gen_rss=0
    else
        rm -rf "$dir"; mkdir -p "$dir"
        timed generate "$bin" fixture generate --scenario random --seed 7 --scale "$n" --out "$dir/fx"
        gen_s=$secs; gen_rss=$rss
    fi
    csv="$dir/fx/transfers.csv"
    rows=$(( $(wc -l < "$csv") - 1 ))
    csv_bytes=$(stat -c %s "$csv")
    # Seeds: the senders of three rows spread over the file (busy and quiet users alike).
    seeds=()
    for line in 2 $(( rows / 3 )) $(( rows - 5 )); do seeds+=("$(sed -n "${line}p" "$csv" | cut -d, -f1)"); done
    timed ingest "$bin" ingest transfers-csv "$csv" --db "$db" --quiet
    ingest_s=$secs; ingest_rss=$rss
    "$bin" labels import csv "$dir/fx/labels.csv" --db "$db" > /dev/null 2>&1
    [[ $keep -eq 1 ]] || rm -f "$csv"
    timed compile "$bin" compile --db "$db"
    compile_s=$secs; compile_rss=$rss
    store_bytes=$(( $(stat -c %s "$db") + $(stat -c %s "$db-wal" 2>/dev/null || echo 0) ))
    snap_bytes=$(stat -c %s "$db.graph")
    lat=(); : > "$rss_log"
    for policy in haircut fifo; do
        for s in "${seeds[@]}"; do
            lat+=("$policy:$(median_ms "$bin" trace --db "$db" --from "$s" --policy "$policy" --max-hops 6 --max-edges 100 --json)")
        done
    done
    static_ms=$(median_ms "$bin" trace --db "$db" --from "${seeds[@]}" --static --policy haircut --max-hops 6 --max-edges 100 --json)
    trace_rss=$(sort -n "$rss_log" | tail -1)
    rate=$(awk -v r="$rows" -v s="$ingest_s" 'BEGIN { printf "%d", r / s }')
    results+=("$(printf '| %s | %d | %.1f GB | %s s (%d rows/s) | %.1f GB | %s s | %.2f GB | %s | %s ms | %d / %d / %d MiB |' \
        "$n" "$rows" "$(awk -v b="$csv_bytes" 'BEGIN { print b / 1e9 }')" "$ingest_s" "$rate" \
        "$(awk -v b="$store_bytes" 'BEGIN { print b / 1e9 }')" "$compile_s" "$(awk -v b="$snap_bytes" 'BEGIN { print b / 1e9 }')" \
        "${lat[*]}" "$static_ms" $(( ingest_rss / 1024 )) $(( compile_rss / 1024 )) $(( trace_rss / 1024 )))")
    echo "  generate: ${gen_s} s (peak $(( gen_rss / 1024 )) MiB)" >&2
done
echo "| size | rows (with sweeps) | CSV | ingest | store | compile | snapshot | trace ms (policy:median, 3 seeds, 6 hops) | static 3 seeds | peak RSS ingest / compile / trace |"
echo "|---|---:|---:|---|---:|---:|---:|---|---:|---|"
printf '%s\n' "${results[@]}"
