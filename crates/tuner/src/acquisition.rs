//! Acquisition functions for minimisation, in the surrogate's standardised
//! units: how much a point is worth evaluating given its posterior mean μ and
//! standard deviation σ and the best value so far. Larger is better.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Acquisition {
    /// Expected improvement: E[max(best − f, 0)].
    Ei,
    /// Upper confidence bound (for minimisation the lower one, negated):
    /// −(μ − β·σ); KerasTuner's β is 2.6.
    Ucb { beta: f64 },
    /// Probability of improvement: P(f < best).
    Pi,
}

impl Acquisition {
    pub const KERAS_BETA: f64 = 2.6;

    pub fn name(self) -> &'static str {
        match self {
            Self::Ei => "EI",
            Self::Ucb { .. } => "UCB",
            Self::Pi => "PI",
        }
    }

    /// The value at a point with posterior `mean`, `std`, given the lowest
    /// value observed `best`.
    pub fn value(self, mean: f64, std: f64, best: f64) -> f64 {
        let std = std.max(1e-12);
        let z = (best - mean) / std;
        match self {
            Self::Ei => std * (z * normal_cdf(z) + normal_pdf(z)),
            Self::Ucb { beta } => -(mean - beta * std),
            Self::Pi => normal_cdf(z),
        }
    }
}

pub fn normal_pdf(z: f64) -> f64 {
    (-0.5 * z * z).exp() / (std::f64::consts::TAU).sqrt()
}

/// Φ(z) through erfc, accurate to about 1e-14 over the whole line.
pub fn normal_cdf(z: f64) -> f64 {
    0.5 * erfc(-z / std::f64::consts::SQRT_2)
}

/// The complementary error function: the Taylor series of erf near zero,
/// the continued fraction of erfc beyond (relative error ≈ 1e-13).
pub fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let value = if z < 2.5 {
        // erf z = 2/√π · Σ (−1)ⁿ z^(2n+1) / (n! (2n+1)).
        let mut term = z;
        let mut sum = z;
        for n in 1..80 {
            term *= -z * z / f64::from(n);
            let add = term / f64::from(2 * n + 1);
            sum += add;
            if add.abs() < 1e-17 * sum.abs() {
                break;
            }
        }
        1.0 - 2.0 / std::f64::consts::PI.sqrt() * sum
    } else {
        // erfc z = e^(−z²)/√π · 1/(z + (1/2)/(z + 1/(z + (3/2)/(z + …)))),
        // evaluated from the tail.
        let mut fraction = z;
        for k in (1..120).rev() {
            fraction = z + f64::from(k) / 2.0 / fraction;
        }
        (-z * z).exp() / std::f64::consts::PI.sqrt() / fraction
    };
    if x >= 0.0 { value } else { 2.0 - value }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_cdf_known_values() {
        for (z, expected) in [
            (0.0, 0.5),
            (1.0, 0.841_344_746_068_543),
            (-1.96, 0.024_997_895_148_220),
            (3.0, 0.998_650_101_968_370),
            (-3.4, 3.369_292_656_768_815e-4),
            (-6.0, 9.865_876_450_377_012e-10),
        ] {
            let got = normal_cdf(z);
            assert!(
                (got - expected).abs() < 1e-12 + 1e-9 * expected,
                "Φ({z}) = {got}"
            );
        }
    }

    #[test]
    fn acquisition_known_answers() {
        // At μ = best the improvement is symmetric: EI = σ·φ(0), PI = ½.
        let sigma = 0.5;
        let ei = Acquisition::Ei.value(1.0, sigma, 1.0);
        assert!((ei - sigma * 0.398_942_280_401_433).abs() < 1e-12, "{ei}");
        assert!((Acquisition::Pi.value(1.0, sigma, 1.0) - 0.5).abs() < 1e-12);
        // μ one σ below the best: EI = σ(Φ(1) + φ(1)), PI = Φ(1).
        let ei = Acquisition::Ei.value(0.5, sigma, 1.0);
        let expected = sigma * (0.841_344_746_068_543 + 0.241_970_724_519_143);
        assert!((ei - expected).abs() < 1e-9, "{ei} vs {expected}");
        assert!((Acquisition::Pi.value(0.5, sigma, 1.0) - 0.841_344_746_068_543).abs() < 1e-9);
        // UCB: −(μ − βσ).
        let ucb = Acquisition::Ucb { beta: 2.6 }.value(0.5, sigma, 1.0);
        assert!((ucb - (-(0.5 - 2.6 * 0.5))).abs() < 1e-12);
        // Certain points worse than the best are worth nothing to EI and PI.
        assert!(Acquisition::Ei.value(2.0, 0.0, 1.0) < 1e-300);
        assert!(Acquisition::Pi.value(2.0, 1e-9, 1.0) < 1e-300);
    }
}
