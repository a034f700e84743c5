//! The GAN tab: data choice and preview, Train / Pause / Resume / Stop /
//! Cancel, live learning-rate, dropout and label-noise sliders, d_loss and
//! g_loss curves, the fixed-latent sample grid, an epoch timeline to scrub
//! back through, and a latent walk. egui only.

use std::path::PathBuf;

mod events;
mod samples;
mod saved;
mod views;

use super::data::{FACE_CATEGORIES, ImageSource};
use super::job::{self, GanCommand, GanEvent, GanSettings, GanStart, StepLoss};
use super::model::GanConfig;
use crate::backend::ComputeDevice;
use crate::job::autosave::Interrupted;
use crate::job::{JobHandle, Waker};
use crate::ui::Notice;
use crate::ui::dialog::Dialogs;
use crate::ui::job_state::{JobState, Progress, fraction};

/// Which images to learn.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
enum DataChoice {
    /// The 970 face emoji.
    Faces,
    /// Smileys & Emotion and People & Body (mostly whole people and hands).
    People,
    AllEmoji,
    Folder(PathBuf),
}

/// The book's training settings, with FID on 64 images (a CPU can afford it each epoch).
fn book_settings() -> GanSettings {
    let mut settings = GanSettings::book();
    settings.fid_samples = 64;
    settings
}

/// The settings a running job takes live, as last sent to it.
fn rates(config: &GanConfig, settings: &GanSettings) -> (f64, f64, f64, f32) {
    (
        settings.d_learning_rate,
        settings.g_learning_rate,
        config.dropout,
        settings.label_noise,
    )
}

/// What a button asked for; applied after the frame's layout.
#[must_use]
#[derive(Clone, Copy)]
enum GanAction {
    None,
    Train,
    Stop,
    Cancel,
    Book,
    SmallModel,
    Save,
    Resume,
    ExportGif,
    ExportGrid,
    ExportWalk,
    PickFolder,
    Walk,
    Quick,
}

/// The GAN tab.
pub struct GanPanel {
    device: ComputeDevice,
    waker: Waker,
    config: GanConfig,
    settings: GanSettings,
    data: DataChoice,
    limit: Option<usize>,
    job: JobState<GanEvent, GanCommand>,
    /// The images (or checkpoint) have loaded: the job trains.
    data_loaded: bool,
    loaded: Option<String>,
    skipped: Vec<String>,
    preview: Option<egui::TextureHandle>,
    first_epoch: usize,
    epoch: usize,
    step: usize,
    steps: usize,
    losses: Vec<StepLoss>,
    epoch_means: Vec<StepLoss>,
    samples: Option<egui::TextureHandle>,
    samples_at: f32,
    timeline: Vec<(usize, egui::TextureHandle, egui::ColorImage)>,
    /// Index into the timeline, `None` = follow the newest.
    scrub: Option<usize>,
    walk: Option<egui::TextureHandle>,
    walk_ends: (usize, usize),
    warning: Option<String>,
    /// FID per epoch (epoch, value).
    fid: Vec<[f64; 2]>,
    /// The fixed samples' diversity, % of real images', per measured epoch.
    diversity: Vec<[f64; 2]>,
    notice: Option<Notice>,
    /// Rates, dropout and noise last sent to the job.
    sent: (f64, f64, f64, f32),
    wait_epochs: Option<usize>,
    /// A timeline GIF being written; its one event is the sentence to show.
    gif: Option<JobHandle<Notice, ()>>,
    /// The open file dialog, and what its answer is for.
    dialogs: Dialogs<GanAction>,
    /// With `--export-gif`: export the timeline here once training is done
    /// (or, with `--gan-train`, once its epochs are shown).
    export_when_done: Option<PathBuf>,
}

impl GanPanel {
    pub fn new(device: impl Into<ComputeDevice>, waker: Waker) -> Self {
        let device: ComputeDevice = device.into();
        // On a CPU the book's model takes hours per epoch: open on Quick.
        let (config, settings) = if device.is_cpu() {
            (GanConfig::quick(), GanSettings::quick())
        } else {
            (GanConfig::book(), book_settings())
        };
        Self {
            device,
            waker: waker.clone(),
            sent: rates(&config, &settings),
            config,
            settings,
            data: DataChoice::Faces,
            limit: None,
            job: JobState::Idle,
            data_loaded: false,
            loaded: None,
            skipped: Vec::new(),
            preview: None,
            first_epoch: 0,
            epoch: 0,
            step: 0,
            steps: 0,
            losses: Vec::new(),
            epoch_means: Vec::new(),
            samples: None,
            samples_at: 0.0,
            timeline: Vec::new(),
            scrub: None,
            walk: None,
            walk_ends: (0, 5),
            warning: None,
            fid: Vec::new(),
            diversity: Vec::new(),
            notice: None,
            wait_epochs: None,
            gif: None,
            export_when_done: None,
            dialogs: Dialogs::new(waker),
        }
    }

    /// Trains at once (automation: `--gan-train EPOCHS [--gan-minutes M]`):
    /// the Quick preset on the first `limit` face emoji; settles after
    /// `epochs` epochs or when training ends.
    pub fn train_now(&mut self, epochs: usize, limit: Option<usize>, minutes: Option<f64>) {
        self.config = GanConfig::quick();
        self.settings = GanSettings::quick();
        self.settings.minutes = minutes.unwrap_or(0.0);
        self.settings.epochs = epochs + 20;
        self.settings.sample_every = 5;
        self.limit = limit;
        self.wait_epochs = Some(epochs);
        self.start(None);
    }

    /// True unless an automation run waits for its epochs to reach the
    /// timeline (or for its training to end).
    pub fn is_settled_or_idle(&self) -> bool {
        self.job.failure().is_some()
            || self.wait_epochs.is_some() && self.job.is_done() && self.samples.is_some()
            || self
                .wait_epochs
                .is_none_or(|n| self.timeline.len() >= n && self.samples.is_some())
    }

    fn source(&self) -> ImageSource {
        match &self.data {
            DataChoice::Faces => ImageSource::Faces { limit: self.limit },
            DataChoice::People => ImageSource::Emoji {
                categories: FACE_CATEGORIES.iter().map(|c| (*c).to_owned()).collect(),
                limit: self.limit,
            },
            DataChoice::AllEmoji => ImageSource::Emoji {
                categories: Vec::new(),
                limit: self.limit,
            },
            DataChoice::Folder(dir) => ImageSource::Folder(dir.clone()),
        }
    }

    /// Trains from scratch, or resumes `checkpoint` for the set number of epochs.
    fn start(&mut self, checkpoint: Option<PathBuf>) {
        let start = match checkpoint {
            Some(checkpoint) => GanStart::Resume {
                checkpoint,
                data: self.source(),
                more_epochs: self.settings.epochs,
            },
            None => GanStart::Train {
                config: self.config.clone(),
                settings: self.settings.clone(),
                data: self.source(),
            },
        };
        self.launch(start);
    }

    /// Continues an interrupted run from its autosave.
    pub fn resume(&mut self, run: &Interrupted) -> Result<(), String> {
        let data = run
            .source()
            .ok_or("the interrupted run's data source cannot be read")?;
        self.launch(GanStart::Resume {
            checkpoint: run.model.clone(),
            data,
            more_epochs: run.record.epochs.saturating_sub(run.record.epochs_done),
        });
        Ok(())
    }

    fn launch(&mut self, start: GanStart) {
        match job::start(start, self.device.clone().into(), self.waker.clone()) {
            Ok(handle) => {
                self.job = JobState::started(handle);
                self.data_loaded = false;
                self.losses.clear();
                self.epoch_means.clear();
                self.timeline.clear();
                self.fid.clear();
                self.diversity.clear();
                self.scrub = None;
                self.warning = None;
                self.notice = None;
                self.sent = rates(&self.config, &self.settings);
            }
            Err(err) => self.job = JobState::Failed(format!("could not start the job: {err}")),
        }
    }

    /// Drains the job's events; call once per frame.
    pub fn poll(&mut self, ctx: &egui::Context) {
        self.poll_gif();
        self.poll_dialogs();
        for event in self.job.poll(256, str::to_owned) {
            self.apply(ctx, event);
        }
        // `--gan-train N --export-gif`: the timeline so far, once N epochs are
        // in it, written while training goes on.
        if self.wait_epochs.is_some()
            && self.job.failure().is_none()
            && self.is_settled_or_idle()
            && let Some(path) = self.export_when_done.take()
        {
            self.export_gif(path);
        }
        let progress = self.progress();
        if let Some(shown) = self.job.progress_mut() {
            *shown = progress;
        }
        let wanted = (
            self.settings.d_learning_rate,
            self.settings.g_learning_rate,
            self.config.dropout,
            self.settings.label_noise,
        );
        if let Some(job) = self.job.handle()
            && wanted != self.sent
        {
            job.command(GanCommand::LearningRates {
                d: wanted.0,
                g: wanted.1,
            });
            job.command(GanCommand::Dropout(wanted.2));
            job.command(GanCommand::LabelNoise(wanted.3));
            self.sent = wanted;
        }
    }

    /// The status row: epoch and step while training.
    fn progress(&self) -> Progress {
        let total = self.settings.epochs.max(self.epoch + 1);
        let fraction = fraction(self.epoch, self.step, self.steps, total);
        Progress {
            loading: !self.data_loaded,
            text: if self.data_loaded {
                format!(
                    "epoch {}/{total} · step {}/{}",
                    self.epoch + 1,
                    self.step,
                    self.steps
                )
            } else {
                "decoding the images…".to_owned()
            },
            fraction,
            rate: None,
        }
    }

    fn send(&self, command: GanCommand) {
        self.job.command(command);
    }

    /// The tab.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        ui.heading("12.5 DCGAN");
        let mut action = self.controls_ui(ui);
        self.progress_ui(ui);
        ui.separator();
        ui.columns(3, |columns| {
            self.loss_plot_ui(&mut columns[0]);
            self.fid_plot_ui(&mut columns[0]);
            self.sliders_ui(&mut columns[0]);
            let walk = self.samples_ui(&mut columns[1]);
            if !matches!(walk, GanAction::None) {
                action = walk;
            }
            self.timeline_ui(&mut columns[2]);
        });
        self.apply_action(action);
    }
}
