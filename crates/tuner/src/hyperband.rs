//! Hyperband (Li et al., 2018): brackets of successive halving, each
//! starting more configurations at fewer epochs. Bracket s (from s_max down
//! to 0) starts n = ⌈(s_max + 1)/(s + 1) · ηˢ⌉ configurations at R·η⁻ˢ epochs,
//! and each rung keeps the best 1/η for η times the epochs. A promoted trial
//! continues its parent's training (from its checkpoint) to the rung's
//! epochs.

use serde::{Deserialize, Serialize};

/// One rung: how many trials, trained to how many epochs (in all).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rung {
    pub trials: usize,
    pub epochs: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bracket {
    /// s: the number of halvings.
    pub s: usize,
    pub rungs: Vec<Rung>,
}

/// Where a Hyperband trial sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slot {
    pub bracket: usize,
    pub rung: usize,
}

/// The brackets for `max_epochs` (R) and `factor` (η ≥ 2).
pub fn brackets(max_epochs: usize, factor: usize) -> Vec<Bracket> {
    let factor = factor.max(2);
    let max_epochs = max_epochs.max(1);
    // s_max = ⌊log_η R⌋, without floating-point logarithms.
    let mut s_max = 0;
    while factor.pow(s_max + 1) <= max_epochs {
        s_max += 1;
    }
    (0..=s_max)
        .rev()
        .map(|s| {
            let power = factor.pow(s);
            let n = ((s_max as usize + 1) * power).div_ceil(s as usize + 1);
            let rungs = (0..=s)
                .map(|i| {
                    let trials = n / factor.pow(i);
                    let epochs = (max_epochs as f64
                        * (factor as f64).powi(i32::try_from(i).unwrap_or(0))
                        / power as f64)
                        .round()
                        .max(1.0);
                    #[expect(
                        clippy::cast_possible_truncation,
                        clippy::cast_sign_loss,
                        reason = "≤ max_epochs"
                    )]
                    let epochs = epochs as usize;
                    Rung {
                        trials: trials.max(1),
                        epochs,
                    }
                })
                .collect();
            Bracket {
                s: s as usize,
                rungs,
            }
        })
        .collect()
}

/// What the study knows of a Hyperband trial.
#[derive(Clone, Copy, Debug)]
pub struct Seen {
    pub id: usize,
    pub slot: Slot,
    /// Promoted from this trial.
    pub parent: Option<usize>,
    /// Finished (completed, pruned or failed).
    pub finished: bool,
    /// The objective when completed, as a loss (lower is better).
    pub loss: Option<f64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// A new configuration in rung 0 of this bracket.
    New { slot: Slot, epochs: usize },
    /// Continue trial `from`'s configuration and checkpoint to `epochs`.
    Promote {
        slot: Slot,
        from: usize,
        epochs: usize,
    },
    /// Every trial that can start has; a rung waits for its trials' results.
    Wait,
    /// Every bracket is done.
    Done,
}

/// The next step, given every trial so far.
pub fn next(brackets: &[Bracket], seen: &[Seen]) -> Next {
    let mut waiting = false;
    for (b, bracket) in brackets.iter().enumerate() {
        let in_rung = |rung: usize| {
            seen.iter()
                .filter(move |t| t.slot == Slot { bracket: b, rung })
        };
        let first = bracket.rungs[0];
        if in_rung(0).count() < first.trials {
            return Next::New {
                slot: Slot {
                    bracket: b,
                    rung: 0,
                },
                epochs: first.epochs,
            };
        }
        for (r, rung) in bracket.rungs.iter().enumerate().skip(1) {
            let below: Vec<&Seen> = in_rung(r - 1).collect();
            let promoted: Vec<usize> = in_rung(r).filter_map(|t| t.parent).collect();
            let mut ranked: Vec<&&Seen> = below.iter().filter(|t| t.loss.is_some()).collect();
            ranked.sort_by(|a, b| {
                a.loss
                    .unwrap_or(f64::INFINITY)
                    .total_cmp(&b.loss.unwrap_or(f64::INFINITY))
            });
            let target = rung.trials.min(ranked.len());
            if promoted.len() >= target && below.iter().all(|t| t.finished) {
                continue; // this rung is full
            }
            if !below.iter().all(|t| t.finished) {
                waiting = true;
                break;
            }
            if let Some(best) = ranked
                .iter()
                .take(target)
                .find(|t| !promoted.contains(&t.id))
            {
                let slot = Slot {
                    bracket: b,
                    rung: r,
                };
                return Next::Promote {
                    slot,
                    from: best.id,
                    epochs: rung.epochs,
                };
            }
        }
    }
    if waiting { Next::Wait } else { Next::Done }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brackets_for_100_epochs_and_factor_3() {
        let table: Vec<Vec<(usize, usize)>> = brackets(100, 3)
            .iter()
            .map(|b| b.rungs.iter().map(|r| (r.trials, r.epochs)).collect())
            .collect();
        assert_eq!(
            table,
            vec![
                vec![(81, 1), (27, 4), (9, 11), (3, 33), (1, 100)],
                vec![(34, 4), (11, 11), (3, 33), (1, 100)],
                vec![(15, 11), (5, 33), (1, 100)],
                vec![(8, 33), (2, 100)],
                vec![(5, 100)],
            ]
        );
        assert_eq!(
            brackets(9, 3)[0].rungs,
            vec![
                Rung {
                    trials: 9,
                    epochs: 1
                },
                Rung {
                    trials: 3,
                    epochs: 3
                },
                Rung {
                    trials: 1,
                    epochs: 9
                }
            ]
        );
    }

    #[test]
    fn rungs_wait_for_results_and_promote_the_best() {
        let brackets = brackets(9, 3);
        let mut seen: Vec<Seen> = Vec::new();
        for id in 0..9 {
            let Next::New { slot, epochs } = next(&brackets, &seen) else {
                panic!("{id}")
            };
            assert_eq!(
                (slot, epochs),
                (
                    Slot {
                        bracket: 0,
                        rung: 0
                    },
                    1
                )
            );
            seen.push(Seen {
                id,
                slot,
                parent: None,
                finished: false,
                loss: None,
            });
        }
        // Meanwhile the other brackets start: 5 at 3 epochs, 3 at 9.
        for (id, bracket, epochs) in
            (9..17).map(|id| (id, if id < 14 { 1 } else { 2 }, if id < 14 { 3 } else { 9 }))
        {
            let Next::New { slot, epochs: e } = next(&brackets, &seen) else {
                panic!("{id}")
            };
            assert_eq!((slot, e), (Slot { bracket, rung: 0 }, epochs));
            seen.push(Seen {
                id,
                slot,
                parent: None,
                finished: false,
                loss: None,
            });
        }
        assert_eq!(next(&brackets, &seen), Next::Wait);
        for (i, t) in seen.iter_mut().take(9).enumerate() {
            t.finished = true;
            t.loss = Some(((i * 7) % 9) as f64); // 0, 7, 5, 3, 1, 8, 6, 4, 2
        }
        let mut promoted = Vec::new();
        for id in 17..20 {
            let Next::Promote { slot, from, epochs } = next(&brackets, &seen) else {
                panic!()
            };
            assert_eq!((slot.rung, epochs), (1, 3));
            promoted.push(from);
            seen.push(Seen {
                id,
                slot,
                parent: Some(from),
                finished: false,
                loss: None,
            });
        }
        assert_eq!(promoted, vec![0, 4, 8], "the three lowest losses");
        assert_eq!(next(&brackets, &seen), Next::Wait);
    }
}
