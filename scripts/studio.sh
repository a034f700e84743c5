#!/usr/bin/env bash
# The run command: installs the system libraries a window needs, builds, opens
# the studio. Arguments go to latent-studio (e.g. `info`, `fetch`, `--backend cpu`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-deps.sh
source scripts/env.sh
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "no display: running under xvfb-run (use scripts/screenshot.sh to see the window)" >&2
  exec xvfb-run -a -s "-screen 0 1280x800x24" cargo run --release --locked -- "$@"
fi
exec cargo run --release --locked -- "$@"
