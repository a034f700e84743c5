//! The Tuner tab's layout.

use tuner::TrialState;

use super::TunerPanel;
use crate::techniques::tuner::job::TuneSettings;
use crate::ui::panel::reset_button_ui;

impl TunerPanel {
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        egui::ScrollArea::vertical().auto_shrink([false; 2]).show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.heading("Tuner");
                ui.label(self.settings.kind.title());
                if ui.button("Quick (CPU)").on_hover_text("One execution a trial, a few minutes a study here: mnist 12 trials of 20 epochs on 5 000 digits, vae 12 of 5, gan 10 of 10 epochs, text 12 of 3 epochs on 500 snippets").clicked() {
                    self.settings = TuneSettings::quick_for(self.settings.kind);
                }
                if reset_button_ui(ui) {
                    self.settings = TuneSettings::book();
                }
            });
            let idle = !self.job.is_running();
            ui.add_enabled_ui(idle, |ui| self.settings_ui(ui));
            self.controls_ui(ui);
            self.job.status_ui(ui, "Start a study: each trial trains the note's classifier on MNIST and reports its val_accuracy.");
            if let Some(notice) = &self.notice {
                ui.label(notice);
            }
            ui.separator();
            ui.columns(2, |columns| {
                self.trials_ui(&mut columns[0]);
                self.rerun_ui(&mut columns[0]);
                self.objective_plot_ui(&mut columns[0]);
                self.parallel_ui(&mut columns[0]);
                self.importance_ui(&mut columns[0]);
                self.curves_plot_ui(&mut columns[1]);
                self.oracle_ui(&mut columns[1]);
            });
            if let Some(summary) = &self.summary {
                ui.separator();
                ui.label(egui::RichText::new(summary).monospace());
            }
        });
    }

    fn controls_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            let running = self.job.is_running();
            if ui
                .add_enabled(!running, egui::Button::new("Start"))
                .clicked()
            {
                self.start_now();
            }
            let paused = self
                .job
                .handle()
                .is_some_and(crate::job::JobHandle::is_paused);
            if running
                && !paused
                && ui.button("Pause").clicked()
                && let Some(handle) = self.job.handle()
            {
                handle.pause();
            }
            if running
                && paused
                && ui.button("Resume").clicked()
                && let Some(handle) = self.job.handle()
            {
                handle.resume();
            }
            if ui
                .add_enabled(running, egui::Button::new("Stop"))
                .on_hover_text("Finish the running trial, then stop")
                .clicked()
            {
                self.stop();
            }
            if ui
                .add_enabled(running, egui::Button::new("Cancel"))
                .on_hover_text(
                    "Stop now; the running trial is lost (the study's folder keeps the others)",
                )
                .clicked()
                && let Some(handle) = self.job.handle()
            {
                handle.cancel();
            }
            if ui
                .add_enabled(self.dir.is_some(), egui::Button::new("Export CSV"))
                .clicked()
            {
                self.export_csv();
            }
            match &self.exported {
                Some(Ok(path)) => {
                    ui.label(format!("wrote {}", path.display()));
                }
                Some(Err(error)) => {
                    ui.colored_label(ui.visuals().error_fg_color, error);
                }
                None => {}
            }
        });
        if let Some(dir) = &self.dir {
            ui.small(format!("study folder: {}", dir.display()));
        }
    }

    /// Below the table: re-run the selected trial, and what came of it.
    fn rerun_ui(&mut self, ui: &mut egui::Ui) {
        let selected = self.selected.filter(|id| {
            self.trials
                .get(*id)
                .is_some_and(|t| t.state == TrialState::Completed)
        });
        ui.horizontal(|ui| {
            let idle = self.rerun.is_none() && !self.job.is_running();
            let label = selected.map_or_else(|| "Re-run trial".to_owned(), |id| format!("Re-run trial {id}"));
            if ui
                .add_enabled(idle && selected.is_some(), egui::Button::new(label))
                .on_hover_text("Train the selected trial again from its recorded seed and compare its curve with the journal's")
                .clicked()
                && let Some(id) = selected
            {
                self.rerun_now(id);
            }
            if self.rerun.is_some() {
                ui.spinner();
            }
            match &self.rerun_result {
                Some(Ok(rerun)) => match rerun.largest_difference() {
                    Some(d) if d <= 0.0 => {
                        ui.label(format!("trial {}: the same curve, epoch for epoch", rerun.trial));
                    }
                    Some(d) => {
                        ui.colored_label(
                            ui.visuals().warn_fg_color,
                            format!("trial {}: differs by up to {d:.2e}", rerun.trial),
                        );
                    }
                    None => {
                        ui.label(format!("trial {}: the re-run stopped earlier", rerun.trial));
                    }
                },
                Some(Err(error)) => {
                    ui.colored_label(ui.visuals().error_fg_color, error);
                }
                None => {}
            }
        });
    }
}
