//! Parameter importance from the surrogate: each parameter's main effect —
//! the variance, over that parameter's values, of the Gaussian process's mean
//! averaged over the other parameters (drawn at random) — as a share of the
//! sum over all parameters. The first-order part of fANOVA, computed on the
//! fitted GP instead of a random forest.

use crate::gp::Gp;
use crate::rng::Rng;
use crate::space::{Kind, Space};

/// Values of the parameter tried per effect, and draws of the others per value.
const LEVELS: usize = 12;
const DRAWS: usize = 48;

/// (parameter, share of the main-effect variance) for every parameter that
/// varies, in the space's order; the shares sum to 1 (all 0 when the
/// surrogate is flat).
pub fn main_effects(space: &Space, gp: &Gp, rng: &mut Rng) -> Vec<(String, f64)> {
    let backgrounds: Vec<Vec<f64>> = (0..DRAWS).map(|_| space.random_point(rng)).collect();
    let mut effects = Vec::new();
    let mut at = 0;
    for param in &space.params {
        let width = param.width();
        let range = at..at + width;
        at += width;
        let settings: Vec<Vec<f64>> = match &param.kind {
            Kind::Fixed { .. } => continue,
            Kind::Choice { values } => (0..values.len())
                .map(|i| {
                    (0..values.len())
                        .map(|j| f64::from(u8::from(i == j)))
                        .collect()
                })
                .collect(),
            Kind::Bool => vec![vec![0.0], vec![1.0]],
            _ => (0..LEVELS)
                .map(|i| vec![i as f64 / (LEVELS - 1) as f64])
                .collect(),
        };
        let means: Vec<f64> = settings
            .iter()
            .map(|setting| {
                let total: f64 = backgrounds
                    .iter()
                    .map(|background| {
                        let mut point = background.clone();
                        point[range.clone()].copy_from_slice(setting);
                        gp.predict(&point).0
                    })
                    .sum();
                total / DRAWS as f64
            })
            .collect();
        let mean = means.iter().sum::<f64>() / means.len() as f64;
        let variance = means.iter().map(|m| (m - mean).powi(2)).sum::<f64>() / means.len() as f64;
        effects.push((param.name.clone(), variance));
    }
    let total: f64 = effects.iter().map(|(_, v)| v).sum();
    for (_, share) in &mut effects {
        *share = if total > 0.0 { *share / total } else { 0.0 };
    }
    effects
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::space::{Direction, Param};

    #[test]
    fn the_parameter_the_objective_depends_on_matters_most() {
        let space = Space::new(
            Direction::Minimize,
            vec![
                Param::float("strong", 0.0, 1.0, false),
                Param::float("weak", 0.0, 1.0, false),
                Param::choice("c", &["a", "b"]),
            ],
        )
        .unwrap();
        let mut rng = Rng::new(2);
        let x: Vec<Vec<f64>> = (0..40).map(|_| space.random_point(&mut rng)).collect();
        let y: Vec<f64> = x
            .iter()
            .map(|p| 5.0 * (3.0 * p[0]).sin() + 0.3 * p[1] + 0.05 * p[2])
            .collect();
        let gp = Gp::fit(&x, &y, None, 2, &mut rng);
        let effects = main_effects(&space, &gp, &mut rng);
        assert_eq!(effects.len(), 3);
        assert!((effects.iter().map(|(_, s)| s).sum::<f64>() - 1.0).abs() < 1e-9);
        assert!(effects[0].1 > 0.8, "{effects:?}");
        assert!(
            effects[0].1 > effects[1].1 && effects[1].1 > effects[2].1,
            "{effects:?}"
        );
    }
}
