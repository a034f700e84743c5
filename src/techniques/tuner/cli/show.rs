//! What `tune run`, `tune finish` and `tune rerun` print: the jobs' events
//! as lines, KerasTuner's way.

use std::path::{Path, PathBuf};

use anyhow::bail;
use burn::tensor::Device;
use tuner::TrialState;

use super::super::finish::{self, FinishEvent};
use super::super::job::{self, TuneSettings, TunerEvent};
use crate::job::{no_waker, wait_for};

/// `tune run`: the job's events as KerasTuner-like lines.
pub(super) fn run_study(
    settings: TuneSettings,
    dir: Option<PathBuf>,
    device: Device,
) -> anyhow::Result<()> {
    println!(
        "{} · {} · up to {} trials × {} execution(s), {} epochs, patience {}{}",
        settings.kind.title(),
        settings.oracle.name(),
        settings.max_trials,
        settings.executions,
        settings.max_epochs,
        settings.patience,
        if settings.prune {
            ", median pruning"
        } else {
            ""
        }
    );
    let objective = settings.kind.objective();
    let maximise = settings.space().direction == tuner::Direction::Maximize;
    let kind = settings.kind;
    let mut handle = job::start(settings, dir, device, no_waker())?;
    let mut best: Option<f64> = None;
    let summary = wait_for(&mut handle, |event| match event {
        TunerEvent::Loaded {
            train,
            val,
            notices,
            trials,
            ..
        } => {
            println!(
                "{}; {} trials already in the study",
                kind.data_text(train, val),
                trials.len()
            );
            for notice in notices {
                println!("notice: {notice}");
            }
            best = trials
                .iter()
                .filter(|t| t.state == TrialState::Completed)
                .filter_map(|t| t.value)
                .reduce(if maximise { f64::max } else { f64::min });
            None
        }
        TunerEvent::Proposed { row, why } => {
            let why = why
                .map(|w| format!(" ({} over {} observations)", w.acquisition, w.observed))
                .unwrap_or_default();
            println!("Trial {} {}{why}", row.id, describe(&row.params));
            None
        }
        TunerEvent::Epoch { .. } => None,
        TunerEvent::Ended { row, .. } => {
            if row.state == TrialState::Completed {
                best = match (best, row.value) {
                    (Some(b), Some(v)) if maximise => Some(b.max(v)),
                    (Some(b), Some(v)) => Some(b.min(v)),
                    (b, v) => b.or(v),
                };
            }
            let value = row
                .value
                .map_or_else(|| "-".to_owned(), |v| format!("{v:.4}"));
            let spread = if row.executions.len() > 1 {
                let mean = row.value.unwrap_or(0.0);
                #[expect(clippy::cast_precision_loss, reason = "a few executions")]
                let var = row
                    .executions
                    .iter()
                    .map(|v| (v - mean).powi(2))
                    .sum::<f64>()
                    / row.executions.len() as f64;
                format!(" ± {:.4}", var.sqrt())
            } else {
                String::new()
            };
            let best = best.map_or_else(|| "-".to_owned(), |v| format!("{v:.4}"));
            println!(
                "  {} · {objective} {value}{spread} · best so far {best} · {} epochs · {:.1} s",
                row.state.name(),
                row.epochs,
                row.seconds
            );
            None
        }
        TunerEvent::Done { reason, summary } => Some(format!("Search done: {reason}\n\n{summary}")),
    })?;
    println!("{summary}");
    Ok(())
}

fn describe(params: &tuner::Params) -> String {
    let parts: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
    parts.join(" ")
}

/// `tune finish`: the table of the note's last step.
pub(super) fn finish(
    dir: &Path,
    top: usize,
    settings: &TuneSettings,
    device: Device,
) -> anyhow::Result<()> {
    let mut handle = finish::start(dir.to_path_buf(), top, settings, device, no_waker())?;
    println!(
        "{:<6} {:<28} {:>10} {:>9} {:>10} {:>13}",
        "trial", "configuration", "best epoch", "retrain", "test loss", "test accuracy"
    );
    loop {
        match handle.recv_blocking() {
            Some(crate::job::JobMessage::Event(FinishEvent::Row(row))) => println!(
                "{:<6} {:<28} {:>10} {:>9} {:>10.4} {:>13.4}   {}",
                row.trial,
                describe(&row.params),
                row.best_epoch,
                row.retrain_epochs,
                row.test_loss,
                row.test_accuracy,
                row.saved.display()
            ),
            Some(crate::job::JobMessage::Event(FinishEvent::Stage {
                trial,
                stage,
                epoch,
            })) => {
                eprintln!("trial {trial}: {stage} ({epoch} epochs)");
            }
            Some(crate::job::JobMessage::Failed(message)) => bail!("{message}"),
            Some(crate::job::JobMessage::Finished) | None => return Ok(()),
            Some(crate::job::JobMessage::Cancelled) => bail!("cancelled"),
        }
    }
}

/// `tune rerun`: the two curves side by side.
pub(super) fn rerun(dir: &Path, trial: usize, device: Device) -> anyhow::Result<u8> {
    let mut handle = super::super::rerun::start(dir.to_path_buf(), trial, device, no_waker())?;
    let rerun = wait_for(&mut handle, Some)?;
    println!("{:>6} {:>14} {:>14}", "epoch", "journal", "re-run");
    for &(epoch, value) in &rerun.curve {
        let journal = rerun
            .journal
            .iter()
            .find(|(e, _)| *e == epoch)
            .map_or_else(|| "-".to_owned(), |(_, v)| format!("{v:.6}"));
        println!("{epoch:>6} {journal:>14} {value:>14.6}");
    }
    match rerun.largest_difference() {
        Some(d) if d <= 0.0 => {
            println!("trial {trial}: the re-run's curve is the journal's, epoch for epoch");
            Ok(0)
        }
        Some(d) => {
            println!("trial {trial}: the curves differ by up to {d:.2e}");
            Ok(1)
        }
        None => {
            println!("trial {trial}: the re-run stopped before an epoch the journal has");
            Ok(1)
        }
    }
}
