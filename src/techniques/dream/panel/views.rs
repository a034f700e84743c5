//! The DeepDream tab's views: octave progress, the image with a before/after
//! split, and the loss per step with octave boundaries.

use egui_plot::{Legend, Line, Plot, PlotPoints, VLine};

use super::DreamPanel;
use crate::ui::job_state::progress_bar_ui;

impl DreamPanel {
    pub(super) fn progress_ui(&self, ui: &mut egui::Ui) {
        if self.job.is_done() {
            ui.horizontal(|ui| progress_bar_ui(ui, &self.progress(), 1.0));
        } else {
            self.job.status_ui(
                ui,
                "Press Start to let InceptionV3 dream into the picture (the book's settings), or slide the layers first.",
            );
        }
        if self.job.handle().is_none() {
            return;
        }
        ui.horizontal(|ui| {
            if self.early_stops > 0 {
                ui.label(format!(
                    "{} octave(s) stopped at max loss",
                    self.early_stops
                ));
            }
            ui.label(&self.status);
        });
        if let Some(note) = &self.plan_note {
            ui.weak(note);
        }
    }

    /// The dream, with the original showing through left of the split.
    pub(super) fn result_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            ui.label("before");
            ui.add(egui::Slider::new(&mut self.split, 0.0..=1.0).show_value(false));
            ui.label("after");
        });
        let Some(result) = &self.result else {
            if self.job.is_running() {
                ui.spinner();
            } else {
                ui.weak("The dream appears here, step by step.");
            }
            return;
        };
        let [w, h]: [f32; 2] = result.size_vec2().into();
        let side = ui
            .available_width()
            .min(ui.available_height())
            .clamp(64.0, 720.0);
        let scale = side / w.max(h).max(1.0);
        let (rect, _) =
            ui.allocate_exact_size(egui::vec2(w * scale, h * scale), egui::Sense::hover());
        let painter = ui.painter_at(rect);
        let full = egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0));
        painter.image(result.id(), rect, full, egui::Color32::WHITE);
        if let Some(original) = &self.original
            && self.split > 0.0
        {
            let cut = rect.left() + rect.width() * self.split;
            let left = egui::Rect::from_min_max(rect.min, egui::pos2(cut, rect.bottom()));
            let uv = egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(self.split, 1.0));
            painter.image(original.id(), left, uv, egui::Color32::WHITE);
            painter.vline(
                cut,
                rect.y_range(),
                egui::Stroke::new(2.0, egui::Color32::WHITE),
            );
        }
    }

    pub(super) fn loss_plot_ui(&self, ui: &mut egui::Ui) {
        ui.label("loss per step (dashed: octave starts)");
        #[expect(clippy::cast_precision_loss, reason = "plot coordinates")]
        let points: PlotPoints<'static> = self
            .losses
            .iter()
            .map(|l| [l.index as f64, f64::from(l.loss)])
            .collect();
        Plot::new("dream-loss")
            .legend(Legend::default())
            .height(ui.available_height().min(420.0))
            .x_axis_label("step")
            .show(ui, |plot| {
                plot.line(Line::new("loss", points).width(2.0));
                for (octave, &start) in self.octave_starts.iter().enumerate() {
                    #[expect(clippy::cast_precision_loss, reason = "plot coordinates")]
                    plot.vline(
                        VLine::new(format!("octave {}", octave + 1), start as f64 + 0.5)
                            .style(egui_plot::LineStyle::dashed_loose()),
                    );
                }
                if let Some(max) = self.settings.max_loss {
                    plot.hline(egui_plot::HLine::new("max loss", f64::from(max)));
                }
            });
    }
}
