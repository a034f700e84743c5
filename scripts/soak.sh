#!/usr/bin/env bash
# Runs all five techniques in turn, repeatedly, in one headless process for
# MINUTES (default 30) and prints its resident memory each minute and after
# each cycle; fails when the idle memory after the last cycle is more than
# 5 % above the first cycle's. The techniques' own output goes to a log.
#   scripts/soak.sh [MINUTES]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
minutes="${1:-30}"
cargo build --release --locked --quiet
out="$(mktemp -d)"
log="$out/techniques.log"
echo "soak: $minutes min; CPU: $(grep -m1 -o -w -E 'avx512f|avx2' /proc/cpuinfo | sort -u | tr '\n' ' '); log: $log"
set +e
"$CARGO_TARGET_DIR/release/latent-studio" soak --minutes "$minutes" --out "$out" 2>&1 >"$log" | grep --line-buffered '^soak'
codes=("${PIPESTATUS[@]}")
# The soak's status is what counts (grep's is 1 only when nothing matched).
exit "${codes[0]}"
