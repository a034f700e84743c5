//! A Gaussian process on the unit cube: Matérn-5/2 kernel with one length
//! scale per coordinate, a signal variance and a learned observation noise,
//! fitted by maximising the log marginal likelihood (analytic gradients,
//! projected L-BFGS, a warm start and random restarts). Targets are
//! standardised inside; predictions come back in the caller's units.

use crate::lbfgs::minimize_in_box;
use crate::linalg::{Cholesky, dot};
use crate::rng::Rng;

/// Log-scale hyper-parameters: lengths per coordinate, signal variance, noise variance.
#[derive(Clone, Debug, PartialEq)]
pub struct Hyper {
    pub log_lengths: Vec<f64>,
    pub log_signal: f64,
    pub log_noise: f64,
}

impl Hyper {
    /// (log lengths…, log signal, log noise), as the journal keeps them.
    pub fn to_vec(&self) -> Vec<f64> {
        let mut theta = self.log_lengths.clone();
        theta.extend([self.log_signal, self.log_noise]);
        theta
    }

    pub fn from_vec(theta: &[f64]) -> Self {
        let d = theta.len() - 2;
        Self {
            log_lengths: theta[..d].to_vec(),
            log_signal: theta[d],
            log_noise: theta[d + 1],
        }
    }

    /// Lengths 0.5, unit signal, noise 1 % of the (standardised) variance.
    pub fn default_for(dimensions: usize) -> Self {
        Self {
            log_lengths: vec![0.5f64.ln(); dimensions],
            log_signal: 0.0,
            log_noise: 0.01f64.ln(),
        }
    }
}

/// The box the fit searches: lengths 0.01…20 of the unit cube, signal
/// 0.05…20 and noise 1e-6…1 of the standardised variance.
fn bounds(dimensions: usize) -> (Vec<f64>, Vec<f64>) {
    let mut lower = vec![0.01f64.ln(); dimensions];
    let mut upper = vec![20f64.ln(); dimensions];
    lower.extend([0.05f64.ln(), 1e-6f64.ln()]);
    upper.extend([20f64.ln(), 0.0]);
    (lower, upper)
}

const SQRT5: f64 = 2.236_067_977_499_79;

/// Matérn 5/2 of the scaled distance `r`: (1 + √5 r + 5r²/3)·e^(−√5 r).
fn matern(r: f64) -> f64 {
    (1.0 + SQRT5 * r + 5.0 / 3.0 * r * r) * (-SQRT5 * r).exp()
}

fn scaled_distance(a: &[f64], b: &[f64], lengths: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .zip(lengths)
        .map(|((a, b), l)| ((a - b) / l).powi(2))
        .sum::<f64>()
        .sqrt()
}

pub struct Gp {
    x: Vec<Vec<f64>>,
    y_mean: f64,
    y_scale: f64,
    hyper: Hyper,
    lengths: Vec<f64>,
    factor: Cholesky,
    alpha: Vec<f64>,
}

impl Gp {
    /// Fits to points `x` (in the unit cube) and values `y`; `warm` starts the
    /// search where the last fit ended, `restarts` more start at random.
    pub fn fit(
        x: &[Vec<f64>],
        y: &[f64],
        warm: Option<&Hyper>,
        restarts: usize,
        rng: &mut Rng,
    ) -> Self {
        let d = x.first().map_or(0, Vec::len);
        let (_, _, standard) = standardise(y);
        let (lower, upper) = bounds(d);
        let objective = |theta: &[f64]| -> (f64, Vec<f64>) {
            match log_marginal_likelihood(x, &standard, &Hyper::from_vec(theta)) {
                Some((value, gradient)) => (-value, gradient.iter().map(|g| -g).collect()),
                None => (f64::INFINITY, vec![0.0; theta.len()]),
            }
        };
        let mut starts = vec![
            warm.cloned()
                .unwrap_or_else(|| Hyper::default_for(d))
                .to_vec(),
        ];
        for _ in 0..restarts {
            starts.push(
                lower
                    .iter()
                    .zip(&upper)
                    .map(|(lo, hi)| lo + (hi - lo) * rng.uniform())
                    .collect(),
            );
        }
        let best = starts
            .into_iter()
            .map(|start| minimize_in_box(&objective, start, &lower, &upper, 40))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map_or_else(
                || Hyper::default_for(d),
                |(theta, _)| Hyper::from_vec(&theta),
            );
        Self::with_hyper(x, y, best)
    }

    /// The posterior for fixed hyper-parameters.
    pub fn with_hyper(x: &[Vec<f64>], y: &[f64], hyper: Hyper) -> Self {
        let (y_mean, y_scale, standard) = standardise(y);
        let lengths: Vec<f64> = hyper.log_lengths.iter().map(|l| l.exp()).collect();
        let mut noise = hyper.log_noise.exp();
        let factor = loop {
            let k = covariance(x, &lengths, hyper.log_signal.exp(), noise);
            if let Some(factor) = Cholesky::new(k, x.len()) {
                break factor;
            }
            noise = (noise * 10.0).max(1e-8);
        };
        let alpha = factor.solve(&standard);
        Self {
            x: x.to_vec(),
            y_mean,
            y_scale,
            hyper,
            lengths,
            factor,
            alpha,
        }
    }

    pub fn hyper(&self) -> &Hyper {
        &self.hyper
    }

    /// Posterior mean and standard deviation at `point`, in the data's units
    /// (the latent function's, without the observation noise).
    pub fn predict(&self, point: &[f64]) -> (f64, f64) {
        let (mean, std) = self.predict_standard(point);
        (self.y_mean + self.y_scale * mean, self.y_scale * std)
    }

    /// The same in standardised units (mean 0, unit variance of the data).
    pub fn predict_standard(&self, point: &[f64]) -> (f64, f64) {
        let signal = self.hyper.log_signal.exp();
        let k: Vec<f64> = self
            .x
            .iter()
            .map(|xi| signal * matern(scaled_distance(xi, point, &self.lengths)))
            .collect();
        let mean = dot(&k, &self.alpha);
        let v = self.factor.solve_lower(&k);
        let variance = (signal - dot(&v, &v)).max(1e-12);
        (mean, variance.sqrt())
    }

    /// A value in the data's units as standardised units.
    pub fn standardise(&self, value: f64) -> f64 {
        (value - self.y_mean) / self.y_scale
    }
}

fn standardise(y: &[f64]) -> (f64, f64, Vec<f64>) {
    let n = y.len().max(1) as f64;
    let mean = y.iter().sum::<f64>() / n;
    let variance = y.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    let scale = if variance > 1e-24 {
        variance.sqrt()
    } else {
        1.0
    };
    (mean, scale, y.iter().map(|v| (v - mean) / scale).collect())
}

fn covariance(x: &[Vec<f64>], lengths: &[f64], signal: f64, noise: f64) -> Vec<f64> {
    let n = x.len();
    let mut k = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let value = signal * matern(scaled_distance(&x[i], &x[j], lengths));
            k[i * n + j] = value;
            k[j * n + i] = value;
        }
        k[i * n + i] += noise + 1e-10;
    }
    k
}

/// log p(y | x, θ) and its gradient in θ = (log lengths, log signal, log
/// noise): ½ tr((ααᵀ − K⁻¹) ∂K/∂θ) for each; `None` when K is not positive
/// definite.
pub fn log_marginal_likelihood(
    x: &[Vec<f64>],
    y: &[f64],
    hyper: &Hyper,
) -> Option<(f64, Vec<f64>)> {
    let n = x.len();
    let d = hyper.log_lengths.len();
    let lengths: Vec<f64> = hyper.log_lengths.iter().map(|l| l.exp()).collect();
    let (signal, noise) = (hyper.log_signal.exp(), hyper.log_noise.exp());
    // Each pair's scaled distance and e^(−√5 r), once for K and its gradient.
    let mut distance = vec![0.0; n * n];
    let mut decay = vec![1.0; n * n];
    let mut k = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..i {
            let r = scaled_distance(&x[i], &x[j], &lengths);
            let e = (-SQRT5 * r).exp();
            let value = signal * (1.0 + SQRT5 * r + 5.0 / 3.0 * r * r) * e;
            (distance[i * n + j], decay[i * n + j]) = (r, e);
            k[i * n + j] = value;
            k[j * n + i] = value;
        }
        k[i * n + i] = signal + noise + 1e-10;
    }
    let factor = Cholesky::new(k.clone(), n)?;
    let alpha = factor.solve(y);
    let value = -0.5 * dot(y, &alpha)
        - factor.log_determinant() / 2.0
        - n as f64 / 2.0 * (std::f64::consts::TAU).ln();
    let inverse = factor.inverse();
    let mut gradient = vec![0.0; d + 2];
    let scaled: Vec<Vec<f64>> = x
        .iter()
        .map(|p| p.iter().zip(&lengths).map(|(v, l)| v / l).collect())
        .collect();
    for i in 0..n {
        // Off-diagonal pairs count twice (K is symmetric); the diagonal's
        // signal part is σ² and its noise part σₙ².
        let w = alpha[i] * alpha[i] - inverse[i * n + i];
        gradient[d] += 0.5 * w * signal;
        gradient[d + 1] += 0.5 * w * noise;
        for j in 0..i {
            let w = alpha[i] * alpha[j] - inverse[i * n + j];
            let r = distance[i * n + j];
            gradient[d] += w * (k[i * n + j]);
            // ∂k/∂log ℓ_c = (5/3)·σ²·(1 + √5 r)·e^(−√5 r)·(Δ_c/ℓ_c)².
            let common = w * 5.0 / 3.0 * signal * (1.0 + SQRT5 * r) * decay[i * n + j];
            for ((g, a), b) in gradient[..d].iter_mut().zip(&scaled[i]).zip(&scaled[j]) {
                *g += common * (a - b) * (a - b);
            }
        }
    }
    Some((value, gradient))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_dimensional_posterior_matches_the_hand_computed_one() {
        // Two observations, fixed hyper-parameters: the posterior at x* is
        // k*ᵀ K⁻¹ y with the 2 × 2 inverse written out.
        let x = vec![vec![0.2], vec![0.6]];
        let y = vec![1.0, -1.0]; // already standardised: mean 0, variance 1
        let hyper = Hyper {
            log_lengths: vec![0.3f64.ln()],
            log_signal: 0.0,
            log_noise: 0.01f64.ln(),
        };
        let gp = Gp::with_hyper(&x, &y, hyper);
        let k = |a: f64, b: f64| matern((a - b).abs() / 0.3);
        let (a, b, c) = (1.0 + 0.01 + 1e-10, k(0.2, 0.6), 1.0 + 0.01 + 1e-10);
        let det = a * c - b * b;
        let inverse = [c / det, -b / det, -b / det, a / det];
        let star = [k(0.2, 0.45), k(0.6, 0.45)];
        let weights = [
            inverse[0] * star[0] + inverse[1] * star[1],
            inverse[2] * star[0] + inverse[3] * star[1],
        ];
        let mean = weights[0] - weights[1]; // y = (1, −1)
        let variance = 1.0 - (star[0] * weights[0] + star[1] * weights[1]);
        let (got_mean, got_std) = gp.predict(&[0.45]);
        assert!((got_mean - mean).abs() < 1e-9, "{got_mean} vs {mean}");
        assert!(
            (got_std - variance.sqrt()).abs() < 1e-9,
            "{got_std} vs {}",
            variance.sqrt()
        );
    }

    #[test]
    fn mean_passes_through_observations_with_small_noise() {
        let x: Vec<Vec<f64>> = (0..8).map(|i| vec![f64::from(i) / 7.0]).collect();
        let y: Vec<f64> = x.iter().map(|p| (6.0 * p[0]).sin() * 3.0 + 10.0).collect();
        let gp = Gp::fit(&x, &y, None, 2, &mut Rng::new(1));
        for (p, v) in x.iter().zip(&y) {
            let (mean, std) = gp.predict(p);
            assert!((mean - v).abs() < 0.05, "at {p:?}: {mean} vs {v}");
            assert!(std < 0.2, "{std}");
        }
        // Far from the data the uncertainty grows again.
        let between = gp.predict(&[0.5 / 7.0]).1;
        assert!(between > gp.predict(&x[0]).1);
    }

    #[test]
    fn the_gradient_matches_finite_differences() {
        let mut rng = Rng::new(4);
        let x: Vec<Vec<f64>> = (0..12)
            .map(|_| vec![rng.uniform(), rng.uniform()])
            .collect();
        let y: Vec<f64> = x
            .iter()
            .map(|p| p[0] * 2.0 - p[1] + rng.normal() * 0.1)
            .collect();
        let (_, _, y) = standardise(&y);
        let theta = vec![0.4f64.ln(), 0.8f64.ln(), 0.3, 0.05f64.ln()];
        let (_, gradient) = log_marginal_likelihood(&x, &y, &Hyper::from_vec(&theta)).unwrap();
        for c in 0..theta.len() {
            let mut up = theta.clone();
            let mut down = theta.clone();
            up[c] += 1e-5;
            down[c] -= 1e-5;
            let f = |t: &[f64]| {
                log_marginal_likelihood(&x, &y, &Hyper::from_vec(t))
                    .unwrap()
                    .0
            };
            let numeric = (f(&up) - f(&down)) / 2e-5;
            assert!(
                (numeric - gradient[c]).abs() < 1e-4 * numeric.abs().max(1.0),
                "{c}: {numeric} vs {}",
                gradient[c]
            );
        }
    }

    #[test]
    fn an_irrelevant_coordinate_gets_a_long_length_scale() {
        let mut rng = Rng::new(9);
        let x: Vec<Vec<f64>> = (0..30)
            .map(|_| vec![rng.uniform(), rng.uniform()])
            .collect();
        let y: Vec<f64> = x.iter().map(|p| (5.0 * p[0]).sin()).collect();
        let gp = Gp::fit(&x, &y, None, 3, &mut rng);
        let lengths = &gp.hyper().log_lengths;
        assert!(lengths[1] > lengths[0] + 1.0, "{lengths:?}");
    }
}
