//! A look inside the Bayesian oracle's last step: for each numeric
//! parameter, the surrogate's mean ± 2σ and the acquisition along that
//! parameter's range with the others held at the proposed point, the
//! observations, and where the proposal lies — in the objective's own units
//! and direction.

use crate::bayesian::Step;
use crate::space::{Direction, Kind, Space};

/// Points along each slice.
pub const SAMPLES: usize = 64;

#[derive(Clone, Debug, PartialEq)]
pub struct Slice {
    pub param: String,
    /// The parameter's value at each sample (its own scale, log or linear).
    pub values: Vec<f64>,
    pub log: bool,
    pub mean: Vec<f64>,
    pub std: Vec<f64>,
    pub acquisition: Vec<f64>,
    /// Observations: (parameter value, objective).
    pub observed: Vec<(f64, f64)>,
    /// The proposal's value of this parameter.
    pub proposed: f64,
}

/// A numeric parameter's coordinate in the unit cube and its range.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    pub param: String,
    pub coordinate: usize,
    pub min: f64,
    pub max: f64,
    pub log: bool,
}

impl Axis {
    /// The parameter's value at `u` ∈ [0, 1] (its own scale).
    pub fn value_at(&self, u: f64) -> f64 {
        if self.log {
            (self.min.ln() + u * (self.max.ln() - self.min.ln())).exp()
        } else {
            self.min + u * (self.max - self.min)
        }
    }
}

/// The int and float parameters, in the space's order.
pub fn axes(space: &Space) -> Vec<Axis> {
    let mut found = Vec::new();
    let mut at = 0;
    for param in &space.params {
        let coordinate = at;
        at += param.width();
        let (min, max, log) = match &param.kind {
            Kind::Int { min, max, log, .. } => (*min as f64, *max as f64, *log),
            Kind::Float { min, max, log } => (*min, *max, *log),
            _ => continue,
        };
        found.push(Axis {
            param: param.name.clone(),
            coordinate,
            min,
            max,
            log,
        });
    }
    found
}

/// What the surrogate and the acquisition say at one point, in the
/// objective's own units and direction.
fn look(step: &Step, sign: f64, point: &[f64]) -> (f64, f64, f64) {
    let (mean, std) = step.gp.predict(point);
    let (standard_mean, standard_std) = step.gp.predict_standard(point);
    let acquisition = step
        .acquisition
        .value(standard_mean, standard_std, step.best);
    (sign * mean, std, acquisition)
}

fn sign(space: &Space) -> f64 {
    if space.direction == Direction::Maximize {
        -1.0
    } else {
        1.0
    }
}

/// The slices of every int and float parameter; `observed` are the
/// completed trials' (point in the unit cube, objective).
pub fn slices(space: &Space, step: &Step, observed: &[(Vec<f64>, f64)]) -> Vec<Slice> {
    let sign = sign(space);
    axes(space)
        .into_iter()
        .map(|axis| {
            let mut slice = Slice {
                param: axis.param.clone(),
                values: Vec::with_capacity(SAMPLES),
                log: axis.log,
                mean: Vec::with_capacity(SAMPLES),
                std: Vec::with_capacity(SAMPLES),
                acquisition: Vec::with_capacity(SAMPLES),
                observed: observed
                    .iter()
                    .map(|(p, v)| (axis.value_at(p[axis.coordinate]), *v))
                    .collect(),
                proposed: axis.value_at(step.point[axis.coordinate]),
            };
            for i in 0..SAMPLES {
                let u = i as f64 / (SAMPLES - 1) as f64;
                let mut point = step.point.clone();
                point[axis.coordinate] = u;
                let (mean, std, acquisition) = look(step, sign, &point);
                slice.values.push(axis.value_at(u));
                slice.mean.push(mean);
                slice.std.push(std);
                slice.acquisition.push(acquisition);
            }
            slice
        })
        .collect()
}

/// Cells along each side of a pair's heat map.
pub const PAIR_SAMPLES: usize = 24;
/// Pairs are drawn for at most this many numeric parameters (15 pairs).
pub const PAIR_PARAMS: usize = 6;

/// The surrogate and the acquisition over two parameters at once, the
/// others held at the proposal: a [`PAIR_SAMPLES`]² grid over the unit
/// square (row `j` at y = j/(n−1), column `i` at x = i/(n−1)).
#[derive(Clone, Debug, PartialEq)]
pub struct Pair {
    pub x: Axis,
    pub y: Axis,
    /// Row-major, `PAIR_SAMPLES` × `PAIR_SAMPLES`.
    pub mean: Vec<f64>,
    pub std: Vec<f64>,
    pub acquisition: Vec<f64>,
    /// Observations: (x, y in the unit square, objective).
    pub observed: Vec<([f64; 2], f64)>,
    /// The proposal in the unit square.
    pub proposed: [f64; 2],
}

/// Every pair of the first [`PAIR_PARAMS`] numeric parameters.
pub fn pairs(space: &Space, step: &Step, observed: &[(Vec<f64>, f64)]) -> Vec<Pair> {
    let sign = sign(space);
    let axes: Vec<Axis> = axes(space).into_iter().take(PAIR_PARAMS).collect();
    let mut found = Vec::new();
    for (a, x) in axes.iter().enumerate() {
        for y in &axes[a + 1..] {
            let cells = PAIR_SAMPLES * PAIR_SAMPLES;
            let mut pair = Pair {
                x: x.clone(),
                y: y.clone(),
                mean: Vec::with_capacity(cells),
                std: Vec::with_capacity(cells),
                acquisition: Vec::with_capacity(cells),
                observed: observed
                    .iter()
                    .map(|(p, v)| ([p[x.coordinate], p[y.coordinate]], *v))
                    .collect(),
                proposed: [step.point[x.coordinate], step.point[y.coordinate]],
            };
            let at = |i: usize| i as f64 / (PAIR_SAMPLES - 1) as f64;
            for j in 0..PAIR_SAMPLES {
                for i in 0..PAIR_SAMPLES {
                    let mut point = step.point.clone();
                    point[x.coordinate] = at(i);
                    point[y.coordinate] = at(j);
                    let (mean, std, acquisition) = look(step, sign, &point);
                    pair.mean.push(mean);
                    pair.std.push(std);
                    pair.acquisition.push(acquisition);
                }
            }
            found.push(pair);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::acquisition::Acquisition;
    use crate::rng::Rng;
    use crate::space::Param;

    #[test]
    fn a_slice_passes_near_the_observations_in_the_objectives_direction() {
        let space = Space::new(
            Direction::Maximize,
            vec![Param::float("x", 0.0, 10.0, false)],
        )
        .unwrap();
        let objective = |x: f64| -(x - 6.0).powi(2);
        let observed: Vec<(Vec<f64>, f64)> = [0.0, 2.0, 5.0, 8.0, 10.0]
            .iter()
            .map(|&x| (vec![x / 10.0], objective(x)))
            .collect();
        let losses: Vec<(Vec<f64>, f64)> = observed.iter().map(|(p, v)| (p.clone(), -v)).collect();
        let tried: Vec<_> = observed.iter().map(|(p, _)| space.decode(p)).collect();
        let step = crate::bayesian::propose(
            &space,
            &losses,
            &[],
            &tried,
            Acquisition::Ei,
            None,
            &mut Rng::new(1),
        )
        .unwrap();
        let slice = &slices(&space, &step, &observed)[0];
        assert_eq!(slice.values.len(), SAMPLES);
        // The mean at x = 5 (sample nearest) is close to the observed −1, not +1.
        let near = slice.values.iter().position(|v| *v >= 5.0).unwrap();
        assert!(
            (slice.mean[near] - objective(slice.values[near])).abs() < 1.5,
            "{}",
            slice.mean[near]
        );
        assert!(
            (4.0..8.0).contains(&slice.proposed),
            "proposed {}",
            slice.proposed
        );
        let best = slice.acquisition.iter().copied().fold(f64::MIN, f64::max);
        let at_proposal = slice
            .values
            .iter()
            .position(|v| *v >= slice.proposed)
            .unwrap_or(SAMPLES - 1);
        assert!(slice.acquisition[at_proposal] > 0.5 * best);
    }

    #[test]
    fn a_pair_map_is_lowest_near_the_minimum_on_the_parameters_own_scales() {
        let space = Space::new(
            Direction::Minimize,
            vec![
                Param::float("x", 0.0, 1.0, false),
                Param::float("y", 1e-3, 1.0, true),
                Param::choice("c", &["a", "b"]),
            ],
        )
        .unwrap();
        let mut rng = Rng::new(3);
        let observed: Vec<(Vec<f64>, f64)> = (0..12)
            .map(|_| {
                let p = space.encode(&space.decode(&space.random_point(&mut rng)));
                let loss = (p[0] - 0.3).powi(2) + (p[1] - 0.7).powi(2);
                (p, loss)
            })
            .collect();
        let tried: Vec<_> = observed.iter().map(|(p, _)| space.decode(p)).collect();
        let step = crate::bayesian::propose(
            &space,
            &observed,
            &[],
            &tried,
            Acquisition::Ei,
            None,
            &mut Rng::new(1),
        )
        .unwrap();
        let pairs = pairs(&space, &step, &observed);
        assert_eq!(pairs.len(), 1, "one pair of numeric parameters");
        let pair = &pairs[0];
        assert_eq!((pair.x.param.as_str(), pair.y.param.as_str()), ("x", "y"));
        assert_eq!(pair.mean.len(), PAIR_SAMPLES * PAIR_SAMPLES);
        // The mean is lowest near the true minimum (0.3, 0.7) of the unit square.
        let lowest = (0..pair.mean.len())
            .min_by(|&a, &b| pair.mean[a].total_cmp(&pair.mean[b]))
            .unwrap();
        let (i, j) = (lowest % PAIR_SAMPLES, lowest / PAIR_SAMPLES);
        let at = |k: usize| k as f64 / (PAIR_SAMPLES - 1) as f64;
        assert!(
            (at(i) - 0.3).abs() < 0.25 && (at(j) - 0.7).abs() < 0.25,
            "lowest mean at ({}, {})",
            at(i),
            at(j)
        );
        // The axes map the unit square back to each parameter's own scale.
        assert!((pair.x.value_at(0.5) - 0.5).abs() < 1e-12);
        assert!(
            (pair.y.value_at(0.5) - 10f64.powf(-1.5)).abs() < 1e-12,
            "log scale"
        );
        assert!(pair.std.iter().all(|s| *s >= 0.0));
        assert!(
            pair.observed
                .iter()
                .all(|(p, _)| (0.0..=1.0).contains(&p[0]) && (0.0..=1.0).contains(&p[1]))
        );
    }
}
