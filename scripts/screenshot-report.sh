#!/usr/bin/env bash
# Opens a FlowTrace HTML report in headless Chromium (Debian's `chromium`) and saves a PNG screenshot, so the
# report can be checked by eye without a desktop: the flow picture (inline SVG) must be visible.
#   scripts/screenshot-report.sh REPORT.html OUT.png [WIDTHxHEIGHT]
# With no arguments it builds the bundled example (block 9's coinbase traced to an exchange label) and shoots that.
set -euo pipefail
cd "$(dirname "$0")/.."
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$browser" ]; then echo "headless Chromium is needed: apt-get install chromium" >&2; exit 69; fi

if [ $# -ge 2 ]; then
  report=$1; out=$2; size=${3:-1200x1800}
else
  work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
  swift build -c release --product flowtrace >/dev/null
  bin=$(swift build -c release --show-bin-path)/flowtrace
  "$bin" ingest btc-raw Fixtures/btc/blk/blocks-0-438.blk --db "$work/b.db" --no-progress >/dev/null
  "$bin" labels add 12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S --category exchange --name "Example exchange" --db "$work/b.db" >/dev/null
  "$bin" report --db "$work/b.db" --from 0437cd7f8525ceed2324359c2d0ba26006d92d856a9c20fa0241106ee5a597c9 --policy fifo --out "$work/report"
  report=$work/report/report.html; out=${OUT:-report-screenshot.png}; size=1200x1800
fi
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac
# The report loads nothing from the network; --no-sandbox because CI containers run as root.
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size="${size/x/,}" \
  --screenshot="$out" "file://$(cd "$(dirname "$report")" && pwd)/$(basename "$report")" 2>/dev/null
test -s "$out" && echo "screenshot: $out"
