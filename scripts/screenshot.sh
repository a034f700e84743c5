#!/usr/bin/env bash
# Starts the real studio under Xvfb, captures its window to screenshots/, exits.
# Usage: scripts/screenshot.sh [extra latent-studio flags]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-deps.sh
source scripts/env.sh
cargo build --release --locked
bin="$CARGO_TARGET_DIR/release/latent-studio"
mkdir -p screenshots
xvfb-run -a -s "-screen 0 1280x800x24" "$bin" --assets-window --tab style --screenshot screenshots/studio.png --exit-after 120 "$@"
xvfb-run -a -s "-screen 0 1280x800x24" "$bin" --demo --frame-stats --screenshot screenshots/runtime-demo.png --exit-after 120 "$@"
