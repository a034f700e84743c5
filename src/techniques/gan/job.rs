//! The GAN job: decodes the images, trains discriminator and generator with
//! the book's step, shows samples from fixed latent points every few steps and
//! at each epoch end, watches for collapse, and serves save / walk requests
//! until dropped. The only GAN code that spawns a thread or reads tensors back.

use std::path::PathBuf;

use burn::optim::{AdamConfig, ModuleOptimizer};
use burn::tensor::{Device, Tensor, TensorData};

use super::data::{self, ImageSource, Images, SIDE};
use super::model::{Discriminator, GanConfig, Generator};
use crate::documented::documented;
use crate::job::autosave::Autosaver;
use crate::job::{JobBuilder, JobContext, JobError, JobHandle, Waker, save_reported};

/// Samples in the fixed grid (4×4).
pub const GRID: usize = 16;

documented! {
    /// How training runs; [`GanSettings::book`] gives the book's.
    #[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    pub struct GanSettings, docs GanSettingsDocs {
        /// Passes over the images (the book: 100).
        pub epochs: usize,
        /// Images per step (the book: 32).
        pub batch_size: usize,
        /// The discriminator's Adam learning rate (the book: 1e-4). Acts on the running job.
        pub d_learning_rate: f64,
        /// The generator's Adam learning rate (the book: 1e-4). Acts on the running job.
        pub g_learning_rate: f64,
        /// Scale of the uniform noise added to the labels (the book: 0.05). Acts on the
        /// running job.
        pub label_noise: f32,
        /// Steps between two sample grids during an epoch.
        pub sample_every: usize,
        /// Seed for initialisation, shuffling and the fixed latent points.
        pub seed: u64,
        /// Generated and real images compared by FID after each epoch (0 = off).
        [serde(default)]
        pub fid_samples: usize,
    }
}

impl GanSettings {
    pub fn book() -> Self {
        Self {
            epochs: 100,
            batch_size: 32,
            d_learning_rate: 1e-4,
            g_learning_rate: 1e-4,
            label_noise: 0.05,
            sample_every: 20,
            seed: 5,
            fid_samples: 0,
        }
    }
}

/// One step's losses.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StepLoss {
    pub at_epoch: f32,
    pub d_loss: f32,
    pub g_loss: f32,
}

/// What the GAN job tells its panel.
#[derive(Debug)]
pub enum GanEvent {
    Loaded {
        images: usize,
        skipped: Vec<String>,
        upscaled: usize,
        notices: Vec<String>,
        preview: egui::ColorImage,
    },
    Started {
        first_epoch: usize,
        epochs: usize,
        steps_per_epoch: usize,
    },
    /// Losses of a resumed checkpoint, so its curve continues.
    History(Vec<StepLoss>),
    Progress {
        epoch: usize,
        step: usize,
    },
    Losses(Vec<StepLoss>),
    Samples {
        at_epoch: f32,
        image: egui::ColorImage,
    },
    EpochDone {
        epoch: usize,
        d_loss: f32,
        g_loss: f32,
        secs: f32,
        image: egui::ColorImage,
    },
    /// The discriminator is winning outright: the book's advice applies.
    Collapse(String),
    /// Fréchet Inception distance after an epoch (lower is closer to the data).
    Fid {
        epoch: usize,
        fid: f32,
    },
    Walk(egui::ColorImage),
    Saved(PathBuf),
    /// A save failed; the job and its models stay.
    SaveFailed {
        path: PathBuf,
        reason: String,
    },
    TrainingDone,
}

impl GanEvent {
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

crate::training_events!(GanEvent, steps_per_epoch, step);

/// What the panel can change or ask while the job runs.
#[derive(Clone, Debug, PartialEq)]
pub enum GanCommand {
    LearningRates {
        d: f64,
        g: f64,
    },
    Dropout(f64),
    LabelNoise(f32),
    /// Decode `steps` points between fixed samples `from` and `to` as a strip.
    Walk {
        from: usize,
        to: usize,
        steps: usize,
    },
    Save(PathBuf),
    StopTraining,
}

/// Train from scratch, or resume a checkpoint for more epochs.
#[derive(Clone, Debug)]
pub enum GanStart {
    Train {
        config: GanConfig,
        settings: GanSettings,
        data: ImageSource,
    },
    Resume {
        checkpoint: PathBuf,
        data: ImageSource,
        more_epochs: usize,
    },
    /// Load a checkpoint only to sample from it.
    Load(PathBuf),
}

/// Starts the job on `device`.
pub fn start(
    start: GanStart,
    device: Device,
    waker: Waker,
) -> std::io::Result<JobHandle<GanEvent, GanCommand>> {
    JobBuilder::new("gan")
        .waker(waker)
        .spawn(move |ctx: &mut JobContext<GanEvent, GanCommand>| {
            let (mut session, data) = match start {
                GanStart::Train {
                    config,
                    settings,
                    data,
                } => (GanJob::new(config, settings, device), Some(data)),
                GanStart::Resume {
                    checkpoint,
                    data,
                    more_epochs,
                } => {
                    let mut session = GanJob::load(&checkpoint, device)?;
                    session.settings.epochs = session.epochs_done + more_epochs;
                    // A save inside an epoch resumes at that epoch's start.
                    #[expect(clippy::cast_precision_loss, reason = "epoch counts")]
                    let done = session.epochs_done as f32;
                    session.history.retain(|loss| loss.at_epoch <= done);
                    ctx.send(GanEvent::History(session.history.clone()))?;
                    (session, Some(data))
                }
                GanStart::Load(checkpoint) => (GanJob::load(&checkpoint, device)?, None),
            };
            if let Some(source) = data {
                let autosave = Autosaver::start("gan", &source);
                let images = data::load(&source)?;
                ctx.send(GanEvent::Loaded {
                    images: images.count,
                    skipped: images.skipped.clone(),
                    upscaled: images.upscaled,
                    notices: images.notices.clone(),
                    preview: grid_of(&images),
                })?;
                session.train(ctx, &images, autosave)?;
            }
            #[expect(clippy::cast_precision_loss, reason = "epoch counts")]
            let at_epoch = session.epochs_done as f32;
            ctx.send(GanEvent::Samples {
                at_epoch,
                image: session.sample_grid()?,
            })?;
            ctx.send(GanEvent::TrainingDone)?;
            ctx.serve(|ctx, command| session.handle(ctx, command))
        })
}

/// Both models, their settings and what training has done so far.
pub(super) struct GanJob {
    pub(super) config: GanConfig,
    pub(super) settings: GanSettings,
    pub(super) device: Device,
    pub(super) generator: Generator,
    pub(super) discriminator: Discriminator,
    /// Both Adam states, kept (and checkpointed) across training runs.
    pub(super) d_optimizer: ModuleOptimizer,
    pub(super) g_optimizer: ModuleOptimizer,
    /// The grid's latent points, the same for the whole run.
    pub(super) fixed: Vec<f32>,
    pub(super) epochs_done: usize,
    pub(super) history: Vec<StepLoss>,
}

impl GanJob {
    pub(super) fn new(config: GanConfig, settings: GanSettings, device: Device) -> Self {
        device.seed(settings.seed);
        let autodiff = device.clone().autodiff();
        let generator = config.generator(&autodiff);
        let discriminator = config.discriminator(&autodiff);
        let fixed = normal_latents(GRID * config.latent_dim, settings.seed);
        Self {
            config,
            settings,
            device,
            generator,
            discriminator,
            d_optimizer: adam(),
            g_optimizer: adam(),
            fixed,
            epochs_done: 0,
            history: Vec::new(),
        }
    }

    /// Applies waiting commands; true when training should stop.
    fn apply_commands(
        &mut self,
        ctx: &mut JobContext<GanEvent, GanCommand>,
    ) -> Result<bool, JobError> {
        let mut stop = false;
        for command in ctx.commands().collect::<Vec<_>>() {
            stop |= command == GanCommand::StopTraining;
            self.handle(ctx, command)?;
        }
        Ok(stop)
    }

    fn handle(
        &mut self,
        ctx: &mut JobContext<GanEvent, GanCommand>,
        command: GanCommand,
    ) -> Result<(), JobError> {
        match command {
            GanCommand::LearningRates { d, g } => {
                self.settings.d_learning_rate = d;
                self.settings.g_learning_rate = g;
            }
            GanCommand::Dropout(rate) => {
                self.config.dropout = rate;
                self.discriminator.set_dropout(rate);
            }
            GanCommand::LabelNoise(noise) => self.settings.label_noise = noise,
            GanCommand::Walk { from, to, steps } => {
                ctx.send(GanEvent::Walk(self.walk(from, to, steps)?))?;
            }
            GanCommand::Save(dir) => save_reported(
                ctx,
                dir,
                |d| self.save(d),
                GanEvent::Saved,
                |path, reason| GanEvent::SaveFailed { path, reason },
            )?,
            GanCommand::StopTraining => {}
        }
        Ok(())
    }
}

/// The book's warning sign: the discriminator near-perfect while the generator's loss climbs.
pub fn collapse(history: &[StepLoss]) -> Option<String> {
    const WINDOW: usize = 50;
    if history.len() < 2 * WINDOW {
        return None;
    }
    let recent = &history[history.len() - WINDOW..];
    let before = &history[history.len() - 2 * WINDOW..history.len() - WINDOW];
    #[expect(clippy::cast_precision_loss, reason = "window means")]
    let mean =
        |s: &[StepLoss], f: fn(&StepLoss) -> f32| s.iter().map(f).sum::<f32>() / s.len() as f32;
    let d = mean(recent, |l| l.d_loss);
    let (g_now, g_before) = (mean(recent, |l| l.g_loss), mean(before, |l| l.g_loss));
    (d < 0.05 && g_now > g_before * 1.2 && g_now > 3.0).then(|| {
        format!(
            "Training may be collapsing: d_loss {d:.3} while g_loss climbs to {g_now:.2}. The book's advice: lower the discriminator's learning rate, raise dropout."
        )
    })
}

/// The book's optimiser for both models (Keras' epsilon).
pub(super) fn adam() -> ModuleOptimizer {
    AdamConfig::new().with_epsilon(1e-7).init()
}

/// Latent points from N(0, 1) by a seeded Box–Muller, the same on every device.
pub fn normal_latents(count: usize, seed: u64) -> Vec<f32> {
    let mut rng = crate::rng::Rng(seed);
    (0..count)
        .map(|_| {
            let u1 = rng.uniform().max(1e-7);
            let u2 = rng.uniform();
            (-2.0 * u1.ln()).sqrt() * (std::f32::consts::TAU * u2).cos()
        })
        .collect()
}

/// Images at `indices` as a [batch, 3, 64, 64] tensor in [0, 1].
pub fn batch_tensor(images: &Images, indices: &[usize], device: &Device) -> Tensor<4> {
    let side = SIDE as usize;
    let plane = side * side;
    let mut values = vec![0.0f32; indices.len() * 3 * plane];
    for (b, &i) in indices.iter().enumerate() {
        for (p, px) in images.image(i).chunks_exact(3).enumerate() {
            for c in 0..3 {
                values[(b * 3 + c) * plane + p] = f32::from(px[c]) / 255.0;
            }
        }
    }
    Tensor::from_data(
        TensorData::new(values, [indices.len(), 3, side, side]),
        device,
    )
}

fn grid_of(images: &Images) -> egui::ColorImage {
    let count = images.count.min(GRID);
    let pixels: Vec<u8> = (0..count).flat_map(|i| images.image(i).to_vec()).collect();
    readback::tile_rgb(&pixels, count, 4)
}

mod fid_probe;
mod readback;
mod store;
mod train;
pub use readback::tile_rgb;
pub use store::KIND as CHECKPOINT;
