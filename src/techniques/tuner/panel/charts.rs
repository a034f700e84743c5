//! The Tuner tab's charts: the objective per trial, every trial's curve,
//! parallel coordinates, importance, and the look inside the Bayesian oracle.

#![expect(
    clippy::cast_precision_loss,
    reason = "trial numbers, epochs and axes as plot coordinates"
)]

use egui_plot::{Legend, Line, Plot, PlotPoints, Points, VLine};
use tuner::TrialState;

use super::TunerPanel;

impl TunerPanel {
    pub(super) fn objective_plot_ui(&self, ui: &mut egui::Ui) {
        let points: Vec<[f64; 2]> = self
            .trials
            .iter()
            .filter(|t| t.state == TrialState::Completed)
            .filter_map(|t| Some([t.id as f64, t.value?]))
            .collect();
        Plot::new("tuner-objective")
            .legend(Legend::default())
            .height(110.0)
            .x_axis_label("trial")
            .show(ui, |plot| {
                plot.points(
                    Points::new(self.settings.kind.objective(), PlotPoints::new(points))
                        .radius(3.0),
                );
                plot.line(Line::new("best so far", PlotPoints::new(self.best_so_far())).width(2.0));
            });
    }

    pub(super) fn curves_plot_ui(&self, ui: &mut egui::Ui) {
        Plot::new("tuner-curves")
            .height(140.0)
            .x_axis_label("epoch")
            .y_axis_label(self.settings.kind.objective())
            .show(ui, |plot| {
                for (id, curve) in self.curves.iter().enumerate() {
                    if curve.is_empty() {
                        continue;
                    }
                    let state = self.trials.get(id).map_or(TrialState::Running, |t| t.state);
                    let width = if self.selected == Some(id) {
                        3.0
                    } else if state == TrialState::Running {
                        2.0
                    } else {
                        1.0
                    };
                    let mut line = Line::new(format!("trial {id}"), PlotPoints::new(curve.clone()))
                        .width(width);
                    if state == TrialState::Pruned {
                        line = line.style(egui_plot::LineStyle::dashed_loose());
                    }
                    plot.line(line);
                }
                if let Some(Ok(rerun)) = &self.rerun_result {
                    let points: Vec<[f64; 2]> = rerun
                        .curve
                        .iter()
                        .map(|&(epoch, value)| [epoch as f64, value])
                        .collect();
                    let name = format!("re-run of trial {}", rerun.trial);
                    plot.points(Points::new(name, PlotPoints::new(points)).radius(3.0));
                }
            });
    }

    /// Parallel coordinates: one polyline per completed trial across the
    /// parameters' axes (each scaled to 0…1 as the oracle sees it), coloured
    /// from red (worst) to green (best) by the objective.
    pub(super) fn parallel_ui(&self, ui: &mut egui::Ui) {
        ui.strong("Parameters by objective");
        let space = self.settings.space();
        let done: Vec<(&tuner::Params, f64)> = self
            .trials
            .iter()
            .filter(|t| t.state == TrialState::Completed)
            .filter_map(|t| Some((&t.params, t.value?)))
            .collect();
        let (lo, hi) = done
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (_, v)| {
                (lo.min(*v), hi.max(*v))
            });
        let maximise = space.direction == tuner::Direction::Maximize;
        let names: Vec<String> = space.params.iter().map(|p| p.name.clone()).collect();
        Plot::new("tuner-parallel")
            .height(130.0)
            .show_axes([false, true])
            .x_grid_spacer(|_| Vec::new())
            .show(ui, |plot| {
                for (params, value) in &done {
                    let axes = axis_positions(&space, params);
                    let t = if hi > lo {
                        (value - lo) / (hi - lo)
                    } else {
                        1.0
                    };
                    let good = if maximise { t } else { 1.0 - t };
                    #[expect(
                        clippy::cast_possible_truncation,
                        clippy::cast_sign_loss,
                        reason = "a colour channel"
                    )]
                    let colour = egui::Color32::from_rgb(
                        (255.0 * (1.0 - good)) as u8,
                        (200.0 * good) as u8,
                        60,
                    );
                    let points: Vec<[f64; 2]> = axes
                        .iter()
                        .enumerate()
                        .map(|(i, y)| [i as f64, *y])
                        .collect();
                    plot.line(
                        Line::new("", PlotPoints::new(points))
                            .color(colour)
                            .width(1.5),
                    );
                }
                for (i, name) in names.iter().enumerate() {
                    plot.vline(VLine::new(name.as_str(), i as f64).color(egui::Color32::GRAY));
                    plot.text(egui_plot::Text::new(
                        name.as_str(),
                        egui_plot::PlotPoint::new(i as f64, 1.08),
                        name.as_str(),
                    ));
                }
            });
    }

    pub(super) fn importance_ui(&self, ui: &mut egui::Ui) {
        ui.strong("Parameter importance").on_hover_text(
            "Each parameter's main effect on the Gaussian process fitted to the completed trials: the variance of the surrogate's mean over the parameter's values, the others averaged out (the first-order part of fANOVA), as a share",
        );
        if self.importance.is_empty() {
            ui.label("After 5 completed trials.");
            return;
        }
        for (name, share) in &self.importance {
            ui.horizontal(|ui| {
                ui.label(format!("{name:>10}"));
                #[expect(clippy::cast_possible_truncation, reason = "a progress fraction")]
                ui.add(
                    egui::ProgressBar::new(*share as f32)
                        .desired_width(200.0)
                        .text(format!("{:.0} %", share * 100.0)),
                );
            });
        }
    }
}

/// A configuration's place on each parameter's axis (0…1): numbers as the
/// oracle scales them, a choice by its index.
fn axis_positions(space: &tuner::Space, params: &tuner::Params) -> Vec<f64> {
    let point = space.encode(params);
    let mut axes = Vec::new();
    let mut at = 0;
    for param in &space.params {
        let width = param.width();
        let coordinates = &point[at..at + width];
        at += width;
        axes.push(match &param.kind {
            tuner::Kind::Choice { values } if values.len() > 1 => {
                let index = coordinates.iter().position(|c| *c > 0.5).unwrap_or(0);
                index as f64 / (values.len() - 1) as f64
            }
            tuner::Kind::Fixed { .. } | tuner::Kind::Choice { .. } => 0.5,
            _ => coordinates[0],
        });
    }
    axes
}
