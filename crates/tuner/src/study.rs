//! A study: the space, the oracle, every trial and what was told about it.
//! Its state is the replay of its journal, so opening the folder again
//! resumes it; each proposal's randomness follows from the study's seed and
//! the trial's number.

use std::path::Path;

use crate::bayesian;
use crate::gp::Hyper;
use crate::hyperband::Slot;
use crate::journal::{self, Event, Journal};
use crate::oracle::OracleConfig;
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
}

#[path = "study_ask.rs"]
mod ask;
#[path = "study_tell.rs"]
mod tell;

#[cfg(test)]
#[path = "study_tests.rs"]
mod tests;
