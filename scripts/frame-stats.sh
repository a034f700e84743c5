#!/usr/bin/env bash
# Measures UI frame times under Xvfb while the demo job streams previews at full
# speed. Prints p50/p99 of eframe's CPU time per frame. Run with nothing else busy.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-deps.sh
source scripts/env.sh
cargo build --release --locked
seconds="${1:-30}"
xvfb-run -a -s "-screen 0 1280x800x24" "$CARGO_TARGET_DIR/release/latent-studio" --demo --frame-stats --exit-after "$seconds"
