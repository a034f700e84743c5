//! The Tuner tab's trials table: id, parameters, state, objective (mean ±
//! std over executions), epochs, time; a click on a heading sorts by it (again:
//! the other way), a click on a trial's number picks its curve.

use std::cmp::Ordering;

use tuner::TrialState;

use super::TunerPanel;
use crate::techniques::tuner::job::TrialRow;

/// What the table is sorted by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) enum Column {
    #[default]
    Id,
    Param(usize),
    State,
    Value,
    Epochs,
    Time,
}

/// The column and whether it runs downwards (largest first).
pub(super) type Sort = (Column, bool);

impl TunerPanel {
    pub(super) fn trials_ui(&mut self, ui: &mut egui::Ui) {
        ui.strong("Trials");
        let names: Vec<String> = self
            .settings
            .space()
            .params
            .iter()
            .map(|p| p.name.clone())
            .collect();
        let order = sorted(&self.trials, &names, self.sort);
        egui::ScrollArea::vertical()
            .id_salt("tuner-trials")
            .max_height(180.0)
            .show(ui, |ui| {
                egui::Grid::new("tuner-trial-table")
                    .striped(true)
                    .show(ui, |ui| {
                        let mut heading = |ui: &mut egui::Ui, column: Column, text: &str| {
                            let (current, down) = self.sort;
                            let mark = match (current == column, down) {
                                (true, false) => " ^",
                                (true, true) => " v",
                                _ => "",
                            };
                            let label = egui::RichText::new(format!("{text}{mark}")).strong();
                            if ui
                                .add(egui::Label::new(label).sense(egui::Sense::click()))
                                .on_hover_text("Sort by this column (again: the other way)")
                                .clicked()
                            {
                                self.sort = (column, current == column && !down);
                            }
                        };
                        heading(ui, Column::Id, "#");
                        for (i, name) in names.iter().enumerate() {
                            heading(ui, Column::Param(i), name);
                        }
                        heading(ui, Column::State, "state");
                        heading(ui, Column::Value, self.settings.kind.objective());
                        heading(ui, Column::Epochs, "epochs");
                        heading(ui, Column::Time, "time");
                        ui.end_row();
                        for &index in &order {
                            let row = &self.trials[index];
                            let selected = self.selected == Some(row.id);
                            if ui.selectable_label(selected, row.id.to_string()).clicked() {
                                self.selected = if selected { None } else { Some(row.id) };
                            }
                            row_ui(ui, row, &names);
                            ui.end_row();
                        }
                    });
            });
    }
}

/// One trial's cells after its number.
fn row_ui(ui: &mut egui::Ui, row: &TrialRow, names: &[String]) {
    for name in names {
        ui.label(
            row.params
                .get(name)
                .map(ToString::to_string)
                .unwrap_or_default(),
        );
    }
    let state = row.state.name();
    match row.state {
        TrialState::Failed => ui.colored_label(ui.visuals().error_fg_color, state),
        TrialState::Running => ui.strong(state),
        _ => ui.label(state),
    };
    let value = row
        .value
        .map(|v| format!("{v:.4}{}", spread(&row.executions, v)))
        .unwrap_or_default();
    ui.label(value);
    ui.label(row.epochs.to_string());
    ui.label(if row.seconds > 0.0 {
        format!("{:.0} s", row.seconds)
    } else {
        String::new()
    });
}

/// The rows' indices in the table's order; trials without a value (running,
/// pruned, failed) after the others when sorting by it.
pub(super) fn sorted(trials: &[TrialRow], names: &[String], (column, down): Sort) -> Vec<usize> {
    let number = |row: &TrialRow, name: &str| {
        row.params
            .get(name)
            .and_then(tuner::Value::as_f64)
            .unwrap_or(f64::NAN)
    };
    let key = |row: &TrialRow| -> (f64, String) {
        match column {
            Column::Id => (row.id as f64, String::new()),
            Column::Param(i) => {
                let name = names.get(i).map_or("", String::as_str);
                let text = row
                    .params
                    .get(name)
                    .map(ToString::to_string)
                    .unwrap_or_default();
                (number(row, name), text)
            }
            Column::State => (0.0, row.state.name().to_owned()),
            Column::Value => (row.value.unwrap_or(f64::NAN), String::new()),
            Column::Epochs => (row.epochs as f64, String::new()),
            Column::Time => (row.seconds, String::new()),
        }
    };
    let mut order: Vec<usize> = (0..trials.len()).collect();
    order.sort_by(|&a, &b| {
        let (ka, kb) = (key(&trials[a]), key(&trials[b]));
        let by_number = match (ka.0.is_nan(), kb.0.is_nan()) {
            (true, true) => Ordering::Equal,
            // Missing values last, whichever the direction.
            (true, false) => return Ordering::Greater,
            (false, true) => return Ordering::Less,
            (false, false) => ka.0.total_cmp(&kb.0),
        };
        let ordering = by_number.then_with(|| ka.1.cmp(&kb.1));
        if down { ordering.reverse() } else { ordering }
    });
    order
}

/// " ± std" over several executions, nothing for one.
fn spread(executions: &[f64], mean: f64) -> String {
    if executions.len() < 2 {
        return String::new();
    }
    let variance =
        executions.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / executions.len() as f64;
    format!(" ± {:.4}", variance.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: usize, units: i64, value: Option<f64>) -> TrialRow {
        TrialRow {
            id,
            params: [("units".to_owned(), tuner::Value::Int(units))].into(),
            state: if value.is_some() {
                TrialState::Completed
            } else {
                TrialState::Running
            },
            value,
            executions: Vec::new(),
            epochs: 3,
            seconds: 1.0,
            from: None,
        }
    }

    #[test]
    fn sorting_by_a_column_either_way_keeps_missing_values_last() {
        let trials = [
            row(0, 32, Some(0.9)),
            row(1, 16, None),
            row(2, 64, Some(0.95)),
        ];
        let names = ["units".to_owned()];
        assert_eq!(sorted(&trials, &names, (Column::Id, false)), [0, 1, 2]);
        assert_eq!(
            sorted(&trials, &names, (Column::Param(0), false)),
            [1, 0, 2]
        );
        assert_eq!(sorted(&trials, &names, (Column::Param(0), true)), [2, 0, 1]);
        assert_eq!(sorted(&trials, &names, (Column::Value, true)), [2, 0, 1]);
        assert_eq!(sorted(&trials, &names, (Column::Value, false)), [0, 2, 1]);
    }
}
