#!/usr/bin/env bash
# Ask/tell from a shell loop: the tuner proposes, this script scores (Branin,
# with awk), the tuner is told. Prints each trial and the best at the end.
#   scripts/tune-ask-tell.sh [TRIALS] [SEED] [ORACLE]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
trials="${1:-40}"
seed="${2:-1}"
oracle="${3:-bayesian}"
bin="${LATENT_STUDIO_BIN:-$CARGO_TARGET_DIR/release/latent-studio}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cat > "$work/space.toml" <<'TOML'
direction = "minimize"
[[param]]
name = "x1"
kind = "float"
min = -5.0
max = 10.0
[[param]]
name = "x2"
kind = "float"
min = 0.0
max = 15.0
TOML
for _ in $(seq "$trials"); do
  line="$("$bin" tune ask --dir "$work/study" --space "$work/space.toml" --oracle "$oracle" --seed "$seed")"
  trial="$(sed -E 's/.*"trial":([0-9]+).*/\1/' <<<"$line")"
  x1="$(sed -E 's/.*"x1":([-0-9.eE+]+).*/\1/' <<<"$line")"
  x2="$(sed -E 's/.*"x2":([-0-9.eE+]+).*/\1/' <<<"$line")"
  value="$(awk -v x1="$x1" -v x2="$x2" 'BEGIN {
    pi = atan2(0, -1); b = 5.1 / (4 * pi * pi); c = 5 / pi; t = 1 / (8 * pi)
    printf "%.9f", (x2 - b * x1 * x1 + c * x1 - 6) ^ 2 + 10 * (1 - t) * cos(x1) + 10 }')"
  "$bin" tune tell --dir "$work/study" --trial "$trial" --value "$value" 2>/dev/null
  echo "trial $trial: x1=$x1 x2=$x2 → $value"
done
"$bin" tune best --dir "$work/study" --top 1
