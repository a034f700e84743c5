//! The Bayesian oracle's one step, in the order the source note draws it:
//! observe (completed trials, and pending ones at the best value seen — the
//! "constant liar", so parallel trials spread out), update the surrogate (fit
//! the Gaussian process), maximise the acquisition over the space (random
//! candidates, perturbations of the best points, then a local pattern search
//! on the continuous coordinates), propose the best point not tried yet.

use crate::acquisition::Acquisition;
use crate::gp::{Gp, Hyper};
use crate::rng::Rng;
use crate::space::{Params, Space};

/// Random candidates per proposal, and perturbations around each of the best
/// few observations.
const RANDOM_CANDIDATES: usize = 1000;
const LOCAL_CANDIDATES: usize = 60;
const BEST_ANCHORS: usize = 5;
/// Candidates refined by the pattern search.
const REFINED: usize = 5;

/// What the oracle saw and chose, kept for the dashboard's look inside.
pub struct Step {
    pub params: Params,
    pub point: Vec<f64>,
    /// The surrogate after this step's fit (observations and liars).
    pub gp: Gp,
    /// The lowest (standardised) value the acquisition compared against.
    pub best: f64,
    pub acquisition: Acquisition,
    pub acquisition_value: f64,
}

/// One proposal, or `None` when every candidate has been tried (a small
/// finite space is used up). `observed` are (point, loss) pairs — losses,
/// lower is better; `pending` points run now; `tried` are every
/// configuration proposed so far.
pub fn propose(
    space: &Space,
    observed: &[(Vec<f64>, f64)],
    pending: &[Vec<f64>],
    tried: &[Params],
    acquisition: Acquisition,
    warm: Option<&Hyper>,
    rng: &mut Rng,
) -> Option<Step> {
    let best_observed = observed
        .iter()
        .map(|(_, y)| *y)
        .fold(f64::INFINITY, f64::min);
    let mut x: Vec<Vec<f64>> = observed.iter().map(|(p, _)| p.clone()).collect();
    let mut y: Vec<f64> = observed.iter().map(|(_, v)| *v).collect();
    for point in pending {
        x.push(point.clone());
        y.push(best_observed);
    }
    // Random restarts while the data are few; later the last fit (warm) is
    // near the optimum and one search from it is enough.
    let restarts = match (warm, x.len()) {
        (_, n) if n <= 20 => 3,
        (None, _) => 2,
        (Some(_), n) if n <= 40 => 1,
        (Some(_), _) => 0,
    };
    let warm = warm.filter(|h| h.log_lengths.len() == space.dimensions());
    let gp = Gp::fit(&x, &y, warm, restarts, rng);
    let best = gp.standardise(best_observed);
    let score = |point: &[f64]| {
        let (mean, std) = gp.predict_standard(point);
        acquisition.value(mean, std, best)
    };
    let snap = |point: &[f64]| space.encode(&space.decode(point));
    let is_new = |point: &[f64]| {
        let params = space.decode(point);
        !tried.contains(&params)
    };

    let mut candidates: Vec<Vec<f64>> = (0..RANDOM_CANDIDATES)
        .map(|_| snap(&space.random_point(rng)))
        .collect();
    let mut ranked: Vec<&(Vec<f64>, f64)> = observed.iter().collect();
    ranked.sort_by(|a, b| a.1.total_cmp(&b.1));
    let continuous = space.continuous();
    for (anchor, _) in ranked.iter().take(BEST_ANCHORS) {
        for _ in 0..LOCAL_CANDIDATES {
            let mut point = anchor.clone();
            for (c, value) in point.iter_mut().enumerate() {
                if continuous[c] {
                    *value = (*value + 0.05 * rng.normal()).clamp(0.0, 1.0);
                }
            }
            // Now and then another category or boolean.
            if rng.uniform() < 0.2 {
                let random = space.random_point(rng);
                let c = rng.below(point.len().max(1));
                if !continuous.get(c).copied().unwrap_or(true) {
                    copy_parameter(space, &random, &mut point, c);
                }
            }
            candidates.push(snap(&point));
        }
    }
    let mut scored: Vec<(f64, Vec<f64>)> = candidates
        .into_iter()
        .filter(|p| is_new(p))
        .map(|p| (score(&p), p))
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    scored.dedup_by(|a, b| a.1 == b.1);
    let mut finalists: Vec<(f64, Vec<f64>)> = scored
        .iter()
        .take(REFINED)
        .map(|(value, point)| refine(point, *value, &continuous, &score, &snap, &is_new))
        .collect();
    finalists.extend(scored.into_iter().skip(REFINED));
    let (acquisition_value, point) = finalists
        .into_iter()
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .or_else(|| {
            // Every random candidate was tried: walk a finite space in order.
            exhaustive_new(space, tried).map(|params| {
                let point = space.encode(&params);
                (score(&point), point)
            })
        })?;
    Some(Step {
        params: space.decode(&point),
        point,
        gp,
        best,
        acquisition,
        acquisition_value,
    })
}

/// Copies the parameter that owns coordinate `c` from `from` into `to`.
fn copy_parameter(space: &Space, from: &[f64], to: &mut [f64], c: usize) {
    let mut at = 0;
    for param in &space.params {
        let width = param.width();
        if (at..at + width).contains(&c) {
            to[at..at + width].copy_from_slice(&from[at..at + width]);
            return;
        }
        at += width;
    }
}

/// Pattern search on the continuous coordinates: try ± a step on each,
/// keep what raises the acquisition, halve the step when nothing does.
fn refine(
    start: &[f64],
    value: f64,
    continuous: &[bool],
    score: &impl Fn(&[f64]) -> f64,
    snap: &impl Fn(&[f64]) -> Vec<f64>,
    is_new: &impl Fn(&[f64]) -> bool,
) -> (f64, Vec<f64>) {
    let mut best = (value, start.to_vec());
    let mut step = 0.05;
    while step > 0.002 {
        let mut moved = false;
        for c in (0..start.len()).filter(|&c| continuous[c]) {
            for sign in [1.0, -1.0] {
                let mut point = best.1.clone();
                point[c] = (point[c] + sign * step).clamp(0.0, 1.0);
                let point = snap(&point);
                if point == best.1 || !is_new(&point) {
                    continue;
                }
                let value = score(&point);
                if value > best.0 {
                    best = (value, point);
                    moved = true;
                }
            }
        }
        if !moved {
            step /= 2.0;
        }
    }
    best
}

/// The first configuration of a finite space's enumeration not tried yet.
pub fn exhaustive_new(space: &Space, tried: &[Params]) -> Option<Params> {
    let total = space.cardinality().filter(|&n| n <= 10_000)?;
    (0..total)
        .map(|i| crate::grid::configuration(space, i, usize::MAX))
        .find(|p| !tried.contains(p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::space::{Direction, Param};

    #[test]
    fn never_proposes_a_configuration_twice_in_a_small_space() {
        let space = Space::new(
            Direction::Minimize,
            vec![Param::int("a", 0, 1, 1), Param::boolean("b")],
        )
        .unwrap();
        let mut rng = Rng::new(2);
        let mut tried: Vec<Params> = Vec::new();
        let mut observed = Vec::new();
        for ask in 0..10 {
            match propose(
                &space,
                &observed,
                &[],
                &tried,
                Acquisition::Ei,
                None,
                &mut rng,
            ) {
                Some(step) => {
                    assert!(ask < 4, "a fifth proposal in a 4-point space");
                    assert!(!tried.contains(&step.params), "{:?} twice", step.params);
                    observed.push((step.point.clone(), f64::from(ask)));
                    tried.push(step.params);
                }
                None => assert!(ask >= 4, "ran out after {ask}"),
            }
        }
        assert_eq!(tried.len(), 4);
    }

    #[test]
    fn proposes_near_the_minimum_of_a_bowl() {
        let space = Space::new(
            Direction::Minimize,
            vec![Param::float("x", 0.0, 1.0, false)],
        )
        .unwrap();
        let mut rng = Rng::new(5);
        let observed: Vec<(Vec<f64>, f64)> = [0.0, 0.2, 0.45, 0.8, 1.0]
            .iter()
            .map(|&x: &f64| (vec![x], (x - 0.5).powi(2)))
            .collect();
        let tried: Vec<Params> = observed.iter().map(|(p, _)| space.decode(p)).collect();
        let step = propose(
            &space,
            &observed,
            &[],
            &tried,
            Acquisition::Ei,
            None,
            &mut rng,
        )
        .unwrap();
        assert!((step.point[0] - 0.5).abs() < 0.1, "{:?}", step.point);
        // With the proposal pending as a liar, the next one looks elsewhere.
        let second = propose(
            &space,
            &observed,
            std::slice::from_ref(&step.point),
            &tried,
            Acquisition::Ei,
            None,
            &mut rng,
        )
        .unwrap();
        assert!((second.point[0] - step.point[0]).abs() > 1e-3);
    }
}
