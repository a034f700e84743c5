//! `latent-studio vae …` and `latent-studio bench vae`: the panel's job, headless.

use std::path::{Path, PathBuf};

use anyhow::bail;
use burn::tensor::Device;

use super::job::{self, DataSource, VaeCommand, VaeEvent, VaeStart};
use super::model::VaeSettings;
use crate::assets::{self, Cache, Manifest};
use crate::bench::Measurement;
use crate::job::{EpochTiming, no_waker, time_first_epoch, wait_for, wait_saved};

/// The VAE's subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum VaeCommandLine {
    /// Train on MNIST (or your digits), printing the book's three losses per epoch.
    Train(TrainArgs),
    /// Decode the n×n grid of the latent plane to a PNG (for a latent of more
    /// than 2 dimensions: dimensions 0 and 1, the others at 0).
    Grid {
        #[arg(long)]
        model: PathBuf,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 30)]
        n: usize,
        /// Half-width of the square of latent space shown (book: 1).
        #[arg(long, default_value_t = 1.0)]
        range: f32,
    },
    /// Decode one latent point to a 28×28 PNG.
    Decode {
        #[arg(long)]
        model: PathBuf,
        /// The point, as many numbers as the model has latent dimensions, e.g. `0.5,-0.2`.
        #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
        z: Vec<f32>,
        #[arg(long)]
        out: PathBuf,
    },
}

/// Options of `vae train`.
#[derive(clap::Args, Debug)]
pub struct TrainArgs {
    /// Epochs (book: 30).
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Batch size (book: 128).
    #[arg(long)]
    pub batch: Option<usize>,
    /// Adam's learning rate (book: 1e-3).
    #[arg(long)]
    pub lr: Option<f64>,
    /// Latent dimensions (book: 2; the map needs 2).
    #[arg(long)]
    pub latent: Option<usize>,
    /// Start from the book's settings (the defaults; flags given override them).
    #[arg(long, value_parser = ["book"])]
    pub preset: Option<String>,
    /// Train on only the first N images.
    #[arg(long)]
    pub limit: Option<usize>,
    /// A folder of digit images instead of MNIST.
    #[arg(long, conflicts_with = "idx")]
    pub data: Option<PathBuf>,
    /// An IDX image file and its label file instead of MNIST.
    #[arg(long, num_args = 2, value_names = ["IMAGES", "LABELS"])]
    pub idx: Option<Vec<PathBuf>>,
    /// Folder to save the trained model in.
    #[arg(long)]
    pub out: PathBuf,
    /// Continue the run that was interrupted (killed, crashed) from its
    /// autosave, to the epochs it was asked for.
    #[arg(long)]
    pub resume_last: bool,
    /// Also write the final 30×30 grid here.
    #[arg(long)]
    pub grid: Option<PathBuf>,
}

impl TrainArgs {
    fn config(&self) -> VaeSettings {
        let book = VaeSettings::new();
        VaeSettings {
            epochs: self.epochs.unwrap_or(book.epochs),
            batch_size: self.batch.unwrap_or(book.batch_size),
            learning_rate: self.lr.unwrap_or(book.learning_rate),
            latent_dim: self.latent.unwrap_or(book.latent_dim),
            seed: book.seed,
        }
    }

    fn source(&self) -> anyhow::Result<DataSource> {
        if let Some(dir) = &self.data {
            return Ok(DataSource::Folder(dir.clone()));
        }
        if let Some([images, labels]) = self.idx.as_deref() {
            return Ok(DataSource::IdxPair {
                images: images.clone(),
                labels: labels.clone(),
            });
        }
        let asset_dir = assets::ensure(&Cache::user(), &Manifest::bundled(), "mnist")?;
        Ok(DataSource::Mnist {
            asset_dir,
            limit: self.limit,
        })
    }
}

/// Runs a `vae` subcommand.
pub fn run(command: &VaeCommandLine, device: Device) -> anyhow::Result<()> {
    match command {
        VaeCommandLine::Train(args) => train(args, device),
        VaeCommandLine::Grid {
            model,
            out,
            n,
            range,
        } => image_from_saved(
            model,
            device,
            &VaeCommand::Grid {
                n: *n,
                range: *range,
            },
            out,
        ),
        VaeCommandLine::Decode { model, z, out } => {
            if z.is_empty() {
                bail!("--z takes the latent point's numbers, e.g. --z 0.5,-0.2");
            }
            image_from_saved(model, device, &VaeCommand::DecodeFull(z.clone()), out)
        }
    }
}

/// Loads a saved model, asks it for one image (a grid or a decoded point) and writes it.
fn image_from_saved(
    model: &Path,
    device: Device,
    ask: &VaeCommand,
    out: &Path,
) -> anyhow::Result<()> {
    let start = VaeStart::Load {
        model: model.to_owned(),
        shown: None,
    };
    let mut handle = job::start(start, device, no_waker())?;
    handle.command(ask.clone());
    // The job first shows its default grid; wait for the answer to this request.
    let image = wait_for(&mut handle, |e| match (e, ask) {
        (
            VaeEvent::Grid { image, n, range },
            VaeCommand::Grid {
                n: want_n,
                range: want_range,
            },
        ) if n == *want_n && (range - want_range).abs() < f32::EPSILON => Some(Ok(image)),
        (VaeEvent::Decoded { image, .. }, VaeCommand::Decode(_) | VaeCommand::DecodeFull(_)) => {
            Some(Ok(image))
        }
        (VaeEvent::Refused(reason), _) => Some(Err(reason)),
        _ => None,
    })?;
    save_png(&image.map_err(anyhow::Error::msg)?, out)
}

fn train(args: &TrainArgs, device: Device) -> anyhow::Result<()> {
    let start = if args.resume_last {
        let (run, data) = crate::job::autosave::resume_last("vae")?;
        VaeStart::Resume {
            model: run.model,
            data,
            epochs: None,
        }
    } else {
        let config = args.config();
        println!(
            "VAE: latent {}, batch {}, {} epochs, Adam lr {}",
            config.latent_dim, config.batch_size, config.epochs, config.learning_rate
        );
        VaeStart::Train {
            config,
            data: args.source()?,
        }
    };
    let mut handle = job::start(start, device, no_waker())?;
    wait_for(&mut handle, |event| match event {
        VaeEvent::Loaded {
            images, skipped, ..
        } => {
            println!("{images} images ({} files skipped)", skipped.len());
            None
        }
        VaeEvent::EpochDone { epoch, mean, secs } => {
            println!(
                "Epoch {epoch}: total_loss {:.2} - reconstruction_loss {:.2} - kl_loss {:.2} ({secs:.1} s)",
                mean.total, mean.reconstruction, mean.kl
            );
            None
        }
        VaeEvent::TrainingDone => Some(()),
        _ => None,
    })?;
    handle.command(VaeCommand::Save(args.out.clone()));
    wait_saved(&mut handle, VaeEvent::save_outcome)?;
    println!("model saved to {}", args.out.display());
    if let Some(grid) = &args.grid {
        handle.command(VaeCommand::Grid { n: 30, range: 1.0 });
        let image = wait_for(&mut handle, |e| match e {
            VaeEvent::Grid { image, .. } => Some(image),
            _ => None,
        })?;
        save_png(&image, grid)?;
    }
    Ok(())
}

/// Writes an egui image as PNG and says so.
pub fn save_png(image: &egui::ColorImage, path: &Path) -> anyhow::Result<()> {
    job::write_png(image, path).map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("wrote {}", path.display());
    Ok(())
}

/// `latent-studio bench vae`: ms per batch of 128 — steady and over the whole
/// run, the live map and grid refreshes included — and the epoch of 70 000
/// images (measured when no `--batches` is given, else extrapolated and said
/// so), then the latency of decoding one latent point.
pub fn bench(device: Device, batches: Option<usize>) -> anyhow::Result<Vec<Measurement>> {
    let config = VaeSettings::new().with_epochs(1);
    let asset_dir = assets::ensure(&Cache::user(), &Manifest::bundled(), "mnist")?;
    let limit = batches.map(|b| b * config.batch_size);
    let start = VaeStart::Train {
        config,
        data: DataSource::Mnist { asset_dir, limit },
    };
    let mut handle = job::start(start, device, no_waker())?;
    let EpochTiming {
        secs,
        steps: batch_count,
        clock,
    } = time_first_epoch(&mut handle)?;
    #[expect(clippy::cast_precision_loss, reason = "a rate")]
    let per_batch_ms = f64::from(secs) * 1000.0 / batch_count as f64;
    let steady_ms = clock.steady_secs().map_or(per_batch_ms, |s| s * 1000.0);
    println!(
        "train: {batch_count} batches of 128 in {secs:.1} s = {per_batch_ms:.1} ms per batch{}",
        clock.describe("batch")
    );
    let (epoch_secs, epoch_label) = if batches.is_none() {
        (f64::from(secs), "vae epoch of 70 000 (measured)")
    } else {
        (
            per_batch_ms * 547.0 / 1000.0,
            "vae epoch of 70 000 (extrapolated)",
        )
    };
    println!(
        "       one epoch of 70 000 images: {epoch_secs:.1} s ({}, with the live map and grid)",
        if batches.is_none() {
            "measured"
        } else {
            "extrapolated from these batches"
        }
    );
    wait_for(&mut handle, |e| {
        matches!(e, VaeEvent::TrainingDone).then_some(())
    })?;
    let mut micros = Vec::new();
    for i in 0..200u16 {
        let t = f32::from(i) / 200.0;
        handle.command(VaeCommand::Decode([t - 0.5, 0.5 - t]));
        micros.push(wait_for(&mut handle, |e| match e {
            VaeEvent::Decoded { micros, .. } => Some(micros),
            _ => None,
        })?);
    }
    micros.sort_unstable();
    #[expect(clippy::cast_precision_loss, reason = "display")]
    let (p50, p99) = (micros[100] as f64 / 1000.0, micros[197] as f64 / 1000.0);
    println!("decode one latent point: p50 {p50:.2} ms, p99 {p99:.2} ms (200 points)");
    Ok(vec![
        Measurement::cost("vae batch 128 (steady)", steady_ms, "ms"),
        Measurement::cost("vae batch 128 (whole run)", per_batch_ms, "ms"),
        Measurement::cost(epoch_label, epoch_secs, "s"),
        Measurement::cost("vae decode one point p50", p50, "ms"),
    ])
}
