//! A study: the space, the oracle, every trial and what was told about it.
//! Its state is the replay of its journal, so opening the folder again
//! resumes it; each proposal's randomness follows from the study's seed and
//! the trial's number.

use std::path::Path;

use crate::bayesian;
use crate::gp::Hyper;
use crate::hyperband::{self, Slot};
use crate::journal::{self, Event, Journal};
use crate::oracle::OracleConfig;
use crate::rng::Rng;
use crate::space::{Direction, Params, Space};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrialState {
    Running,
    Completed,
    Pruned,
    Failed,
}

impl TrialState {
    pub fn name(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Completed => "completed",
            Self::Pruned => "pruned",
            Self::Failed => "failed",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Trial {
    pub id: usize,
    pub params: Params,
    pub seed: u64,
    pub state: TrialState,
    pub value: Option<f64>,
    pub executions: Vec<f64>,
    /// (epoch, value) as reported while it trained.
    pub intermediate: Vec<(usize, f64)>,
    /// Epochs to train to (Hyperband), and the trial whose checkpoint it continues.
    pub epochs: Option<usize>,
    pub from: Option<usize>,
    pub slot: Option<Slot>,
    pub reason: Option<String>,
    pub started: f64,
    pub finished: Option<f64>,
}

impl Trial {
    pub fn seconds(&self) -> Option<f64> {
        self.finished.map(|end| end - self.started)
    }
}

/// What `ask` gives.
#[derive(Clone, Debug, PartialEq)]
pub enum Ask {
    Trial {
        trial: usize,
        params: Params,
        seed: u64,
        epochs: Option<usize>,
        from: Option<usize>,
    },
    /// Nothing can start until running trials are told (a Hyperband rung).
    Wait { running: usize },
    /// The search is over (max trials, a finished grid or Hyperband, a used-up space).
    Done(String),
}

/// How a trial ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Value(f64),
    /// Several executions; the objective is their mean.
    Executions(Vec<f64>),
    Pruned {
        epoch: usize,
    },
    Failed(String),
}

#[derive(Debug, thiserror::Error)]
pub enum StudyError {
    #[error("trial {0} does not exist in this study")]
    UnknownTrial(usize),
    #[error("trial {trial} is already {state}")]
    Finished { trial: usize, state: &'static str },
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{0} has no study header: not a study journal")]
    NoHeader(String),
    #[error("this study was made for another space: {0}")]
    OtherSpace(String),
    #[error("journal format {0}; this tuner reads format {v}", v = journal::VERSION)]
    Version(u32),
}

pub struct Settings {
    pub space: Space,
    pub oracle: OracleConfig,
    pub seed: u64,
    pub max_trials: Option<usize>,
    /// Median pruning of intermediate values.
    pub prune: bool,
}

/// Completed trials needed at an epoch before median pruning judges it.
pub const PRUNE_AFTER: usize = 3;

pub struct Study {
    pub settings: Settings,
    pub trials: Vec<Trial>,
    /// Said once when the journal was read (damaged lines skipped).
    pub notices: Vec<String>,
    journal: Option<Journal>,
    /// The last Bayesian fit's hyper-parameters.
    warm: Option<Hyper>,
    /// The Bayesian oracle's last step, for a look inside.
    pub last_step: Option<bayesian::Step>,
}

const PURPOSE_PROPOSE: u64 = 1;
const PURPOSE_TRIAL_SEED: u64 = 2;

impl Study {
    pub fn in_memory(settings: Settings) -> Self {
        Self {
            settings,
            trials: Vec::new(),
            notices: Vec::new(),
            journal: None,
            warm: None,
            last_step: None,
        }
    }

    /// Opens the study in `dir`, or starts it there with `settings`; a study
    /// made for another space is refused with the difference.
    pub fn open_or_create(dir: &Path, settings: Settings) -> Result<Self, StudyError> {
        if Journal::path_in(dir).exists() {
            let study = Self::open(dir)?;
            let differences = settings.space.differences(&study.settings.space);
            if !differences.is_empty() {
                return Err(StudyError::OtherSpace(differences.join("; ")));
            }
            return Ok(study);
        }
        let io = |source| StudyError::Io {
            path: dir.display().to_string(),
            source,
        };
        let mut journal = Journal::open(dir).map_err(io)?;
        let header = Event::Study {
            version: journal::VERSION,
            space: settings.space.clone(),
            oracle: settings.oracle.clone(),
            seed: settings.seed,
            max_trials: settings.max_trials,
            prune: settings.prune,
        };
        journal.append(&header).map_err(io)?;
        Ok(Self {
            journal: Some(journal),
            ..Self::in_memory(settings)
        })
    }

    /// Reopens a study from its folder's journal.
    pub fn open(dir: &Path) -> Result<Self, StudyError> {
        let path = Journal::path_in(dir);
        let io = |source| StudyError::Io {
            path: path.display().to_string(),
            source,
        };
        let (events, skipped) = journal::read(&path).map_err(io)?;
        let mut events = events.into_iter();
        let Some(Event::Study {
            version,
            space,
            oracle,
            seed,
            max_trials,
            prune,
        }) = events.next()
        else {
            return Err(StudyError::NoHeader(path.display().to_string()));
        };
        if version != journal::VERSION {
            return Err(StudyError::Version(version));
        }
        let mut study = Self::in_memory(Settings {
            space,
            oracle,
            seed,
            max_trials,
            prune,
        });
        for event in events {
            study.apply(event);
        }
        if skipped > 0 {
            study.notices.push(format!(
                "{skipped} damaged line(s) of {} skipped",
                path.display()
            ));
        }
        study.journal = Some(Journal::open(dir).map_err(io)?);
        Ok(study)
    }

    /// Applies one event to the state (replay and live alike).
    fn apply(&mut self, event: Event) {
        match event {
            Event::Study { .. } => {}
            Event::Proposed {
                trial,
                params,
                seed,
                epochs,
                from,
                slot,
                hyper,
                at,
            } => {
                if let Some(theta) = hyper.filter(|t| t.len() >= 2) {
                    self.warm = Some(Hyper::from_vec(&theta));
                }
                self.trials.push(Trial {
                    id: trial,
                    params,
                    seed,
                    state: TrialState::Running,
                    value: None,
                    executions: Vec::new(),
                    intermediate: Vec::new(),
                    epochs,
                    from,
                    slot,
                    reason: None,
                    started: at,
                    finished: None,
                });
            }
            Event::Intermediate {
                trial,
                epoch,
                value,
            } => {
                if let Some(t) = self.trials.get_mut(trial) {
                    t.intermediate.retain(|(e, _)| *e != epoch);
                    t.intermediate.push((epoch, value));
                }
            }
            Event::Completed {
                trial,
                value,
                executions,
                at,
            } => {
                if let Some(t) = self.trials.get_mut(trial) {
                    (t.state, t.value, t.executions, t.finished) =
                        (TrialState::Completed, Some(value), executions, Some(at));
                }
            }
            Event::Pruned { trial, epoch, at } => {
                if let Some(t) = self.trials.get_mut(trial) {
                    t.state = TrialState::Pruned;
                    t.value = t
                        .intermediate
                        .iter()
                        .find(|(e, _)| *e == epoch)
                        .map(|(_, v)| *v);
                    t.finished = Some(at);
                }
            }
            Event::Failed { trial, reason, at } => {
                if let Some(t) = self.trials.get_mut(trial) {
                    (t.state, t.reason, t.finished) = (TrialState::Failed, Some(reason), Some(at));
                }
            }
        }
    }

    fn record(&mut self, event: Event) -> Result<(), StudyError> {
        if let Some(journal) = &mut self.journal {
            let path = journal.path().display().to_string();
            journal
                .append(&event)
                .map_err(|source| StudyError::Io { path, source })?;
        }
        self.apply(event);
        Ok(())
    }

    /// The objective as a loss (lower is better) for either direction.
    /// The last Bayesian fit's hyper-parameters, where a surrogate fitted
    /// to the same trials for another purpose can start.
    pub fn last_fit(&self) -> Option<&Hyper> {
        self.warm.as_ref()
    }

    pub fn loss(&self, value: f64) -> f64 {
        match self.settings.space.direction {
            Direction::Minimize => value,
            Direction::Maximize => -value,
        }
    }

    pub fn running(&self) -> usize {
        self.trials
            .iter()
            .filter(|t| t.state == TrialState::Running)
            .count()
    }

    /// The next trial to run.
    pub fn ask(&mut self) -> Result<Ask, StudyError> {
        if let Some(max) = self.settings.max_trials
            && self.trials.len() >= max
        {
            return Ok(Ask::Done(format!("{max} trials, the most asked for")));
        }
        let id = self.trials.len();
        let mut rng = Rng::for_trial(self.settings.seed, id, PURPOSE_PROPOSE);
        let tried: Vec<Params> = self.trials.iter().map(|t| t.params.clone()).collect();
        let space = self.settings.space.clone();
        let (mut epochs, mut from, mut slot) = (None, None, None);
        self.last_step = None;
        let params = match self.settings.oracle.clone() {
            OracleConfig::Random => random_new(&space, &tried, &mut rng),
            OracleConfig::Grid => crate::grid::next(&space, &tried),
            OracleConfig::Bayesian {
                acquisition,
                initial_points,
            } => self.propose_bayesian(acquisition, initial_points, &tried, &mut rng),
            OracleConfig::Hyperband { max_epochs, factor } => {
                match self.hyperband_next(max_epochs, factor) {
                    hyperband::Next::New { slot: s, epochs: e } => {
                        (epochs, slot) = (Some(e), Some(s));
                        random_new(&space, &tried, &mut rng)
                    }
                    hyperband::Next::Promote {
                        slot: s,
                        from: parent,
                        epochs: e,
                    } => {
                        (epochs, from, slot) = (Some(e), Some(parent), Some(s));
                        Some(self.trials[parent].params.clone())
                    }
                    hyperband::Next::Wait => {
                        return Ok(Ask::Wait {
                            running: self.running(),
                        });
                    }
                    hyperband::Next::Done => {
                        return Ok(Ask::Done("every Hyperband bracket is done".to_owned()));
                    }
                }
            }
        };
        let bayesian_now = self.last_step.is_some();
        let Some(params) = params else {
            return Ok(Ask::Done(
                "every configuration of the space has been tried".to_owned(),
            ));
        };
        let seed = Rng::for_trial(self.settings.seed, id, PURPOSE_TRIAL_SEED).next_u64() >> 11;
        let at = journal::now();
        let hyper = self
            .last_step
            .as_ref()
            .filter(|_| bayesian_now)
            .map(|s| s.gp.hyper().to_vec());
        self.record(Event::Proposed {
            trial: id,
            params: params.clone(),
            seed,
            epochs,
            from,
            slot,
            hyper,
            at,
        })?;
        Ok(Ask::Trial {
            trial: id,
            params,
            seed,
            epochs,
            from,
        })
    }

    fn running_trial(&self, trial: usize) -> Result<&Trial, StudyError> {
        let found = self
            .trials
            .get(trial)
            .ok_or(StudyError::UnknownTrial(trial))?;
        if found.state != TrialState::Running {
            return Err(StudyError::Finished {
                trial,
                state: found.state.name(),
            });
        }
        Ok(found)
    }

    /// Random trials first, then the surrogate's proposal (kept in
    /// `last_step` for a look inside).
    fn propose_bayesian(
        &mut self,
        acquisition: crate::Acquisition,
        initial_points: Option<usize>,
        tried: &[Params],
        rng: &mut Rng,
    ) -> Option<Params> {
        let space = &self.settings.space;
        let initial = initial_points.unwrap_or((3 * space.varying()).max(3));
        let observed: Vec<(Vec<f64>, f64)> = self
            .trials
            .iter()
            .filter(|t| t.state == TrialState::Completed)
            .filter_map(|t| Some((space.encode(&t.params), self.loss(t.value?))))
            .filter(|(_, loss)| loss.is_finite())
            .collect();
        if self.trials.len() < initial || observed.is_empty() {
            return random_new(space, tried, rng);
        }
        let pending: Vec<Vec<f64>> = self
            .trials
            .iter()
            .filter(|t| t.state == TrialState::Running)
            .map(|t| space.encode(&t.params))
            .collect();
        // The fit starts from the last one's hyper-parameters, which the
        // journal keeps: a reopened study proposes what the uninterrupted one would.
        let step = bayesian::propose(
            space,
            &observed,
            &pending,
            tried,
            acquisition,
            self.warm.as_ref(),
            rng,
        );
        let params = step.as_ref().map(|s| s.params.clone());
        self.last_step = step;
        params
    }

    fn hyperband_next(&self, max_epochs: usize, factor: usize) -> hyperband::Next {
        let brackets = hyperband::brackets(max_epochs, factor);
        let seen: Vec<hyperband::Seen> = self
            .trials
            .iter()
            .filter_map(|t| {
                Some(hyperband::Seen {
                    id: t.id,
                    slot: t.slot?,
                    parent: t.from,
                    finished: t.state != TrialState::Running,
                    loss: (t.state == TrialState::Completed)
                        .then(|| t.value.map(|v| self.loss(v)))
                        .flatten(),
                })
            })
            .collect();
        hyperband::next(&brackets, &seen)
    }

    /// Records a running trial's value after `epoch`; `true` when median
    /// pruning says to stop it (the caller then tells `Outcome::Pruned`).
    pub fn report(&mut self, trial: usize, epoch: usize, value: f64) -> Result<bool, StudyError> {
        self.running_trial(trial)?;
        self.record(Event::Intermediate {
            trial,
            epoch,
            value,
        })?;
        if !self.settings.prune || !value.is_finite() {
            return Ok(!value.is_finite() && self.settings.prune);
        }
        let mut others: Vec<f64> = self
            .trials
            .iter()
            .filter(|t| t.state == TrialState::Completed && t.id != trial)
            .filter_map(|t| {
                t.intermediate
                    .iter()
                    .find(|(e, _)| *e == epoch)
                    .map(|(_, v)| self.loss(*v))
            })
            .collect();
        if others.len() < PRUNE_AFTER {
            return Ok(false);
        }
        others.sort_by(f64::total_cmp);
        let middle = others.len() / 2;
        let median = if others.len() % 2 == 1 {
            others[middle]
        } else {
            f64::midpoint(others[middle - 1], others[middle])
        };
        Ok(self.loss(value) > median)
    }

    /// Ends a running trial. A NaN or infinite value marks it failed.
    pub fn tell(&mut self, trial: usize, outcome: Outcome) -> Result<(), StudyError> {
        self.running_trial(trial)?;
        let at = journal::now();
        let event = match outcome {
            Outcome::Value(value) if value.is_finite() => Event::Completed {
                trial,
                value,
                executions: Vec::new(),
                at,
            },
            Outcome::Executions(values)
                if !values.is_empty() && values.iter().all(|v| v.is_finite()) =>
            {
                let value = values.iter().sum::<f64>() / values.len() as f64;
                Event::Completed {
                    trial,
                    value,
                    executions: values,
                    at,
                }
            }
            Outcome::Value(value) => Event::Failed {
                trial,
                reason: format!("the objective was {value}"),
                at,
            },
            Outcome::Executions(values) => Event::Failed {
                trial,
                reason: format!("the objectives were {values:?}"),
                at,
            },
            Outcome::Pruned { epoch } => Event::Pruned { trial, epoch, at },
            Outcome::Failed(reason) => Event::Failed { trial, reason, at },
        };
        self.record(event)
    }

    /// The `top` completed trials, best first.
    pub fn best(&self, top: usize) -> Vec<&Trial> {
        let mut done: Vec<&Trial> = self
            .trials
            .iter()
            .filter(|t| t.state == TrialState::Completed)
            .collect();
        done.sort_by(|a, b| {
            self.loss(a.value.unwrap_or(f64::NAN))
                .total_cmp(&self.loss(b.value.unwrap_or(f64::NAN)))
        });
        done.truncate(top);
        done
    }

    /// The best value after each trial, in trial order (None before the first).
    pub fn best_so_far(&self) -> Vec<Option<f64>> {
        let mut best: Option<f64> = None;
        self.trials
            .iter()
            .map(|t| {
                if t.state == TrialState::Completed
                    && let Some(v) = t.value
                    && best.is_none_or(|b| self.loss(v) < self.loss(b))
                {
                    best = Some(v);
                }
                best
            })
            .collect()
    }
}

/// A random configuration not tried yet (`None` when a small space is used up).
fn random_new(space: &Space, tried: &[Params], rng: &mut Rng) -> Option<Params> {
    (0..1000)
        .map(|_| space.decode(&space.random_point(rng)))
        .find(|p| !tried.contains(p))
        .or_else(|| bayesian::exhaustive_new(space, tried))
}

#[cfg(test)]
#[path = "study_tests.rs"]
mod tests;
