//! `latent-studio bench tuner`: the oracles on Branin (2-D, minimum 0.397887)
//! and Hartmann-6 (minimum −3.32237), random against Bayesian, ten seeds
//! each, through the same `Study::ask` / `Study::tell` the CLI drives; the
//! median best value after 20, 40 and 80 trials, and the milliseconds a
//! Bayesian proposal takes with 100 observations.

use std::time::Instant;

use tuner::functions::{
    BRANIN_MINIMUM, HARTMANN6_MINIMUM, branin_space, evaluate, hartmann6_space,
};
use tuner::{Ask, OracleConfig, Outcome, Settings, Space, Study};

use crate::bench::Measurement;

const SEEDS: u64 = 10;
const CHECKPOINTS: [usize; 3] = [20, 40, 80];

/// Best value after each trial of one seeded study of `trials` trials.
fn best_curve(
    function: &str,
    space: &Space,
    oracle: &OracleConfig,
    seed: u64,
    trials: usize,
) -> Vec<f64> {
    let settings = Settings {
        space: space.clone(),
        oracle: oracle.clone(),
        seed,
        max_trials: None,
        prune: false,
    };
    let mut study = Study::in_memory(settings);
    let mut best = f64::INFINITY;
    let mut curve = Vec::with_capacity(trials);
    for _ in 0..trials {
        let Ok(Ask::Trial { trial, params, .. }) = study.ask() else {
            break;
        };
        let value = evaluate(function, &params).unwrap_or(f64::NAN);
        let _ = study.tell(trial, Outcome::Value(value));
        best = best.min(value);
        curve.push(best);
    }
    curve
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        values[n / 2]
    } else {
        f64::midpoint(values[n / 2 - 1], values[n / 2])
    }
}

/// Milliseconds per Bayesian proposal once `observations` trials are told
/// (Hartmann-6, the larger space), median of five asks.
fn proposal_ms(observations: usize) -> f64 {
    let space = hartmann6_space();
    let settings = Settings {
        space,
        oracle: OracleConfig::Random,
        seed: 3,
        max_trials: None,
        prune: false,
    };
    let mut study = Study::in_memory(settings);
    for _ in 0..observations {
        let Ok(Ask::Trial { trial, params, .. }) = study.ask() else {
            break;
        };
        let _ = study.tell(
            trial,
            Outcome::Value(evaluate("hartmann6", &params).unwrap_or(0.0)),
        );
    }
    study.settings.oracle = OracleConfig::bayesian();
    let mut times: Vec<f64> = (0..5)
        .map(|_| {
            let start = Instant::now();
            let asked = study.ask();
            let ms = start.elapsed().as_secs_f64() * 1e3;
            if let Ok(Ask::Trial { trial, .. }) = asked {
                // Failed, so the next ask sees the same 100 observations.
                let _ = study.tell(trial, Outcome::Failed("timing only".into()));
            }
            ms
        })
        .collect();
    median(&mut times)
}

pub fn run(trials: Option<usize>) -> Vec<Measurement> {
    let trials = trials.unwrap_or(80);
    let mut figures = Vec::new();
    let oracles = [
        ("random", OracleConfig::Random),
        ("bayesian", OracleConfig::bayesian()),
    ];
    let functions = [
        ("branin", branin_space(), BRANIN_MINIMUM),
        ("hartmann6", hartmann6_space(), HARTMANN6_MINIMUM),
    ];
    println!(
        "{:<10} {:<9} {:>12} {:>12} {:>12}   (median best of {SEEDS} seeds after n trials)",
        "function", "oracle", "n = 20", "n = 40", "n = 80"
    );
    for (function, space, optimum) in &functions {
        let mut gaps_at_40 = Vec::new();
        for (name, oracle) in &oracles {
            let start = Instant::now();
            let curves: Vec<Vec<f64>> = (0..SEEDS)
                .map(|seed| best_curve(function, space, oracle, seed, trials))
                .collect();
            let seconds = start.elapsed().as_secs_f64();
            let at = |n: usize| -> f64 {
                let mut values: Vec<f64> = curves
                    .iter()
                    .filter_map(|c| c.get(n - 1).copied())
                    .collect();
                median(&mut values)
            };
            let cells: Vec<String> = CHECKPOINTS
                .iter()
                .map(|&n| {
                    if n <= trials {
                        format!("{:.6}", at(n))
                    } else {
                        "-".into()
                    }
                })
                .collect();
            println!(
                "{function:<10} {name:<9} {:>12} {:>12} {:>12}   ({seconds:.1} s)",
                cells[0], cells[1], cells[2]
            );
            for &n in CHECKPOINTS.iter().filter(|&&n| n <= trials) {
                figures.push(Measurement::cost(
                    format!("tuner {function} {name} best after {n} (median)"),
                    at(n),
                    "",
                ));
            }
            if trials >= 40 {
                let within: usize = curves
                    .iter()
                    .filter(|c| c[39] <= optimum.abs() * 0.01 + optimum)
                    .count();
                if *function == "branin" {
                    println!(
                        "{:<20} within 1 % of the optimum by 40 trials: {within} of {SEEDS} seeds",
                        ""
                    );
                    let within = f64::from(u32::try_from(within).unwrap_or(u32::MAX));
                    figures.push(Measurement::rate(
                        format!("tuner branin {name} seeds within 1 % at 40"),
                        within,
                        "of 10",
                    ));
                }
                gaps_at_40.push(at(40) - optimum);
            }
        }
        if let [random, bayesian] = gaps_at_40.as_slice() {
            println!(
                "{:<20} distance to the optimum at 40 trials: random {random:.4}, bayesian {bayesian:.4} ({:.1}× closer)",
                "",
                random / bayesian.max(1e-12)
            );
        }
    }
    let ms = proposal_ms(100);
    println!("bayesian proposal with 100 observations (Hartmann-6): {ms:.1} ms (median of 5)");
    figures.push(Measurement::cost(
        "tuner bayesian proposal at 100 observations",
        ms,
        "ms",
    ));
    figures
}
