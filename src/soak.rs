//! `latent-studio soak`: the five techniques in turn, again and again, in one
//! process, as a long studio session runs them, with the resident memory
//! printed every minute and after each cycle. A process that keeps what
//! finished jobs freed, or leaks, grows from cycle to cycle; one that gives
//! memory back returns to the same level after every cycle.
//!
//! Each technique runs through its command-line twin (the same job code the
//! panels start) on the real assets at small sizes; outputs and autosaves go
//! to a scratch folder.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Parser as _;

use crate::backend::{self, BackendRequest};
use crate::cli::{Cli, Command};
use crate::job::memory::resident;

/// How long an idle process is given to hand memory back after a cycle.
const SETTLE: Duration = Duration::from_secs(3);

/// Options of `soak`.
#[derive(clap::Args, Debug)]
pub struct SoakArgs {
    /// Run whole cycles until this many minutes have passed.
    #[arg(long, default_value_t = 30.0)]
    pub minutes: f32,
    /// Stop after this many cycles even if time is left.
    #[arg(long)]
    pub cycles: Option<usize>,
    /// Seconds between two memory lines.
    #[arg(long, default_value_t = 60.0)]
    pub every: f32,
    /// Scratch folder for outputs (default: a new one under the temp folder).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Fail when the idle memory after the last cycle is more than this many
    /// percent above the first cycle's.
    #[arg(long, default_value_t = 5.0)]
    pub max_growth: f64,
    /// Also print the resident memory a moment after each technique.
    #[arg(long)]
    pub each_step: bool,
    /// Smaller runs (a cycle in ~20 s on 2 cores instead of ~90 s), for tests.
    #[arg(long)]
    pub quick: bool,
}

/// The sizes of one cycle's runs.
struct Sizes {
    style_height: &'static str,
    style_iterations: &'static str,
    dream_iterations: &'static str,
    vae_digits: &'static str,
    gan_images: &'static str,
    text_documents: &'static str,
}

impl Sizes {
    fn new(quick: bool) -> Self {
        if quick {
            Self {
                style_height: "96",
                style_iterations: "10",
                dream_iterations: "5",
                vae_digits: "2048",
                gan_images: "192",
                text_documents: "150",
            }
        } else {
            Self {
                style_height: "160",
                style_iterations: "20",
                dream_iterations: "10",
                vae_digits: "6000",
                gan_images: "480",
                text_documents: "400",
            }
        }
    }
}

/// What the sampler thread shares with the cycles.
#[derive(Default)]
struct Watch {
    technique: Mutex<&'static str>,
    cycle: AtomicU64,
    /// Highest resident bytes seen since the last reset.
    peak: AtomicU64,
    done: AtomicBool,
}

/// Runs the soak and reports it; fails when the idle memory grew too much.
pub fn run(args: &SoakArgs, request: BackendRequest) -> anyhow::Result<()> {
    let out = args.out.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("latent-studio-soak-{}", std::process::id()))
    });
    std::fs::create_dir_all(&out).with_context(|| format!("{}", out.display()))?;
    crate::job::autosave::enable(out.join("autosave"), crate::job::autosave::DEFAULT_MINUTES);
    let chosen = backend::detect(request);
    eprintln!(
        "soak: compute {}, outputs in {}",
        chosen.label(),
        out.display()
    );
    let device = chosen.device();
    let dream_picture = small_dream_picture(&out)?;
    let steps = cycle(&out, &dream_picture, &Sizes::new(args.quick));

    let watch = Arc::new(Watch::default());
    let start = Instant::now();
    let sampler = spawn_sampler(Arc::clone(&watch), start, args.every)?;
    let mut idle = Vec::new();
    let mut result = Ok(());
    'cycles: for number in 1.. {
        watch.cycle.store(number, Ordering::Relaxed);
        let began = Instant::now();
        for (name, argv) in &steps {
            *watch
                .technique
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = name;
            if let Err(err) = run_step(argv, device.clone()) {
                result = Err(err.context(format!("{name} in cycle {number}")));
                break 'cycles;
            }
            // As the studio's UI thread does when a tab's run ends: what this
            // thread freed with it goes back now, not after the purge delay.
            crate::job::memory::give_back();
            if args.each_step {
                std::thread::sleep(SETTLE);
                eprintln!(
                    "soak        after {name:<14} rss {:>8}  ({})",
                    mib(resident().unwrap_or(0)),
                    crate::job::memory::breakdown()
                );
            }
        }
        *watch
            .technique
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = "idle";
        std::thread::sleep(SETTLE);
        let now = resident().unwrap_or(0);
        let peak = watch.peak.swap(now, Ordering::Relaxed);
        eprintln!(
            "soak  cycle {number:>3} done in {:>5.1} s  idle rss {:>8}  peak {:>8}  ({})",
            began.elapsed().as_secs_f32(),
            mib(now),
            mib(peak),
            crate::job::memory::breakdown()
        );
        idle.push(now);
        let time_up = start.elapsed().as_secs_f32() >= args.minutes * 60.0;
        if time_up || args.cycles.is_some_and(|c| idle.len() >= c) {
            break;
        }
    }
    watch.done.store(true, Ordering::Relaxed);
    let _ = sampler.join();
    result?;
    summarise(&idle, start.elapsed(), args.max_growth / 100.0)
}

/// One cycle: the five techniques (and the follow-up commands their panels
/// also offer: a VAE grid, text generation), small and real.
#[expect(clippy::too_many_lines, reason = "one table of command lines")]
fn cycle(out: &Path, dream_picture: &Path, sizes: &Sizes) -> Vec<(&'static str, Vec<String>)> {
    let at = |name: &str| out.join(name).display().to_string();
    let steps: [(&'static str, &[&str]); 7] = [
        (
            "style",
            &[
                "style",
                "--height",
                sizes.style_height,
                "--iterations",
                sizes.style_iterations,
                "--out",
                &at("style.png"),
            ],
        ),
        (
            "dream",
            &[
                "dream",
                "--image",
                &dream_picture.display().to_string(),
                "--octaves",
                "2",
                "--iterations",
                sizes.dream_iterations,
                "--out",
                &at("dream.png"),
            ],
        ),
        (
            "vae",
            &[
                "vae",
                "train",
                "--epochs",
                "1",
                "--limit",
                sizes.vae_digits,
                "--out",
                &at("vae"),
                "--grid",
                &at("vae-train-grid.png"),
            ],
        ),
        (
            "vae grid",
            &[
                "vae",
                "grid",
                "--model",
                &at("vae"),
                "--n",
                "40",
                "--out",
                &at("vae-grid.png"),
            ],
        ),
        (
            "gan",
            &[
                "gan",
                "train",
                "--small",
                "--limit",
                sizes.gan_images,
                "--epochs",
                "1",
                "--batch",
                "32",
                "--out",
                &at("gan"),
                "--samples",
                &at("gan.png"),
            ],
        ),
        (
            "text",
            &[
                "text",
                "train",
                "--model",
                "lstm",
                "--limit",
                sizes.text_documents,
                "--epochs",
                "1",
                "--out",
                &at("text"),
            ],
        ),
        (
            "text generate",
            &["text", "generate", "--model", &at("text"), "--length", "40"],
        ),
    ];
    steps
        .iter()
        .map(|(name, argv)| {
            let line = std::iter::once("latent-studio")
                .chain(argv.iter().copied())
                .map(str::to_owned)
                .collect();
            (*name, line)
        })
        .collect()
}

/// Runs one technique's command line on `device`.
fn run_step(line: &[String], device: burn::tensor::Device) -> anyhow::Result<()> {
    let cli = Cli::try_parse_from(line).map_err(|e| anyhow::anyhow!("{e}"))?;
    match cli.command {
        Some(Command::Style(args)) => crate::techniques::style::cli::run(&args, device),
        Some(Command::Dream(args)) => crate::techniques::dream::cli::run(&args, device),
        Some(Command::Vae(command)) => crate::techniques::vae::cli::run(&command, device),
        Some(Command::Gan(command)) => crate::techniques::gan::cli::run(&command, device),
        Some(Command::Text(command)) => crate::techniques::text::cli::run(&command, device),
        _ => anyhow::bail!("the soak runs techniques only: {line:?}"),
    }
}

/// The gallery's cat at 200×300 px (the small DeepDream size).
fn small_dream_picture(out: &Path) -> anyhow::Result<PathBuf> {
    let cat = crate::picture::open_default("cat")?;
    let small = image::imageops::resize(&cat.rgb, 300, 200, image::imageops::FilterType::Triangle);
    let path = out.join("cat-300x200.png");
    small
        .save(&path)
        .with_context(|| format!("{}", path.display()))?;
    Ok(path)
}

/// Prints the resident memory every `every` seconds and keeps the peak.
fn spawn_sampler(
    watch: Arc<Watch>,
    start: Instant,
    every: f32,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    let every = Duration::from_secs_f32(every.max(0.5));
    std::thread::Builder::new()
        .name("soak-sampler".into())
        .spawn(move || {
            let mut next = start + every;
            while !watch.done.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(200));
                let now = resident().unwrap_or(0);
                watch.peak.fetch_max(now, Ordering::Relaxed);
                if Instant::now() >= next {
                    next += every;
                    let technique = *watch
                        .technique
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    eprintln!(
                        "soak  {:>5.1} min  rss {:>8}  cycle {:>3}  {technique}",
                        start.elapsed().as_secs_f32() / 60.0,
                        mib(now),
                        watch.cycle.load(Ordering::Relaxed)
                    );
                }
            }
        })
}

/// The verdict: idle memory after the first full cycle against the last.
#[expect(clippy::cast_precision_loss, reason = "a ratio of byte counts")]
fn summarise(idle: &[u64], took: Duration, allowed: f64) -> anyhow::Result<()> {
    let (Some(&first), Some(&last)) = (idle.first(), idle.last()) else {
        anyhow::bail!("no cycle finished");
    };
    let highest = idle.iter().copied().max().unwrap_or(last);
    let growth = (last as f64 - first as f64) / first.max(1) as f64;
    eprintln!(
        "soak  {} cycles in {:.1} min: idle rss after cycle 1 {}, after the last {} \
         ({:+.1} %), highest {}",
        idle.len(),
        took.as_secs_f32() / 60.0,
        mib(first),
        mib(last),
        growth * 100.0,
        mib(highest)
    );
    if growth > allowed {
        anyhow::bail!(
            "the idle memory grew by {:.1} % over the soak (allowed: {:.0} %)",
            growth * 100.0,
            allowed * 100.0
        );
    }
    Ok(())
}

fn mib(bytes: u64) -> String {
    format!("{} MiB", bytes >> 20)
}
