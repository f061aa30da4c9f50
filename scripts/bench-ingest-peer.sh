#!/usr/bin/env bash
# Runs FlowTrace's ingest-rate figures and the Python peer on the same real blocks, in the same run, and prints
# the ratios. Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
(cd Benchmarks && swift build -c release --product ingest-rate >&2)
ft=$(Benchmarks/.build/release/ingest-rate "$runs")
py=$(python3 scripts/peer_ingest.py "$runs")
echo "$ft"; echo "$py"
python3 - "$ft" "$py" <<'PY'
import re, sys
ft, py = sys.argv[1], sys.argv[2]
def rate(text, what): return float(re.search(r"%s: \d+ \w+, best (\d+)" % what, text).group(1))
for what in ("parse", "store"):
    a = rate(ft, "flowtrace " + what); b = rate(py, "python peer " + what)
    print(f"{what}: flowtrace / python = {a / b:.1f}x")
PY
