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
}

/// Options of `gan train`.
#[derive(clap::Args, Debug)]
pub struct TrainArgs {
    /// `emoji` (faces: Smileys & Emotion, People & Body), `emoji-all`, or a folder of images.
    #[arg(long, default_value = "emoji")]
    pub data: String,
    /// Use only the first N images.
    #[arg(long)]
    pub limit: Option<usize>,
    #[arg(long)]
    pub epochs: Option<usize>,
    #[arg(long)]
    pub batch: Option<usize>,
    /// The book's settings (the defaults; flags given override them).
    #[arg(long, value_parser = ["book"])]
    pub preset: Option<String>,
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
    /// After each epoch, the FID between this many generated and real images (0 = off).
    #[arg(long, default_value_t = 0)]
    pub fid: usize,
}

impl TrainArgs {
    fn source(&self) -> ImageSource {
        match self.data.as_str() {
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
    }
}

fn save(image: &egui::ColorImage, path: &Path) -> anyhow::Result<()> {
    crate::ui::write_png(image, path)?;
    println!("wrote {}", path.display());
    Ok(())
}

fn train(args: &TrainArgs, device: Device) -> anyhow::Result<()> {
    let mut settings = GanSettings::book();
    settings.epochs = args.epochs.unwrap_or(settings.epochs);
    settings.batch_size = args.batch.unwrap_or(settings.batch_size);
    settings.fid_samples = args.fid;
    let start = match &args.resume {
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
            config: if args.small {
                GanConfig::small()
            } else {
                GanConfig::book()
            },
            settings,
            data: args.source(),
        },
    };
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
        GanEvent::Fid { epoch, fid } => {
            println!("Epoch {epoch}: FID {fid:.1}");
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
