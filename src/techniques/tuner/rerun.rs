//! "Re-run trial N": its first execution trained again from its recorded
//! seed, on the digits and with the settings the study ran with, so its
//! curve can be set beside the journal's — on the CPU, the same to the last
//! digit. A promoted Hyperband trial is re-run from its first ancestor's
//! seed to its own epochs, as the promotions continued it.

use std::path::PathBuf;

use burn::tensor::Device;
use tuner::Study;

use super::job::stored_settings;
use super::studies::{MnistData, mnist_params};
use super::train::{EpochFigures, Next, Run, TrialSpec};
use crate::job::{JobBuilder, JobContext, JobError, JobHandle, Waker};

#[derive(Clone, Debug)]
pub struct Rerun {
    pub trial: usize,
    /// Every epoch of the re-run.
    pub figures: Vec<EpochFigures>,
    /// (epoch, val_accuracy) as the journal has them.
    pub journal: Vec<(usize, f64)>,
}

impl Rerun {
    /// The largest difference between the two curves at the journal's
    /// epochs, or `None` when an epoch of the journal was not re-run.
    pub fn largest_difference(&self) -> Option<f64> {
        self.journal
            .iter()
            .try_fold(0.0f64, |largest, (epoch, value)| {
                let again = self.figures.get(epoch.checked_sub(1)?)?.val_accuracy;
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
            if settings.kind != super::studies::StudyKind::Mnist {
                return Err(anyhow::anyhow!(
                    "re-running a trial is built for the mnist study only"
                )
                .into());
            }
            let found = study
                .trials
                .get(trial)
                .ok_or_else(|| anyhow::anyhow!("trial {trial} does not exist in this study"))?;
            let mut root = found;
            while let Some(parent) = root.from.and_then(|p| study.trials.get(p)) {
                root = parent;
            }
            let (units, optimizer) = mnist_params(&found.params)?;
            let spec = TrialSpec {
                units,
                optimizer,
                seed: root.seed,
                batch: settings.batch,
                patience: settings.patience,
            };
            let data = MnistData::load(settings.limit)?;
            let mut run = Run::new(spec, &device);
            let check = || ctx.checkpoint();
            let mut quiet = |_: &EpochFigures| -> Result<Next, JobError> { Ok(Next::Continue) };
            let epochs = found.epochs.unwrap_or(settings.max_epochs);
            run.train_to(
                epochs,
                &data.train,
                Some(&data.val),
                &device,
                &check,
                &mut quiet,
            )?;
            ctx.send(Rerun {
                trial,
                figures: run.history.clone(),
                journal: found.intermediate.clone(),
            })
        })
}
