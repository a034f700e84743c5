#!/usr/bin/env bash
# Installs the Debian packages latent-studio needs at run and test time, if any
# is missing: a Vulkan driver (Mesa's lavapipe works without a GPU), the X11
# libraries winit loads, Xvfb for headless windows, and dpkg-deb for unpacking
# the style painting. Safe to run again; does nothing when all are present.
set -euo pipefail
packages=(libvulkan1 mesa-vulkan-drivers libegl1 libx11-6 libxcursor1 libxrandr2 libxi6 libxkbcommon0 libxkbcommon-x11-0 xvfb xauth dpkg)
command -v dpkg-query >/dev/null || { echo "not a Debian-family system: install a Vulkan driver and X11 libraries by hand" >&2; exit 0; }
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# apt-get download (the style painting) needs package lists even when nothing is missing.
have_lists=$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' 2>/dev/null | head -n 1)
if [ ${#missing[@]} -eq 0 ] && [ -n "$have_lists" ]; then exit 0; fi
sudo=""
if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
