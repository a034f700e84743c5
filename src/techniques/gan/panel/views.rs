//! The GAN tab's controls and views.

use egui_plot::{Legend, Line, Plot, PlotPoints};

use super::{DataChoice, GanAction, GanPanel};
use crate::techniques::gan::job::{GanCommand, GanSettings, StepLoss};
use crate::techniques::gan::model::GanConfig;
use crate::ui::dialog::one;
use crate::ui::job_state::progress_bar_ui;
use crate::ui::{RunButton, run_buttons_ui};

impl GanPanel {
    /// The run buttons; what they ask for is applied after the layout.
    pub(super) fn controls_ui(&mut self, ui: &mut egui::Ui) -> GanAction {
        let busy = self.job.is_running();
        let mut action = GanAction::None;
        ui.horizontal(|ui| {
            if ui.add_enabled(!busy, egui::Button::new("Train")).clicked() {
                action = GanAction::Train;
            }
            if let Some(job) = self.job.handle()
                && busy
            {
                match run_buttons_ui(ui, job, Some("Stop training and keep the models")) {
                    RunButton::Stop => action = GanAction::Stop,
                    RunButton::Cancel => action = GanAction::Cancel,
                    RunButton::None => {}
                }
            }
            if ui
                .add_enabled(!busy, egui::Button::new("Quick (CPU)"))
                .on_hover_text(
                    "32×32 face emoji, 64 channels, Adam β₁ 0.5, mirrored images, the generator's moving average: faces within minutes on a CPU",
                )
                .clicked()
            {
                action = GanAction::Quick;
            }
            if ui
                .add_enabled(!busy, egui::Button::new("Book"))
                .on_hover_text("The book's model (64×64, 128–512 channels) and settings")
                .clicked()
            {
                action = GanAction::Book;
            }
            if ui
                .add_enabled(!busy, egui::Button::new("Small model"))
                .on_hover_text("Same layers, fewer channels: epochs in seconds on a CPU")
                .clicked()
            {
                action = GanAction::SmallModel;
            }
            let trained = self.job.is_done() || self.job.is_running() && self.data_loaded;
            if ui
                .add_enabled(trained, egui::Button::new("Save checkpoint…"))
                .clicked()
            {
                action = GanAction::Save;
            }
            if ui
                .add_enabled(!busy, egui::Button::new("Resume checkpoint…"))
                .on_hover_text("Load a checkpoint and train it for the set number of epochs more")
                .clicked()
            {
                action = GanAction::Resume;
            }
            if ui
                .add_enabled(
                    !self.timeline.is_empty(),
                    egui::Button::new("Export timeline GIF…"),
                )
                .clicked()
            {
                action = GanAction::ExportGif;
            }
            if let Some(notice) = &self.notice {
                notice.ui(ui);
            }
        });
        if let Some(data) = self.data_ui(ui) {
            action = data;
        }
        action
    }

    /// Carries out what a button asked for (dialogs open here, after the layout).
    pub(super) fn apply_action(&mut self, action: GanAction) {
        match action {
            GanAction::None => {}
            GanAction::Train => self.start(None),
            GanAction::Stop => self.send(GanCommand::StopTraining),
            GanAction::Cancel => {
                if let Some(job) = self.job.handle() {
                    job.cancel();
                }
            }
            GanAction::Book => {
                self.config = GanConfig::book();
                self.settings = super::book_settings();
            }
            GanAction::SmallModel => self.config = GanConfig::small(),
            GanAction::Save => self.dialogs.open(action, || {
                one(rfd::FileDialog::new()
                    .set_title("Folder for the checkpoint")
                    .pick_folder())
            }),
            GanAction::Resume => self.dialogs.open(action, || {
                one(rfd::FileDialog::new()
                    .set_title("A GAN checkpoint folder")
                    .pick_folder())
            }),
            GanAction::ExportGif => self.dialogs.open(action, || {
                one(rfd::FileDialog::new()
                    .add_filter("GIF", &["gif"])
                    .set_file_name("gan-timeline.gif")
                    .save_file())
            }),
            GanAction::ExportGrid => self.dialogs.open(action, || {
                one(rfd::FileDialog::new()
                    .add_filter("PNG", &["png"])
                    .set_file_name("gan-samples.png")
                    .save_file())
            }),
            GanAction::ExportWalk => self.dialogs.open(action, || {
                one(rfd::FileDialog::new()
                    .add_filter("GIF", &["gif"])
                    .set_file_name("gan-walk.gif")
                    .save_file())
            }),
            GanAction::Quick => {
                self.config = GanConfig::quick();
                self.settings = GanSettings::quick();
                self.data = DataChoice::Faces;
            }
            GanAction::Walk => self.send(GanCommand::Walk {
                from: self.walk_ends.0,
                to: self.walk_ends.1,
                steps: 8,
            }),
            GanAction::PickFolder => self.dialogs.open(action, || {
                one(rfd::FileDialog::new()
                    .set_title("A folder of images (CelebA works)")
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
            GanAction::Save => self.send(GanCommand::Save(path)),
            GanAction::Resume => self.start(Some(path)),
            GanAction::ExportGif => self.export_gif(path),
            GanAction::ExportGrid => self.send(GanCommand::ExportGrid(path)),
            GanAction::ExportWalk => self.send(GanCommand::ExportWalk {
                from: self.walk_ends.0,
                to: self.walk_ends.1,
                frames: 24,
                path,
            }),
            GanAction::PickFolder => self.data = DataChoice::Folder(path),
            _ => {}
        }
    }

    fn data_ui(&mut self, ui: &mut egui::Ui) -> Option<GanAction> {
        let mut action = None;
        ui.horizontal(|ui| {
            ui.label("Data:");
            ui.selectable_value(&mut self.data, DataChoice::Faces, "emoji faces")
                .on_hover_text("970 face emoji: smileys, cat and monkey faces, people's heads");
            ui.selectable_value(&mut self.data, DataChoice::People, "smileys & people")
                .on_hover_text("2 430 emoji: mostly whole people, families and hands");
            ui.selectable_value(&mut self.data, DataChoice::AllEmoji, "all emoji");
            if ui.button("image folder…").clicked() {
                action = Some(GanAction::PickFolder);
            }
            if let DataChoice::Folder(dir) = &self.data {
                ui.weak(dir.display().to_string());
            }
            ui.add(
                egui::DragValue::new(&mut self.settings.epochs)
                    .range(1..=10_000)
                    .prefix("epochs "),
            )
            .on_hover_text(GanSettings::DOCS.epochs);
            ui.add(
                egui::DragValue::new(&mut self.settings.batch_size)
                    .range(1..=512)
                    .prefix("batch "),
            )
            .on_hover_text(GanSettings::DOCS.batch_size);
            ui.add(
                egui::DragValue::new(&mut self.settings.fid_samples)
                    .range(0..=1000)
                    .prefix("FID images "),
            )
            .on_hover_text(GanSettings::DOCS.fid_samples);
            ui.weak(format!(
                "model: D {:?} · G {:?} · latent {}",
                self.config.d_channels, self.config.g_channels, self.config.latent_dim
            ));
            if let Some(loaded) = &self.loaded {
                ui.weak(loaded);
            }
        });
        action
    }

    pub(super) fn progress_ui(&self, ui: &mut egui::Ui) {
        if self.job.is_done() {
            ui.horizontal(|ui| {
                progress_bar_ui(ui, &self.progress(), 1.0);
                ui.label("trained");
            });
        } else {
            self.job.status_ui(
                ui,
                "Press Train: the generator learns from the emoji faces while the grid shows its images for 16 fixed latent points.",
            );
        }
        if self.job.handle().is_some()
            && let Some(warning) = &self.warning
        {
            ui.colored_label(ui.visuals().warn_fg_color, warning);
        }
    }

    pub(super) fn loss_plot_ui(&self, ui: &mut egui::Ui) {
        ui.label("losses (thin: per step, thick: epoch means)");
        let series = |data: &[StepLoss], pick: fn(&StepLoss) -> f32| -> PlotPoints<'static> {
            data.iter()
                .map(|l| [f64::from(l.at_epoch), f64::from(pick(l))])
                .collect()
        };
        Plot::new("gan-loss")
            .legend(Legend::default())
            .height(220.0)
            .x_axis_label("epoch")
            .show(ui, |plot| {
                plot.line(Line::new("d_loss", series(&self.losses, |l| l.d_loss)).width(1.0));
                plot.line(Line::new("g_loss", series(&self.losses, |l| l.g_loss)).width(1.0));
                plot.line(
                    Line::new("d_loss (epoch)", series(&self.epoch_means, |l| l.d_loss)).width(3.0),
                );
                plot.line(
                    Line::new("g_loss (epoch)", series(&self.epoch_means, |l| l.g_loss)).width(3.0),
                );
            });
    }

    /// FID (lower is closer to the data) and the samples' diversity (% of
    /// real images'; below 50 % they start to look alike) per measured epoch.
    pub(super) fn fid_plot_ui(&self, ui: &mut egui::Ui) {
        if self.fid.is_empty() {
            return;
        }
        let latest = self.diversity.last().map_or(0.0, |d| d[1]);
        ui.label(format!(
            "FID ({} images at 139 px; lower is better) · diversity {latest:.0} % of real images'",
            self.settings.fid_samples
        ));
        ui.columns(2, |columns| {
            Plot::new("gan-fid")
                .height(110.0)
                .x_axis_label("epoch")
                .show(&mut columns[0], |plot| {
                    plot.line(Line::new("FID", PlotPoints::new(self.fid.clone())).width(2.0));
                });
            Plot::new("gan-diversity")
                .height(110.0)
                .x_axis_label("epoch")
                .include_y(0.0)
                .include_y(100.0)
                .show(&mut columns[1], |plot| {
                    plot.line(
                        Line::new("diversity %", PlotPoints::new(self.diversity.clone()))
                            .width(2.0),
                    );
                    plot.hline(egui_plot::HLine::new("50 %", 50.0));
                });
        });
    }

    /// Learning rates, dropout and label noise: they act on the running job.
    pub(super) fn sliders_ui(&mut self, ui: &mut egui::Ui) {
        ui.strong("Live settings");
        let docs = GanSettings::DOCS;
        for (value, text, doc) in [
            (
                &mut self.settings.d_learning_rate,
                "discriminator lr",
                docs.d_learning_rate,
            ),
            (
                &mut self.settings.g_learning_rate,
                "generator lr",
                docs.g_learning_rate,
            ),
        ] {
            ui.add(
                egui::Slider::new(value, 1e-6..=1e-2)
                    .logarithmic(true)
                    .custom_formatter(|v, _| format!("{v:.1e}"))
                    .text(text),
            )
            .on_hover_text(doc);
        }
        ui.add(egui::Slider::new(&mut self.config.dropout, 0.0..=0.8).text("dropout"))
            .on_hover_text(GanConfig::DOCS.dropout);
        ui.add(egui::Slider::new(&mut self.settings.label_noise, 0.0..=0.3).text("label noise"))
            .on_hover_text(docs.label_noise);
        self.options_ui(ui);
        if let Some(preview) = &self.preview {
            ui.label("training images (first 16)");
            ui.add(egui::Image::new(preview).fit_to_exact_size(egui::vec2(160.0, 160.0)));
        }
    }

    /// Options beyond the book (each off in Book), taken when training starts.
    fn options_ui(&mut self, ui: &mut egui::Ui) {
        let idle = !self.job.is_running();
        ui.add_enabled_ui(idle, |ui| {
            ui.strong("Beyond the book (at Train)");
            let docs = GanSettings::DOCS;
            ui.checkbox(&mut self.settings.flip, "mirror images")
                .on_hover_text(docs.flip);
            let mut average = self.settings.ema > 0.0;
            if ui
                .checkbox(&mut average, "moving-average generator")
                .on_hover_text(docs.ema)
                .changed()
            {
                self.settings.ema = if average { 0.999 } else { 0.0 };
            }
            let mut paper = self.settings.beta_1 < 0.9;
            if ui
                .checkbox(&mut paper, "Adam β₁ 0.5 (DCGAN paper)")
                .on_hover_text(docs.beta_1)
                .changed()
            {
                self.settings.beta_1 = if paper { 0.5 } else { 0.9 };
            }
            ui.checkbox(&mut self.config.spectral_norm, "spectral norm (D)")
                .on_hover_text(GanConfig::DOCS.spectral_norm);
            ui.checkbox(&mut self.config.minibatch_std, "minibatch std (D)")
                .on_hover_text(GanConfig::DOCS.minibatch_std);
        });
    }
}
