//! The Tuner tab's layout.

#![expect(
    clippy::cast_precision_loss,
    reason = "trial numbers, epochs and axes as plot coordinates"
)]

use egui_plot::{Legend, Line, Plot, PlotPoints, Points, VLine};
use tuner::{OracleConfig, TrialState};

use super::TunerPanel;
use crate::techniques::tuner::job::TuneSettings;
use crate::ui::panel::reset_button_ui;

const ORACLES: [(&str, &str); 6] = [
    ("random", "Random"),
    ("grid", "Grid"),
    ("bayesian", "Bayesian · EI"),
    ("bayesian-ucb", "Bayesian · UCB (β 2.6)"),
    ("bayesian-pi", "Bayesian · PI"),
    ("hyperband", "Hyperband (factor 3)"),
];

impl TunerPanel {
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        egui::ScrollArea::vertical().auto_shrink([false; 2]).show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.heading("Tuner");
                ui.label(self.settings.kind.title());
                if ui.button("Quick (CPU)").on_hover_text("12 trials, 1 execution, 20 epochs, 5 000 digits").clicked() {
                    self.settings = TuneSettings::quick();
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
                self.parallel_ui(&mut columns[0]);
                self.importance_ui(&mut columns[0]);
                self.objective_plot_ui(&mut columns[1]);
                self.curves_plot_ui(&mut columns[1]);
                self.oracle_ui(&mut columns[1]);
            });
            if let Some(summary) = &self.summary {
                ui.separator();
                ui.label(egui::RichText::new(summary).monospace());
            }
        });
    }

    fn settings_ui(&mut self, ui: &mut egui::Ui) {
        let s = &mut self.settings;
        egui::Grid::new("tuner-settings").num_columns(4).show(ui, |ui| {
            ui.label("Oracle");
            let current = oracle_key(&s.oracle);
            egui::ComboBox::from_id_salt("tuner-oracle")
                .selected_text(ORACLES.iter().find(|(k, _)| *k == current).map_or(current, |(_, l)| l))
                .show_ui(ui, |ui| {
                    for (key, label) in ORACLES {
                        if ui.selectable_label(current == key, label).clicked() {
                            s.oracle = OracleConfig::parse(key, s.max_epochs).unwrap_or(OracleConfig::Random);
                        }
                    }
                });
            ui.label("Max trials");
            ui.add(egui::DragValue::new(&mut s.max_trials).range(1..=1000));
            ui.end_row();
            ui.label("Executions per trial");
            ui.add(egui::DragValue::new(&mut s.executions).range(1..=5));
            ui.label("Max epochs");
            if ui.add(egui::DragValue::new(&mut s.max_epochs).range(1..=500)).changed()
                && let OracleConfig::Hyperband { max_epochs, .. } = &mut s.oracle
            {
                *max_epochs = s.max_epochs;
            }
            ui.end_row();
            ui.label("EarlyStopping patience").on_hover_text("On val_loss; 0 = train every epoch");
            ui.add(egui::DragValue::new(&mut s.patience).range(0..=50));
            ui.checkbox(&mut s.prune, "median pruning")
                .on_hover_text("Stop a trial whose val_accuracy is below the median of the finished trials at the same epoch");
            let mut all = s.limit.is_none();
            ui.horizontal(|ui| {
                if ui.checkbox(&mut all, "all digits").changed() {
                    s.limit = if all { None } else { Some(5_000) };
                }
                if let Some(limit) = &mut s.limit {
                    ui.add(egui::DragValue::new(limit).range(500..=50_000).suffix(" digits"));
                }
            });
            ui.end_row();
        });
        ui.collapsing("Search space", |ui| {
            egui::Grid::new("tuner-space").striped(true).show(ui, |ui| {
                ui.strong("parameter");
                ui.strong("values");
                ui.end_row();
                for param in &self.settings.kind.space().params {
                    ui.label(&param.name);
                    ui.label(tuner::space::describe(&param.kind));
                    ui.end_row();
                }
            });
        });
        if let OracleConfig::Hyperband { max_epochs, factor } = self.settings.oracle {
            ui.collapsing("Hyperband brackets", |ui| {
                egui::Grid::new("tuner-brackets")
                    .striped(true)
                    .show(ui, |ui| {
                        ui.strong("bracket");
                        ui.strong("rungs: trials × epochs");
                        ui.end_row();
                        for bracket in tuner::hyperband::brackets(max_epochs, factor) {
                            ui.label(format!("s = {}", bracket.s));
                            let rungs: Vec<String> = bracket
                                .rungs
                                .iter()
                                .map(|r| format!("{} × {}", r.trials, r.epochs))
                                .collect();
                            ui.label(rungs.join(", then "));
                            ui.end_row();
                        }
                    });
            });
        }
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

    fn trials_ui(&mut self, ui: &mut egui::Ui) {
        ui.strong("Trials");
        let names: Vec<String> = self
            .settings
            .kind
            .space()
            .params
            .iter()
            .map(|p| p.name.clone())
            .collect();
        egui::ScrollArea::vertical()
            .id_salt("tuner-trials")
            .max_height(180.0)
            .show(ui, |ui| {
                egui::Grid::new("tuner-trial-table")
                    .striped(true)
                    .show(ui, |ui| {
                        ui.strong("#");
                        for name in &names {
                            ui.strong(name);
                        }
                        for header in ["state", self.settings.kind.objective(), "epochs", "time"] {
                            ui.strong(header);
                        }
                        ui.end_row();
                        for row in &self.trials {
                            let selected = self.selected == Some(row.id);
                            if ui.selectable_label(selected, row.id.to_string()).clicked() {
                                self.selected = if selected { None } else { Some(row.id) };
                            }
                            for name in &names {
                                ui.label(
                                    row.params
                                        .get(name)
                                        .map(ToString::to_string)
                                        .unwrap_or_default(),
                                );
                            }
                            let state = row.state.name();
                            match row.state {
                                TrialState::Failed => {
                                    ui.colored_label(ui.visuals().error_fg_color, state)
                                }
                                TrialState::Running => ui.strong(state),
                                _ => ui.label(state),
                            };
                            let value = row.value.map(|v| format!("{v:.4}")).unwrap_or_default();
                            ui.label(value);
                            ui.label(row.epochs.to_string());
                            ui.label(if row.seconds > 0.0 {
                                format!("{:.0} s", row.seconds)
                            } else {
                                String::new()
                            });
                            ui.end_row();
                        }
                    });
            });
    }

    fn objective_plot_ui(&self, ui: &mut egui::Ui) {
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

    fn curves_plot_ui(&self, ui: &mut egui::Ui) {
        Plot::new("tuner-curves")
            .height(140.0)
            .x_axis_label("epoch")
            .y_axis_label("val_accuracy")
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
            });
    }

    fn oracle_ui(&mut self, ui: &mut egui::Ui) {
        // The latest Bayesian step, or the selected trial's.
        let chosen = self
            .selected
            .and_then(|id| self.why.get(id).cloned().flatten().map(|w| (id, w)));
        let latest = self
            .why
            .iter()
            .enumerate()
            .rev()
            .find_map(|(id, w)| w.clone().map(|w| (id, w)));
        let Some((trial, why)) = chosen.or(latest) else {
            ui.label("Inside the Bayesian oracle: once its random start is over, each proposal shows the surrogate and the acquisition here.");
            return;
        };
        ui.horizontal(|ui| {
            ui.strong(format!("Inside the Bayesian oracle · trial {trial}"));
            ui.label(format!(
                "observe {} trials, update the Gaussian process, maximise {}, propose",
                why.observed, why.acquisition
            ));
        });
        if why.slices.is_empty() {
            ui.label("No numeric parameter to slice along.");
            return;
        }
        self.slice_param = self.slice_param.min(why.slices.len() - 1);
        ui.horizontal(|ui| {
            ui.label("along");
            for (i, slice) in why.slices.iter().enumerate() {
                ui.selectable_value(&mut self.slice_param, i, &slice.param);
            }
            ui.label("(the other parameters at the proposal)");
        });
        let slice = &why.slices[self.slice_param];
        let xs = &slice.values;
        let series =
            |ys: Vec<f64>| -> PlotPoints { xs.iter().zip(ys).map(|(x, y)| [*x, y]).collect() };
        let upper: Vec<f64> = slice
            .mean
            .iter()
            .zip(&slice.std)
            .map(|(m, s)| m + 2.0 * s)
            .collect();
        let lower: Vec<f64> = slice
            .mean
            .iter()
            .zip(&slice.std)
            .map(|(m, s)| m - 2.0 * s)
            .collect();
        ui.columns(2, |columns| {
            Plot::new("tuner-surrogate")
                .legend(Legend::default())
                .height(120.0)
                .x_axis_label(&slice.param)
                .show(&mut columns[0], |plot| {
                    plot.line(Line::new("mean", series(slice.mean.clone())).width(2.0));
                    plot.line(
                        Line::new("± 2σ", series(upper))
                            .style(egui_plot::LineStyle::dashed_dense()),
                    );
                    plot.line(
                        Line::new("± 2σ", series(lower))
                            .style(egui_plot::LineStyle::dashed_dense()),
                    );
                    let observed: Vec<[f64; 2]> =
                        slice.observed.iter().map(|(x, y)| [*x, *y]).collect();
                    plot.points(Points::new("observed", PlotPoints::new(observed)).radius(4.0));
                    plot.vline(VLine::new("proposed", slice.proposed));
                });
            Plot::new("tuner-acquisition")
                .height(120.0)
                .x_axis_label(&slice.param)
                .show(&mut columns[1], |plot| {
                    plot.line(
                        Line::new(why.acquisition, series(slice.acquisition.clone())).width(2.0),
                    );
                    plot.vline(VLine::new("proposed", slice.proposed));
                });
        });
    }
}

impl TunerPanel {
    /// Parallel coordinates: one polyline per completed trial across the
    /// parameters' axes (each scaled to 0…1 as the oracle sees it), coloured
    /// from red (worst) to green (best) by the objective.
    fn parallel_ui(&self, ui: &mut egui::Ui) {
        ui.strong("Parameters by objective");
        let space = self.settings.kind.space();
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

    fn importance_ui(&self, ui: &mut egui::Ui) {
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

fn oracle_key(oracle: &OracleConfig) -> &'static str {
    match oracle {
        OracleConfig::Random => "random",
        OracleConfig::Grid => "grid",
        OracleConfig::Bayesian {
            acquisition: tuner::Acquisition::Ucb { .. },
            ..
        } => "bayesian-ucb",
        OracleConfig::Bayesian {
            acquisition: tuner::Acquisition::Pi,
            ..
        } => "bayesian-pi",
        OracleConfig::Bayesian { .. } => "bayesian",
        OracleConfig::Hyperband { .. } => "hyperband",
    }
}
