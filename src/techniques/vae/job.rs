//! The VAE job: loads the digits, trains the model, and then keeps serving the
//! panel (decode a latent point, a grid, save) until it is dropped. It owns the
//! model; it is the only VAE code that spawns a thread or reads tensors back.

use std::path::PathBuf;

use burn::optim::{AdamConfig, ModuleOptimizer};
use burn::tensor::Device;

use super::data::Digits;
use super::model::{Vae, VaeSettings};
use crate::job::autosave::Autosaver;
use crate::job::{JobBuilder, JobContext, JobError, JobHandle, Waker};

/// Test digits encoded for the latent map's scatter.
const SCATTER_POINTS: usize = 2000;
/// Batches between two live refreshes of the grid and the map during training.
const SNAPSHOT_EVERY: usize = 60;

/// Where the digits come from (kept with an autosave, except digits in memory).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
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
    #[serde(skip)]
    Digits(Digits),
    /// Training digits and held-out ones: after each epoch the loss on the
    /// held-out digits is sent too (the tuner's objective); the map shows them.
    /// `folder`: where the run saves itself at each epoch end (a tuner trial's).
    #[serde(skip)]
    Split {
        train: Digits,
        validation: Digits,
        folder: Option<PathBuf>,
    },
}

impl crate::job::autosave::Source for DataSource {
    fn own_folder(&self) -> Option<&std::path::Path> {
        match self {
            Self::Split { folder, .. } => folder.as_deref(),
            _ => None,
        }
    }
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
        /// The model's latent size (a loaded model's own).
        latent_dim: usize,
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
    /// After an epoch, with a [`DataSource::Split`]: the loss on the held-out digits.
    Validation {
        epoch: usize,
        loss: BatchLoss,
    },
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
    /// A request that cannot be met (too large for the free memory); the job
    /// and its model stay.
    Refused(String),
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
    /// Decode a point of the shown plane (see [`LatentSlice`]).
    Decode([f32; 2]),
    /// Decode a full latent point (as many numbers as the model has dimensions).
    DecodeFull(Vec<f32>),
    /// Show the plane of these two dimensions: the grid and the map are redrawn.
    Slice([usize; 2]),
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
    /// A saved (or autosaved) model trained on for the rest of its epochs.
    /// `epochs`: train to this many in all (None: the saved run's own).
    Resume {
        model: PathBuf,
        data: DataSource,
        epochs: Option<usize>,
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
                    let autosave = Autosaver::start("vae", &data);
                    let validate = matches!(data, DataSource::Split { .. });
                    let (train, test) = load(data)?;
                    ctx.send(VaeEvent::Loaded {
                        images: train.len(),
                        skipped: train.skipped.clone(),
                        latent_dim: config.latent_dim,
                    })?;
                    let mut session = VaeJob::new(config, device, test);
                    session.validate = validate;
                    session.train(ctx, &train, autosave)?;
                    session
                }
                VaeStart::Resume {
                    model,
                    data,
                    epochs,
                } => {
                    let mut session = VaeJob::load(&model, device)?;
                    session.config.epochs = epochs.unwrap_or(session.config.epochs);
                    let autosave = Autosaver::start("vae", &data);
                    session.validate = matches!(data, DataSource::Split { .. });
                    let (train, test) = load(data)?;
                    session.shown = test;
                    ctx.send(VaeEvent::Loaded {
                        images: train.len(),
                        skipped: train.skipped.clone(),
                        latent_dim: session.config.latent_dim,
                    })?;
                    session.train(ctx, &train, autosave)?;
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
                        latent_dim: session.config.latent_dim,
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
    /// The Adam state, kept (and saved) so training can resume.
    optimizer: ModuleOptimizer,
    epochs_done: usize,
    shown: Digits,
    learning_rate: f64,
    /// Half-width of the grid's square, as the panel last asked.
    grid_range: f32,
    /// The plane the grid, the map and the panel's points live in.
    slice: LatentSlice,
    /// `shown` is held out: its loss is sent after every epoch, and no grid
    /// or map is drawn while training (the tuner's trials; nobody watches).
    validate: bool,
}

impl VaeJob {
    fn new(config: VaeSettings, device: Device, shown: Digits) -> Self {
        let latent_dim = config.latent_dim;
        device.seed(config.seed);
        let model = config.init(&device.clone().autodiff());
        let learning_rate = config.learning_rate;
        Self {
            config,
            device,
            model,
            optimizer: adam(),
            epochs_done: 0,
            shown,
            learning_rate,
            grid_range: 1.0,
            slice: LatentSlice::new(latent_dim),
            validate: false,
        }
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

    /// After training: answer commands until cancelled.
    fn serve(&mut self, ctx: &mut JobContext<VaeEvent, VaeCommand>) -> Result<(), JobError> {
        self.snapshot(ctx)?;
        ctx.serve(|ctx, command| self.handle(ctx, command))
    }

    /// The grid (book's size and range) and the map, in the shown plane.
    fn snapshot(&mut self, ctx: &mut JobContext<VaeEvent, VaeCommand>) -> Result<(), JobError> {
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

mod commands;
mod dataset;
mod readback;
mod slice;
mod store;
mod train;
use dataset::load;
pub use readback::{batch_tensor, grey_image, grid_fits, write_png};
pub use slice::LatentSlice;
pub use store::KIND as SAVED_MODEL;

/// The book's optimiser (Keras' defaults).
fn adam() -> ModuleOptimizer {
    AdamConfig::new().init()
}

fn save_failed(path: PathBuf, reason: String) -> VaeEvent {
    VaeEvent::SaveFailed { path, reason }
}
