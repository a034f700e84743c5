//! The style tab's views: progress with rate and ETA, the live combination
//! image (or the photo, for before/after), and the loss plot on a log axis.

use egui_plot::{Legend, Line, Plot, PlotPoints};

use super::StylePanel;
use crate::techniques::style::job::StepLoss;
use crate::ui::job_state::progress_bar_ui;

impl StylePanel {
    pub(super) fn progress_ui(&self, ui: &mut egui::Ui) {
        if self.job.is_done() {
            ui.horizontal(|ui| progress_bar_ui(ui, &self.progress(), 1.0));
        } else {
            self.job.status_ui(
                ui,
                "Press Start to paint the photo in the painting's style. Drop your own images on the zones at the left.",
            );
        }
        if self.job.handle().is_none() {
            return;
        }
        ui.label(&self.status);
        if let Some(scale) = &self.scale {
            ui.horizontal(|ui| {
                ui.weak(format!(
                    "{}×{} px, scale {}/{}, learning rate {:.3}",
                    scale.width,
                    scale.height,
                    scale.index + 1,
                    scale.count,
                    scale.learning_rate
                ));
                if let Some(note) = &scale.note {
                    ui.weak(format!("· {note}"));
                }
            });
        }
    }

    pub(super) fn result_ui(&self, ui: &mut egui::Ui) {
        let texture = if self.show_before {
            self.content.thumbnail_texture()
        } else {
            self.result.as_ref()
        };
        let caption = if self.show_before {
            "content photo (before)".to_owned()
        } else {
            format!("combination image · iteration {}", self.result_iteration)
        };
        ui.label(caption);
        match texture {
            Some(texture) => {
                let side = ui
                    .available_width()
                    .min(ui.available_height())
                    .clamp(64.0, 640.0);
                let [w, h] = texture.size_vec2().into();
                let scale = side / w.max(h).max(1.0);
                ui.add(
                    egui::Image::new(texture).fit_to_exact_size(egui::vec2(w * scale, h * scale)),
                );
            }
            None if self.job.is_running() => {
                ui.spinner();
            }
            None => {
                ui.weak("The combination image appears here while it is optimised.");
            }
        }
    }

    pub(super) fn loss_plot_ui(&self, ui: &mut egui::Ui) {
        ui.label("loss (log₁₀, weighted terms as the book prints them)");
        if self.losses.is_empty() {
            ui.weak("The total loss and each weighted term appear here, per iteration.");
            return;
        }
        let series = |pick: fn(&StepLoss) -> f32| -> PlotPoints<'static> {
            #[expect(clippy::cast_precision_loss, reason = "plot coordinates")]
            let points = self
                .losses
                .iter()
                .filter(|l| pick(l) > 0.0)
                .map(|l| [l.iteration as f64, f64::from(pick(l)).log10()])
                .collect();
            PlotPoints::new(points)
        };
        Plot::new("style-loss")
            .legend(Legend::default())
            .height(ui.available_height().min(420.0))
            .y_axis_formatter(|mark, _| {
                // Only whole powers of ten get a label on the log axis.
                let power = mark.value.round();
                if (mark.value - power).abs() < 1e-6 {
                    format!("1e{power:.0}")
                } else {
                    String::new()
                }
            })
            .x_axis_label("iteration")
            .show(ui, |plot| {
                plot.line(Line::new("total", series(|l| l.total)).width(2.0));
                plot.line(Line::new("content", series(|l| l.content)).width(1.0));
                plot.line(Line::new("style", series(|l| l.style)).width(1.0));
                plot.line(Line::new("variation", series(|l| l.total_variation)).width(1.0));
            });
    }
}

/// Seconds as "1 h 02 min", "3 min 20 s" or "12 s".
pub(super) fn duration(secs: f32) -> String {
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "display"
    )]
    let secs = secs.max(0.0).round() as u64;
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 => format!("{} min {:02} s", secs / 60, secs % 60),
        _ => format!("{} h {:02} min", secs / 3600, secs % 3600 / 60),
    }
}
