//! The note's finish for the best configurations of a study: find each
//! one's best epoch (EarlyStopping on the validation loss, patience 10),
//! retrain on the training and validation digits together for
//! `int(best_epoch · 1.2)` epochs, evaluate once on the test digits, save the
//! model. A job like the search, so the tab and `tune finish` share it.

use std::path::PathBuf;

use burn::module::Module;
use burn::tensor::Device;
use tuner::Study;

use super::job::TuneSettings;
use super::studies::{MnistData, mnist_params};
use super::train::{EpochFigures, Next, Run, TrialSpec, evaluate};
use crate::job::{JobBuilder, JobContext, JobError, JobHandle, Waker};

/// The note's patience for finding the best epoch.
pub const FINISH_PATIENCE: usize = 10;

#[derive(Clone, Debug, PartialEq)]
pub struct FinishRow {
    pub trial: usize,
    pub params: tuner::Params,
    pub best_epoch: usize,
    pub retrain_epochs: usize,
    pub test_loss: f64,
    pub test_accuracy: f64,
    pub saved: PathBuf,
}

#[derive(Clone, Debug)]
pub enum FinishEvent {
    /// Which stage of which configuration (for progress).
    Stage {
        trial: usize,
        stage: &'static str,
        epoch: usize,
    },
    Row(FinishRow),
}

/// The epochs the note retrains for: `int(best_epoch * 1.2)`.
pub fn retrain_epochs(best_epoch: usize) -> usize {
    (best_epoch * 12) / 10
}

pub fn start(
    dir: PathBuf,
    top: usize,
    settings: &TuneSettings,
    device: Device,
    waker: Waker,
) -> std::io::Result<JobHandle<FinishEvent, ()>> {
    let settings = settings.clone();
    JobBuilder::new("tuner-finish").waker(waker).spawn(
        move |ctx: &mut JobContext<FinishEvent, ()>| {
            if settings.kind != super::studies::StudyKind::Mnist {
            return Err(anyhow::anyhow!("the note's finish (best epoch, retrain, test) is built for the mnist study only").into());
        }
        let study = Study::open(&dir).map_err(anyhow::Error::from)?;
            let best: Vec<(usize, tuner::Params, u64)> = study
                .best(top)
                .iter()
                .map(|t| (t.id, t.params.clone(), t.seed))
                .collect();
            if best.is_empty() {
                return Err(anyhow::anyhow!(
                    "the study in {} has no completed trial to finish",
                    dir.display()
                )
                .into());
            }
            let data = MnistData::load(settings.limit)?;
            let everything = data.train_and_val();
            for (trial, params, seed) in best {
                let (units, optimizer) = mnist_params(&params)?;
                let spec = TrialSpec {
                    units,
                    optimizer,
                    seed,
                    batch: settings.batch,
                    patience: FINISH_PATIENCE,
                };
                let mut search = Run::new(spec, &device);
                let check = || ctx.checkpoint();
                let mut quiet = |_: &EpochFigures| -> Result<Next, JobError> { Ok(Next::Continue) };
                search.train_to(
                    settings.max_epochs,
                    &data.train,
                    Some(&data.val),
                    &device,
                    &check,
                    &mut quiet,
                )?;
                ctx.send(FinishEvent::Stage {
                    trial,
                    stage: "best epoch",
                    epoch: search.epochs_done(),
                })?;
                let best_epoch = search.best_epoch().unwrap_or(1);
                let epochs = retrain_epochs(best_epoch).max(1);
                let mut full = Run::new(
                    TrialSpec {
                        patience: 0,
                        ..spec
                    },
                    &device,
                );
                full.train_to(epochs, &everything, None, &device, &check, &mut quiet)?;
                ctx.send(FinishEvent::Stage {
                    trial,
                    stage: "retrained",
                    epoch: epochs,
                })?;
                let model = full.model();
                let (test_loss, test_accuracy) = evaluate(&model, &data.test, &device)?;
                let saved = dir.join("finish").join(format!("trial-{trial}"));
                std::fs::create_dir_all(dir.join("finish")).map_err(anyhow::Error::from)?;
                model
                    .save_file(&saved)
                    .map_err(|e| anyhow::anyhow!("could not save {}: {e:?}", saved.display()))?;
                ctx.send(FinishEvent::Row(FinishRow {
                    trial,
                    params,
                    best_epoch,
                    retrain_epochs: epochs,
                    test_loss,
                    test_accuracy,
                    saved,
                }))?;
            }
            Ok(())
        },
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn retraining_is_int_of_one_point_two_times_the_best_epoch() {
        assert_eq!(super::retrain_epochs(10), 12);
        assert_eq!(super::retrain_epochs(7), 8); // int(8.4)
        assert_eq!(super::retrain_epochs(4), 4); // int(4.8)
    }
}
