//! The text tab's views: progress, the loss plot, the per-epoch samples, and
//! the playground (prompt, sampling, streamed text, next-token bars).

use egui_plot::{Legend, Line, Plot, PlotPoints};

use super::TextPanel;
use super::controls::PanelAction;
use crate::techniques::text::job::Sampling;
use crate::ui::job_state::{Progress, progress_bar_ui};

impl TextPanel {
    pub(super) fn progress_ui(&self, ui: &mut egui::Ui) {
        if self.job.is_done() {
            ui.horizontal(|ui| {
                let done = Progress {
                    text: format!("epoch {}/{}", self.epoch, self.config.epochs),
                    ..Progress::default()
                };
                progress_bar_ui(ui, &done, 1.0);
                ui.label("trained: generate on the right");
            });
        } else {
            self.job.status_ui(
                ui,
                "Press Train to fit the model on the corpus (the Transformer at the book's size is slow on a CPU: shrink it above), or load a saved model.",
            );
        }
    }

    pub(super) fn loss_plot_ui(&self, ui: &mut egui::Ui) {
        ui.label("loss per batch (sparse categorical cross-entropy; ln(vocabulary) = chance)");
        let points: PlotPoints<'static> = self
            .losses
            .iter()
            .map(|l| [f64::from(l.at_epoch), f64::from(l.loss)])
            .collect();
        let means: PlotPoints<'static> = self
            .history
            .iter()
            .map(|h| {
                #[expect(clippy::cast_precision_loss, reason = "epoch numbers")]
                let x = h.epoch as f64;
                [x, f64::from(h.loss)]
            })
            .collect();
        Plot::new("text-loss")
            .legend(Legend::default())
            .height(200.0)
            .x_axis_label("epoch")
            .show(ui, |plot| {
                plot.line(Line::new("batch", points).width(1.0));
                plot.line(Line::new("epoch mean", means).width(3.0));
            });
    }

    /// The book's callback output, one column per temperature, for any past epoch.
    pub(super) fn samples_ui(&mut self, ui: &mut egui::Ui) {
        if self.history.is_empty() {
            ui.weak("After each epoch, samples at each temperature appear here.");
            return;
        }
        let last = self.history.len() - 1;
        let mut index = self.shown_epoch.unwrap_or(last).min(last);
        ui.horizontal(|ui| {
            ui.label("samples after epoch");
            if ui
                .add(
                    egui::Slider::new(&mut index, 0..=last)
                        .custom_formatter(|v, _| format!("{}", v + 1.0)),
                )
                .changed()
            {
                self.shown_epoch = (index != last).then_some(index);
            }
        });
        let entry = &self.history[index];
        egui::ScrollArea::vertical()
            .id_salt("text-samples")
            .show(ui, |ui| {
                for sample in &entry.samples {
                    ui.horizontal(|ui| {
                        ui.strong(format!("T = {}", sample.temperature));
                        ui.weak(format!(
                            "{:.0}% trigrams repeated",
                            sample.repetition * 100.0
                        ));
                    });
                    ui.label(&sample.text);
                    ui.add_space(6.0);
                }
            });
    }

    /// Prompt, sampling controls, the streamed text and the next-token bars.
    pub(super) fn playground_ui(&mut self, ui: &mut egui::Ui) -> Option<PanelAction> {
        let mut action = None;
        let ready = self.job.is_done();
        let play = &mut self.playground;
        ui.strong("Generate");
        ui.add(egui::TextEdit::singleline(&mut play.prompt).hint_text("a prompt, e.g. this movie"));
        let docs = Sampling::DOCS;
        ui.add(egui::Slider::new(&mut play.sampling.temperature, 0.0..=2.0).text("temperature"))
            .on_hover_text(docs.temperature);
        ui.horizontal(|ui| {
            ui.add(
                egui::DragValue::new(&mut play.sampling.top_k)
                    .range(0..=1000)
                    .prefix("top-k "),
            )
            .on_hover_text(docs.top_k);
            ui.add(
                egui::DragValue::new(&mut play.sampling.top_p)
                    .range(0.05..=1.0)
                    .speed(0.01)
                    .prefix("top-p "),
            )
            .on_hover_text(docs.top_p);
            ui.add(
                egui::DragValue::new(&mut play.length)
                    .range(1..=2000)
                    .prefix("length "),
            );
            ui.add(egui::DragValue::new(&mut play.seed).prefix("seed "));
        });
        ui.horizontal(|ui| {
            if play.generating.is_some() {
                if ui.button("Stop").clicked() {
                    action = Some(PanelAction::StopGenerating);
                }
                ui.spinner();
            } else if ui
                .add_enabled(ready, egui::Button::new("Generate"))
                .clicked()
            {
                action = Some(PanelAction::Generate);
            }
            if let (Some(rate), Some(rep)) = (play.rate, play.repetition) {
                ui.weak(format!(
                    "{rate:.0} tokens/s · {:.0}% trigrams repeated",
                    rep * 100.0
                ));
            }
        });
        if let Some(reason) = &play.refusal {
            ui.colored_label(ui.visuals().warn_fg_color, reason);
        }
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.set_min_height(120.0);
            ui.set_width(ui.available_width());
            ui.label(&play.output);
        });
        ui.separator();
        ui.label(
            "next token: probability before (grey) and after (colour) temperature, top-k, top-p",
        );
        next_token_bars_ui(ui, &play.candidates);
        action
    }
}

fn next_token_bars_ui(ui: &mut egui::Ui, candidates: &[crate::techniques::text::job::Candidate]) {
    let top = candidates
        .iter()
        .map(|c| c.before.max(c.after))
        .fold(0.0f32, f32::max)
        .max(1e-6);
    let label_width = 110.0;
    for c in candidates {
        let (rect, _) =
            ui.allocate_exact_size(egui::vec2(ui.available_width(), 18.0), egui::Sense::hover());
        let painter = ui.painter_at(rect);
        painter.text(
            rect.left_center(),
            egui::Align2::LEFT_CENTER,
            &c.token,
            egui::FontId::monospace(12.0),
            ui.visuals().text_color(),
        );
        let bar_left = rect.left() + label_width;
        let width = (rect.right() - bar_left - 60.0).max(10.0);
        let before = egui::Rect::from_min_size(
            egui::pos2(bar_left, rect.top() + 2.0),
            egui::vec2(width * c.before / top, 6.0),
        );
        let after = egui::Rect::from_min_size(
            egui::pos2(bar_left, rect.top() + 9.0),
            egui::vec2(width * c.after / top, 7.0),
        );
        painter.rect_filled(before, 1.0, egui::Color32::from_gray(120));
        painter.rect_filled(after, 1.0, ui.visuals().selection.bg_fill);
        painter.text(
            egui::pos2(rect.right(), rect.center().y),
            egui::Align2::RIGHT_CENTER,
            format!("{:.1}%", c.after * 100.0),
            egui::FontId::monospace(11.0),
            ui.visuals().weak_text_color(),
        );
    }
}
