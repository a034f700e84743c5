//! A study in words and as a table: KerasTuner's `results_summary` and a CSV
//! of every trial.

use std::fmt::Write as _;

use crate::space::Value;
use crate::study::Study;

/// Like KerasTuner's `results_summary(top)`: the objective's direction, then
/// each of the best trials with its parameters and score.
pub fn summary(study: &Study, top: usize) -> String {
    let mut text = String::new();
    let settings = &study.settings;
    let _ = writeln!(text, "Results summary");
    let _ = writeln!(text, "Oracle: {}", settings.oracle.name());
    let _ = writeln!(text, "Objective: {:?}", settings.space.direction);
    let counts = ["completed", "pruned", "failed", "running"].map(|state| {
        (
            state,
            study
                .trials
                .iter()
                .filter(|t| t.state.name() == state)
                .count(),
        )
    });
    let counts: Vec<String> = counts.iter().map(|(s, n)| format!("{n} {s}")).collect();
    let _ = writeln!(
        text,
        "Trials: {} ({})",
        study.trials.len(),
        counts.join(", ")
    );
    let _ = writeln!(text, "Showing {top} best trials");
    for trial in study.best(top) {
        let _ = writeln!(text, "\nTrial {} summary", trial.id);
        let _ = writeln!(text, "Hyperparameters:");
        for param in &settings.space.params {
            if let Some(value) = trial.params.get(&param.name) {
                let _ = writeln!(text, "{}: {value}", param.name);
            }
        }
        let score = trial.value.unwrap_or(f64::NAN);
        if trial.executions.len() > 1 {
            let n = trial.executions.len() as f64;
            let std = (trial
                .executions
                .iter()
                .map(|v| (v - score).powi(2))
                .sum::<f64>()
                / n)
                .sqrt();
            let _ = writeln!(
                text,
                "Score: {score:.6} ± {std:.6} over {} executions",
                trial.executions.len()
            );
        } else {
            let _ = writeln!(text, "Score: {score:.6}");
        }
    }
    text
}

/// One row per trial: id, state, every parameter, objective, epochs reported, seconds.
pub fn csv(study: &Study) -> String {
    let params = &study.settings.space.params;
    let mut text = String::from("trial,state");
    for param in params {
        let _ = write!(text, ",{}", quote(&param.name));
    }
    text.push_str(",objective,epochs,seconds\n");
    for trial in &study.trials {
        let _ = write!(text, "{},{}", trial.id, trial.state.name());
        for param in params {
            let value = trial.params.get(&param.name).map(|v| match v {
                Value::Float(x) => format!("{x}"),
                other => other.to_string(),
            });
            let _ = write!(text, ",{}", quote(&value.unwrap_or_default()));
        }
        let value = trial.value.map(|v| v.to_string()).unwrap_or_default();
        let epochs = trial
            .intermediate
            .iter()
            .map(|(e, _)| *e)
            .max()
            .map(|e| e.to_string())
            .unwrap_or_default();
        let seconds = trial
            .seconds()
            .map(|s| format!("{s:.1}"))
            .unwrap_or_default();
        let _ = writeln!(text, ",{value},{epochs},{seconds}");
    }
    text
}

fn quote(field: &str) -> String {
    if field.contains([',', '"', '\n']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}
