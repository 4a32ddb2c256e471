#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 600) with its corpus; crashers land in
# artifacts/<target>/ and become regression seeds. Needs cargo-fuzz; libFuzzer needs
# RUSTC_BOOTSTRAP=1 on a stable toolchain.
set -uo pipefail
cd "$(dirname "$0")"
secs=${1:-600}
export RUSTC_BOOTSTRAP=1
for t in config host path range reverse service; do
  mkdir -p "corpus/$t" "artifacts/$t"
  echo "== $t for ${secs}s"
  if cargo fuzz run -O "$t" "corpus/$t" -- -max_total_time="$secs" -rss_limit_mb=2048 -timeout=2 \
    -artifact_prefix="artifacts/$t/" -print_final_stats=1 > "artifacts/$t.log" 2>&1; then
    echo "   clean: $(grep -E '^stat::number_of_executed_units' "artifacts/$t.log")"
  else
    status=1
    echo "   FAILED: see artifacts/$t.log"; grep -E 'panicked|SUMMARY|ERROR' "artifacts/$t.log" | head -5
  fi
done
exit "${status:-0}"
