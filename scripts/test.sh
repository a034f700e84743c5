#!/usr/bin/env bash
# The test command: installs what the tests need, then runs them all — the
# application's and the CPU-kernel crate's (release profile, so the
# dependencies are built once for the studio and the tests).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-deps.sh
source scripts/env.sh
cargo test --release --locked --workspace "$@"
