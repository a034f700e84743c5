//! How trials end and rank: intermediate values (with median pruning), the
//! outcome told, the best trials.

use super::{Outcome, PRUNE_AFTER, Study, StudyError, Trial, TrialState};
use crate::journal::{self, Event};

impl Study {
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
