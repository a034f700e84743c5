//! Limited-memory BFGS in a box: the search direction from the last few
//! steps' curvature, each trial point projected into the bounds, a
//! backtracking (Armijo) line search. Enough for a handful of
//! hyper-parameters of a Gaussian process.

use crate::linalg::dot;

const MEMORY: usize = 6;

/// Minimises `f` (value and gradient) from `start` within `[lower, upper]`;
/// returns the best point and its value.
pub fn minimize_in_box(
    f: &impl Fn(&[f64]) -> (f64, Vec<f64>),
    start: Vec<f64>,
    lower: &[f64],
    upper: &[f64],
    iterations: usize,
) -> (Vec<f64>, f64) {
    let project = |x: &mut [f64]| {
        for ((x, lo), hi) in x.iter_mut().zip(lower).zip(upper) {
            *x = x.clamp(*lo, *hi);
        }
    };
    let mut x = start;
    project(&mut x);
    let (mut value, mut gradient) = f(&x);
    if !value.is_finite() {
        return (x, value);
    }
    let mut history: Vec<(Vec<f64>, Vec<f64>, f64)> = Vec::new(); // (s, y, 1/yᵀs)
    for _ in 0..iterations {
        let direction = two_loop(&gradient, &history);
        let slope = dot(&direction, &gradient);
        let direction = if slope < 0.0 {
            direction
        } else {
            gradient.iter().map(|g| -g).collect()
        };
        let slope = dot(&direction, &gradient);
        let try_step = |step: f64| {
            let mut candidate: Vec<f64> = x
                .iter()
                .zip(&direction)
                .map(|(x, d)| x + step * d)
                .collect();
            project(&mut candidate);
            let (candidate_value, candidate_gradient) = f(&candidate);
            let armijo = candidate_value.is_finite()
                && candidate_value <= value + 1e-4 * step * slope.min(0.0);
            armijo.then_some((candidate, candidate_value, candidate_gradient))
        };
        // Back off until the value falls enough (Armijo)…
        let mut step = 1.0;
        let mut accepted = None;
        let mut backtracked = false;
        for _ in 0..30 {
            accepted = try_step(step);
            if accepted.is_some() {
                break;
            }
            step *= 0.5;
            backtracked = true;
        }
        // …and when the full step was taken while the slope is still steep
        // (the curvature condition fails), go further, so the step sees the
        // curvature L-BFGS needs.
        if !backtracked {
            for _ in 0..10 {
                let steep = accepted
                    .as_ref()
                    .is_some_and(|(_, _, g)| dot(g, &direction) < 0.9 * slope);
                let Some(further) = steep.then(|| try_step(step * 2.0)).flatten() else {
                    break;
                };
                if further.1 >= accepted.as_ref().map_or(f64::INFINITY, |a| a.1) {
                    break;
                }
                step *= 2.0;
                accepted = Some(further);
            }
        }
        let Some((next, next_value, next_gradient)) = accepted else {
            break;
        };
        let s: Vec<f64> = next.iter().zip(&x).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = next_gradient
            .iter()
            .zip(&gradient)
            .map(|(a, b)| a - b)
            .collect();
        let improvement = value - next_value;
        x = next;
        value = next_value;
        gradient = next_gradient;
        let moved = dot(&s, &s);
        let curvature = dot(&y, &s);
        if curvature > 1e-12 {
            history.push((s, y, 1.0 / curvature));
            if history.len() > MEMORY {
                history.remove(0);
            }
        }
        let settled = improvement < 1e-9 * (1.0 + value.abs());
        if moved < 1e-20 || dot(&gradient, &gradient) < 1e-16 || (settled && history.len() > 1) {
            break;
        }
    }
    (x, value)
}

/// −H·g by the two-loop recursion.
fn two_loop(gradient: &[f64], history: &[(Vec<f64>, Vec<f64>, f64)]) -> Vec<f64> {
    let mut q = gradient.to_vec();
    let mut alphas = Vec::with_capacity(history.len());
    for (s, y, rho) in history.iter().rev() {
        let alpha = rho * dot(s, &q);
        for (q, y) in q.iter_mut().zip(y) {
            *q -= alpha * y;
        }
        alphas.push(alpha);
    }
    let scale = history
        .last()
        .map_or(1.0, |(_, y, rho)| 1.0 / (rho * dot(y, y)));
    for q in &mut q {
        *q *= scale;
    }
    for ((s, y, rho), alpha) in history.iter().zip(alphas.iter().rev()) {
        let beta = rho * dot(y, &q);
        for (q, s) in q.iter_mut().zip(s) {
            *q += (alpha - beta) * s;
        }
    }
    q.iter().map(|q| -q).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_rosenbrock_minimum_and_respects_the_box() {
        let rosenbrock = |x: &[f64]| {
            let (a, b) = (x[0], x[1]);
            let value = (1.0 - a).powi(2) + 100.0 * (b - a * a).powi(2);
            let gradient = vec![
                -2.0 * (1.0 - a) - 400.0 * a * (b - a * a),
                200.0 * (b - a * a),
            ];
            (value, gradient)
        };
        let (x, value) = minimize_in_box(
            &rosenbrock,
            vec![-1.2, 1.0],
            &[-5.0, -5.0],
            &[5.0, 5.0],
            200,
        );
        assert!(value < 1e-6 && (x[0] - 1.0).abs() < 1e-2, "{x:?} {value}");
        let (x, _) = minimize_in_box(
            &rosenbrock,
            vec![-1.2, 1.0],
            &[-5.0, -5.0],
            &[0.5, 5.0],
            200,
        );
        assert!(
            (x[0] - 0.5).abs() < 1e-6 && (x[1] - 0.25).abs() < 1e-2,
            "{x:?}"
        );
    }
}
