//! One trial of the `vae` study: the VAE technique's own job trains the
//! book's model with the trial's learning rate and batch size on the
//! training digits, holding the test digits out; after every epoch their
//! loss is the intermediate value (pruning stops the training), and the
//! lowest is the trial's objective. No checkpoint of its own: a trial a
//! killed study left running is trained again from its seed.

use tuner::{Outcome, Study};

use super::super::studies::vae_params;
use super::super::train::EpochFigures;
use super::trial::Bench;
use super::{TunerCommand, TunerEvent};
use crate::job::{JobContext, JobError, JobMessage, no_waker};
use crate::techniques::vae::job::{self as vae, DataSource, VaeCommand, VaeEvent, VaeStart};
use crate::techniques::vae::model::VaeSettings;

pub(super) fn run_vae_trial(
    ctx: &mut JobContext<TunerEvent, TunerCommand>,
    bench: &Bench<'_>,
    study: &mut Study,
    (trial, params, seed, epochs): (usize, &tuner::Params, u64, Option<usize>),
) -> Result<Outcome, JobError> {
    let (learning_rate, batch_size) = vae_params(params)?;
    let epochs = epochs.unwrap_or(bench.settings.max_epochs);
    let mut values = Vec::with_capacity(bench.settings.executions);
    for execution in 0..bench.settings.executions.max(1) {
        let config = VaeSettings {
            learning_rate,
            batch_size,
            epochs,
            seed: seed + execution as u64,
            ..VaeSettings::new()
        };
        let data = DataSource::Split {
            train: bench.data.train.clone(),
            validation: bench.data.test.clone(),
        };
        let mut handle = vae::start(
            VaeStart::Train { config, data },
            bench.device.clone(),
            no_waker(),
        )
        .map_err(anyhow::Error::from)?;
        let (mut best, mut train_loss) = (f64::INFINITY, f64::NAN);
        loop {
            ctx.checkpoint()?;
            let Some(message) = handle.recv_blocking() else {
                break;
            };
            match message {
                JobMessage::Event(VaeEvent::EpochDone { mean, .. }) => {
                    train_loss = f64::from(mean.total);
                }
                JobMessage::Event(VaeEvent::Validation { epoch, loss }) => {
                    let value = f64::from(loss.total);
                    best = best.min(value);
                    let figures = EpochFigures {
                        epoch,
                        loss: train_loss,
                        accuracy: f64::NAN,
                        val_loss: value,
                        val_accuracy: f64::NAN,
                    };
                    ctx.send(TunerEvent::Epoch {
                        trial,
                        execution,
                        figures,
                        value,
                    })?;
                    if execution == 0
                        && study
                            .report(trial, epoch, value)
                            .map_err(anyhow::Error::from)?
                    {
                        handle.command(VaeCommand::StopTraining);
                        return Ok(Outcome::Pruned { epoch });
                    }
                }
                JobMessage::Event(VaeEvent::TrainingDone)
                | JobMessage::Finished
                | JobMessage::Cancelled => break,
                JobMessage::Event(_) => {}
                JobMessage::Failed(reason) => {
                    return Err(anyhow::anyhow!("the VAE job failed: {reason}").into());
                }
            }
        }
        values.push(best);
    }
    Ok(if values.len() == 1 {
        Outcome::Value(values[0])
    } else {
        Outcome::Executions(values)
    })
}
