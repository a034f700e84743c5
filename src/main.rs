//! Entry point: the GUI by default, or a headless command (`info`, `fetch`).

/// mimalloc keeps freed blocks for reuse: the CPU backend allocates a fresh
/// tensor for every op, and glibc hands the large ones back to the kernel at
/// once, which then zeroes new pages for the next.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Training allocates and frees the same few hundred megabytes every step:
/// commit arenas at once and back them with 2 MiB pages (`latent-studio bench
/// gan`: 6.9 → 5.4 s per step, most of it the kernel's page zeroing).
/// mimalloc reads these when the process starts, before `main`, so the first
/// start replaces itself with a copy that has them set (the user's own
/// settings win).
const ALLOCATOR_SETTINGS: [(&str, &str); 2] = [
    ("MIMALLOC_ARENA_EAGER_COMMIT", "1"),
    ("MIMALLOC_ALLOW_LARGE_OS_PAGES", "1"),
];

/// How long freed memory waits before it goes back to the OS. A headless
/// command (`bench`, `gan train` …) never hands it back: it ends soon and
/// wants every step's memory again. The studio (and `soak`, which stands in
/// for it) runs for hours and must not keep a finished job's gigabytes; its
/// jobs also hand back at once when they end (`job::memory::give_back`), so
/// the delay only bounds what a running job keeps in reserve.
const PURGE_DELAY: &str = "MIMALLOC_PURGE_DELAY";
const PURGE_DELAY_HEADLESS: &str = "-1";
const PURGE_DELAY_DESKTOP: &str = "10000";

/// burn's default device. burn puts some state there whatever device the
/// model is on — a loaded optimizer record (`ModuleOptimizer::load_record`
/// takes `Device::default()`) — and with wgpu compiled in that default is
/// the GPU: in a CPU session every "load model" (the VAE grid, a resume)
/// started a wgpu device on the software adapter, kept its threads and
/// ~60 MiB for the rest of the session, and once panicked in a cubecl
/// thread (found by the soak). A run that computes on the CPU — asked for,
/// or the automatic choice finding no hardware GPU — names flex (the
/// adapters are enumerated before the restart, whose exec leaves no thread
/// of it behind).
const BURN_DEVICE: &str = "BURN_DEVICE";

#[cfg(unix)]
fn restart_with_allocator_settings() {
    use std::os::unix::process::CommandExt as _;
    let allocator_set = ALLOCATOR_SETTINGS
        .iter()
        .chain(&[(PURGE_DELAY, "")])
        .all(|(name, _)| std::env::var_os(name).is_some());
    let device_named = std::env::var_os(BURN_DEVICE).is_some();
    // The restarted process (or a user who set everything) goes on; only a
    // CPU request still needs flex named then — it costs nothing to check,
    // unlike the automatic choice, which enumerates the adapters.
    if allocator_set && (device_named || !latent_studio::cli::requests_cpu()) {
        return;
    }
    let name_flex = !device_named && latent_studio::cli::computes_on_cpu();
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let mut command = std::process::Command::new(exe);
    command.args(std::env::args_os().skip(1));
    for (name, value) in ALLOCATOR_SETTINGS {
        if std::env::var_os(name).is_none() {
            command.env(name, value);
        }
    }
    if std::env::var_os(PURGE_DELAY).is_none() {
        let delay = if latent_studio::cli::is_desktop_session() {
            PURGE_DELAY_DESKTOP
        } else {
            PURGE_DELAY_HEADLESS
        };
        command.env(PURGE_DELAY, delay);
    }
    if name_flex {
        command.env(BURN_DEVICE, "flex");
    }
    // Only returns if the exec failed; then run on with the defaults.
    let _ = command.exec();
}

fn main() -> std::process::ExitCode {
    #[cfg(unix)]
    restart_with_allocator_settings();
    latent_studio::cli::main()
}
