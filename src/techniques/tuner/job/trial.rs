//! One trial of a run: its executions trained (each from its checkpoint
//! when a stopped or killed session left one, a Hyperband promotion from its
//! parent's), every epoch reported to the study for pruning, the objective
//! told; and the parameters' importance after it.

use std::collections::HashMap;
use std::path::Path;

use burn::tensor::Device;
use tuner::{OracleConfig, Outcome, Study, TrialState};

use super::super::store;
use super::super::studies::{StudyData, mnist_params};
use super::super::train::{EpochFigures, Next, Run, TrialSpec};
use super::{TuneSettings, TunerCommand, TunerEvent};
use crate::job::{JobContext, JobError};

/// What every trial of a run shares.
pub(crate) struct Bench<'a> {
    pub(crate) settings: &'a TuneSettings,
    pub(crate) data: &'a StudyData,
    pub(crate) device: &'a Device,
    /// The study's folder, where each trial keeps its checkpoints.
    pub(crate) dir: Option<&'a Path>,
}

/// Trains one trial's executions; its objective is each execution's best
/// epoch's val_accuracy, averaged.
pub(super) fn run_trial(
    ctx: &mut JobContext<TunerEvent, TunerCommand>,
    bench: &Bench<'_>,
    study: &mut Study,
    runs: &mut HashMap<usize, Run>,
    (trial, params, seed, epochs, from): (usize, &tuner::Params, u64, Option<usize>, Option<usize>),
) -> Result<Outcome, JobError> {
    let Bench {
        settings,
        data,
        device,
        dir,
    } = *bench;
    let data = data.digits()?;
    let (units, optimizer) = mnist_params(params)?;
    let epochs = epochs.unwrap_or(settings.max_epochs);
    let mut values = Vec::with_capacity(settings.executions);
    for execution in 0..settings.executions.max(1) {
        let spec = TrialSpec {
            units,
            optimizer,
            seed: seed + execution as u64,
            batch: settings.batch,
            patience: settings.patience,
        };
        let saved = dir.map(|d| store::trial_dir(d, trial, execution));
        let mut run = match saved.as_deref().filter(|p| p.exists()) {
            // Where a stopped or killed session left it.
            Some(path) => Run::load(path, device)?,
            None => match from.filter(|_| execution == 0).and_then(|parent| {
                runs.remove(&parent)
                    .or_else(|| Run::load(&store::trial_dir(dir?, parent, 0), device).ok())
            }) {
                Some(mut parent) => {
                    parent.finished = false;
                    parent
                }
                None => Run::new(spec, device),
            },
        };
        run.checkpoint = saved;
        let mut pruned_at = None;
        let check = || ctx.checkpoint();
        let mut on_epoch = |figures: &EpochFigures| -> Result<Next, JobError> {
            ctx.send(TunerEvent::Epoch {
                trial,
                execution,
                figures: *figures,
                value: figures.val_accuracy,
            })?;
            if execution > 0 {
                return Ok(Next::Continue);
            }
            let prune = study
                .report(trial, figures.epoch, figures.val_accuracy)
                .map_err(anyhow::Error::from)?;
            if prune {
                pruned_at = Some(figures.epoch);
                return Ok(Next::Stop);
            }
            Ok(Next::Continue)
        };
        if !run.finished {
            run.train_to(
                epochs,
                &data.train,
                Some(&data.val),
                device,
                &check,
                &mut on_epoch,
            )?;
        }
        if let Some(epoch) = pruned_at {
            return Ok(Outcome::Pruned { epoch });
        }
        values.push(run.best_val_accuracy().unwrap_or(f64::NAN));
        if execution == 0 && matches!(settings.oracle, OracleConfig::Hyperband { .. }) {
            runs.insert(trial, run);
        }
    }
    Ok(if values.len() == 1 {
        Outcome::Value(values[0])
    } else {
        Outcome::Executions(values)
    })
}

/// Completed trials needed before importance is shown.
const IMPORTANCE_AFTER: usize = 5;

/// Parameter importance from a Gaussian process fitted to the completed trials.
pub(super) fn importance(study: &Study) -> Vec<(String, f64)> {
    let space = &study.settings.space;
    let (x, y): (Vec<Vec<f64>>, Vec<f64>) = study
        .trials
        .iter()
        .filter(|t| t.state == TrialState::Completed)
        .filter_map(|t| Some((space.encode(&t.params), study.loss(t.value?))))
        .unzip();
    if x.len() < IMPORTANCE_AFTER {
        return Vec::new();
    }
    let mut rng = tuner::rng::Rng::new(study.settings.seed);
    // From the oracle's last fit, so the importance and the look inside
    // the oracle tell of the same surrogate.
    let gp = tuner::gp::Gp::fit(&x, &y, study.last_fit(), 2, &mut rng);
    tuner::importance::main_effects(space, &gp, &mut rng)
}
