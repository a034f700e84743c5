//! The GAN job: decodes the images, trains discriminator and generator with
//! the book's step, shows samples from fixed latent points every few steps and
//! at each epoch end, watches for collapse, and serves save / walk requests
//! until dropped. The only GAN code that spawns a thread or reads tensors back.

use std::path::PathBuf;

use burn::module::Module;
use burn::tensor::{Device, Tensor, TensorData};

use super::data::{self, ImageSource, Images, SIDE};
use super::model::{GanConfig, Generator};
use super::step::Players;
use crate::job::autosave::Autosaver;
use crate::job::{JobBuilder, JobContext, JobError, JobHandle, Waker, save_reported};

/// Samples in the fixed grid (4×4).
pub const GRID: usize = 16;
/// Time each frame of an animated latent walk is shown.
const WALK_FRAME_MS: u32 = 80;

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
    /// Fréchet Inception distance after an epoch (lower is closer to the data),
    /// and the fixed samples' diversity relative to real images' (1 ≈ as varied).
    Fid {
        epoch: usize,
        fid: f32,
        diversity: f32,
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
    /// Write the fixed-latent grid as it is now (PNG).
    ExportGrid(PathBuf),
    /// Write an animated walk from fixed sample `from` to `to` and back (GIF).
    ExportWalk {
        from: usize,
        to: usize,
        frames: usize,
        path: PathBuf,
    },
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
    /// Both models and their Adam states, kept (and checkpointed) across training runs.
    pub(super) players: Players,
    /// The generator's moving average, when [`GanSettings::ema`] is on.
    pub(super) average: Option<Generator>,
    /// The grid's latent points, the same for the whole run.
    pub(super) fixed: Vec<f32>,
    pub(super) epochs_done: usize,
    pub(super) history: Vec<StepLoss>,
}

impl GanJob {
    /// The generator that draws samples: the moving average when there is one.
    pub(super) fn sampler(&self) -> Generator {
        self.average
            .clone()
            .unwrap_or_else(|| self.players.generator.valid())
    }

    pub(super) fn new(config: GanConfig, settings: GanSettings, device: Device) -> Self {
        device.seed(settings.seed);
        let autodiff = device.clone().autodiff();
        let players = Players::new(&config, settings.beta_1, &autodiff);
        let average = (settings.ema > 0.0).then(|| players.generator.valid());
        let fixed = normal_latents(GRID * config.latent_dim, settings.seed);
        Self {
            config,
            settings,
            device,
            players,
            average,
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
                self.players.discriminator.set_dropout(rate);
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
            GanCommand::ExportGrid(path) => save_reported(
                ctx,
                path,
                |p| {
                    let grid = self.sample_grid()?;
                    crate::ui::write_png(&grid, p).map_err(|e| anyhow::Error::from(e).into())
                },
                GanEvent::Saved,
                |path, reason| GanEvent::SaveFailed { path, reason },
            )?,
            GanCommand::ExportWalk {
                from,
                to,
                frames,
                path,
            } => save_reported(
                ctx,
                path,
                |p| {
                    let frames = self.walk_frames(from, to, frames)?;
                    crate::animation::write_gif(&frames, p, WALK_FRAME_MS).map_err(Into::into)
                },
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

/// Images at `indices` as a [batch, 3, side, side] tensor in [0, 1]: the
/// 64-px images averaged over (64/side)² blocks for a smaller side, and
/// mirrored left-right where `flips` says.
pub fn batch_tensor(
    images: &Images,
    indices: &[usize],
    side: usize,
    flips: Option<&[bool]>,
    device: &Device,
) -> Tensor<4> {
    let full = SIDE as usize;
    let factor = (full / side.clamp(1, full)).max(1);
    let side = full / factor;
    let plane = side * side;
    #[expect(clippy::cast_precision_loss, reason = "block sizes")]
    let scale = 1.0 / (255.0 * (factor * factor) as f32);
    let mut values = vec![0.0f32; indices.len() * 3 * plane];
    for (b, &i) in indices.iter().enumerate() {
        let mirrored = flips.is_some_and(|f| f[b]);
        let image = images.image(i);
        for (p, px) in image.chunks_exact(3).enumerate() {
            let (y, x) = (p / full / factor, p % full / factor);
            let x = if mirrored { side - 1 - x } else { x };
            for c in 0..3 {
                values[(b * 3 + c) * plane + y * side + x] += f32::from(px[c]) * scale;
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
    readback::tile_rgb(&pixels, count, 4, SIDE as usize)
}

mod fid_probe;
mod readback;
mod settings;
mod store;
mod train;
pub use readback::tile_rgb;
pub use settings::GanSettings;
pub use store::KIND as CHECKPOINT;
