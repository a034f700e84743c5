//! The command line: `latent-studio` opens the studio; subcommands run the same
//! code headless and print progress to the terminal.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::assets::{Cache, FetchProgress, FetchStage, Manifest, fetch_asset};
use crate::backend::{self, BackendRequest};
use crate::techniques::Technique;

/// A studio for the generative techniques of Deep Learning with Python, chapter 12:
/// text generation, DeepDream, neural style transfer, VAE and DCGAN, live on burn.
#[derive(Parser, Debug)]
#[command(name = "latent-studio", version, about, long_about = None)]
pub struct Cli {
    /// Compute backend: wgpu (a hardware GPU, else the CPU) or cpu (burn-flex).
    /// Also read from LATENT_STUDIO_BACKEND.
    #[arg(long, global = true, value_enum)]
    pub backend: Option<BackendRequest>,

    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub gui: GuiOptions,
}

/// Options of the window (no subcommand).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct GuiOptions {
    /// Open on this tab.
    #[arg(long, value_enum)]
    pub tab: Option<Technique>,
    /// Show a frame-time overlay and print p50/p99 frame times on exit.
    #[arg(long)]
    pub frame_stats: bool,
    /// Run the runtime demo job: a burn computation streaming previews at full speed.
    #[arg(long)]
    pub demo: bool,
    /// Repaint every frame (with --frame-stats: the renderer's own cost, no job running).
    #[arg(long)]
    pub continuous: bool,
    /// Open the assets window at start.
    #[arg(long)]
    pub assets_window: bool,
    /// Close the window after this many seconds.
    #[arg(long, value_name = "SECONDS")]
    pub exit_after: Option<f32>,
    /// Capture the window to this PNG once it has settled, then exit.
    #[arg(long, value_name = "PNG")]
    pub screenshot: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Print the compute backend, the adapter and driver, and why they were chosen.
    Info,
    /// Fetch every pretrained network and data set into the cache, verifying each.
    Fetch {
        /// Only these assets (by id: vgg19, inception_v3, mnist, emoji, reviews, photos, starry_night).
        ids: Vec<String>,
        /// Unpack and verify again even if the cache says ready.
        #[arg(long)]
        force: bool,
    },
}

/// Parses the command line and runs it.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let request = match BackendRequest::resolve(cli.backend) {
        Ok(request) => request,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::FAILURE;
        }
    };
    match cli.command {
        None => match crate::app::run(request, cli.gui) {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("error: could not open the window: {err:#}");
                ExitCode::FAILURE
            }
        },
        Some(Command::Info) => {
            info(request);
            ExitCode::SUCCESS
        }
        Some(Command::Fetch { ids, force }) => fetch(&ids, force),
    }
}

fn info(request: BackendRequest) {
    let chosen = backend::detect(request);
    println!("compute backend: {}", chosen.label());
    println!("why:             {}", chosen.reason);
    if chosen.adapters.is_empty() {
        println!("wgpu adapters:   none");
    }
    for adapter in &chosen.adapters {
        println!("wgpu adapter:    {adapter}");
    }
    let cache = Cache::user();
    let manifest = Manifest::bundled();
    println!("asset cache:     {}", cache.root().display());
    for asset in &manifest.assets {
        let state = if cache.is_ready(asset) {
            "ready"
        } else {
            "not fetched"
        };
        println!("  {:<13} {:<12} {}", asset.id, state, asset.title);
    }
}

fn fetch(ids: &[String], force: bool) -> ExitCode {
    let cache = Cache::user();
    let manifest = Manifest::bundled();
    for id in ids {
        if manifest.get(id).is_none() {
            eprintln!("error: unknown asset `{id}`");
            return ExitCode::FAILURE;
        }
    }
    let selected: Vec<_> = manifest
        .assets
        .iter()
        .filter(|a| ids.is_empty() || ids.contains(&a.id))
        .collect();
    println!("asset cache: {}", cache.root().display());
    let mut failed = 0;
    for asset in &selected {
        if !force && cache.is_ready(asset) {
            println!("{:<13} ready (verified)", asset.id);
            continue;
        }
        let result = fetch_asset(&cache, asset, &mut |p| {
            print_progress(&p);
            true
        });
        match result {
            Ok(()) => println!("\r{:<13} ready (verified){:40}", asset.id, ""),
            Err(err) => {
                failed += 1;
                println!();
                eprintln!("{:<13} FAILED: {err}", asset.id);
            }
        }
    }
    println!(
        "{}/{} assets verified in {}",
        selected.len() - failed,
        selected.len(),
        cache.root().display()
    );
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn print_progress(progress: &FetchProgress) {
    const WIDTH: usize = 30;
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_precision_loss,
        clippy::cast_sign_loss,
        reason = "a 0..=30 bar"
    )]
    let filled = ((progress.fraction.clamp(0.0, 1.0) * WIDTH as f32) as usize).min(WIDTH);
    let bar = format!("{}{}", "#".repeat(filled), "-".repeat(WIDTH - filled));
    let detail: String = progress.detail.chars().take(48).collect();
    if progress.stage != FetchStage::Ready {
        print!(
            "\r{:<13} {:<11} [{bar}] {detail:<48}",
            progress.asset,
            progress.stage.label()
        );
        let _ = std::io::stdout().flush();
    }
}
