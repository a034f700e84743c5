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

/// The slices of every int and float parameter; `observed` are the
/// completed trials' (point in the unit cube, objective).
pub fn slices(space: &Space, step: &Step, observed: &[(Vec<f64>, f64)]) -> Vec<Slice> {
    let sign = if space.direction == Direction::Maximize {
        -1.0
    } else {
        1.0
    };
    let mut found = Vec::new();
    let mut at = 0;
    for param in &space.params {
        let width = param.width();
        let coordinate = at;
        at += width;
        let (min, max, log) = match &param.kind {
            Kind::Int { min, max, log, .. } => (*min as f64, *max as f64, *log),
            Kind::Float { min, max, log } => (*min, *max, *log),
            _ => continue,
        };
        let value_at = |u: f64| {
            if log {
                (min.ln() + u * (max.ln() - min.ln())).exp()
            } else {
                min + u * (max - min)
            }
        };
        let mut slice = Slice {
            param: param.name.clone(),
            values: Vec::with_capacity(SAMPLES),
            log,
            mean: Vec::with_capacity(SAMPLES),
            std: Vec::with_capacity(SAMPLES),
            acquisition: Vec::with_capacity(SAMPLES),
            observed: observed
                .iter()
                .map(|(p, v)| (value_at(p[coordinate]), *v))
                .collect(),
            proposed: value_at(step.point[coordinate]),
        };
        for i in 0..SAMPLES {
            let u = i as f64 / (SAMPLES - 1) as f64;
            let mut point = step.point.clone();
            point[coordinate] = u;
            let (mean, std) = step.gp.predict(&point);
            let (standard_mean, standard_std) = step.gp.predict_standard(&point);
            slice.values.push(value_at(u));
            slice.mean.push(sign * mean);
            slice.std.push(std);
            slice.acquisition.push(
                step.acquisition
                    .value(standard_mean, standard_std, step.best),
            );
        }
        found.push(slice);
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
}
