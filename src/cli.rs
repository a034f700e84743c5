//! The command line: `latent-studio` opens the studio; subcommands run the same
//! code headless and print progress to the terminal.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::backend::{self, BackendRequest};
use crate::techniques::Technique;

mod assets;
use assets::{fetch, info};

/// A studio for the generative techniques of Deep Learning with Python, chapter 12:
/// text generation, DeepDream, neural style transfer, VAE and DCGAN, live on burn.
#[derive(Parser, Debug)]
#[command(name = "latent-studio", version, about, long_about = None)]
pub struct Cli {
    /// Compute backend: auto (a hardware GPU, else the CPU), wgpu (any adapter, a
    /// software one included: slow there) or cpu (burn-flex).
    /// Also read from LATENT_STUDIO_BACKEND.
    #[arg(long, global = true, value_enum)]
    pub backend: Option<BackendRequest>,

    /// Training (VAE, GAN, text) autosaves into the user cache at each epoch
    /// end and every this many minutes (0 = after every step); the studio
    /// keeps its own setting. The folder: LATENT_STUDIO_AUTOSAVE, if set.
    #[arg(long, global = true, value_name = "MINUTES", default_value_t = crate::job::autosave::DEFAULT_MINUTES)]
    pub autosave_minutes: f32,

    /// No autosave for this run.
    #[arg(long, global = true)]
    pub no_autosave: bool,

    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub gui: GuiOptions,
}

/// Options of the window (no subcommand).
#[expect(
    clippy::struct_excessive_bools,
    reason = "independent command-line flags"
)]
#[derive(clap::Args, Debug, Clone, Default)]
pub struct GuiOptions {
    /// Set by the window, not the command line: the renderer is a software
    /// rasteriser (llvmpipe, lavapipe), which takes the cores compute needs.
    #[arg(skip)]
    pub software_renderer: bool,
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
    /// Start training the VAE at once for this many epochs (screenshots, demos).
    #[arg(long, value_name = "EPOCHS")]
    pub train_vae: Option<usize>,
    /// Start training the GAN (Quick preset, emoji faces) at once; with
    /// --screenshot, capture after this many epochs (or when training ends).
    #[arg(long, value_name = "EPOCHS")]
    pub gan_train: Option<usize>,
    /// With --gan-train: end training after the epoch during which this many
    /// minutes have passed.
    #[arg(long, value_name = "MINUTES")]
    pub gan_minutes: Option<f64>,
    /// Start a Quick tuner study of this many trials at once; with
    /// --screenshot, capture when it is done.
    #[arg(long, value_name = "TRIALS")]
    pub tune_trials: Option<usize>,
    /// With --tune-trials: which study.
    #[arg(long, value_enum, default_value = "mnist")]
    pub tune_study: crate::techniques::tuner::studies::StudyKind,
    /// With --tune-trials: show the oracle's first pair of parameters as a heat map.
    #[arg(long)]
    pub tune_pair: bool,
    /// Start training the text model at once for this many epochs (screenshots, demos).
    #[arg(long, value_name = "EPOCHS")]
    pub text_train: Option<usize>,
    /// With --text-train: which model.
    #[arg(long, value_enum, default_value = "lstm")]
    pub text_model: crate::techniques::text::job::ModelKind,
    /// With --train-vae / --text-train: use only the first N images or snippets.
    #[arg(long, value_name = "N")]
    pub train_limit: Option<usize>,
    /// Load a saved VAE folder into the VAE tab at start.
    #[arg(long, value_name = "DIR")]
    pub load_vae: Option<PathBuf>,
    /// Start a style transfer at once, with the tab's settings (Quick on the
    /// CPU, Book on a GPU); with --screenshot, capture once this many
    /// iterations are shown.
    #[arg(long, value_name = "ITERATIONS")]
    pub style_run: Option<usize>,
    /// With --style-run: the output height in px (default: the preset's).
    #[arg(long, value_name = "PX")]
    pub style_height: Option<u32>,
    /// Start DeepDream (book settings, default photo) at once; with
    /// --screenshot, capture once this many steps are shown.
    #[arg(long, value_name = "STEPS")]
    pub dream_run: Option<usize>,
    /// With --style-run: the photo to paint; with --dream-run: the picture
    /// to dream into (instead of the gallery's).
    #[arg(long, value_name = "IMAGE")]
    pub picture: Option<PathBuf>,
    /// With --dream-run or --gan-train: once the run is done, export its GIF
    /// here as the panel's button does (with --frame-stats, the frames drawn
    /// while it is written are reported on their own).
    #[arg(long, value_name = "GIF")]
    pub export_gif: Option<PathBuf>,
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
    /// DeepDream of chapter 12.2: InceptionV3 dreams into a picture, octave by octave.
    Dream(crate::techniques::dream::cli::DreamArgs),
    /// Neural style transfer of chapter 12.3: a photo painted in a painting's style.
    Style(crate::techniques::style::cli::StyleArgs),
    /// The DCGAN of chapter 12.5 (train, sample).
    #[command(subcommand)]
    Gan(crate::techniques::gan::cli::GanCommandLine),
    /// Text generation of chapter 12.1 (train, generate).
    #[command(subcommand)]
    Text(crate::techniques::text::cli::TextCommandLine),
    /// The variational autoencoder of chapter 12.4 (train, grid, decode).
    #[command(subcommand)]
    Vae(crate::techniques::vae::cli::VaeCommandLine),
    /// Hyper-parameter search: ask/tell on a space file (anything you can
    /// score), the best trials, the trials as CSV.
    #[command(subcommand)]
    Tune(crate::techniques::tuner::cli::TuneCommandLine),
    /// The five techniques in turn, again and again, in one process, with its
    /// resident memory printed each minute (scripts/soak.sh).
    Soak(crate::soak::SoakArgs),
    /// Measure per-step times of a technique, each CPU kernel against
    /// burn's composed operations (`bench kernels`), everything (`bench all
    /// --json FILE`), or compare two such files (`bench compare OLD NEW`).
    Bench(BenchArgs),
}

/// Options of `bench`.
#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    #[arg(value_enum)]
    pub target: BenchTarget,
    /// With `compare`: the two `bench all --json` files, older first.
    #[arg(value_name = "OLD NEW")]
    pub files: Vec<PathBuf>,
    /// Only this many training batches or steps (default: each benchmark's
    /// own; a full epoch for the VAE); for `kernels`, the timed runs per
    /// kernel (default 5, median reported).
    #[arg(long)]
    pub batches: Option<usize>,
    /// With `all` (or any one benchmark): write every figure, with the CPU it
    /// ran on, to this JSON file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// With `compare`: a change smaller than this many percent is noise.
    #[arg(long, value_name = "PERCENT", default_value_t = 10.0)]
    pub threshold: f64,
}

/// What `bench` can measure.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum BenchTarget {
    Vae,
    Text,
    Gan,
    Style,
    Dream,
    Kernels,
    /// The tuner's oracles on Branin and Hartmann-6 (`--batches`: trials per study, default 80).
    Tuner,
    /// Every benchmark in turn.
    All,
    /// Two `bench all --json` files side by side.
    Compare,
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
    let benchmark = matches!(cli.command, Some(Command::Bench(_)));
    if !cli.no_autosave && !benchmark {
        crate::job::autosave::enable(crate::job::autosave::user_root(), cli.autosave_minutes);
    }
    match cli.command {
        None => match crate::app::run(request, cli.gui) {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("error: could not open the window: {err:#}");
                ExitCode::FAILURE
            }
        },
        Some(command) => run_command(command, request),
    }
}

/// Whether this command line asks for the CPU (`--backend cpu` or
/// `LATENT_STUDIO_BACKEND=cpu`).
pub fn requests_cpu() -> bool {
    Cli::try_parse()
        .is_ok_and(|cli| BackendRequest::resolve(cli.backend) == Ok(BackendRequest::Cpu))
}

/// Whether this command line will compute on the CPU: asked for it, or the
/// automatic choice finds no hardware GPU (this enumerates the adapters).
pub fn computes_on_cpu() -> bool {
    match Cli::try_parse().map(|cli| BackendRequest::resolve(cli.backend)) {
        Ok(Ok(BackendRequest::Cpu)) => true,
        Ok(Ok(BackendRequest::Auto)) => {
            crate::backend::detect(BackendRequest::Auto).kind == crate::backend::BackendKind::Flex
        }
        _ => false,
    }
}

/// Whether this command line opens the studio, or runs the soak that stands
/// in for it: a long session whose finished jobs must give their memory back.
pub fn is_desktop_session() -> bool {
    Cli::try_parse().is_ok_and(|cli| matches!(cli.command, None | Some(Command::Soak(_))))
}

/// Runs one headless command.
pub fn run_command(command: Command, request: BackendRequest) -> ExitCode {
    match command {
        Command::Soak(args) => report(crate::soak::run(&args, request)),
        Command::Info => {
            info(request);
            ExitCode::SUCCESS
        }
        Command::Fetch { ids, force } => fetch(&ids, force),
        Command::Dream(args) => report(crate::techniques::dream::cli::run(
            &args,
            compute_device(request),
        )),
        Command::Style(args) => report(crate::techniques::style::cli::run(
            &args,
            compute_device(request),
        )),
        Command::Gan(command) => report(crate::techniques::gan::cli::run(
            &command,
            compute_device(request),
        )),
        Command::Text(command) => report(crate::techniques::text::cli::run(
            &command,
            compute_device(request),
        )),
        Command::Vae(command) => report(crate::techniques::vae::cli::run(
            &command,
            compute_device(request),
        )),
        Command::Tune(command) => {
            match crate::techniques::tuner::cli::run(&command, || compute_device(request)) {
                Ok(code) => ExitCode::from(code),
                Err(err) => report(Err(err)),
            }
        }
        Command::Bench(args) => bench(&args, request),
    }
}

/// Runs `bench …`.
fn bench(args: &BenchArgs, request: BackendRequest) -> ExitCode {
    use crate::techniques::{dream, gan, style, text, vae};
    if !args.files.is_empty() && args.target != BenchTarget::Compare {
        eprintln!("error: only bench compare takes files");
        return ExitCode::FAILURE;
    }
    let batches = args.batches;
    let figures = match args.target {
        BenchTarget::Compare => {
            let [old, new] = args.files.as_slice() else {
                eprintln!("error: bench compare takes two files: OLD.json NEW.json");
                return ExitCode::FAILURE;
            };
            return crate::bench::print_comparison(old, new, args.threshold);
        }
        BenchTarget::Kernels => Ok(crate::bench::kernels(batches.unwrap_or(5))),
        BenchTarget::Tuner => Ok(crate::techniques::tuner::bench::run(batches)),
        BenchTarget::All => {
            return report(crate::bench::all(
                &compute_device(request),
                args.json.as_ref(),
            ));
        }
        BenchTarget::Vae => vae::cli::bench(compute_device(request), batches),
        BenchTarget::Gan => gan::cli::bench(compute_device(request), batches),
        BenchTarget::Text => text::cli::bench(&compute_device(request), batches),
        BenchTarget::Style => style::cli::bench(&compute_device(request), batches),
        BenchTarget::Dream => dream::cli::bench(&compute_device(request), batches),
    };
    match figures {
        Ok(figures) => match &args.json {
            Some(path) => report(crate::bench::Report::new(figures).write(path)),
            None => ExitCode::SUCCESS,
        },
        Err(err) => report(Err(err)),
    }
}

/// The compute device for a headless command, saying which it is.
fn compute_device(request: BackendRequest) -> burn::tensor::Device {
    let chosen = backend::detect(request);
    eprintln!("compute: {} ({})", chosen.label(), chosen.reason);
    chosen.device()
}

fn report(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
