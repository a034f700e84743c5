//! The Tuner tab's settings: the study, the oracle and its settings, and
//! the search space as an editable table.

use tuner::OracleConfig;

use super::TunerPanel;
use crate::techniques::tuner::job::TuneSettings;
use crate::techniques::tuner::studies::StudyKind;

const ORACLES: [(&str, &str); 6] = [
    ("random", "Random"),
    ("grid", "Grid"),
    ("bayesian", "Bayesian · EI"),
    ("bayesian-ucb", "Bayesian · UCB (β 2.6)"),
    ("bayesian-pi", "Bayesian · PI"),
    ("hyperband", "Hyperband (factor 3)"),
];

impl TunerPanel {
    pub(super) fn settings_ui(&mut self, ui: &mut egui::Ui) {
        let s = &mut self.settings;
        egui::Grid::new("tuner-settings").num_columns(4).show(ui, |ui| {
            let label = ui.label("Study");
            let kind = s.kind;
            egui::ComboBox::from_id_salt("tuner-study")
                .selected_text(kind.title())
                .show_ui(ui, |ui| {
                    for choice in [StudyKind::Mnist, StudyKind::Vae, StudyKind::Gan, StudyKind::Text] {
                        if ui.selectable_label(kind == choice, choice.title()).clicked() && kind != choice {
                            *s = TuneSettings::quick_for(choice);
                        }
                    }
                })
                .response
                .labelled_by(label.id);
            ui.end_row();
            let label = ui.label("Oracle");
            let current = oracle_key(&s.oracle);
            egui::ComboBox::from_id_salt("tuner-oracle")
                .selected_text(ORACLES.iter().find(|(k, _)| *k == current).map_or(current, |(_, l)| l))
                .show_ui(ui, |ui| {
                    for (key, name) in ORACLES {
                        if ui.selectable_label(current == key, name).clicked() {
                            s.oracle = OracleConfig::parse(key, s.max_epochs).unwrap_or(OracleConfig::Random);
                        }
                    }
                })
                .response
                .labelled_by(label.id);
            let label = ui.label("Max trials");
            ui.add(egui::DragValue::new(&mut s.max_trials).range(1..=1000)).labelled_by(label.id);
            ui.end_row();
            let label = ui.label("Executions per trial");
            ui.add(egui::DragValue::new(&mut s.executions).range(1..=5)).labelled_by(label.id);
            let label = ui.label("Max epochs");
            if ui.add(egui::DragValue::new(&mut s.max_epochs).range(1..=500)).labelled_by(label.id).changed()
                && let OracleConfig::Hyperband { max_epochs, .. } = &mut s.oracle
            {
                *max_epochs = s.max_epochs;
            }
            ui.end_row();
            let label = ui.label("EarlyStopping patience").on_hover_text("On val_loss; 0 = train every epoch");
            ui.add(egui::DragValue::new(&mut s.patience).range(0..=50)).labelled_by(label.id);
            ui.checkbox(&mut s.prune, "median pruning")
                .on_hover_text("Stop a trial whose val_accuracy is below the median of the finished trials at the same epoch");
            let (unit, cut, most) = match s.kind {
                StudyKind::Mnist | StudyKind::Vae => ("digits", 5_000, 50_000),
                StudyKind::Gan => ("face emoji", 320, 970),
                StudyKind::Text => ("snippets", 500, 20_000),
            };
            let mut all = s.limit.is_none();
            ui.horizontal(|ui| {
                if ui.checkbox(&mut all, format!("all {unit}")).changed() {
                    s.limit = if all { None } else { Some(cut) };
                }
                if let Some(limit) = &mut s.limit {
                    ui.add(egui::DragValue::new(limit).range(32..=most).prefix("training ").suffix(format!(" {unit}")));
                }
            });
            ui.end_row();
        });
        ui.collapsing("Search space", |ui| self.space_ui(ui));
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

    /// The space as a table whose ranges and choices can be edited: an int's
    /// min, max and step, which of a choice's values take part.
    fn space_ui(&mut self, ui: &mut egui::Ui) {
        let own = self.settings.kind.space();
        let mut space = self.settings.space();
        let mut changed = false;
        egui::Grid::new("tuner-space").striped(true).show(ui, |ui| {
            ui.strong("parameter");
            ui.strong("values");
            ui.end_row();
            for (param, original) in space.params.iter_mut().zip(&own.params) {
                ui.label(&param.name);
                ui.horizontal(|ui| match (&mut param.kind, &original.kind) {
                    (tuner::Kind::Int { min, max, step, .. }, _) => {
                        ui.label("int");
                        changed |= ui.add(egui::DragValue::new(min).prefix("min ")).changed();
                        changed |= ui.add(egui::DragValue::new(max).prefix("max ")).changed();
                        changed |= ui.add(egui::DragValue::new(step).prefix("step ")).changed();
                    }
                    (tuner::Kind::Choice { values }, tuner::Kind::Choice { values: all }) => {
                        ui.label("choice");
                        for value in all {
                            let mut on = values.contains(value);
                            if ui.checkbox(&mut on, value.to_string()).changed() {
                                changed = true;
                                if on {
                                    values.push(value.clone());
                                } else {
                                    values.retain(|v| v != value);
                                }
                            }
                        }
                    }
                    (kind, _) => {
                        ui.label(tuner::space::describe(kind));
                    }
                });
                ui.end_row();
            }
        });
        if changed {
            self.settings.space = Some(space.clone());
        }
        match space.validate() {
            Ok(()) => {
                let size = space.cardinality().map_or_else(
                    || "continuous".to_owned(),
                    |n| format!("{n} configurations"),
                );
                ui.label(size);
            }
            Err(error) => {
                ui.colored_label(
                    ui.visuals().error_fg_color,
                    format!("{error}: Start is off until it is fixed"),
                );
            }
        }
        if self.settings.space.is_some() && ui.button("The note's space").clicked() {
            self.settings.space = None;
        }
    }
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
