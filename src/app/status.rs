//! The status bar: the compute device, assets, autosave and frame times.

use super::StudioApp;

impl StudioApp {
    pub(super) fn status_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            let label = ui.label(format!("Compute: {}", self.backend.label()));
            label.on_hover_text(&self.backend.reason);
            if self.backend.software_compute {
                ui.colored_label(ui.visuals().warn_fg_color, "software adapter: slow")
                    .on_hover_text(&self.backend.reason);
            }
            if self.backend.fell_back {
                ui.colored_label(ui.visuals().warn_fg_color, "no GPU for compute")
                    .on_hover_text(&self.backend.reason);
            }
            if !self.redraw_every.is_zero() {
                ui.weak("software renderer: redraws ≤ 2/s while jobs run").on_hover_text(
                    "The window is drawn on the CPU (no GPU driver), on the cores compute needs: \
                     news from running jobs redraws it at most twice a second.",
                );
            }
            ui.separator();
            self.assets.status_ui(ui);
            if crate::job::autosave::root().is_some() {
                ui.separator();
                self.autosave_ui(ui);
            }
            if self.show_stats {
                ui.separator();
                self.stats.ui(ui);
            }
        });
    }

    /// The minutes between two autosaves inside an epoch.
    fn autosave_ui(&mut self, ui: &mut egui::Ui) {
        let mut minutes = self
            .settings
            .autosave_minutes
            .unwrap_or(crate::job::autosave::DEFAULT_MINUTES);
        ui.label("Autosave every");
        let changed = ui
            .add(
                egui::DragValue::new(&mut minutes)
                    .range(0.0..=120.0)
                    .speed(0.5)
                    .suffix(" min"),
            )
            .on_hover_text(
                "Training (VAE, GAN, text) saves itself into the cache at each epoch end and this often within an epoch; after a crash the studio offers to resume. Acts on runs started from now on.",
            )
            .changed();
        if changed {
            self.settings.autosave_minutes = Some(minutes);
            crate::job::autosave::set_minutes(minutes);
        }
    }
}
