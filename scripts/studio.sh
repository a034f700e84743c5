#!/usr/bin/env bash
# The run command: installs the system libraries a window needs, builds, opens
# the studio. Arguments go to latent-studio (e.g. `info`, `fetch`, `--backend cpu`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-deps.sh
source scripts/env.sh
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ] && [ $# -eq 0 ]; then
  echo "no display: opening the studio under xvfb-run (use scripts/screenshot.sh to see it)" >&2
  exec xvfb-run -a -s "-screen 0 1280x800x24" cargo run --release --locked -- "$@"
fi
exec cargo run --release --locked -- "$@"
