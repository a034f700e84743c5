//! "Re-run trial N": its first execution trained again from its recorded
//! seed, on the data and with the settings the study ran with, so its curve
//! of the objective can be set beside the journal's — on the CPU, the same to
//! the last digit. A promoted Hyperband trial is re-run from its first
//! ancestor's seed to its own epochs, as the promotions continued it.

use std::path::PathBuf;

use burn::tensor::Device;
use tuner::Study;

use super::job::{Bench, Observer, stored_settings, train_again};
use super::studies::{StudyData, StudyKind, mnist_params};
use super::train::{EpochFigures, Next, Run, TrialSpec};
use crate::job::{JobBuilder, JobContext, JobError, JobHandle, Waker};

#[derive(Clone, Debug)]
pub struct Rerun {
    pub trial: usize,
    /// (epoch, objective) of the re-run, at every epoch it measured.
    pub curve: Vec<(usize, f64)>,
    /// (epoch, objective) as the journal has them.
    pub journal: Vec<(usize, f64)>,
}

impl Rerun {
    /// The largest difference between the two curves at the journal's
    /// epochs, or `None` when an epoch of the journal was not re-run.
    pub fn largest_difference(&self) -> Option<f64> {
        self.journal
            .iter()
            .try_fold(0.0f64, |largest, (epoch, value)| {
                let (_, again) = self.curve.iter().find(|(e, _)| e == epoch)?;
                Some(largest.max((again - value).abs()))
            })
    }
}

pub fn start(
    dir: PathBuf,
    trial: usize,
    device: Device,
    waker: Waker,
) -> std::io::Result<JobHandle<Rerun, ()>> {
    JobBuilder::new("tuner-rerun")
        .waker(waker)
        .spawn(move |ctx: &mut JobContext<Rerun, ()>| {
            let study = Study::open(&dir).map_err(anyhow::Error::from)?;
            let settings = stored_settings(&dir)?;
            let found = study
                .trials
                .get(trial)
                .ok_or_else(|| anyhow::anyhow!("trial {trial} does not exist in this study"))?;
            let mut root = found;
            while let Some(parent) = root.from.and_then(|p| study.trials.get(p)) {
                root = parent;
            }
            let data = StudyData::load(settings.kind, settings.limit)?;
            let epochs = found.epochs.unwrap_or(settings.max_epochs);
            let curve = if settings.kind == StudyKind::Mnist {
                let (units, optimizer) = mnist_params(&found.params)?;
                let spec = TrialSpec {
                    units,
                    optimizer,
                    seed: root.seed,
                    batch: settings.batch,
                    patience: settings.patience,
                };
                let data = data.digits()?;
                let mut run = Run::new(spec, &device);
                let check = || ctx.checkpoint();
                let mut quiet = |_: &EpochFigures| -> Result<Next, JobError> { Ok(Next::Continue) };
                run.train_to(
                    epochs,
                    &data.train,
                    Some(&data.val),
                    &device,
                    &check,
                    &mut quiet,
                )?;
                run.history
                    .iter()
                    .map(|f| (f.epoch, f.val_accuracy))
                    .collect()
            } else {
                let bench = Bench {
                    settings: &settings,
                    data: &data,
                    device: &device,
                    dir: None,
                };
                let mut watch = Quiet(ctx);
                let direction = study.settings.space.direction;
                let seed = root.seed;
                train_again(&mut watch, &bench, direction, (&found.params, seed, epochs))?.values
            };
            ctx.send(Rerun {
                trial,
                curve,
                journal: found.intermediate.clone(),
            })
        })
}

/// A re-run's watch: it only follows cancel and pause.
struct Quiet<'a>(&'a JobContext<Rerun, ()>);

impl Observer for Quiet<'_> {
    fn checkpoint(&self) -> Result<(), JobError> {
        self.0.checkpoint()
    }

    fn is_paused(&self) -> bool {
        self.0.is_paused()
    }

    fn epoch(&mut self, _: EpochFigures, _: f64) -> Result<bool, JobError> {
        Ok(false)
    }
}
