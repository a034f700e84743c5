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
pub(crate) enum Seen {
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
pub(crate) struct Followed {
    /// The objective after each measured epoch.
    pub(crate) values: Vec<(usize, f64)>,
    /// The epoch median pruning stopped it at.
    pub(crate) pruned: Option<usize>,
}

impl Followed {
    /// The best value reached (EarlyStopping keeps the best epoch).
    pub(crate) fn best(&self, direction: Direction) -> f64 {
        self.values
            .iter()
            .map(|&(_, v)| v)
            .reduce(|a, b| if better(direction, b, a) { b } else { a })
            .unwrap_or(f64::NAN)
    }

    /// Measured values since the best one.
    fn since_best(&self, direction: Direction) -> usize {
        let best = self.best(direction);
        let at = self
            .values
            .iter()
            .rposition(|&(_, v)| v.total_cmp(&best).is_eq());
        at.map_or(0, |at| self.values.len() - 1 - at)
    }

    /// The value after the last measured epoch.
    pub(crate) fn last(&self) -> f64 {
        self.values.last().map_or(f64::NAN, |&(_, v)| v)
    }
}

/// Cancels the followed job and waits (a while) for it to end, so that a
/// study opened again right away never finds it still writing its folder,
/// and the next trial starts alone.
fn wait_out<E, C>(mut handle: JobHandle<E, C>) {
    handle.cancel();
    let began = std::time::Instant::now();
    while !handle.is_finished() && began.elapsed() < Duration::from_secs(30) {
        let _ = handle.recv_timeout(Duration::from_millis(100));
    }
}

fn better(direction: Direction, value: f64, than: f64) -> bool {
    match direction {
        Direction::Minimize => value < than,
        Direction::Maximize => value > than,
    }
}

/// Who watches the followed job: the study (a trial), or a re-run.
pub(crate) trait Observer {
    /// `Err(Cancelled)` when the watcher was cancelled; blocks while it is paused.
    fn checkpoint(&self) -> Result<(), JobError>;
    fn is_paused(&self) -> bool;
    /// An epoch was measured; true prunes the run.
    fn epoch(&mut self, figures: EpochFigures, value: f64) -> Result<bool, JobError>;
}

/// The study's watch over one execution of a trial: every epoch streamed,
/// the first execution's reported to the study (once an epoch: a resumed
/// run may measure one the journal has) for median pruning.
pub(super) struct TrialObserver<'a> {
    pub(super) ctx: &'a mut JobContext<TunerEvent, TunerCommand>,
    pub(super) study: &'a mut Study,
    pub(super) trial: usize,
    pub(super) execution: usize,
}

impl Observer for TrialObserver<'_> {
    fn checkpoint(&self) -> Result<(), JobError> {
        self.ctx.checkpoint()
    }

    fn is_paused(&self) -> bool {
        self.ctx.is_paused()
    }

    fn epoch(&mut self, figures: EpochFigures, value: f64) -> Result<bool, JobError> {
        let (trial, epoch) = (self.trial, figures.epoch);
        self.ctx.send(TunerEvent::Epoch {
            trial,
            execution: self.execution,
            figures,
            value,
        })?;
        // Executions after the first are the same trial's repeats: only the
        // first is judged against the other trials.
        let reported = self.study.trials[trial]
            .intermediate
            .iter()
            .any(|&(e, _)| e == epoch);
        if self.execution > 0 || reported {
            return Ok(false);
        }
        Ok(self
            .study
            .report(trial, epoch, value)
            .map_err(anyhow::Error::from)?)
    }
}

/// How to follow an execution: EarlyStopping's patience (0 = none) on the
/// objective in `direction`, and what a stopped run left.
#[derive(Clone, Debug)]
pub(crate) struct Following {
    pub(crate) direction: Direction,
    pub(crate) patience: usize,
    /// The values a stopped or killed run of it measured before its checkpoint.
    pub(crate) earlier: Vec<(usize, f64)>,
    /// Where the values are kept as they come (with a study folder).
    pub(crate) values_file: Option<std::path::PathBuf>,
}

/// Follows `handle` until its training is over; `stop` ends its training
/// early, `see` reads its events.
///
/// It returns only once the followed job has ended, so the next trial's
/// draws from the device's random generator never interleave with its
/// (burn's CPU device has one generator per process).
pub(crate) fn follow<E, C: Clone>(
    observer: &mut dyn Observer,
    following: Following,
    mut handle: JobHandle<E, C>,
    stop: &C,
    see: impl FnMut(E) -> Seen,
) -> Result<Followed, JobError> {
    let followed = watch(observer, following, &mut handle, stop, see);
    wait_out(handle);
    followed
}

fn watch<E, C: Clone>(
    observer: &mut dyn Observer,
    following: Following,
    handle: &mut JobHandle<E, C>,
    stop: &C,
    mut see: impl FnMut(E) -> Seen,
) -> Result<Followed, JobError> {
    let Following {
        direction,
        patience,
        earlier,
        values_file,
    } = following;
    let mut followed = Followed {
        values: earlier,
        pruned: None,
    };
    let mut train_loss = f64::NAN;
    while !handle.is_finished() {
        if observer.is_paused() {
            handle.pause();
        }
        observer.checkpoint()?;
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
                // A resumed run measures again what its checkpoint had not kept.
                followed.values.retain(|&(e, _)| e < epoch);
                followed.values.push((epoch, value));
                if let Some(path) = &values_file {
                    let text =
                        serde_json::to_string(&followed.values).map_err(anyhow::Error::from)?;
                    std::fs::write(path, text)
                        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
                }
                let figures = EpochFigures {
                    epoch,
                    loss: train_loss,
                    accuracy: f64::NAN,
                    val_loss: value,
                    val_accuracy: f64::NAN,
                };
                if observer.epoch(figures, value)? {
                    handle.command(stop.clone());
                    followed.pruned = Some(epoch);
                    return Ok(followed);
                }
                if patience > 0 && followed.since_best(direction) >= patience {
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
