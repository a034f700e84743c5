//! The DeepDream tab's views: octave progress, the image with a before/after
//! split, and the loss per step with octave boundaries.

use egui_plot::{Legend, Line, Plot, PlotPoints, VLine};

use super::{DreamPanel, Phase};

impl DreamPanel {
    pub(super) fn progress_ui(&self, ui: &mut egui::Ui) {
        match &self.phase {
            Phase::Idle => {
                ui.label("Press Start to let InceptionV3 dream into the picture (the book's settings), or slide the layers first.");
            }
            Phase::Failed(text) => {
                ui.colored_label(ui.visuals().error_fg_color, text);
            }
            Phase::Running | Phase::Done => {
                ui.horizontal(|ui| {
                    let count = self.plan.len().max(1);
                    let shape = self.plan.get(self.octave).copied().unwrap_or_default();
                    let text = match self.zoom_frame {
                        Some((frame, of)) => {
                            format!("zoom frame {frame}/{of} · step {}/{}", self.step, self.of)
                        }
                        None => format!(
                            "octave {}/{count} · {}×{} · step {}/{}",
                            self.octave + 1,
                            shape[1],
                            shape[0],
                            self.step,
                            self.of
                        ),
                    };
                    #[expect(clippy::cast_precision_loss, reason = "a progress fraction")]
                    let fraction = if self.phase == Phase::Done {
                        1.0
                    } else {
                        (self.octave as f32 + self.step as f32 / self.of.max(1) as f32)
                            / count as f32
                    };
                    ui.add(
                        egui::ProgressBar::new(fraction)
                            .desired_width(320.0)
                            .text(text),
                    );
                    if self.secs_per_step > 0.0 {
                        ui.label(format!("{:.1} steps/s", 1.0 / self.secs_per_step));
                    }
                    if self
                        .job
                        .as_ref()
                        .is_some_and(crate::job::JobHandle::is_paused)
                    {
                        ui.strong("paused");
                    }
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
            if self.phase == Phase::Running {
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
