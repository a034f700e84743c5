//! Entry point: the GUI by default, or a headless command (`info`, `fetch`).

fn main() -> std::process::ExitCode {
    latent_studio::cli::main()
}
