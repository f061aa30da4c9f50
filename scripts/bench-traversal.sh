#!/usr/bin/env bash
# The traversal comparison benchmark: on the comparison fixture (1,000,000 nodes, 5,000,000 edges, 100 seeds; built
# by scripts/bench-graph.sh when missing), times FlowTrace's kernels — (a) reach within 6 hops of the seeds, (b) 6-hop
# static haircut — and the end-to-end `flowtrace trace` CLI, then runs igraph, networkx, DuckDB and SQLite
# (scripts/peer_graph.py) on the same fixture in the same run, checks that all agree, and prints a ratio table.
# Not part of CI (about 10 minutes; needs pip's igraph and duckdb, installed here when missing).
# Usage: scripts/bench-traversal.sh [WORKDIR] [PEERS]
set -euo pipefail
cd "$(dirname "$0")/.."
work="${1:-${TMPDIR:-/tmp}/flowtrace-graph-bench}"; peers="${2:-igraph,networkx,duckdb,sqlite}"
[ -f "$work/case.sqlite.graph" ] || scripts/bench-graph.sh "$work"
swift build -c release --product flowtrace >&2
(cd Benchmarks && swift build -c release --product trace-kernels >&2)
python3 -c 'import igraph, duckdb, networkx' 2>/dev/null || python3 -m pip install --quiet igraph duckdb networkx >&2

echo "== FlowTrace kernels (snapshot mapped; best/median of 7)" >&2
Benchmarks/.build/release/trace-kernels "$work/case.sqlite" "$work/seeds.txt" --hops 6 --runs 7 \
    --reach-out "$work/flowtrace.reach.txt" --haircut-out "$work/flowtrace.haircut.json" | tee "$work/flowtrace.kernels.txt"

echo "== FlowTrace CLI end to end (process start, snapshot map, seeds, trace, JSON of the top 100 sinks; best of 5)" >&2
mapfile -t seeds < "$work/seeds.txt"
# time_cli LABEL OUT ARGS...: the best of 5 runs of `flowtrace trace` with ARGS and the common options, JSON to OUT.
time_cli() {
    local label="$1" out="$2" best=999999 start ms; shift 2
    for _ in 1 2 3 4 5; do
        start=$(date +%s%N)
        .build/release/flowtrace trace --db "$work/case.sqlite" "$@" --max-hops 6 --no-stops \
            --max-sinks 100 --max-edges 100 --json --no-compile > "$out"
        ms=$(( ($(date +%s%N) - start) / 1000000 ))
        (( ms < best )) && best=$ms
    done
    echo "cli trace $label: best ${best} ms" | tee -a "$work/flowtrace.kernels.txt"
}
for kind in "--static --policy haircut" "--policy haircut" "--policy fifo"; do
    # shellcheck disable=SC2086
    time_cli "$kind --max-hops 6" "$work/cli.json" --from "${seeds[@]}" $kind
done
# The same static trace with the seeds given as a file (--from-file) instead of 100 --from arguments.
time_cli "--static --policy haircut --max-hops 6 --from-file" "$work/cli.file.json" --from-file "$work/seeds.txt" --static --policy haircut

echo "== peers" >&2
python3 scripts/peer_graph.py --fixture "$work" --hops 6 --runs 3 --peers "$peers" --out "$work/peers.json" \
    --compare "$work/flowtrace.haircut.json" --compare-reach "$work/flowtrace.reach.txt"

python3 - "$work" <<'PY'
import json, re, sys
work = sys.argv[1]
text = open(f"{work}/flowtrace.kernels.txt").read()
ft = json.loads([l for l in text.splitlines() if l.startswith("{")][-1])
peers = json.load(open(f"{work}/peers.json"))["peers"]
print("\n| kernel | FlowTrace best (median) | " + " | ".join(f"{p} best (FlowTrace ×)" for p in peers) + " |")
print("|---|---|" + "---|" * len(peers))
for kernel in ("reach", "haircut"):
    f = ft[kernel]["best_ms"]
    row = [f"{peers[p][kernel]['best_s'] * 1000:.0f} ms ({peers[p][kernel]['best_s'] * 1000 / f:.0f}×)" for p in peers]
    print(f"| {kernel} 6 hops | {f:.1f} ms ({ft[kernel]['median_ms']:.1f}) | " + " | ".join(row) + " |")
print("| load | mmap (see snapshot-load) | " + " | ".join(f"{peers[p]['load_s']:.1f} s" for p in peers) + " |")
for line in text.splitlines():
    if line.startswith("cli trace"): print(line)
PY
