use super::*;
use crate::functions::{BRANIN_MINIMUM, branin_space, evaluate};
use crate::space::{Param, Value};

fn settings(space: Space, oracle: OracleConfig) -> Settings {
    Settings {
        space,
        oracle,
        seed: 7,
        max_trials: None,
        prune: false,
    }
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("tuner-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn next_trial(study: &mut Study) -> (usize, Params) {
    match study.ask().unwrap() {
        Ask::Trial { trial, params, .. } => (trial, params),
        other => panic!("no trial: {other:?}"),
    }
}

#[test]
fn ask_and_tell_finds_the_branin_minimum() {
    let mut study = Study::in_memory(settings(branin_space(), OracleConfig::bayesian()));
    for _ in 0..40 {
        let (trial, params) = next_trial(&mut study);
        study
            .tell(trial, Outcome::Value(evaluate("branin", &params).unwrap()))
            .unwrap();
    }
    let best = study.best(1)[0].value.unwrap();
    assert!(best < BRANIN_MINIMUM * 1.05, "best after 40 trials: {best}");
}

#[test]
fn journal_round_trip_resumes_where_it_stopped_and_proposes_the_same() {
    let dir = scratch("resume");
    let space = branin_space();
    let run = |study: &mut Study, count: usize| {
        for _ in 0..count {
            let (trial, params) = next_trial(study);
            study.report(trial, 1, 3.0).unwrap();
            study
                .tell(trial, Outcome::Value(evaluate("branin", &params).unwrap()))
                .unwrap();
        }
    };
    let mut study =
        Study::open_or_create(&dir, settings(space.clone(), OracleConfig::bayesian())).unwrap();
    run(&mut study, 8);
    let (interrupted, _) = next_trial(&mut study); // killed while trial 8 trains
    study.report(interrupted, 1, 5.0).unwrap();
    drop(study);

    let mut reopened = Study::open(&dir).unwrap();
    assert_eq!(reopened.trials.len(), 9);
    assert_eq!(reopened.trials[8].state, TrialState::Running);
    assert_eq!(reopened.trials[8].intermediate, vec![(1, 5.0)]);
    reopened.tell(8, Outcome::Failed("killed".into())).unwrap();
    let (trial, resumed_params) = next_trial(&mut reopened);
    assert_eq!(trial, 9);

    let mut straight = Study::in_memory(settings(space, OracleConfig::bayesian()));
    run(&mut straight, 8);
    let (eight, _) = next_trial(&mut straight);
    straight
        .tell(eight, Outcome::Failed("killed".into()))
        .unwrap();
    assert_eq!(
        next_trial(&mut straight).1,
        resumed_params,
        "the reopened study proposes what the uninterrupted one does"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_damaged_line_is_skipped_with_a_notice() {
    let dir = scratch("damaged");
    let mut study =
        Study::open_or_create(&dir, settings(branin_space(), OracleConfig::Random)).unwrap();
    for _ in 0..3 {
        let (trial, params) = next_trial(&mut study);
        study
            .tell(trial, Outcome::Value(evaluate("branin", &params).unwrap()))
            .unwrap();
    }
    drop(study);
    let path = dir.join(crate::journal::FILE);
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str("{\"event\":\"completed\",\"tri"); // a write cut short
    std::fs::write(&path, text).unwrap();
    let study = Study::open(&dir).unwrap();
    assert_eq!(study.trials.len(), 3);
    assert_eq!(study.notices.len(), 1, "{:?}", study.notices);
    assert!(study.notices[0].starts_with("1 damaged line(s)"));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn bad_tells_and_other_spaces_are_refused() {
    let dir = scratch("refused");
    let mut study =
        Study::open_or_create(&dir, settings(branin_space(), OracleConfig::Random)).unwrap();
    assert_eq!(
        study.tell(4, Outcome::Value(1.0)).unwrap_err().to_string(),
        "trial 4 does not exist in this study"
    );
    let (trial, _) = next_trial(&mut study);
    study.tell(trial, Outcome::Value(f64::NAN)).unwrap();
    assert_eq!(
        study.trials[trial].state,
        TrialState::Failed,
        "NaN fails the trial"
    );
    assert_eq!(
        study
            .tell(trial, Outcome::Value(1.0))
            .unwrap_err()
            .to_string(),
        "trial 0 is already failed"
    );
    let (next, _) = next_trial(&mut study);
    assert_eq!(next, 1, "the search goes on");
    drop(study);
    let mut other = branin_space();
    other.params[1] = Param::float("x2", 0.0, 20.0, false);
    let refused = Study::open_or_create(&dir, settings(other, OracleConfig::Random))
        .err()
        .unwrap();
    assert_eq!(
        refused.to_string(),
        "this study was made for another space: \"x2\": float 0…20 here, float 0…15 in the study"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn median_pruning_stops_a_bad_trial() {
    let space = Space::new(
        Direction::Minimize,
        vec![Param::float("x", 0.0, 1.0, false)],
    )
    .unwrap();
    let mut study = Study::in_memory(Settings {
        prune: true,
        ..settings(space, OracleConfig::Random)
    });
    for loss in [1.0, 2.0, 3.0] {
        let (trial, _) = next_trial(&mut study);
        assert!(
            !study.report(trial, 1, loss).unwrap(),
            "too few finished trials to judge"
        );
        study.tell(trial, Outcome::Value(loss)).unwrap();
    }
    let (good, _) = next_trial(&mut study);
    assert!(
        !study.report(good, 1, 1.5).unwrap(),
        "better than the median 2"
    );
    study.tell(good, Outcome::Value(1.5)).unwrap();
    let (bad, _) = next_trial(&mut study);
    assert!(
        study.report(bad, 1, 2.9).unwrap(),
        "worse than the median 1.75"
    );
    study.tell(bad, Outcome::Pruned { epoch: 1 }).unwrap();
    assert_eq!(study.trials[bad].state, TrialState::Pruned);
    assert_eq!(study.trials[bad].value, Some(2.9));
}

#[test]
fn hyperband_promotions_continue_their_parents() {
    let space = Space::new(
        Direction::Maximize,
        vec![Param::float("x", 0.0, 1.0, false)],
    )
    .unwrap();
    let mut study = Study::in_memory(settings(
        space,
        OracleConfig::Hyperband {
            max_epochs: 9,
            factor: 3,
        },
    ));
    let mut first_rung = Vec::new();
    for _ in 0..9 {
        let Ask::Trial {
            trial,
            params,
            epochs,
            from,
            ..
        } = study.ask().unwrap()
        else {
            panic!()
        };
        assert_eq!((epochs, from), (Some(1), None));
        first_rung.push((trial, params["x"].as_f64().unwrap()));
    }
    for _ in 0..8 {
        // The other two brackets start meanwhile (5 at 3 epochs, 3 at 9).
        let Ask::Trial { from: None, .. } = study.ask().unwrap() else {
            panic!()
        };
    }
    assert_eq!(study.ask().unwrap(), Ask::Wait { running: 17 });
    for (trial, x) in &first_rung {
        study.tell(*trial, Outcome::Value(*x)).unwrap(); // maximise x
    }
    let mut best: Vec<(usize, f64)> = first_rung.clone();
    best.sort_by(|a, b| b.1.total_cmp(&a.1));
    for expected in best.iter().take(3) {
        let Ask::Trial {
            params,
            epochs,
            from,
            ..
        } = study.ask().unwrap()
        else {
            panic!()
        };
        assert_eq!((epochs, from), (Some(3), Some(expected.0)));
        assert_eq!(params["x"], Value::Float(expected.1));
    }
}

#[test]
fn executions_are_averaged_and_the_summary_shows_their_spread() {
    let mut study = Study::in_memory(settings(branin_space(), OracleConfig::Random));
    let (trial, _) = next_trial(&mut study);
    study
        .tell(trial, Outcome::Executions(vec![1.0, 3.0]))
        .unwrap();
    assert_eq!(study.trials[0].value, Some(2.0));
    let summary = crate::report::summary(&study, 4);
    assert!(
        summary.contains("Score: 2.000000 ± 1.000000 over 2 executions"),
        "{summary}"
    );
    let csv = crate::report::csv(&study);
    assert!(
        csv.starts_with("trial,state,x1,x2,objective,epochs,seconds\n0,completed,"),
        "{csv}"
    );
}
