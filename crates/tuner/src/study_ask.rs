//! How a study proposes its next trial: the oracle's turn (random, grid,
//! Bayesian after its random start, Hyperband's brackets), recorded in the
//! journal with its seed before the trial runs.

use super::{Ask, PURPOSE_PROPOSE, PURPOSE_TRIAL_SEED, Study, StudyError, TrialState};
use crate::bayesian;
use crate::hyperband;
use crate::journal::{self, Event};
use crate::oracle::OracleConfig;
use crate::rng::Rng;
use crate::space::{Params, Space};

impl Study {
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
}

/// A random configuration not tried yet (`None` when a small space is used up).
fn random_new(space: &Space, tried: &[Params], rng: &mut Rng) -> Option<Params> {
    (0..1000)
        .map(|_| space.decode(&space.random_point(rng)))
        .find(|p| !tried.contains(p))
        .or_else(|| bayesian::exhaustive_new(space, tried))
}
