//! The VAE tab: settings and controls, training progress and losses, the 30×30
//! grid, and the latent map you click or drag through. egui only: everything
//! that touches the model goes to the job as a command.

use std::path::PathBuf;

mod controls;
mod saved;
mod views;

use super::job::{self, BatchLoss, DataSource, LatentPoint, VaeCommand, VaeEvent, VaeStart};
use super::model::VaeSettings;
use crate::assets::{Cache, Manifest};
use crate::backend::ComputeDevice;
use crate::job::{JobHandle, JobMessage, Waker};
use crate::ui::Notice;
use crate::ui::dialog::Dialogs;
const NEAREST: egui::TextureOptions = egui::TextureOptions::NEAREST;

use crate::ui::job_state::{JobState, Progress, fraction};
use crate::ui::set_texture;

/// Colours of the ten digit classes on the map (a categorical palette).
pub(super) const CLASS_COLORS: [egui::Color32; 10] = [
    egui::Color32::from_rgb(31, 119, 180),
    egui::Color32::from_rgb(255, 127, 14),
    egui::Color32::from_rgb(44, 160, 44),
    egui::Color32::from_rgb(214, 39, 40),
    egui::Color32::from_rgb(148, 103, 189),
    egui::Color32::from_rgb(140, 86, 75),
    egui::Color32::from_rgb(227, 119, 194),
    egui::Color32::from_rgb(127, 127, 127),
    egui::Color32::from_rgb(188, 189, 34),
    egui::Color32::from_rgb(23, 190, 207),
];

/// Which digits to train on.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
enum DataChoice {
    /// The fetched MNIST (all 70 000, or the first `limit`).
    Mnist,
    /// A folder of images (sub-folders named by digit give labels).
    Folder(PathBuf),
    /// An IDX image file and its label file.
    Idx { images: PathBuf, labels: PathBuf },
}

impl DataChoice {
    fn label(&self) -> String {
        let name = |p: &PathBuf| {
            p.file_name().map_or_else(
                || p.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            )
        };
        match self {
            Self::Mnist => "MNIST (70 000 digits)".to_owned(),
            Self::Folder(dir) => format!("folder {}", name(dir)),
            Self::Idx { images, .. } => format!("IDX {}", name(images)),
        }
    }
}

/// What a button asked for; applied after the frame's layout.
#[must_use]
enum PanelAction {
    None,
    Train,
    Stop,
    Cancel,
    Save,
    Load,
    ExportGrid,
    PickFolder,
    PickIdx,
    UseMnist,
}

/// The grid's half-width in latent units (the book's `scale = 1.0`).
const BOOK_GRID_RANGE: f32 = 1.0;

/// The VAE tab.
pub struct VaePanel {
    device: ComputeDevice,
    waker: Waker,
    config: VaeSettings,
    limit: Option<usize>,
    job: JobState<VaeEvent, VaeCommand>,
    /// A job still loading its data or model; it replaces `job` only once loaded,
    /// so a bad file leaves the current model and data in place.
    pending: Option<JobHandle<VaeEvent, VaeCommand>>,
    data: DataChoice,
    data_error: Option<String>,
    epoch: usize,
    epochs: usize,
    batch: usize,
    batches: usize,
    losses: Vec<BatchLoss>,
    epoch_means: Vec<BatchLoss>,
    last_epoch_secs: Option<f32>,
    grid: Option<egui::TextureHandle>,
    grid_range: f32,
    scatter: Vec<LatentPoint>,
    crosshair: Option<[f32; 2]>,
    decoded: Option<egui::TextureHandle>,
    decode_micros: Option<u64>,
    notice: Option<Notice>,
    probe_when_ready: bool,
    /// Point B of the interpolation (right-click on the map).
    anchor: Option<[f32; 2]>,
    strip: Option<egui::TextureHandle>,
    toward_class: u8,
    toward_amount: f32,
    /// The crosshair moved toward a class's mean (the concept vector), when in use.
    moved: Option<[f32; 2]>,
    /// Started by `--vae-train` / `--load-vae`: settled once drawn.
    automation: bool,
    /// The latent size of the model the job holds, and the two dimensions
    /// the grid and the map show (the others at 0).
    model_latent: usize,
    slice_dims: [usize; 2],
    /// The open file dialog, and what its answer is for.
    dialogs: Dialogs<PanelAction>,
}

impl VaePanel {
    /// A panel whose jobs run on `device` and wake the UI with `waker`.
    pub fn new(device: impl Into<ComputeDevice>, waker: Waker) -> Self {
        let device = device.into();
        Self {
            device,
            dialogs: Dialogs::new(waker.clone()),
            waker,
            config: VaeSettings::new(),
            limit: None,
            job: JobState::Idle,
            pending: None,
            data: DataChoice::Mnist,
            data_error: None,
            epoch: 0,
            epochs: 0,
            batch: 0,
            batches: 0,
            losses: Vec::new(),
            epoch_means: Vec::new(),
            last_epoch_secs: None,
            grid: None,
            grid_range: BOOK_GRID_RANGE,
            scatter: Vec::new(),
            crosshair: None,
            decoded: None,
            decode_micros: None,
            notice: None,
            probe_when_ready: false,
            anchor: None,
            strip: None,
            toward_class: 0,
            toward_amount: 0.0,
            moved: None,
            automation: false,
            model_latent: 2,
            slice_dims: [0, 1],
        }
    }

    /// Starts training right away, and probes one latent point when done
    /// (automation: `--train-vae`).
    pub fn train_now(&mut self, epochs: usize, limit: Option<usize>) {
        self.automation = true;
        self.config.epochs = epochs;
        self.limit = limit;
        self.probe_when_ready = true;
        self.start(None);
    }

    /// Loads a saved model at once and probes one latent point (automation: `--load-vae`).
    pub fn load_now(&mut self, dir: PathBuf) {
        self.automation = true;
        self.probe_when_ready = true;
        self.start(Some(dir));
    }

    /// True once a trained model has drawn its grid, map and a decoded digit.
    pub fn is_settled(&self) -> bool {
        self.job.is_done()
            && self.grid.is_some()
            && self.decoded.is_some()
            && (self.anchor.is_none() || self.strip.is_some())
    }

    fn start(&mut self, load: Option<PathBuf>) {
        let cache = Cache::user();
        let manifest = Manifest::bundled();
        let mnist = cache.require(&manifest, "mnist");
        let start = if let Some(dir) = load {
            // The map of a loaded model shows MNIST's test digits when they are there.
            let shown = mnist.ok().map(|asset_dir| DataSource::Mnist {
                asset_dir,
                limit: Some(0),
            });
            VaeStart::Load { model: dir, shown }
        } else {
            let data = match (&self.data, mnist) {
                (DataChoice::Folder(dir), _) => DataSource::Folder(dir.clone()),
                (DataChoice::Idx { images, labels }, _) => DataSource::IdxPair {
                    images: images.clone(),
                    labels: labels.clone(),
                },
                (DataChoice::Mnist, Ok(asset_dir)) => DataSource::Mnist {
                    asset_dir,
                    limit: self.limit,
                },
                (DataChoice::Mnist, Err(err)) => {
                    self.data_error = Some(format!("MNIST is not available: {err}"));
                    return;
                }
            };
            VaeStart::Train {
                config: self.config.clone(),
                data,
            }
        };
        self.launch(start);
    }

    pub(super) fn launch(&mut self, start: VaeStart) {
        match job::start(start, self.device.clone().into(), self.waker.clone()) {
            Ok(handle) => {
                self.pending = Some(handle);
                self.data_error = None;
            }
            Err(err) => self.data_error = Some(format!("could not start the job: {err}")),
        }
    }

    /// Promotes the pending job once its data (or model) has loaded.
    fn poll_pending(&mut self, ctx: &egui::Context) {
        let Some(pending) = &mut self.pending else {
            return;
        };
        let Some(first) = pending.poll(1).pop() else {
            return;
        };
        match first {
            JobMessage::Event(event) => {
                if let Some(handle) = self.pending.take() {
                    self.job = JobState::started(handle);
                }
                self.losses.clear();
                self.epoch_means.clear();
                self.notice = None;
                (self.epoch, self.epochs, self.batch, self.batches) = (0, 0, 0, 0);
                self.apply(ctx, event);
            }
            JobMessage::Failed(text) => {
                self.data_error = Some(text);
                self.pending = None;
            }
            JobMessage::Cancelled | JobMessage::Finished => self.pending = None,
        }
    }

    /// True while a new job loads its data or model.
    pub fn is_loading(&self) -> bool {
        self.pending.is_some()
    }

    /// Drains the job's events; call once per frame.
    pub fn poll(&mut self, ctx: &egui::Context) {
        self.poll_dialogs();
        self.poll_pending(ctx);
        for event in self.job.poll(256, str::to_owned) {
            self.apply(ctx, event);
        }
        let progress = self.progress();
        if let Some(shown) = self.job.progress_mut() {
            *shown = progress;
        }
    }

    fn apply(&mut self, ctx: &egui::Context, event: VaeEvent) {
        match event {
            // Only a held-out split (the tuner's) sends it; the tab trains on all digits.
            VaeEvent::Validation { .. } => {}
            VaeEvent::Loaded {
                skipped,
                latent_dim,
                ..
            } => {
                self.model_latent = latent_dim;
                // A loaded model's own size; training next keeps it.
                self.config.latent_dim = latent_dim;
                self.slice_dims = [0, 1.min(latent_dim.max(1) - 1)];
                if !skipped.is_empty() {
                    self.notice = Some(Notice::Said(format!(
                        "{} files skipped (not images)",
                        skipped.len()
                    )));
                }
            }
            VaeEvent::Started {
                epochs,
                batches_per_epoch,
            } => {
                (self.epochs, self.batches) = (epochs, batches_per_epoch);
                // A resumed run's own length shows in the epochs field.
                self.config.epochs = epochs;
            }
            VaeEvent::Progress { epoch, batch } => (self.epoch, self.batch) = (epoch, batch),
            VaeEvent::Losses(points) => self.losses.extend(points),
            VaeEvent::EpochDone { epoch, mean, secs } => {
                self.epoch = epoch;
                self.epoch_means.push(mean);
                self.last_epoch_secs = Some(secs);
            }
            VaeEvent::Grid { image, .. } => {
                set_texture(ctx, &mut self.grid, "vae-grid", image, NEAREST);
            }
            VaeEvent::Scatter(points) => self.scatter = points,
            VaeEvent::Strip { image, .. } => {
                set_texture(ctx, &mut self.strip, "vae-strip", image, NEAREST);
            }
            VaeEvent::Decoded { image, micros, .. } => {
                self.decode_micros = Some(micros);
                set_texture(ctx, &mut self.decoded, "vae-decoded", image, NEAREST);
            }
            VaeEvent::Saved(path) => {
                self.notice = Some(Notice::Said(format!("saved to {}", path.display())));
            }
            VaeEvent::Refused(reason) => self.notice = Some(Notice::Failed(reason)),
            VaeEvent::SaveFailed { path, reason } => {
                self.notice = Some(Notice::Failed(format!(
                    "could not save {}: {reason}",
                    path.display()
                )));
            }
            VaeEvent::TrainingDone => {
                self.job.finish();
                if std::mem::take(&mut self.probe_when_ready) {
                    let z = [0.4, -0.6];
                    self.crosshair = Some(z);
                    self.send(VaeCommand::Decode(z));
                    let b = [1.3, 0.4];
                    self.anchor = Some(b);
                    self.send(VaeCommand::Interpolate {
                        from: z,
                        to: b,
                        steps: 10,
                    });
                }
            }
        }
    }

    /// The tab.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        ui.heading("12.4 Variational autoencoder (MNIST)");
        let mut action = self.controls_ui(ui);
        if let Some(picked) = self.data_ui(ui) {
            action = picked;
        }
        self.progress_ui(ui);
        ui.separator();
        ui.columns(3, |columns| {
            self.loss_plot_ui(&mut columns[0]);
            self.grid_ui(&mut columns[1]);
            self.map_ui(&mut columns[2]);
        });
        self.apply_action(action);
    }

    pub(super) fn send(&self, command: VaeCommand) {
        self.job.command(command);
    }

    /// The status row: epoch and batch while training.
    fn progress(&self) -> Progress {
        let fraction = fraction(self.epoch, self.batch, self.batches, self.epochs);
        Progress {
            loading: false,
            text: format!(
                "epoch {}/{} · batch {}/{}",
                self.epoch, self.epochs, self.batch, self.batches
            ),
            fraction,
            rate: self
                .last_epoch_secs
                .map(|secs| format!("{secs:.1} s/epoch")),
        }
    }
}
