//! Buttons, the drop zone and the settings of the DeepDream tab. Layer
//! weights and the step act on the running job; the rest at the next Start.

use super::DreamPanel;
use crate::nets::inception_v3::TAPS;
use crate::picture::{GALLERY, PictureSource};
use crate::techniques::dream::job::{DreamCommand, Zoom};
use crate::techniques::dream::model::{DreamSettings, Preset};
use crate::ui::Notice;
use crate::ui::dialog::one;
use crate::ui::picture_slot::pick_image;
use crate::ui::{RunButton, run_buttons_ui};

/// What a button asked for; applied after the frame's layout.
#[derive(Clone, Copy)]
pub(super) enum PanelAction {
    None,
    Start,
    DreamDeeper,
    Cancel,
    Save,
    SaveGif,
    SaveFrames,
    Open,
    /// A gallery photo as the picture.
    Gallery(&'static str),
}

impl DreamPanel {
    pub(super) fn buttons_ui(&mut self, ui: &mut egui::Ui) -> PanelAction {
        let mut action = PanelAction::None;
        ui.horizontal(|ui| {
            let ready = !self.image.is_loading() && self.image.picture.is_some();
            let running = self.job.is_running();
            if ui
                .add_enabled(
                    ready,
                    egui::Button::new(if running { "Restart" } else { "Start" }),
                )
                .clicked()
            {
                action = PanelAction::Start;
            }
            if let Some(job) = self.job.handle()
                && running
                && run_buttons_ui(ui, job, None) == RunButton::Cancel
            {
                action = PanelAction::Cancel;
            }
            let has_result = self.result.is_some() && self.job.handle().is_some();
            if ui
                .add_enabled(has_result, egui::Button::new("Save PNG…"))
                .clicked()
            {
                action = PanelAction::Save;
            }
            ui.separator();
            for preset in Preset::ALL {
                if ui.button(preset.label()).clicked() {
                    self.settings = DreamSettings::preset(preset);
                    self.notice = Some(Notice::Said(format!("{} settings.", preset.label())));
                }
            }
            if let Some(notice) = &self.notice {
                notice.ui(ui);
            }
        });
        ui.horizontal(|ui| {
            ui.label("Dream deeper:");
            ui.add(
                egui::DragValue::new(&mut self.zoom.frames)
                    .range(1..=200)
                    .suffix(" frames"),
            )
            .on_hover_text(Zoom::DOCS.frames);
            ui.add(
                egui::DragValue::new(&mut self.zoom.factor)
                    .range(1.01..=1.5)
                    .speed(0.005)
                    .prefix("zoom ×"),
            )
            .on_hover_text(Zoom::DOCS.factor);
            ui.add(
                egui::DragValue::new(&mut self.zoom.iterations)
                    .range(1..=100)
                    .suffix(" steps/frame"),
            )
            .on_hover_text(Zoom::DOCS.iterations);
            let ready = !self.image.is_loading() && self.image.picture.is_some();
            if ui
                .add_enabled(ready, egui::Button::new("Dream + zoom"))
                .on_hover_text(
                    "Dream, then zoom into the centre and dream again, frame after frame",
                )
                .clicked()
            {
                action = PanelAction::DreamDeeper;
            }
            let done = self.job.is_done();
            if ui
                .add_enabled(done, egui::Button::new("Export GIF…"))
                .clicked()
            {
                action = PanelAction::SaveGif;
            }
            if ui
                .add_enabled(done, egui::Button::new("Export frames…"))
                .clicked()
            {
                action = PanelAction::SaveFrames;
            }
        });
        action
    }

    /// The drop zone and gallery; returns what was asked for ("Open…", a gallery photo).
    pub(super) fn input_ui(&mut self, ui: &mut egui::Ui) -> Option<PanelAction> {
        let hovering = ui.ctx().input(|i| !i.raw.hovered_files.is_empty());
        let (_, open) = self.image.ui(ui, "Picture", hovering);
        let mut action = open.then_some(PanelAction::Open);
        ui.horizontal_wrapped(|ui| {
            ui.weak("gallery:");
            for (label, _) in GALLERY {
                if ui.small_button(label).clicked() {
                    action = Some(PanelAction::Gallery(label));
                }
            }
        });
        let dropped = ui
            .ctx()
            .input(|i| i.raw.dropped_files.first().map(|f| f.path().to_path_buf()));
        if let Some(path) = dropped {
            self.image.load(PictureSource::File(path));
        }
        action
    }

    pub(super) fn settings_ui(&mut self, ui: &mut egui::Ui) {
        let s = &mut self.settings;
        ui.strong("Layers (act on the running job; 0 = off)");
        let docs = DreamSettings::DOCS;
        for (weight, name) in s.layers.iter_mut().zip(TAPS) {
            ui.add(egui::Slider::new(weight, 0.0..=3.0).text(name))
                .on_hover_text(docs.layers);
        }
        ui.add(
            egui::Slider::new(&mut s.step, 0.001..=50.0)
                .logarithmic(true)
                .text("step"),
        )
        .on_hover_text(docs.step);
        ui.separator();
        ui.strong("Octaves (next Start)");
        ui.add(egui::Slider::new(&mut s.octaves, 1..=6).text("octaves"))
            .on_hover_text(docs.octaves);
        ui.add(egui::Slider::new(&mut s.octave_scale, 1.1..=2.0).text("octave scale"))
            .on_hover_text(docs.octave_scale);
        ui.add(egui::Slider::new(&mut s.iterations, 1..=200).text("steps per octave"))
            .on_hover_text(docs.iterations);
        let mut stop = s.max_loss.is_some();
        ui.horizontal(|ui| {
            ui.checkbox(&mut stop, "stop at loss")
                .on_hover_text(docs.max_loss);
            if stop {
                let max = s.max_loss.get_or_insert(15.0);
                ui.add(egui::DragValue::new(max).speed(0.1).range(0.01..=1000.0));
            } else {
                s.max_loss = None;
            }
        });
        let mut tiled = s.tile.is_some();
        ui.horizontal(|ui| {
            ui.checkbox(&mut tiled, "tiles (large images)")
                .on_hover_text(docs.tile);
            if tiled {
                let tile = s.tile.get_or_insert(512);
                ui.add(egui::DragValue::new(tile).range(128..=2048).suffix(" px"));
            } else {
                s.tile = None;
            }
        });
    }

    pub(super) fn apply_action(&mut self, ctx: &egui::Context, action: &PanelAction) {
        match action {
            PanelAction::None => {}
            PanelAction::Start => self.start(ctx, false),
            PanelAction::DreamDeeper => self.start(ctx, true),
            PanelAction::Cancel => {
                if let Some(job) = self.job.handle() {
                    job.cancel();
                }
            }
            PanelAction::Gallery(label) => {
                self.image.load(PictureSource::Default((*label).to_owned()));
            }
            PanelAction::Open => self
                .dialogs
                .open(*action, pick_image("A picture to dream into")),
            PanelAction::Save => self
                .dialogs
                .open(*action, save_dialog("PNG", "png", "deepdream.png")),
            PanelAction::SaveGif => {
                self.dialogs
                    .open(*action, save_dialog("GIF", "gif", "deepdream.gif"));
            }
            PanelAction::SaveFrames => self.dialogs.open(*action, || {
                one(rfd::FileDialog::new()
                    .set_title("Folder for the frames")
                    .pick_folder())
            }),
        }
    }

    /// Acts on a file dialog's answer, once the person gave it.
    pub(super) fn poll_dialogs(&mut self) {
        let Some((asked, path)) = self.dialogs.answer_one() else {
            return;
        };
        match asked {
            PanelAction::Open => self.image.load(PictureSource::File(path)),
            PanelAction::Save => self.export(DreamCommand::Save(path)),
            PanelAction::SaveGif => self.export(DreamCommand::SaveGif(path)),
            PanelAction::SaveFrames => self.export(DreamCommand::SaveFrames(path)),
            _ => {}
        }
    }
}

fn save_dialog(
    kind: &'static str,
    extension: &'static str,
    name: &'static str,
) -> impl FnOnce() -> Vec<std::path::PathBuf> + Send {
    move || {
        one(rfd::FileDialog::new()
            .add_filter(kind, &[extension])
            .set_file_name(name)
            .save_file())
    }
}
