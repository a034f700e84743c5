#!/usr/bin/env bash
# Starts the real studio under Xvfb, captures its window to screenshots/, exits.
# Usage: scripts/screenshot.sh [extra latent-studio flags]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-deps.sh
source scripts/env.sh
cargo build --release --locked
bin="$CARGO_TARGET_DIR/release/latent-studio"
# Captures start from the defaults, not from the settings of the last session
# (eframe keeps them under $XDG_DATA_HOME/latent-studio).
XDG_DATA_HOME="$(mktemp -d)"
export XDG_DATA_HOME
# Nor from this user's autosaves (an interrupted run would be offered in every capture).
LATENT_STUDIO_AUTOSAVE="$(mktemp -d)"
export LATENT_STUDIO_AUTOSAVE
trap 'rm -rf "$XDG_DATA_HOME" "$LATENT_STUDIO_AUTOSAVE"' EXIT
mkdir -p screenshots
# A capture that closes mid-training leaves its run to be offered for
# recovery; each capture starts without the previous one's.
xvfb-run() {
  rm -rf "${LATENT_STUDIO_AUTOSAVE:?}"/*
  command xvfb-run "$@"
}
xvfb-run -a -s "-screen 0 1280x800x24" "$bin" --assets-window --tab style --screenshot screenshots/studio.png --exit-after 120 "$@"
xvfb-run -a -s "-screen 0 1280x800x24" "$bin" --demo --frame-stats --screenshot screenshots/runtime-demo.png --exit-after 120 "$@"
# Style transfer mid-run: the CPU's Quick preset (L-BFGS at 200 px), captured after 40 iterations.
xvfb-run -a -s "-screen 0 1280x800x24" "$bin" --backend cpu --tab style --style-run 40 --screenshot screenshots/style-transfer.png --exit-after 900 "$@"
# DeepDream mid-run: the book's settings on the cat, captured after 40 ascent steps.
xvfb-run -a -s "-screen 0 1280x800x24" "$bin" --backend cpu --tab dream --dream-run 40 --screenshot screenshots/deepdream.png --exit-after 900 "$@"
# Text: the char-LSTM trained for 2 epochs on 400 review snippets, then sampled.
xvfb-run -a -s "-screen 0 1280x800x24" "$bin" --backend cpu --tab text --text-train 2 --train-limit 400 --screenshot screenshots/text.png --exit-after 900 "$@"
# GAN: the Quick preset on the face emoji, captured mid-training after 30 epochs (about 4 minutes).
xvfb-run -a -s "-screen 0 1280x800x24" "$bin" --backend cpu --tab gan --gan-train 30 --screenshot screenshots/gan.png --exit-after 900 "$@"
# With GAN_15MIN=1: the Quick preset for 14.5 minutes from a cold start, captured when it ends.
if [ "${GAN_15MIN:-0}" = 1 ]; then
  xvfb-run -a -s "-screen 0 1280x800x24" "$bin" --backend cpu --tab gan --gan-train 400 --gan-minutes 14.5 --frame-stats --screenshot screenshots/gan-quick-15min.png --exit-after 1200 "$@"
fi
# The VAE tab on a trained model: $VAE_MODEL if given, else a quick one
# (2 epochs on 20 000 digits, about a minute here).
model="${VAE_MODEL:-$HOME/.cache/latent-studio/screenshot-vae}"
if [ ! -f "$model/format.json" ]; then
  "$bin" vae train --epochs 2 --limit 20000 --out "$model"
fi
xvfb-run -a -s "-screen 0 1280x800x24" "$bin" --backend cpu --tab vae --load-vae "$model" --screenshot screenshots/vae.png --exit-after 180 "$@"
# Tuner: the note's 8-configuration study (Quick: 5 000 digits; 6 random trials, then the
# Bayesian oracle's proposals with its surrogate shown), captured when done.
xvfb-run -a -s "-screen 0 1280x1000x24" "$bin" --backend cpu --tab tuner --tune-trials 8 --screenshot screenshots/tuner.png --exit-after 900 "$@"
# Tuner, inside the Bayesian oracle over a pair: the text study (char LSTM, 3 epochs a trial on
# 100 snippets; 9 random trials, then 3 Bayesian ones), the loop at its last stage, the
# surrogate's mean over learning rate × units as a heat map.
xvfb-run -a -s "-screen 0 1280x1000x24" "$bin" --backend cpu --tab tuner --tune-study text --tune-trials 12 --train-limit 100 --tune-pair --screenshot screenshots/tuner-pair.png --exit-after 900 "$@"
