//! The VAE tab's controls: settings, Train/Pause/Resume/Stop/Cancel, model and
//! data buttons, and what each button does once the frame is laid out.

use super::super::job::VaeCommand;
use super::super::model::VaeSettings;
use super::{DataChoice, PanelAction, VaePanel};
use crate::ui::dialog::one;
use crate::ui::job_state::JobState;
use crate::ui::{RunButton, run_buttons_ui};

impl VaePanel {
    pub(super) fn controls_ui(&mut self, ui: &mut egui::Ui) -> PanelAction {
        let mut action = PanelAction::None;
        let running = self.job.is_running() || self.pending.is_some();
        ui.horizontal_wrapped(|ui| {
            ui.add_enabled_ui(!running, |ui| {
                ui.add(
                    egui::DragValue::new(&mut self.config.epochs)
                        .range(1..=500)
                        .prefix("epochs "),
                )
                .on_hover_text(VaeSettings::DOCS.epochs);
                ui.add(
                    egui::DragValue::new(&mut self.config.batch_size)
                        .range(8..=1024)
                        .prefix("batch "),
                )
                .on_hover_text(VaeSettings::DOCS.batch_size);
                ui.add(
                    egui::DragValue::new(&mut self.config.latent_dim)
                        .range(1..=64)
                        .prefix("latent "),
                )
                .on_hover_text(VaeSettings::DOCS.latent_dim);
                if ui
                    .button("Book")
                    .on_hover_text(VaeSettings::book_summary())
                    .clicked()
                {
                    self.config = VaeSettings::new();
                    self.limit = None;
                    self.data = DataChoice::Mnist;
                }
            });
            let lr = ui
                .add(
                    egui::Slider::new(&mut self.config.learning_rate, 1e-5..=1e-1)
                        .logarithmic(true)
                        .text("learning rate"),
                )
                .on_hover_text(VaeSettings::DOCS.learning_rate);
            if lr.changed()
                && let Some(job) = self.job.handle()
            {
                job.command(VaeCommand::LearningRate(self.config.learning_rate));
            }
            ui.separator();
            if !running && ui.button("Train").clicked() {
                action = PanelAction::Train;
            }
            if let (true, Some(job)) = (running, self.job.handle()) {
                match run_buttons_ui(ui, job, Some("Stop training and keep the model")) {
                    RunButton::Stop => action = PanelAction::Stop,
                    RunButton::Cancel => action = PanelAction::Cancel,
                    RunButton::None => {}
                }
            }
            let trained = self.job.is_done();
            if ui
                .add_enabled(trained, egui::Button::new("Save model…"))
                .clicked()
            {
                action = PanelAction::Save;
            }
            if ui
                .add_enabled(!running, egui::Button::new("Load model…"))
                .clicked()
            {
                action = PanelAction::Load;
            }
            if ui
                .add_enabled(
                    self.job.handle().is_some(),
                    egui::Button::new("Export grid PNG…"),
                )
                .clicked()
            {
                action = PanelAction::ExportGrid;
            }
        });
        action
    }

    pub(super) fn apply_action(&mut self, action: PanelAction) {
        match action {
            PanelAction::None => {}
            PanelAction::Train => self.start(None),
            PanelAction::Stop => self.send(VaeCommand::StopTraining),
            PanelAction::Cancel => self.job = JobState::Idle,
            PanelAction::Save => self.dialogs.open(action, || {
                one(rfd::FileDialog::new()
                    .set_title("Folder to save the VAE in")
                    .pick_folder())
            }),
            PanelAction::Load => self.dialogs.open(action, || {
                one(rfd::FileDialog::new()
                    .set_title("A saved VAE folder")
                    .pick_folder())
            }),
            PanelAction::UseMnist => self.data = DataChoice::Mnist,
            PanelAction::PickFolder => self.dialogs.open(action, || {
                one(rfd::FileDialog::new()
                    .set_title("A folder of digit images")
                    .pick_folder())
            }),
            // Two dialogs in turn: the images, then their labels.
            PanelAction::PickIdx => self.dialogs.open(action, || {
                let images = rfd::FileDialog::new()
                    .set_title("IDX image file (…-images-idx3-ubyte)")
                    .pick_file();
                let labels = images.as_ref().and_then(|_| {
                    rfd::FileDialog::new()
                        .set_title("IDX label file (…-labels-idx1-ubyte)")
                        .pick_file()
                });
                images.into_iter().chain(labels).collect::<Vec<_>>()
            }),
            PanelAction::ExportGrid => self.dialogs.open(action, || {
                one(rfd::FileDialog::new()
                    .add_filter("PNG", &["png"])
                    .set_file_name("vae-grid.png")
                    .save_file())
            }),
        }
    }
}

impl VaePanel {
    /// Acts on a file dialog's answer, once the person gave it.
    pub(super) fn poll_dialogs(&mut self) {
        let Some((asked, mut paths)) = self.dialogs.answer() else {
            return;
        };
        match (asked, paths.len()) {
            (PanelAction::Save, _) => self.send(VaeCommand::Save(paths.swap_remove(0))),
            (PanelAction::Load, _) => self.start(Some(paths.swap_remove(0))),
            (PanelAction::PickFolder, _) => self.data = DataChoice::Folder(paths.swap_remove(0)),
            (PanelAction::PickIdx, 2) => {
                let labels = paths.swap_remove(1);
                let images = paths.swap_remove(0);
                self.data = DataChoice::Idx { images, labels };
            }
            (PanelAction::ExportGrid, _) => self.send(VaeCommand::ExportGrid {
                path: paths.swap_remove(0),
                n: 30,
                range: self.grid_range,
            }),
            _ => {}
        }
    }
}
