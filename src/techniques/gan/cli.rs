//! `latent-studio gan …` and `latent-studio bench gan`: the panel's job,
//! headless, printing d_loss / g_loss and writing a sample grid per epoch.

use std::path::{Path, PathBuf};

use burn::tensor::Device;

use super::data::{FACE_CATEGORIES, ImageSource};
use super::job::{self, GanCommand, GanEvent, GanSettings, GanStart};
use super::model::GanConfig;
use crate::bench::Measurement;
use crate::job::{EpochTiming, no_waker, time_first_epoch, wait_for, wait_saved};

/// The GAN subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum GanCommandLine {
    /// Train (or resume) and write a sample grid per epoch.
    Train(TrainArgs),
    /// Write the 4×4 grid of a checkpoint's fixed latent points.
    Sample {
        #[arg(long)]
        ckpt: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
    /// Write an animated GIF walking from one fixed latent point to another and back.
    Walk {
        #[arg(long)]
        ckpt: PathBuf,
        /// Grid cell (0–15) to start from.
        #[arg(long, default_value_t = 0)]
        from: usize,
        /// Grid cell (0–15) to walk to.
        #[arg(long, default_value_t = 5)]
        to: usize,
        /// Frames one way.
        #[arg(long, default_value_t = 24)]
        frames: usize,
        #[arg(long)]
        out: PathBuf,
    },
}

/// Options of `gan train`.
#[derive(clap::Args, Debug)]
pub struct TrainArgs {
    /// `faces` (the 970 face emoji), `emoji` (Smileys & Emotion and People &
    /// Body: mostly whole people and hands), `emoji-all`, or a folder of images.
    #[arg(long, default_value = "faces")]
    pub data: String,
    /// Use only the first N images.
    #[arg(long)]
    pub limit: Option<usize>,
    #[arg(long)]
    pub epochs: Option<usize>,
    #[arg(long)]
    pub batch: Option<usize>,
    /// `book`: the book's model and settings (the default); `quick`: the
    /// Quick (CPU) preset (32×32, 64 channels, β₁ 0.5, mirroring, the
    /// generator's moving average, FID every 10 epochs). Flags given override.
    #[arg(long, value_parser = ["book", "quick"])]
    pub preset: Option<String>,
    /// Stop after this many minutes of training (the epoch in progress ends
    /// the run; the checkpoint is saved as usual).
    #[arg(long)]
    pub minutes: Option<f64>,
    /// A narrow model (fewer channels) for quick CPU runs.
    #[arg(long)]
    pub small: bool,
    /// Continue this checkpoint for --epochs more epochs.
    #[arg(long, conflicts_with = "resume_last")]
    pub resume: Option<PathBuf>,
    /// Continue the run that was interrupted (killed, crashed) from its
    /// autosave, to the epochs it was asked for.
    #[arg(long)]
    pub resume_last: bool,
    /// Checkpoint folder written at the end.
    #[arg(long)]
    pub out: PathBuf,
    /// Write each epoch's sample grid here (epoch_001.png, …).
    #[arg(long)]
    pub samples: Option<PathBuf>,
    /// After each epoch, the FID between this many generated and real images
    /// and the samples' diversity (0 = off; the Quick preset: 64 every 10 epochs).
    #[arg(long)]
    pub fid: Option<usize>,
    /// The discriminator's learning rate (the preset's otherwise).
    #[arg(long)]
    pub d_lr: Option<f64>,
    /// The generator's learning rate (the preset's otherwise).
    #[arg(long)]
    pub g_lr: Option<f64>,
    /// Adam's β₁ for both players (the book 0.9, Quick 0.5).
    #[arg(long)]
    pub beta1: Option<f32>,
    /// Decay of the generator's moving average (0 = off, as in the book; Quick 0.999).
    #[arg(long)]
    pub ema: Option<f32>,
    /// Mirror the real images left-right at random (`true` / `false`; on in Quick).
    #[arg(long)]
    pub flip: Option<bool>,
    /// Spectral normalisation of the discriminator's weights (off in both presets).
    #[arg(long)]
    pub spectral_norm: bool,
    /// The discriminator sees each group of 4 images' spread (`true` / `false`;
    /// off in Book).
    #[arg(long)]
    pub minibatch_std: Option<bool>,
}

impl TrainArgs {
    fn source(&self) -> ImageSource {
        match self.data.as_str() {
            "faces" => ImageSource::Faces { limit: self.limit },
            "emoji" => ImageSource::Emoji {
                categories: FACE_CATEGORIES.iter().map(|c| (*c).to_owned()).collect(),
                limit: self.limit,
            },
            "emoji-all" => ImageSource::Emoji {
                categories: Vec::new(),
                limit: self.limit,
            },
            dir => ImageSource::Folder(dir.into()),
        }
    }
}

/// Runs a `gan` subcommand.
pub fn run(command: &GanCommandLine, device: Device) -> anyhow::Result<()> {
    match command {
        GanCommandLine::Train(args) => train(args, device),
        GanCommandLine::Sample { ckpt, out } => {
            let mut handle = job::start(GanStart::Load(ckpt.clone()), device, no_waker())?;
            let image = wait_for(&mut handle, |e| match e {
                GanEvent::Samples { image, .. } => Some(image),
                _ => None,
            })?;
            save(&image, out)
        }
        GanCommandLine::Walk {
            ckpt,
            from,
            to,
            frames,
            out,
        } => {
            let mut handle = job::start(GanStart::Load(ckpt.clone()), device, no_waker())?;
            handle.command(GanCommand::ExportWalk {
                from: *from,
                to: *to,
                frames: *frames,
                path: out.clone(),
            });
            let path = wait_saved(&mut handle, GanEvent::save_outcome)?;
            println!("wrote {}", path.display());
            Ok(())
        }
    }
}

fn save(image: &egui::ColorImage, path: &Path) -> anyhow::Result<()> {
    crate::ui::write_png(image, path)?;
    println!("wrote {}", path.display());
    Ok(())
}

/// What `gan train` asks the job for: a preset with the flags applied, or a resume.
fn start_of(args: &TrainArgs) -> anyhow::Result<GanStart> {
    let quick = args.preset.as_deref() == Some("quick");
    let mut settings = if quick {
        GanSettings::quick()
    } else {
        GanSettings::book()
    };
    settings.epochs = args.epochs.unwrap_or(settings.epochs);
    settings.batch_size = args.batch.unwrap_or(settings.batch_size);
    settings.fid_samples = args.fid.unwrap_or(settings.fid_samples);
    settings.minutes = args.minutes.unwrap_or(0.0);
    settings.d_learning_rate = args.d_lr.unwrap_or(settings.d_learning_rate);
    settings.g_learning_rate = args.g_lr.unwrap_or(settings.g_learning_rate);
    settings.beta_1 = args.beta1.unwrap_or(settings.beta_1);
    settings.ema = args.ema.unwrap_or(settings.ema);
    settings.flip = args.flip.unwrap_or(settings.flip);
    Ok(match &args.resume {
        _ if args.resume_last => {
            let (run, data) = crate::job::autosave::resume_last("gan")?;
            GanStart::Resume {
                more_epochs: run.record.epochs.saturating_sub(run.record.epochs_done),
                checkpoint: run.model,
                data,
            }
        }
        Some(checkpoint) => GanStart::Resume {
            checkpoint: checkpoint.clone(),
            data: args.source(),
            more_epochs: settings.epochs,
        },
        None => GanStart::Train {
            config: {
                let preset = if args.small {
                    GanConfig::small()
                } else if quick {
                    GanConfig::quick()
                } else {
                    GanConfig::book()
                };
                GanConfig {
                    spectral_norm: args.spectral_norm,
                    minibatch_std: args.minibatch_std.unwrap_or(preset.minibatch_std),
                    ..preset
                }
            },
            settings,
            data: args.source(),
        },
    })
}

fn train(args: &TrainArgs, device: Device) -> anyhow::Result<()> {
    let start = start_of(args)?;
    if let Some(dir) = &args.samples {
        std::fs::create_dir_all(dir)?;
    }
    let mut handle = job::start(start, device, no_waker())?;
    wait_for(&mut handle, |event| match event {
        GanEvent::Loaded {
            images,
            skipped,
            upscaled,
            notices,
            ..
        } => {
            for notice in notices {
                println!("note: {notice}");
            }
            println!(
                "{images} images ({} skipped, {upscaled} upscaled to 64 px)",
                skipped.len()
            );
            for reason in skipped.iter().take(5) {
                println!("  skipped: {reason}");
            }
            None
        }
        GanEvent::History(losses) => {
            println!("resuming after {} steps", losses.len());
            None
        }
        GanEvent::Started {
            first_epoch,
            epochs,
            steps_per_epoch,
        } => {
            println!(
                "epochs {}..{epochs}, {steps_per_epoch} steps each",
                first_epoch + 1
            );
            None
        }
        GanEvent::EpochDone {
            epoch,
            d_loss,
            g_loss,
            secs,
            image,
        } => {
            println!("Epoch {epoch}: d_loss {d_loss:.4} - g_loss {g_loss:.4} ({secs:.1} s)");
            if let Some(dir) = &args.samples
                && let Err(err) = save(&image, &dir.join(format!("epoch_{epoch:03}.png")))
            {
                eprintln!("could not write the sample grid: {err}");
            }
            None
        }
        GanEvent::Fid {
            epoch,
            fid,
            diversity,
        } => {
            println!(
                "Epoch {epoch}: FID {fid:.1}, diversity {:.0} % of real images'",
                diversity * 100.0
            );
            None
        }
        GanEvent::Collapse(warning) => {
            println!("warning: {warning}");
            None
        }
        GanEvent::TrainingDone => Some(()),
        _ => None,
    })?;
    handle.command(GanCommand::Save(args.out.clone()));
    wait_saved(&mut handle, GanEvent::save_outcome)?;
    println!("checkpoint saved to {}", args.out.display());
    Ok(())
}

/// `latent-studio bench gan`: ms per training step at batch 32 (the book's
/// model) and images per second.
pub fn bench(device: Device, steps: Option<usize>) -> anyhow::Result<Vec<Measurement>> {
    let steps = steps.unwrap_or(4).max(1);
    let mut settings = GanSettings::book();
    settings.epochs = 1;
    settings.sample_every = usize::MAX;
    let start = GanStart::Train {
        config: GanConfig::book(),
        settings: settings.clone(),
        data: ImageSource::Emoji {
            categories: Vec::new(),
            limit: Some(steps * settings.batch_size),
        },
    };
    let mut handle = job::start(start, device, no_waker())?;
    let EpochTiming { secs, clock, .. } = time_first_epoch(&mut handle)?;
    #[expect(clippy::cast_precision_loss, reason = "rates")]
    let (per_step, images) = (
        secs / steps as f32,
        (steps * settings.batch_size) as f32 / secs,
    );
    println!(
        "DCGAN (book size): {steps} steps of batch {} in {secs:.1} s = {:.0} ms per step, {images:.1} images per second{}",
        settings.batch_size,
        per_step * 1000.0,
        clock.describe("step"),
    );
    let steady_ms = clock
        .steady_secs()
        .map_or(f64::from(per_step) * 1000.0, |s| s * 1000.0);
    Ok(vec![
        Measurement::cost("gan step batch 32, book size (steady)", steady_ms, "ms"),
        Measurement::cost(
            "gan step batch 32, book size (whole run)",
            f64::from(per_step) * 1000.0,
            "ms",
        ),
    ])
}
