//! Following a technique's own job through one execution of a trial (the
//! `vae`, `gan` and `text` studies): each epoch's held-out figure becomes the
//! trial's intermediate value, and median pruning or EarlyStopping end the
//! job's training. Pausing the tuner holds the followed job too; cancelling
//! it drops (and so cancels) the followed job.

use std::time::Duration;

use tuner::{Direction, Study};

use super::super::train::EpochFigures;
use super::{TunerCommand, TunerEvent};
use crate::job::{JobContext, JobError, JobHandle, JobMessage};

/// What an event of the followed job means to the trial.
pub(super) enum Seen {
    /// An epoch's training loss, shown with the next held-out figure.
    TrainLoss(f64),
    /// The objective after `epoch`.
    Value {
        epoch: usize,
        value: f64,
    },
    /// Training is over.
    Done,
    Other,
}

/// How one execution went.
#[derive(Debug, Default)]
pub(super) struct Followed {
    /// The objective after each measured epoch.
    pub(super) values: Vec<(usize, f64)>,
    /// The epoch median pruning stopped it at.
    pub(super) pruned: Option<usize>,
}

impl Followed {
    /// The best value reached (EarlyStopping keeps the best epoch).
    pub(super) fn best(&self, direction: Direction) -> f64 {
        self.values
            .iter()
            .map(|&(_, v)| v)
            .reduce(|a, b| if better(direction, b, a) { b } else { a })
            .unwrap_or(f64::NAN)
    }

    /// The value after the last measured epoch.
    pub(super) fn last(&self) -> f64 {
        self.values.last().map_or(f64::NAN, |&(_, v)| v)
    }
}

fn better(direction: Direction, value: f64, than: f64) -> bool {
    match direction {
        Direction::Minimize => value < than,
        Direction::Maximize => value > than,
    }
}

/// Which trial and execution is followed, and EarlyStopping's patience (0 = none).
#[derive(Clone, Copy, Debug)]
pub(super) struct Following {
    pub(super) trial: usize,
    pub(super) execution: usize,
    pub(super) patience: usize,
}

/// Follows `handle` until its training is over; `stop` ends its training
/// early, `see` reads its events.
pub(super) fn follow<E, C: Clone>(
    ctx: &mut JobContext<TunerEvent, TunerCommand>,
    study: &mut Study,
    following: Following,
    mut handle: JobHandle<E, C>,
    stop: &C,
    mut see: impl FnMut(E) -> Seen,
) -> Result<Followed, JobError> {
    let Following {
        trial,
        execution,
        patience,
    } = following;
    let direction = study.settings.space.direction;
    let mut followed = Followed::default();
    let (mut train_loss, mut since_best) = (f64::NAN, 0);
    while !handle.is_finished() {
        if ctx.is_paused() {
            handle.pause();
        }
        ctx.checkpoint()?;
        if handle.is_paused() {
            handle.resume();
        }
        let Some(message) = handle.recv_timeout(Duration::from_millis(100)) else {
            continue;
        };
        let event = match message {
            JobMessage::Event(event) => event,
            JobMessage::Finished | JobMessage::Cancelled => break,
            JobMessage::Failed(reason) => {
                return Err(anyhow::anyhow!("the {} job failed: {reason}", handle.name()).into());
            }
        };
        match see(event) {
            Seen::TrainLoss(loss) => train_loss = loss,
            Seen::Value { epoch, value } => {
                let improved = followed
                    .values
                    .iter()
                    .all(|&(_, v)| better(direction, value, v));
                since_best = if improved { 0 } else { since_best + 1 };
                followed.values.push((epoch, value));
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
                // Executions after the first are the same trial's repeats:
                // only the first is judged against the other trials.
                if execution == 0
                    && study
                        .report(trial, epoch, value)
                        .map_err(anyhow::Error::from)?
                {
                    handle.command(stop.clone());
                    followed.pruned = Some(epoch);
                    return Ok(followed);
                }
                if patience > 0 && since_best >= patience {
                    handle.command(stop.clone());
                    return Ok(followed);
                }
            }
            Seen::Done => return Ok(followed),
            Seen::Other => {}
        }
    }
    Ok(followed)
}
