//! The style-transfer tab: content and style drop zones, the settings, the live
//! combination image and the loss plot. egui only: the pictures load and the
//! pixels move in jobs; weight changes reach the running job as commands.

mod controls;
mod inputs;
mod saved;
mod views;

use super::job::{self, StepLoss, StyleCommand, StyleEvent, StyleInputs, StyleSettings};
use super::model::LossWeights;
use crate::backend::ComputeDevice;
use crate::job::Waker;
use crate::picture::PictureSource;
use crate::ui::Notice;
use crate::ui::dialog::Dialogs;
use crate::ui::job_state::{JobState, Progress};
use crate::ui::picture_slot::PictureSlot;

/// The scale being optimised.
#[derive(Clone, Debug, PartialEq)]
struct ScaleInfo {
    index: usize,
    count: usize,
    width: u32,
    height: u32,
    learning_rate: f64,
    note: Option<String>,
}

/// The style-transfer tab.
pub struct StylePanel {
    device: ComputeDevice,
    waker: Waker,
    settings: StyleSettings,
    content: PictureSlot,
    styles: Vec<PictureSlot>,
    job: JobState<StyleEvent, StyleCommand>,
    /// The settings the running job started with (to tell what needs a restart).
    started_with: Option<StyleSettings>,
    /// The weights and colour choice last sent to the job.
    sent: (LossWeights, bool),
    status: String,
    scale: Option<ScaleInfo>,
    iteration: usize,
    of: usize,
    secs_per_iteration: f32,
    losses: Vec<StepLoss>,
    result: Option<egui::TextureHandle>,
    result_iteration: usize,
    /// Show the content photo instead of the result (before/after).
    show_before: bool,
    notice: Option<Notice>,
    start_when_ready: bool,
    /// With `--style-run`: settled once this many iterations are shown.
    wait_iterations: Option<usize>,
    defaults_requested: bool,
    /// The open file dialog, and what its answer is for.
    dialogs: Dialogs<controls::Asked>,
}

impl StylePanel {
    /// A panel whose jobs run on `device` and wake the UI with `waker`. The
    /// default photo and painting load when the tab is first shown.
    pub fn new(device: impl Into<ComputeDevice>, waker: Waker) -> Self {
        let device = device.into();
        let content = PictureSlot::empty(&waker);
        let style = PictureSlot::empty(&waker);
        let settings = if device.is_cpu() {
            StyleSettings::quick()
        } else {
            StyleSettings::book()
        };
        Self {
            device,
            dialogs: Dialogs::new(waker.clone()),
            waker,
            sent: (settings.weights.clone(), settings.preserve_colors),
            settings,
            content,
            styles: vec![style],
            job: JobState::Idle,
            started_with: None,
            status: String::new(),
            scale: None,
            iteration: 0,
            of: 0,
            secs_per_iteration: 0.0,
            losses: Vec::new(),
            result: None,
            result_iteration: 0,
            show_before: false,
            notice: None,
            start_when_ready: false,
            wait_iterations: None,
            defaults_requested: false,
        }
    }

    /// Loads the gallery photo and Starry Night (fetching them if needed) once.
    fn request_defaults(&mut self) {
        if std::mem::replace(&mut self.defaults_requested, true) {
            return;
        }
        // A picture already on its way (from the settings, `--picture`) stays.
        if self.content.picture.is_none() && !self.content.is_loading() {
            self.content
                .load(PictureSource::Default("astronaut".into()));
        }
        if let Some(first) = self.styles.first_mut()
            && first.picture.is_none()
            && !first.is_loading()
        {
            first.load(PictureSource::Default("starry night".into()));
        }
    }

    /// Starts a run with the book's settings at `height` px as soon as the
    /// pictures are loaded (automation: `--style-run`).
    pub fn run_when_ready(
        &mut self,
        height: Option<u32>,
        iterations: usize,
        photo: Option<std::path::PathBuf>,
    ) {
        if let Some(path) = photo {
            self.content.load(PictureSource::File(path));
        }
        if let Some(height) = height {
            self.settings.height = height;
        }
        self.wait_iterations = Some(iterations);
        self.start_when_ready = true;
        self.request_defaults();
    }

    /// True once a run has shown at least `iterations` iterations (or failed).
    pub fn has_reached(&self, iterations: usize) -> bool {
        self.job.failure().is_some()
            || (self.result.is_some()
                && self.result_iteration >= iterations
                && self.losses.len() >= iterations)
    }

    fn start(&mut self) {
        let Some(content) = self.content.picture.clone() else {
            self.notice = Some(Notice::Said(
                "Drop a photo on the content zone first.".into(),
            ));
            return;
        };
        let styles: Vec<_> = self
            .styles
            .iter()
            .filter_map(|s| s.picture.clone().map(|p| (p, s.blend)))
            .collect();
        if styles.is_empty() {
            self.notice = Some(Notice::Said(
                "Drop a painting on the style zone first.".into(),
            ));
            return;
        }
        let inputs = StyleInputs { content, styles };
        match job::start(
            inputs,
            self.settings.clone(),
            None,
            self.device.clone().into(),
            self.waker.clone(),
        ) {
            Ok(handle) => {
                self.job = JobState::started(handle);
                self.started_with = Some(self.settings.clone());
                self.sent = (self.settings.weights.clone(), self.settings.preserve_colors);
                self.losses.clear();
                (self.iteration, self.of, self.result_iteration) = (0, 0, 0);
                self.scale = None;
                self.notice = None;
                self.show_before = false;
            }
            Err(err) => self.job = JobState::Failed(format!("could not start the job: {err}")),
        }
    }

    /// Drains the jobs' events; call once per frame.
    pub fn poll(&mut self, ctx: &egui::Context) {
        self.poll_dialogs();
        self.content.poll(ctx);
        for slot in &mut self.styles {
            slot.poll(ctx);
        }
        if self.start_when_ready
            && self.content.picture.is_some()
            && self.styles.iter().all(|s| s.picture.is_some())
        {
            self.start_when_ready = false;
            self.start();
        }
        for event in self.job.poll(256, failure_hint) {
            self.apply(ctx, event);
        }
        let progress = self.progress();
        if let Some(shown) = self.job.progress_mut() {
            *shown = progress;
        }
        self.push_live_settings();
    }

    fn apply(&mut self, ctx: &egui::Context, event: StyleEvent) {
        match event {
            StyleEvent::Status(text) => self.status = text,
            StyleEvent::Scale {
                index,
                count,
                width,
                height,
                learning_rate,
                note,
            } => {
                self.status = format!("scale {}/{count}: {width}×{height}", index + 1);
                self.scale = Some(ScaleInfo {
                    index,
                    count,
                    width,
                    height,
                    learning_rate,
                    note,
                });
            }
            StyleEvent::Losses(points) => self.losses.extend(points),
            StyleEvent::Progress {
                iteration,
                of,
                secs_per_iteration,
            } => {
                (self.iteration, self.of, self.secs_per_iteration) =
                    (iteration, of, secs_per_iteration);
                if let Some(scale) = &self.scale {
                    self.status = format!(
                        "optimising at {}×{} (scale {}/{})",
                        scale.width,
                        scale.height,
                        scale.index + 1,
                        scale.count
                    );
                }
            }
            StyleEvent::Image { iteration, image } => {
                self.result_iteration = iteration;
                crate::ui::set_texture(
                    ctx,
                    &mut self.result,
                    "style-result",
                    image,
                    egui::TextureOptions::LINEAR,
                );
            }
            StyleEvent::Frame(_) => {}
            StyleEvent::Saved(path) => {
                self.notice = Some(Notice::Said(format!("saved {}", path.display())));
            }
            StyleEvent::SaveFailed { path, reason } => {
                self.notice = Some(Notice::Failed(format!(
                    "could not save {}: {reason}",
                    path.display()
                )));
            }
            StyleEvent::Done { secs } => {
                self.job.finish();
                self.iteration = self.of;
                self.status = format!("done in {secs:.1} s");
            }
        }
    }

    /// Weight and colour changes go to the running job at its next step.
    fn push_live_settings(&mut self) {
        let Some(job) = self.job.handle() else {
            return;
        };
        if self.settings.weights != self.sent.0 {
            self.sent.0 = self.settings.weights.clone();
            job.command(StyleCommand::Weights(self.sent.0.clone()));
        }
        if self.settings.preserve_colors != self.sent.1 {
            self.sent.1 = self.settings.preserve_colors;
            job.command(StyleCommand::PreserveColors(self.sent.1));
        }
    }

    fn is_running(&self) -> bool {
        self.job.is_running()
    }

    /// The status row of a run: iteration, speed and time left.
    fn progress(&self) -> Progress {
        #[expect(clippy::cast_precision_loss, reason = "a progress fraction")]
        let fraction = self.iteration as f32 / self.of.max(1) as f32;
        let rate = (self.secs_per_iteration > 0.0).then(|| {
            #[expect(clippy::cast_precision_loss, reason = "an estimate")]
            let left = (self.of.saturating_sub(self.iteration)) as f32 * self.secs_per_iteration;
            let rate = format!("{:.2} it/s", 1.0 / self.secs_per_iteration);
            if self.job.is_done() {
                rate
            } else {
                format!("{rate} · ETA {}", views::duration(left))
            }
        });
        Progress {
            loading: self.of == 0,
            text: if self.of == 0 {
                self.status.clone()
            } else {
                format!("iteration {}/{}", self.iteration, self.of)
            },
            fraction,
            rate,
        }
    }

    /// The tab.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        self.request_defaults();
        ui.heading("12.3 Neural style transfer (VGG19)");
        let action = self.buttons_ui(ui);
        self.progress_ui(ui);
        ui.separator();
        egui::Panel::left("style-inputs")
            .resizable(false)
            .exact_size(300.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    self.inputs_ui(ui);
                    ui.separator();
                    self.settings_ui(ui);
                });
            });
        ui.columns(2, |columns| {
            self.result_ui(&mut columns[0]);
            self.loss_plot_ui(&mut columns[1]);
        });
        let ctx = ui.ctx().clone();
        self.apply_action(&ctx, &action);
    }
}

/// A failure as the panel says it, with a hint when memory ran out.
fn failure_hint(text: &str) -> String {
    crate::ui::with_memory_hint(text, "lower the output height")
}
