# Sourced by the scripts: one build folder outside the clone, shared by every
# clone on this machine (and by CI), and shader caches beside it.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/latent-studio/target}"
export MESA_SHADER_CACHE_DIR="${MESA_SHADER_CACHE_DIR:-$HOME/.cache/latent-studio/mesa}"
export CUBECL_CACHE_DIR="${CUBECL_CACHE_DIR:-$HOME/.cache/latent-studio/cubecl}"
mkdir -p "$CARGO_TARGET_DIR" "$MESA_SHADER_CACHE_DIR"
# Mesa's Wayland probing complains on every start without one.
if [ -z "${XDG_RUNTIME_DIR:-}" ]; then
  export XDG_RUNTIME_DIR="/tmp/runtime-$(id -u)"
  mkdir -p -m 700 "$XDG_RUNTIME_DIR"
fi
