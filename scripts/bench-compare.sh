#!/usr/bin/env bash
# Sets two `latent-studio bench all --json FILE` results side by side and
# prints each workload's change ("2.00×" = twice as good: half the time, or
# twice the rate); exits 1 when any got worse by more than the threshold.
#   scripts/bench-compare.sh OLD.json NEW.json [--threshold PERCENT]   (default 10)
# To check a commit against today's main: build both (e.g. a `git worktree`
# of main with its own CARGO_TARGET_DIR), run `bench all --json` with each,
# one after the other with nothing else running, then compare.
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: scripts/bench-compare.sh OLD.json NEW.json [--threshold PERCENT]" >&2
  exit 2
fi
cd "$(dirname "$0")/.."
source scripts/env.sh
old="$(realpath "$1")"
new="$(realpath "$2")"
shift 2
cargo build --release --locked --quiet
exec "$CARGO_TARGET_DIR/release/latent-studio" bench compare "$old" "$new" "$@"
