//! The DeepDream tab: a drop zone, a slider per Inception layer, presets, the
//! octave settings, the live image with a before/after split, octave progress
//! and the loss plot. egui only: layer weights and the step reach the running
//! job as commands.

mod controls;
mod saved;
mod views;

use super::job::{self, DreamCommand, DreamEvent, StepLoss, Zoom};
use super::model::{DreamSettings, Preset};
use crate::backend::ComputeDevice;
use crate::job::{JobHandle, JobMessage, Waker};
use crate::picture::PictureSource;
use crate::ui::picture_slot::PictureSlot;

/// Where the run is.
#[derive(Debug, Default, PartialEq)]
enum Phase {
    #[default]
    Idle,
    Running,
    Done,
    Failed(String),
}

/// The DeepDream tab.
pub struct DreamPanel {
    device: ComputeDevice,
    waker: Waker,
    settings: DreamSettings,
    zoom: Zoom,
    image: PictureSlot,
    job: Option<JobHandle<DreamEvent, DreamCommand>>,
    /// Layer weights and step last sent to the job.
    sent: ([f32; 11], f32),
    phase: Phase,
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
    notice: Option<String>,
    automation: Option<usize>,
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
            waker,
            sent: (settings.layers, settings.step),
            settings,
            zoom: saved::DEFAULT_ZOOM,
            job: None,
            phase: Phase::Idle,
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
        }
    }

    fn request_default(&mut self) {
        if self.image.picture.is_none() && !self.image.is_loading() && self.image.error.is_none() {
            self.image.load(PictureSource::Default("cat".into()));
        }
    }

    /// Starts the Book preset at once on the default photo; with a screenshot,
    /// the window settles once `steps` steps are shown (automation: `--dream-run`).
    pub fn run_when_ready(&mut self, steps: usize) {
        self.automation = Some(steps);
        self.request_default();
    }

    /// True once `steps` ascent steps are shown (or the run failed).
    pub fn has_reached(&self, steps: usize) -> bool {
        matches!(self.phase, Phase::Failed(_))
            || (self.result.is_some() && self.losses.len() >= steps)
    }

    fn start(&mut self, ctx: &egui::Context, zoom: bool) {
        let Some(picture) = self.image.picture.clone() else {
            self.notice = Some("Drop a picture on the zone first.".into());
            return;
        };
        self.original = Some(ctx.load_texture(
            "dream-original",
            crate::picture::rgb_to_color_image(&picture.rgb),
            egui::TextureOptions::LINEAR,
        ));
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
                self.job = Some(handle);
                self.sent = (self.settings.layers, self.settings.step);
                self.phase = Phase::Running;
                self.losses.clear();
                self.octave_starts.clear();
                self.plan.clear();
                (self.octave, self.step, self.of, self.early_stops) = (0, 0, 0, 0);
                self.zoom_frame = None;
                self.notice = None;
            }
            Err(err) => self.phase = Phase::Failed(format!("could not start the job: {err}")),
        }
    }

    /// Drains the jobs' events; call once per frame.
    pub fn poll(&mut self, ctx: &egui::Context) {
        self.image.poll(ctx);
        if self.automation.is_some() && self.job.is_none() && self.image.picture.is_some() {
            self.start(ctx, false);
        }
        let Some(job) = &mut self.job else { return };
        for message in job.poll(256) {
            match message {
                JobMessage::Event(event) => self.apply(ctx, event),
                JobMessage::Failed(text) => self.phase = Phase::Failed(failure_hint(&text)),
                JobMessage::Cancelled => self.phase = Phase::Idle,
                JobMessage::Finished => {}
            }
        }
        if let Some(job) = &self.job
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
            DreamEvent::Image { image } => match &mut self.result {
                Some(texture) => texture.set(image, egui::TextureOptions::LINEAR),
                None => {
                    self.result =
                        Some(ctx.load_texture("dream-result", image, egui::TextureOptions::LINEAR));
                }
            },
            DreamEvent::ZoomFrame { index, of, .. } => self.zoom_frame = Some((index, of)),
            DreamEvent::Saved(path) => self.notice = Some(format!("saved {}", path.display())),
            DreamEvent::Done { secs } => {
                self.phase = Phase::Done;
                self.status = format!("done in {secs:.1} s");
            }
        }
    }

    fn send(&self, command: DreamCommand) {
        if let Some(job) = &self.job {
            job.command(command);
        }
    }

    /// The tab.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        self.request_default();
        ui.heading("12.2 DeepDream (InceptionV3)");
        let mut action = self.buttons_ui(ui);
        self.progress_ui(ui);
        ui.separator();
        let mut open = false;
        egui::Panel::left("dream-settings")
            .resizable(false)
            .exact_size(300.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    open = self.input_ui(ui);
                    ui.separator();
                    self.settings_ui(ui);
                });
            });
        ui.columns(2, |columns| {
            self.result_ui(&mut columns[0]);
            self.loss_plot_ui(&mut columns[1]);
        });
        if open {
            action = controls::PanelAction::Open;
        }
        let ctx = ui.ctx().clone();
        self.apply_action(&ctx, &action);
    }
}

/// A failure as the panel says it, with a hint when memory ran out.
fn failure_hint(text: &str) -> String {
    crate::ui::with_memory_hint(text, "set a tile size (e.g. 512) or use a smaller picture")
}
