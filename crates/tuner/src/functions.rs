//! Test functions with known optima, for the benchmark and the tests.

use crate::space::{Direction, Param, Params, Space};

/// Branin on x1 ∈ [−5, 10], x2 ∈ [0, 15]; minimum 0.397887 at three points.
pub fn branin(x1: f64, x2: f64) -> f64 {
    let pi = std::f64::consts::PI;
    let (a, b, c) = (1.0, 5.1 / (4.0 * pi * pi), 5.0 / pi);
    let (r, s, t) = (6.0, 10.0, 1.0 / (8.0 * pi));
    a * (x2 - b * x1 * x1 + c * x1 - r).powi(2) + s * (1.0 - t) * x1.cos() + s
}

pub const BRANIN_MINIMUM: f64 = 0.397_887;

pub fn branin_space() -> Space {
    Space::new(
        Direction::Minimize,
        vec![
            Param::float("x1", -5.0, 10.0, false),
            Param::float("x2", 0.0, 15.0, false),
        ],
    )
    .expect("a valid space")
}

/// Hartmann-6 on [0, 1]⁶; minimum −3.32237.
pub fn hartmann6(x: &[f64; 6]) -> f64 {
    const ALPHA: [f64; 4] = [1.0, 1.2, 3.0, 3.2];
    const A: [[f64; 6]; 4] = [
        [10.0, 3.0, 17.0, 3.5, 1.7, 8.0],
        [0.05, 10.0, 17.0, 0.1, 8.0, 14.0],
        [3.0, 3.5, 1.7, 10.0, 17.0, 8.0],
        [17.0, 8.0, 0.05, 10.0, 0.1, 14.0],
    ];
    const P: [[f64; 6]; 4] = [
        [0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886],
        [0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991],
        [0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650],
        [0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381],
    ];
    -(0..4)
        .map(|i| {
            let inner: f64 = (0..6).map(|j| A[i][j] * (x[j] - P[i][j]).powi(2)).sum();
            ALPHA[i] * (-inner).exp()
        })
        .sum::<f64>()
}

pub const HARTMANN6_MINIMUM: f64 = -3.322_37;

pub fn hartmann6_space() -> Space {
    let params = (1..=6)
        .map(|i| Param::float(&format!("x{i}"), 0.0, 1.0, false))
        .collect();
    Space::new(Direction::Minimize, params).expect("a valid space")
}

/// A named test function of a configuration.
pub fn evaluate(name: &str, params: &Params) -> Option<f64> {
    let get = |key: &str| params.get(key).and_then(crate::space::Value::as_f64);
    match name {
        "branin" => Some(branin(get("x1")?, get("x2")?)),
        "hartmann6" => {
            let mut x = [0.0; 6];
            for (i, v) in x.iter_mut().enumerate() {
                *v = get(&format!("x{}", i + 1))?;
            }
            Some(hartmann6(&x))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_optima() {
        let pi = std::f64::consts::PI;
        for (x1, x2) in [(-pi, 12.275), (pi, 2.275), (9.424_78, 2.475)] {
            assert!(
                (branin(x1, x2) - BRANIN_MINIMUM).abs() < 1e-5,
                "{}",
                branin(x1, x2)
            );
        }
        let best = [
            0.201_69, 0.150_011, 0.476_874, 0.275_332, 0.311_652, 0.657_3,
        ];
        assert!(
            (hartmann6(&best) - HARTMANN6_MINIMUM).abs() < 1e-4,
            "{}",
            hartmann6(&best)
        );
    }
}
