//! The VAE tab's three views: the loss plot, the decoded grid and the latent
//! map (click or drag to decode). egui only.

use std::time::Duration;

use egui_plot::{Legend, Line, Plot, PlotPoints, Points};

use super::super::job::{BatchLoss, VaeCommand};
use super::{CLASS_COLORS, Phase, VaePanel};

impl VaePanel {
    pub(super) fn progress_ui(&self, ui: &mut egui::Ui) {
        match &self.phase {
            Phase::Idle => {
                ui.label("Press Train to fit the book's VAE on the 70 000 MNIST digits (Book preset), or load a saved model.");
            }
            Phase::Loading => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("loading digits…");
                });
            }
            Phase::Training | Phase::Trained => {
                #[expect(clippy::cast_precision_loss, reason = "progress fractions")]
                let (epoch_frac, batch_frac) = (
                    self.epoch as f32 / self.epochs.max(1) as f32,
                    self.batch as f32 / self.batches.max(1) as f32,
                );
                ui.horizontal(|ui| {
                    if self.epochs == 0 {
                        ui.label("loaded model");
                    } else {
                        ui.add(
                            egui::ProgressBar::new(epoch_frac)
                                .desired_width(220.0)
                                .text(format!("epoch {}/{}", self.epoch, self.epochs)),
                        );
                    }
                    if self.phase == Phase::Training {
                        ui.add(
                            egui::ProgressBar::new(batch_frac)
                                .desired_width(220.0)
                                .text(format!("batch {}/{}", self.batch, self.batches)),
                        );
                    }
                    if let Some(last) = self.epoch_means.last() {
                        ui.monospace(format!(
                            "total {:.2} · reconstruction {:.2} · KL {:.2}",
                            last.total, last.reconstruction, last.kl
                        ));
                    }
                    if let Some(secs) = self.last_epoch_secs {
                        ui.label(format!("{secs:.1} s/epoch"));
                    }
                    if self.phase == Phase::Trained {
                        ui.label("trained: click or drag on the map");
                    }
                });
            }
            Phase::Failed(text) => {
                ui.colored_label(ui.visuals().error_fg_color, text);
            }
        }
        if let Some(notice) = &self.notice {
            ui.label(notice);
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
        if self.config.latent_dim != 2 {
            ui.label("The latent map needs a 2-D latent space (latent = 2).");
            return;
        }
        ui.label("Latent map: test digits by class; click or drag to decode");
        let mut clicked = None;
        let response = Plot::new("vae-map")
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
                if plot.response().is_pointer_button_down_on() {
                    clicked = plot.pointer_coordinate();
                }
            });
        let _ = response;
        if let Some(point) = clicked {
            #[expect(
                clippy::cast_possible_truncation,
                reason = "plot coordinates to latent f32"
            )]
            let z = [point.x as f32, point.y as f32];
            if self.crosshair != Some(z) {
                self.crosshair = Some(z);
                self.send(VaeCommand::Decode(z));
            }
        }
        ui.horizontal(|ui| {
            for (class, color) in CLASS_COLORS.iter().enumerate() {
                ui.colored_label(*color, class.to_string());
            }
        });
        if let Some(texture) = &self.decoded {
            ui.horizontal(|ui| {
                ui.image((texture.id(), egui::vec2(112.0, 112.0)));
                if let (Some([x, y]), Some(micros)) = (self.crosshair, self.decode_micros) {
                    ui.label(format!(
                        "z = ({x:.2}, {y:.2})\ndecoded in {:.2} ms",
                        Duration::from_micros(micros).as_secs_f64() * 1000.0
                    ));
                }
            });
        }
    }
}
