//! Buttons and settings of the style tab. Loss weights act on the running job;
//! a new height restarts it (and says so); the rest applies at the next Start.

use super::StylePanel;
use crate::nets::vgg19::{self, Pooling};
use crate::picture::PictureSource;
use crate::techniques::style::job::{Init, OptimizerKind, StyleCommand, StyleSettings};
use crate::techniques::style::model::{LossWeights, STYLE_LAYERS};
use crate::ui::Notice;
use crate::ui::dialog::one;
use crate::ui::picture_slot::PictureSlot;
use crate::ui::{RunButton, run_buttons_ui};

/// What a button asked for; applied after the frame's layout.
#[must_use]
pub(super) enum PanelAction {
    None,
    Start,
    Cancel,
    Save,
    SaveGif,
    SaveFrames,
    Book,
    Quick,
}

impl StylePanel {
    pub(super) fn buttons_ui(&mut self, ui: &mut egui::Ui) -> PanelAction {
        let mut action = PanelAction::None;
        ui.horizontal(|ui| {
            let loading = self.content.is_loading()
                || self
                    .styles
                    .iter()
                    .any(crate::ui::picture_slot::PictureSlot::is_loading);
            let label = if self.is_running() {
                "Restart"
            } else {
                "Start"
            };
            if ui
                .add_enabled(!loading, egui::Button::new(label))
                .on_hover_text("Optimise the combination image from the first iteration")
                .clicked()
            {
                action = PanelAction::Start;
            }
            if let Some(job) = self.job.handle()
                && self.job.is_running()
                && run_buttons_ui(ui, job, None) == RunButton::Cancel
            {
                action = PanelAction::Cancel;
            }
            if ui
                .add_enabled(self.result.is_some(), egui::Button::new("Save PNG…"))
                .clicked()
            {
                action = PanelAction::Save;
            }
            let has_frames = self.result_iteration >= self.settings.frame_every;
            if ui
                .add_enabled(has_frames, egui::Button::new("Export GIF…"))
                .on_hover_text("The evolution so far: one frame every 100 iterations")
                .clicked()
            {
                action = PanelAction::SaveGif;
            }
            if ui
                .add_enabled(has_frames, egui::Button::new("Export frames…"))
                .clicked()
            {
                action = PanelAction::SaveFrames;
            }
            ui.separator();
            if ui
                .selectable_label(self.settings.is_quick(), "Quick")
                .on_hover_text(StyleSettings::quick_summary())
                .clicked()
            {
                action = PanelAction::Quick;
            }
            if ui.button("Book").on_hover_text(self.book_hover()).clicked() {
                action = PanelAction::Book;
            }
            ui.toggle_value(&mut self.show_before, "before")
                .on_hover_text("Show the content photo instead of the result");
            if let Some(notice) = &self.notice {
                notice.ui(ui);
            }
        });
        action
    }

    pub(super) fn settings_ui(&mut self, ui: &mut egui::Ui) {
        let s = &mut self.settings;
        let (docs, weights) = (StyleSettings::DOCS, LossWeights::DOCS);
        ui.strong("Loss weights (act on the running job)");
        log_slider_ui(ui, &mut s.weights.content, 1e-11..=1e-5, "content")
            .on_hover_text(weights.content);
        log_slider_ui(ui, &mut s.weights.style, 1e-9..=1e-3, "style").on_hover_text(weights.style);
        log_slider_ui(ui, &mut s.weights.total_variation, 1e-9..=1e-3, "variation")
            .on_hover_text(weights.total_variation);
        egui::CollapsingHeader::new("style layers").show(ui, |ui| {
            for (weight, name) in s.weights.style_layers.iter_mut().zip(STYLE_LAYERS) {
                ui.add(egui::Slider::new(weight, 0.0..=3.0).text(name))
                    .on_hover_text(weights.style_layers);
            }
        });
        ui.checkbox(&mut s.preserve_colors, "keep the photo's colours")
            .on_hover_text(docs.preserve_colors);
        ui.separator();
        let started = self.started_with.clone();
        let running = self.job.is_running();
        let stale = |changed: bool| {
            if running && changed {
                " (next Start)"
            } else {
                ""
            }
        };
        let was = |f: &dyn Fn(&StyleSettings) -> bool| started.as_ref().is_some_and(|st| !f(st));
        ui.strong("Run (a new height restarts the job)");
        ui.add(egui::Slider::new(&mut s.height, 64..=1024).text("height px"))
            .on_hover_text(docs.height);
        let iterations_changed = was(&|st| st.iterations == s.iterations);
        ui.add(
            egui::Slider::new(&mut s.iterations, 10..=8000)
                .logarithmic(true)
                .text(format!("iterations{}", stale(iterations_changed))),
        )
        .on_hover_text(docs.iterations);
        let optimizer_changed =
            was(&|st| st.optimizer == s.optimizer && st.learning_rate == s.learning_rate);
        egui::ComboBox::from_label(format!("optimiser{}", stale(optimizer_changed)))
            .selected_text(s.optimizer.label())
            .show_ui(ui, |ui| {
                for kind in OptimizerKind::ALL {
                    ui.selectable_value(&mut s.optimizer, kind, kind.label());
                }
            })
            .response
            .on_hover_text(docs.optimizer);
        let (default_lr, note) = s.optimizer.default_learning_rate(s.height);
        let mut custom = s.learning_rate.is_some();
        ui.horizontal(|ui| {
            ui.checkbox(&mut custom, "own learning rate")
                .on_hover_text(docs.learning_rate);
            if custom {
                let lr = s.learning_rate.get_or_insert(default_lr);
                ui.add(egui::DragValue::new(lr).speed(0.05).range(1e-4..=1e4));
            } else {
                s.learning_rate = None;
                ui.weak(format!("{default_lr:.3}"));
            }
        });
        if !custom && let Some(note) = note {
            ui.weak(note);
        }
        let layer_changed = was(&|st| st.content_layer == s.content_layer);
        egui::ComboBox::from_label(format!("content layer{}", stale(layer_changed)))
            .selected_text(vgg19::LAYERS[s.content_layer])
            .show_ui(ui, |ui| {
                for (index, name) in vgg19::LAYERS.iter().enumerate() {
                    ui.selectable_value(&mut s.content_layer, index, *name);
                }
            })
            .response
            .on_hover_text(docs.content_layer);
        ui.horizontal(|ui| {
            ui.label("start from").on_hover_text(docs.init);
            ui.selectable_value(&mut s.init, Init::Content, "photo");
            ui.selectable_value(&mut s.init, Init::Style, "painting");
            ui.selectable_value(&mut s.init, Init::Noise, "noise");
        });
        ui.horizontal(|ui| {
            ui.label("pooling").on_hover_text(docs.pooling);
            ui.selectable_value(&mut s.pooling, Pooling::Max, "max");
            ui.selectable_value(&mut s.pooling, Pooling::Average, "average");
        });
        ui.add(egui::Slider::new(&mut s.scales, 1..=4).text("scales (coarse to fine)"))
            .on_hover_text(docs.scales);
    }

    pub(super) fn apply_action(&mut self, ctx: &egui::Context, action: &PanelAction) {
        match action {
            PanelAction::None => {}
            PanelAction::Start => self.start(),
            PanelAction::Cancel => {
                if let Some(job) = self.job.handle() {
                    job.cancel();
                }
            }
            PanelAction::Save => self.dialogs.open(Asked::Save, || {
                one(rfd::FileDialog::new()
                    .add_filter("PNG", &["png"])
                    .set_file_name("style-transfer.png")
                    .save_file())
            }),
            PanelAction::SaveGif => self.dialogs.open(Asked::SaveGif, || {
                one(rfd::FileDialog::new()
                    .add_filter("GIF", &["gif"])
                    .set_file_name("style-transfer.gif")
                    .save_file())
            }),
            PanelAction::SaveFrames => self.dialogs.open(Asked::SaveFrames, || {
                one(rfd::FileDialog::new()
                    .set_title("Folder for the frames")
                    .pick_folder())
            }),
            PanelAction::Book => {
                let eta = self.book_eta();
                self.settings = StyleSettings::book();
                let book = &self.settings;
                self.notice = Some(Notice::Said(format!(
                    "Book settings: {} px, SGD, {} iterations{}.",
                    book.height,
                    book.iterations,
                    eta.map(|e| format!(" — about {e} here"))
                        .unwrap_or_default()
                )));
            }
            PanelAction::Quick => {
                self.settings = StyleSettings::quick();
                self.notice = Some(Notice::Said(
                    "Quick settings: L-BFGS at 200 px, 100 iterations.".into(),
                ));
            }
        }
        // A new height restarts the run, once the slider is let go.
        if self.job.is_running()
            && ctx.dragged_id().is_none()
            && let Some(started) = &self.started_with
            && started.height != self.settings.height
        {
            let height = self.settings.height;
            self.start();
            self.notice = Some(Notice::Said(format!(
                "Height changed to {height} px: restarted."
            )));
        }
    }
}

impl StylePanel {
    /// How long the book's run would take here, from the last run's speed.
    fn book_eta(&self) -> Option<String> {
        let scale = self.scale.as_ref()?;
        (self.secs_per_iteration > 0.0).then(|| {
            let secs =
                StyleSettings::book_eta_secs(self.secs_per_iteration, scale.width, scale.height);
            super::views::duration(secs)
        })
    }

    fn book_hover(&self) -> String {
        match self.book_eta() {
            Some(eta) => format!(
                "{}. At the last run's speed it would take about {eta} on this machine.",
                StyleSettings::book_summary()
            ),
            None => StyleSettings::book_summary(),
        }
    }
}

fn log_slider_ui(
    ui: &mut egui::Ui,
    value: &mut f64,
    range: std::ops::RangeInclusive<f64>,
    text: &str,
) -> egui::Response {
    ui.add(
        egui::Slider::new(value, range)
            .logarithmic(true)
            .custom_formatter(|v, _| format!("{v:.1e}"))
            .text(text),
    )
}

/// What an open file dialog's answer is for.
pub(super) enum Asked {
    Save,
    SaveGif,
    SaveFrames,
    Content,
    Style(usize),
    AddStyle,
}

impl StylePanel {
    /// Acts on a file dialog's answer, once the person gave it.
    pub(super) fn poll_dialogs(&mut self) {
        let Some((asked, path)) = self.dialogs.answer_one() else {
            return;
        };
        let command = match asked {
            Asked::Save => StyleCommand::Save(path),
            Asked::SaveGif => StyleCommand::SaveGif(path),
            Asked::SaveFrames => StyleCommand::SaveFrames(path),
            Asked::Content => return self.content.load(PictureSource::File(path)),
            Asked::Style(index) => {
                if let Some(slot) = self.styles.get_mut(index) {
                    slot.load(PictureSource::File(path));
                }
                return;
            }
            Asked::AddStyle => {
                let mut slot = PictureSlot::empty(&self.waker);
                slot.load(PictureSource::File(path));
                return self.styles.push(slot);
            }
        };
        if let Some(job) = self.job.handle() {
            job.command(command);
        }
    }
}
