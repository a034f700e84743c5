//! The VAE job: loads the digits, trains the model, and then keeps serving the
//! panel (decode a latent point, a grid, save) until it is dropped. It owns the
//! model; it is the only VAE code that spawns a thread or reads tensors back.

use std::path::PathBuf;
use std::time::Instant;

use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::{Device, Tensor};

use super::data::Digits;
use super::model::{Vae, VaeSettings, vae_loss};
use crate::job::{JobBuilder, JobContext, JobError, JobHandle, Waker, read_f32, save_reported};

/// Test digits encoded for the latent map's scatter.
const SCATTER_POINTS: usize = 2000;
/// Batches between two live refreshes of the grid and the map during training.
const SNAPSHOT_EVERY: usize = 60;

/// Where the digits come from.
#[derive(Clone, Debug)]
pub enum DataSource {
    /// The fetched MNIST (all 70 000, as the book), from the `mnist` asset folder.
    Mnist {
        asset_dir: PathBuf,
        limit: Option<usize>,
    },
    /// An IDX image file and its label file.
    IdxPair { images: PathBuf, labels: PathBuf },
    /// A folder of images.
    Folder(PathBuf),
    /// Digits already in memory (tests).
    Digits(Digits),
}

/// One batch's losses.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BatchLoss {
    /// Fractional epoch, for the plot's x axis.
    pub at_epoch: f32,
    pub total: f32,
    pub reconstruction: f32,
    pub kl: f32,
}

/// An encoded digit on the latent map.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LatentPoint {
    pub z: [f32; 2],
    pub label: u8,
}

/// What the VAE job tells its panel.
#[derive(Debug)]
pub enum VaeEvent {
    Loaded {
        images: usize,
        skipped: Vec<String>,
    },
    Started {
        epochs: usize,
        batches_per_epoch: usize,
    },
    Progress {
        epoch: usize,
        batch: usize,
    },
    Losses(Vec<BatchLoss>),
    EpochDone {
        epoch: usize,
        mean: BatchLoss,
        secs: f32,
    },
    Grid {
        image: egui::ColorImage,
        n: usize,
        range: f32,
    },
    Scatter(Vec<LatentPoint>),
    /// Digits decoded along a line through the latent space.
    Strip {
        image: egui::ColorImage,
        from: [f32; 2],
        to: [f32; 2],
    },
    Decoded {
        z: [f32; 2],
        image: egui::ColorImage,
        micros: u64,
    },
    Saved(PathBuf),
    /// A save or export failed; the job and its model stay.
    SaveFailed {
        path: PathBuf,
        reason: String,
    },
    TrainingDone,
}

impl VaeEvent {
    /// How a save or export went, if this event says (for the CLI's wait).
    pub fn save_outcome(self) -> Option<Result<PathBuf, String>> {
        match self {
            Self::Saved(path) => Some(Ok(path)),
            Self::SaveFailed { path, reason } => {
                Some(Err(format!("could not save {}: {reason}", path.display())))
            }
            _ => None,
        }
    }
}

crate::training_events!(VaeEvent, batches_per_epoch, batch);

/// What the panel can ask of a running VAE job.
#[derive(Clone, Debug, PartialEq)]
pub enum VaeCommand {
    Decode([f32; 2]),
    Grid {
        n: usize,
        range: f32,
    },
    Save(PathBuf),
    /// Decode `steps` points from `from` to `to` as one strip.
    Interpolate {
        from: [f32; 2],
        to: [f32; 2],
        steps: usize,
    },
    /// Decode the grid and write it as PNG.
    ExportGrid {
        path: PathBuf,
        n: usize,
        range: f32,
    },
    LearningRate(f64),
    StopTraining,
}

/// What to do: train a new model, or serve one loaded from disk.
#[derive(Clone, Debug)]
pub enum VaeStart {
    Train {
        config: VaeSettings,
        data: DataSource,
    },
    /// A saved model folder, and optionally the digits to show on its map.
    Load {
        model: PathBuf,
        shown: Option<DataSource>,
    },
}

/// Starts the job on `device`.
pub fn start(
    start: VaeStart,
    device: Device,
    waker: Waker,
) -> std::io::Result<JobHandle<VaeEvent, VaeCommand>> {
    JobBuilder::new("vae")
        .waker(waker)
        .spawn(move |ctx: &mut JobContext<VaeEvent, VaeCommand>| {
            let mut session = match start {
                VaeStart::Train { config, data } => {
                    let (train, test) = load(data)?;
                    ctx.send(VaeEvent::Loaded {
                        images: train.len(),
                        skipped: train.skipped.clone(),
                    })?;
                    let mut session = VaeJob::new(config, device, test);
                    session.train(ctx, &train)?;
                    session
                }
                VaeStart::Load { model, shown } => {
                    let mut session = VaeJob::load(&model, device)?;
                    if let Some(source) = shown {
                        session.shown = load(source)?.1;
                    }
                    ctx.send(VaeEvent::Loaded {
                        images: 0,
                        skipped: Vec::new(),
                    })?;
                    session
                }
            };
            ctx.send(VaeEvent::TrainingDone)?;
            session.serve(ctx)
        })
}

/// A model with its optimiser and the data it shows.
struct VaeJob {
    config: VaeSettings,
    device: Device,
    model: Vae,
    shown: Digits,
    learning_rate: f64,
    /// Half-width of the grid's square, as the panel last asked.
    grid_range: f32,
}

impl VaeJob {
    fn new(config: VaeSettings, device: Device, shown: Digits) -> Self {
        device.seed(config.seed);
        let model = config.init(&device.clone().autodiff());
        let learning_rate = config.learning_rate;
        Self {
            config,
            device,
            model,
            shown,
            learning_rate,
            grid_range: 1.0,
        }
    }

    /// The book's training loop, with live commands and snapshots.
    fn train(
        &mut self,
        ctx: &mut JobContext<VaeEvent, VaeCommand>,
        train: &Digits,
    ) -> Result<(), JobError> {
        let autodiff = self.device.clone().autodiff();
        let batch = self.config.batch_size.max(1);
        let batches = train.len().div_ceil(batch);
        ctx.send(VaeEvent::Started {
            epochs: self.config.epochs,
            batches_per_epoch: batches,
        })?;
        let mut optimizer = AdamConfig::new().init();
        let mut order: Vec<usize> = (0..train.len()).collect();
        let mut shuffler = Rng(self.config.seed);
        let mut pending = Vec::new();
        for epoch in 0..self.config.epochs {
            let started = Instant::now();
            shuffler.shuffle(&mut order);
            let mut sums = [0.0f64; 3];
            for (index, chunk) in order.chunks(batch).enumerate() {
                ctx.checkpoint()?;
                if self.apply_commands(ctx)? {
                    return Ok(());
                }
                let images = batch_tensor(train, chunk, &autodiff);
                let (logits, z_mean, z_log_var) = self.model.forward(images.clone());
                let loss = vae_loss(images, logits, z_mean, z_log_var);
                let values = read_f32(Tensor::cat(
                    vec![
                        loss.total.clone().detach(),
                        loss.reconstruction.detach(),
                        loss.kl.detach(),
                    ],
                    0,
                ))?;
                let grads = GradientsParams::from_grads(loss.total.backward(), &self.model);
                self.model = optimizer.step(self.learning_rate, self.model.clone(), grads);
                for (sum, v) in sums.iter_mut().zip(&values) {
                    *sum += f64::from(*v);
                }
                #[expect(clippy::cast_precision_loss, reason = "plot coordinates")]
                let at_epoch = epoch as f32 + (index + 1) as f32 / batches as f32;
                pending.push(BatchLoss {
                    at_epoch,
                    total: values[0],
                    reconstruction: values[1],
                    kl: values[2],
                });
                if ctx.progress(|| VaeEvent::Progress {
                    epoch,
                    batch: index + 1,
                }) {
                    ctx.send(VaeEvent::Losses(std::mem::take(&mut pending)))?;
                }
                if (index + 1) % SNAPSHOT_EVERY == 0 {
                    self.snapshot(ctx)?;
                }
            }
            ctx.send(VaeEvent::Losses(std::mem::take(&mut pending)))?;
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_precision_loss,
                reason = "means for display"
            )]
            let mean = |sum: f64| (sum / batches as f64) as f32;
            #[expect(clippy::cast_precision_loss, reason = "epoch count")]
            let mean = BatchLoss {
                at_epoch: (epoch + 1) as f32,
                total: mean(sums[0]),
                reconstruction: mean(sums[1]),
                kl: mean(sums[2]),
            };
            ctx.send(VaeEvent::EpochDone {
                epoch: epoch + 1,
                mean,
                secs: started.elapsed().as_secs_f32(),
            })?;
            self.snapshot(ctx)?;
        }
        Ok(())
    }

    /// Applies waiting commands; returns true when training should stop.
    fn apply_commands(
        &mut self,
        ctx: &mut JobContext<VaeEvent, VaeCommand>,
    ) -> Result<bool, JobError> {
        let commands: Vec<VaeCommand> = ctx.commands().collect();
        let mut stop = false;
        for command in commands {
            stop |= command == VaeCommand::StopTraining;
            self.handle(ctx, command)?;
        }
        Ok(stop)
    }

    fn handle(
        &mut self,
        ctx: &mut JobContext<VaeEvent, VaeCommand>,
        command: VaeCommand,
    ) -> Result<(), JobError> {
        match command {
            VaeCommand::Decode(z) => {
                let started = Instant::now();
                let image = self.decode_point(z)?;
                let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
                ctx.send(VaeEvent::Decoded { z, image, micros })
            }
            VaeCommand::Grid { n, range } => {
                self.grid_range = range;
                let image = self.decode_grid(n, range)?;
                ctx.send(VaeEvent::Grid { image, n, range })
            }
            VaeCommand::Save(dir) => {
                save_reported(ctx, dir, |d| self.save(d), VaeEvent::Saved, save_failed)
            }
            VaeCommand::Interpolate { from, to, steps } => {
                let image = self.decode_strip(from, to, steps)?;
                ctx.send(VaeEvent::Strip { image, from, to })
            }
            VaeCommand::ExportGrid { path, n, range } => {
                let image = self.decode_grid(n, range)?;
                let save = |p: &std::path::Path| write_png(&image, p);
                save_reported(ctx, path, save, VaeEvent::Saved, save_failed)
            }
            VaeCommand::LearningRate(lr) => {
                self.learning_rate = lr;
                Ok(())
            }
            VaeCommand::StopTraining => Ok(()),
        }
    }

    /// After training: answer commands until cancelled.
    fn serve(&mut self, ctx: &mut JobContext<VaeEvent, VaeCommand>) -> Result<(), JobError> {
        self.snapshot(ctx)?;
        ctx.serve(|ctx, command| self.handle(ctx, command))
    }

    /// The grid (book's size and range) and, for a 2-D latent, the scatter.
    fn snapshot(&mut self, ctx: &mut JobContext<VaeEvent, VaeCommand>) -> Result<(), JobError> {
        if self.config.latent_dim != 2 {
            return Ok(());
        }
        let image = self.decode_grid(30, self.grid_range)?;
        ctx.send(VaeEvent::Grid {
            image,
            n: 30,
            range: self.grid_range,
        })?;
        if !self.shown.is_empty() {
            let points = self.encode_shown()?;
            ctx.send(VaeEvent::Scatter(points))?;
        }
        Ok(())
    }
}

mod dataset;
mod readback;
mod store;
use crate::rng::Rng;
use dataset::load;
pub use readback::{batch_tensor, grey_image, write_png};

fn save_failed(path: PathBuf, reason: String) -> VaeEvent {
    VaeEvent::SaveFailed { path, reason }
}
