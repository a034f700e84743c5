//! The VAE tab's three views: the loss plot, the decoded grid and the latent
//! map (click or drag to decode). egui only.

use std::time::Duration;

use egui_plot::{Legend, Line, Plot, PlotPoints, Points};

use super::super::job::{BatchLoss, VaeCommand};
use super::{CLASS_COLORS, DataChoice, PanelAction, VaePanel};
use crate::ui::job_state::{JobState, Progress, progress_bar_ui};

impl VaePanel {
    /// The data row: what the next Train uses, pickers, and the last loading error.
    pub(super) fn data_ui(&self, ui: &mut egui::Ui) -> Option<PanelAction> {
        let mut action = None;
        ui.horizontal(|ui| {
            let label = match (&self.data, self.limit) {
                (DataChoice::Mnist, Some(limit)) => format!("MNIST (first {limit} digits)"),
                (choice, _) => choice.label(),
            };
            ui.label(format!("Data: {label}"));
            if self.data != DataChoice::Mnist && ui.button("MNIST").clicked() {
                action = Some(PanelAction::UseMnist);
            }
            if ui.button("Image folder…").clicked() {
                action = Some(PanelAction::PickFolder);
            }
            if ui.button("IDX pair…").clicked() {
                action = Some(PanelAction::PickIdx);
            }
            if self.is_loading() {
                ui.spinner();
                ui.label("loading…");
            }
            if let Some(error) = &self.data_error {
                ui.colored_label(ui.visuals().error_fg_color, error)
                    .on_hover_text("The previous model and data are still loaded.");
            }
        });
        action
    }

    pub(super) fn progress_ui(&self, ui: &mut egui::Ui) {
        let idle = "Press Train to fit the book's VAE on the 70 000 MNIST digits (Book preset), or load a saved model.";
        ui.horizontal(|ui| {
            match &self.job {
                JobState::Done { .. } if self.epochs == 0 => {
                    ui.label("loaded model");
                }
                JobState::Done { .. } => {
                    let done = Progress {
                        text: format!("epoch {}/{}", self.epoch, self.epochs),
                        ..Progress::default()
                    };
                    progress_bar_ui(ui, &done, 1.0);
                }
                state => state.status_ui(ui, idle),
            }
            if self.job.handle().is_some()
                && let Some(last) = self.epoch_means.last()
            {
                ui.monospace(format!(
                    "total {:.2} · reconstruction {:.2} · KL {:.2}",
                    last.total, last.reconstruction, last.kl
                ));
            }
            if self.job.is_done() {
                ui.label("trained: click or drag on the map");
            }
        });
        if let Some(notice) = &self.notice {
            notice.ui(ui);
        }
    }

    pub(super) fn loss_plot_ui(&self, ui: &mut egui::Ui) {
        ui.label("Loss per batch (thin) and per epoch (thick)");
        let series = |pick: fn(&BatchLoss) -> f32, data: &[BatchLoss]| -> PlotPoints<'static> {
            data.iter()
                .map(|l| [f64::from(l.at_epoch), f64::from(pick(l))])
                .collect()
        };
        Plot::new("vae-loss")
            .legend(Legend::default())
            .height(320.0)
            .show(ui, |plot| {
                plot.line(Line::new("total", series(|l| l.total, &self.losses)).width(1.0));
                plot.line(
                    Line::new("reconstruction", series(|l| l.reconstruction, &self.losses))
                        .width(1.0),
                );
                plot.line(Line::new("KL", series(|l| l.kl, &self.losses)).width(1.0));
                plot.line(
                    Line::new("total (epoch)", series(|l| l.total, &self.epoch_means)).width(3.0),
                );
            });
    }

    pub(super) fn grid_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            ui.label("Decoded 30×30 grid over [−r, r]²");
            let slider = egui::Slider::new(&mut self.grid_range, 0.25..=4.0).text("r");
            let response = ui
                .add(slider)
                .on_hover_text("Half-width of the square of latent space shown (book: 1)");
            if response.changed() {
                self.send(VaeCommand::Grid {
                    n: 30,
                    range: self.grid_range,
                });
            }
        });
        match &self.grid {
            Some(texture) => {
                let side = ui.available_width().min(360.0);
                ui.image((texture.id(), egui::vec2(side, side)));
            }
            None => {
                ui.weak("appears after the first batches");
            }
        }
    }

    pub(super) fn map_ui(&mut self, ui: &mut egui::Ui) {
        ui.label("Latent map: test digits by class; click or drag to decode");
        if self.model_latent != 2 {
            self.slice_ui(ui);
        }
        let (mut clicked, mut anchor): (
            Option<egui_plot::PlotPoint>,
            Option<egui_plot::PlotPoint>,
        ) = (None, None);
        Plot::new("vae-map")
            .data_aspect(1.0)
            .height(260.0)
            .allow_drag(false)
            .show(ui, |plot| {
                for class in 0..10u8 {
                    let points: PlotPoints<'_> = self
                        .scatter
                        .iter()
                        .filter(|p| p.label == class)
                        .map(|p| [f64::from(p.z[0]), f64::from(p.z[1])])
                        .collect();
                    plot.points(
                        Points::new(class.to_string(), points)
                            .color(CLASS_COLORS[usize::from(class)])
                            .radius(1.5),
                    );
                }
                if let Some([x, y]) = self.crosshair {
                    plot.points(
                        Points::new("", vec![[f64::from(x), f64::from(y)]])
                            .radius(6.0)
                            .color(egui::Color32::WHITE),
                    );
                }
                for (marker, color, radius) in [
                    (self.anchor, egui::Color32::YELLOW, 6.0),
                    (self.moved, egui::Color32::LIGHT_RED, 4.0),
                ] {
                    if let Some([x, y]) = marker {
                        let at = vec![[f64::from(x), f64::from(y)]];
                        plot.points(Points::new("", at).radius(radius).color(color));
                    }
                }
                let response = plot.response();
                if response.secondary_clicked() {
                    anchor = plot.pointer_coordinate();
                } else if response.is_pointer_button_down_on() {
                    clicked = plot.pointer_coordinate();
                }
            });
        if let Some(point) = clicked {
            #[expect(
                clippy::cast_possible_truncation,
                reason = "plot coordinates to latent f32"
            )]
            let z = [point.x as f32, point.y as f32];
            if self.crosshair != Some(z) {
                self.crosshair = Some(z);
                self.moved = None;
                self.toward_amount = 0.0;
                self.send(VaeCommand::Decode(z));
            }
        }
        if let Some(point) = anchor {
            #[expect(
                clippy::cast_possible_truncation,
                reason = "plot coordinates to latent f32"
            )]
            let b = [point.x as f32, point.y as f32];
            self.anchor = Some(b);
        }
        ui.horizontal(|ui| {
            for (class, color) in CLASS_COLORS.iter().enumerate() {
                ui.colored_label(*color, class.to_string());
            }
        });
        if let Some(texture) = &self.decoded {
            ui.horizontal(|ui| {
                ui.image((texture.id(), egui::vec2(112.0, 112.0)));
                if let (Some([x, y]), Some(micros)) =
                    (self.moved.or(self.crosshair), self.decode_micros)
                {
                    ui.label(format!(
                        "z = ({x:.2}, {y:.2})\ndecoded in {:.2} ms",
                        Duration::from_micros(micros).as_secs_f64() * 1000.0
                    ));
                }
            });
        }
        self.explore_ui(ui);
    }

    /// Interpolation between A (the crosshair) and B (right-click), and
    /// "move toward class k" along the concept vector to that class's mean code.
    fn explore_ui(&mut self, ui: &mut egui::Ui) {
        ui.separator();
        let (Some(a), Some(b)) = (self.crosshair, self.anchor) else {
            ui.weak("Left-click sets A, right-click sets B: then interpolate between them.");
            return self.concept_ui(ui);
        };
        if ui
            .button(format!(
                "Interpolate A ({:.1}, {:.1}) to B ({:.1}, {:.1})",
                a[0], a[1], b[0], b[1]
            ))
            .clicked()
        {
            self.send(VaeCommand::Interpolate {
                from: a,
                to: b,
                steps: 10,
            });
        }
        if let Some(strip) = &self.strip {
            let width = ui.available_width().min(400.0);
            ui.image((strip.id(), egui::vec2(width, width / 10.0)));
        }
        self.concept_ui(ui);
    }

    fn concept_ui(&mut self, ui: &mut egui::Ui) {
        let Some(base) = self.crosshair else { return };
        let members: Vec<[f32; 2]> = self
            .scatter
            .iter()
            .filter(|p| p.label == self.toward_class)
            .map(|p| p.z)
            .collect();
        ui.horizontal(|ui| {
            ui.label("Move A toward class");
            egui::ComboBox::from_id_salt("vae-toward")
                .selected_text(self.toward_class.to_string())
                .show_ui(ui, |ui| {
                    for class in 0..10u8 {
                        ui.selectable_value(&mut self.toward_class, class, class.to_string());
                    }
                });
            let slider =
                ui.add(egui::Slider::new(&mut self.toward_amount, 0.0..=1.0).text("amount"));
            if slider.changed() && !members.is_empty() {
                #[expect(
                    clippy::cast_precision_loss,
                    reason = "a mean over a few thousand codes"
                )]
                let count = members.len() as f32;
                let mean = [
                    members.iter().map(|z| z[0]).sum::<f32>() / count,
                    members.iter().map(|z| z[1]).sum::<f32>() / count,
                ];
                let t = self.toward_amount;
                let moved = [
                    base[0] + t * (mean[0] - base[0]),
                    base[1] + t * (mean[1] - base[1]),
                ];
                self.moved = Some(moved);
                self.send(VaeCommand::Decode(moved));
            }
        });
    }

    /// For a latent of other than 2 dimensions: which two the grid and the
    /// map show (the others held at 0); a change redraws both.
    fn slice_ui(&mut self, ui: &mut egui::Ui) {
        let last = self.model_latent.max(1) - 1;
        ui.horizontal(|ui| {
            ui.label(format!(
                "{}-D latent: showing dimensions",
                self.model_latent
            ));
            let mut changed = false;
            for dim in &mut self.slice_dims {
                changed |= ui
                    .add(egui::DragValue::new(dim).range(0..=last))
                    .on_hover_text("A dimension of the latent space shown on this axis")
                    .changed();
            }
            ui.weak("(the others at 0)");
            if changed {
                self.send(VaeCommand::Slice(self.slice_dims));
            }
        });
    }
}
