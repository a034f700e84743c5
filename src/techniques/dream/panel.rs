//! The DeepDream tab: a drop zone, a slider per Inception layer, presets, the
//! octave settings, the live image with a before/after split, octave progress
//! and the loss plot. egui only: layer weights and the step reach the running
//! job as commands.

mod controls;
use controls::PanelAction;
mod saved;
mod views;

use super::job::{self, DreamCommand, DreamEvent, StepLoss, Zoom};
use super::model::{DreamSettings, Preset};
use crate::backend::ComputeDevice;
use crate::job::Waker;
use crate::picture::PictureSource;
use crate::ui::Notice;
use crate::ui::dialog::Dialogs;
use crate::ui::job_state::{JobState, Progress, fraction};
use crate::ui::picture_slot::PictureSlot;

/// The DeepDream tab.
pub struct DreamPanel {
    device: ComputeDevice,
    waker: Waker,
    settings: DreamSettings,
    zoom: Zoom,
    image: PictureSlot,
    job: JobState<DreamEvent, DreamCommand>,
    /// Layer weights and step last sent to the job.
    sent: ([f32; 11], f32),
    status: String,
    plan: Vec<[usize; 2]>,
    plan_note: Option<String>,
    octave: usize,
    step: usize,
    of: usize,
    secs_per_step: f32,
    losses: Vec<StepLoss>,
    /// Step index where each octave began (plot marks).
    octave_starts: Vec<usize>,
    early_stops: usize,
    zoom_frame: Option<(usize, usize)>,
    result: Option<egui::TextureHandle>,
    original: Option<egui::TextureHandle>,
    /// Before/after split: 0 = all dream, 1 = all original.
    split: f32,
    notice: Option<Notice>,
    /// With `--dream-run`: settled once this many steps are shown.
    automation: Option<usize>,
    /// With `--dream-run`: start as soon as the picture is loaded.
    start_when_loaded: bool,
    /// The open file dialog, and what its answer is for.
    dialogs: Dialogs<PanelAction>,
    /// A save or export under way (the job writes it).
    exporting: bool,
    /// With `--export-gif`: export the GIF here once the dream is done.
    export_when_done: Option<std::path::PathBuf>,
}

impl DreamPanel {
    /// A panel whose jobs run on `device` and wake the UI with `waker`; the
    /// default photo loads when the tab is first shown.
    pub fn new(device: impl Into<ComputeDevice>, waker: Waker) -> Self {
        let device = device.into();
        let settings = DreamSettings::preset(Preset::Book);
        Self {
            image: PictureSlot::empty(&waker),
            device,
            dialogs: Dialogs::new(waker.clone()),
            waker,
            sent: (settings.layers, settings.step),
            settings,
            zoom: saved::DEFAULT_ZOOM,
            job: JobState::Idle,
            status: String::new(),
            plan: Vec::new(),
            plan_note: None,
            octave: 0,
            step: 0,
            of: 0,
            secs_per_step: 0.0,
            losses: Vec::new(),
            octave_starts: Vec::new(),
            early_stops: 0,
            zoom_frame: None,
            result: None,
            original: None,
            split: 0.0,
            notice: None,
            automation: None,
            start_when_loaded: false,
            exporting: false,
            export_when_done: None,
        }
    }

    fn request_default(&mut self) {
        if self.image.picture.is_none() && !self.image.is_loading() && self.image.error.is_none() {
            self.image.load(PictureSource::Default("cat".into()));
        }
    }

    /// Starts the Book preset at once on the default photo; with a screenshot,
    /// the window settles once `steps` steps are shown (automation: `--dream-run`).
    pub fn run_when_ready(&mut self, steps: usize, picture: Option<std::path::PathBuf>) {
        self.automation = Some(steps);
        self.start_when_loaded = true;
        match picture {
            Some(path) => self.image.load(PictureSource::File(path)),
            None => self.request_default(),
        }
    }

    /// True once `steps` ascent steps are shown (or the run failed).
    pub fn has_reached(&self, steps: usize) -> bool {
        self.job.failure().is_some() || (self.result.is_some() && self.losses.len() >= steps)
    }

    fn start(&mut self, ctx: &egui::Context, zoom: bool) {
        let Some(picture) = self.image.picture.clone() else {
            self.notice = Some(Notice::Said("Drop a picture on the zone first.".into()));
            return;
        };
        crate::ui::set_texture(
            ctx,
            &mut self.original,
            "dream-original",
            crate::picture::rgb_to_color_image(&picture.rgb),
            egui::TextureOptions::LINEAR,
        );
        let zoom = zoom.then(|| self.zoom.clone());
        match job::start(
            picture,
            self.settings.clone(),
            zoom,
            None,
            self.device.clone().into(),
            self.waker.clone(),
        ) {
            Ok(handle) => {
                self.job = JobState::started(handle);
                self.sent = (self.settings.layers, self.settings.step);
                self.losses.clear();
                self.octave_starts.clear();
                self.plan.clear();
                (self.octave, self.step, self.of, self.early_stops) = (0, 0, 0, 0);
                self.zoom_frame = None;
                self.notice = None;
            }
            Err(err) => self.job = JobState::Failed(format!("could not start the job: {err}")),
        }
    }

    /// Drains the jobs' events; call once per frame.
    pub fn poll(&mut self, ctx: &egui::Context) {
        self.poll_dialogs();
        self.image.poll(ctx);
        if self.start_when_loaded && self.image.picture.is_some() {
            self.start_when_loaded = false;
            self.start(ctx, false);
        }
        for event in self.job.poll(256, failure_hint) {
            self.apply(ctx, event);
        }
        let progress = self.progress();
        if let Some(shown) = self.job.progress_mut() {
            *shown = progress;
        }
        if let Some(job) = self.job.handle()
            && (self.settings.layers, self.settings.step) != self.sent
        {
            self.sent = (self.settings.layers, self.settings.step);
            job.command(DreamCommand::Layers(self.sent.0));
            job.command(DreamCommand::Step(self.sent.1));
        }
    }

    fn apply(&mut self, ctx: &egui::Context, event: DreamEvent) {
        match event {
            DreamEvent::Status(text) => self.status = text,
            DreamEvent::Plan { shapes, note } => {
                self.plan = shapes;
                self.plan_note = note;
            }
            DreamEvent::Octave { index, .. } => {
                self.octave = index;
                self.step = 0;
                self.octave_starts.push(self.losses.len());
                self.status.clear();
            }
            DreamEvent::Losses(points) => self.losses.extend(points),
            DreamEvent::Progress {
                octave,
                step,
                of,
                secs_per_step,
            } => {
                (self.octave, self.step, self.of, self.secs_per_step) =
                    (octave, step, of, secs_per_step);
            }
            DreamEvent::StoppedEarly { .. } => self.early_stops += 1,
            DreamEvent::Image { image } => crate::ui::set_texture(
                ctx,
                &mut self.result,
                "dream-result",
                image,
                egui::TextureOptions::LINEAR,
            ),
            DreamEvent::ZoomFrame { index, of, .. } => self.zoom_frame = Some((index, of)),
            DreamEvent::Saved(path) => {
                self.exporting = false;
                self.notice = Some(Notice::Said(format!("saved {}", path.display())));
            }
            DreamEvent::SaveFailed { path, reason } => {
                self.exporting = false;
                self.notice = Some(Notice::Failed(format!(
                    "could not save {}: {reason}",
                    path.display()
                )));
            }
            DreamEvent::Done { secs } => {
                self.job.finish();
                self.status = format!("done in {secs:.1} s");
                if let Some(path) = self.export_when_done.take() {
                    self.export(DreamCommand::SaveGif(path));
                }
            }
        }
    }

    /// Where the run is, for the status row: octave (or zoom frame) and step.
    fn progress(&self) -> Progress {
        let count = self.plan.len().max(1);
        let shape = self.plan.get(self.octave).copied().unwrap_or_default();
        let text = match self.zoom_frame {
            Some((frame, of)) => {
                format!("zoom frame {frame}/{of} · step {}/{}", self.step, self.of)
            }
            None if self.plan.is_empty() => self.status.clone(),
            None => format!(
                "octave {}/{count} · {}×{} · step {}/{}",
                self.octave + 1,
                shape[1],
                shape[0],
                self.step,
                self.of
            ),
        };
        let fraction = fraction(self.octave, self.step, self.of, count);
        Progress {
            loading: self.plan.is_empty(),
            text,
            fraction,
            rate: (self.secs_per_step > 0.0)
                .then(|| format!("{:.1} steps/s", 1.0 / self.secs_per_step)),
        }
    }

    fn send(&self, command: DreamCommand) {
        self.job.command(command);
    }

    /// Asks the job to write a file; the panel counts as exporting until it says how it went.
    fn export(&mut self, command: DreamCommand) {
        self.exporting = true;
        self.notice = Some(Notice::Said("writing…".into()));
        self.send(command);
    }

    /// Exports the GIF to `path` once the dream is done (automation: `--export-gif`).
    pub fn export_gif_when_done(&mut self, path: std::path::PathBuf) {
        self.export_when_done = Some(path);
    }

    /// The tab.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        self.request_default();
        ui.heading("12.2 DeepDream (InceptionV3)");
        let mut action = self.buttons_ui(ui);
        self.progress_ui(ui);
        ui.separator();
        let mut input = None;
        egui::Panel::left("dream-settings")
            .resizable(false)
            .exact_size(300.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    input = self.input_ui(ui);
                    ui.separator();
                    self.settings_ui(ui);
                });
            });
        ui.columns(2, |columns| {
            self.result_ui(&mut columns[0]);
            self.loss_plot_ui(&mut columns[1]);
        });
        if let Some(input) = input {
            action = input;
        }
        let ctx = ui.ctx().clone();
        self.apply_action(&ctx, &action);
    }
}

/// A failure as the panel says it, with a hint when memory ran out.
fn failure_hint(text: &str) -> String {
    crate::ui::with_memory_hint(text, "set a tile size (e.g. 512) or use a smaller picture")
}
