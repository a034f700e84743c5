//! The Tuner's `vae`, `gan` and `text` studies on the CPU, each trial trained
//! by the technique's own job on a tiny cut of its real data (fetched through
//! the product's own path); a trial stopped mid-way resumed from its last
//! epoch, and re-run from its seed.

use std::path::{Path, PathBuf};

use burn::tensor::Device;
use latent_studio::job::{JobMessage, no_waker};
use latent_studio::techniques::tuner::job::{self, TuneSettings, TunerEvent};
use latent_studio::techniques::tuner::rerun;
use latent_studio::techniques::tuner::studies::StudyKind;
use tuner::TrialState;

/// burn's CPU device draws every random number from one generator per
/// process: trials of two studies trained at once would change each other's
/// draws, so these tests take turns.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn alone() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ls-studies-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Runs a study of a technique's own model to its end; each trial's value.
fn technique_study(name: &str, settings: TuneSettings) -> Vec<f64> {
    let _alone = alone();
    let dir = scratch(name);
    let mut handle = job::start(settings, Some(dir.clone()), Device::flex(), no_waker()).unwrap();
    let mut values = Vec::new();
    let mut epochs = 0;
    loop {
        match handle.recv_blocking() {
            Some(JobMessage::Event(TunerEvent::Epoch { value, figures, .. })) => {
                assert!(
                    value.is_finite() && value > 0.0 && (value - figures.val_loss).abs() < 1e-9
                );
                epochs += 1;
            }
            Some(JobMessage::Event(TunerEvent::Ended { row, .. })) => {
                assert_eq!(row.state, TrialState::Completed, "{row:?}");
                values.push(row.value.unwrap());
            }
            Some(JobMessage::Event(_)) => {}
            Some(JobMessage::Finished) | None => break,
            Some(other) => panic!("{other:?}"),
        }
    }
    assert_eq!(epochs, values.len(), "one measured epoch a trial");
    let study = tuner::Study::open(&dir).unwrap();
    assert_eq!(study.settings.space.direction, tuner::Direction::Minimize);
    assert_eq!(
        study.best(1)[0].value,
        values.iter().copied().reduce(f64::min)
    );
    let _ = std::fs::remove_dir_all(dir);
    values
}

#[test]
fn the_vae_study_trains_the_vae_technique_and_minimises_its_held_out_loss() {
    let settings = TuneSettings {
        max_trials: 2,
        max_epochs: 1,
        limit: Some(1_000),
        ..TuneSettings::quick_for(StudyKind::Vae)
    };
    assert_eq!(technique_study("vae", settings).len(), 2);
}

#[test]
fn the_gan_study_trains_the_gan_technique_and_minimises_its_fid() {
    let settings = TuneSettings {
        max_trials: 2,
        max_epochs: 1,
        limit: Some(32),
        ..TuneSettings::quick_for(StudyKind::Gan)
    };
    let values = technique_study("gan", settings);
    assert_eq!(values.len(), 2);
    // Two different configurations: two different generators.
    assert!((values[0] - values[1]).abs() > 1e-6, "{values:?}");
}

#[test]
fn the_text_study_trains_the_char_lstm_and_minimises_its_held_out_loss() {
    let settings = TuneSettings {
        max_trials: 2,
        max_epochs: 1,
        limit: Some(60),
        ..TuneSettings::quick_for(StudyKind::Text)
    };
    let values = technique_study("text", settings);
    assert_eq!(values.len(), 2);
    assert!((values[0] - values[1]).abs() > 1e-6, "{values:?}");
}

/// The text study on 200 snippets with a small LSTM (an epoch in seconds).
fn small_text_study() -> TuneSettings {
    let space = tuner::Space::new(
        tuner::Direction::Minimize,
        vec![
            tuner::Param::float("learning_rate", 1e-3, 1e-1, true),
            tuner::Param::int("lstm_units", 32, 64, 32),
            tuner::Param::int("sequence_length", 20, 40, 20),
        ],
    )
    .unwrap();
    TuneSettings {
        limit: Some(200),
        space: Some(space),
        ..TuneSettings::quick_for(StudyKind::Text)
    }
}

/// The text study's one trial of two epochs in `dir`, its epochs as they
/// are reported; cancelled after `stop_after` of them (None: to its end).
/// An epoch takes seconds, which the cancel needs far less of.
fn text_trial(dir: &Path, stop_after: Option<usize>) -> Vec<(usize, f64)> {
    let settings = TuneSettings {
        max_trials: 1,
        max_epochs: 2,
        ..small_text_study()
    };
    let mut handle =
        job::start(settings, Some(dir.to_owned()), Device::flex(), no_waker()).unwrap();
    let mut epochs = Vec::new();
    while let Some(message) = handle.recv_blocking() {
        match message {
            JobMessage::Event(TunerEvent::Epoch { figures, value, .. }) => {
                epochs.push((figures.epoch, value));
                if Some(epochs.len()) == stop_after {
                    handle.cancel();
                }
            }
            JobMessage::Event(_) => {}
            JobMessage::Finished | JobMessage::Cancelled => break,
            JobMessage::Failed(reason) => panic!("{reason}"),
        }
    }
    epochs
}

#[test]
fn a_technique_trial_stopped_mid_way_resumes_from_its_last_epoch_and_reruns_the_same() {
    let _alone = alone();
    let (straight, stopped) = (scratch("text-straight"), scratch("text-stopped"));
    let whole = text_trial(&straight, None);
    assert_eq!(whole.iter().map(|e| e.0).collect::<Vec<_>>(), [1, 2]);
    let first = text_trial(&stopped, Some(1));
    assert_eq!(first, whole[..1]);
    // Opened again: the trial goes on from its last epoch's checkpoint, and
    // its curve is the uninterrupted one to the last digit.
    let rest = text_trial(&stopped, None);
    assert_eq!(rest, whole[first.len()..]);
    let journal = tuner::Study::open(&stopped).unwrap();
    assert_eq!(journal.trials[0].state, TrialState::Completed);
    assert_eq!(journal.trials[0].intermediate, whole);
    assert_eq!(
        journal.trials[0].value,
        tuner::Study::open(&straight).unwrap().trials[0].value
    );
    // Re-run from its seed, in memory: the same curve again.
    let mut rerun = rerun::start(stopped.clone(), 0, Device::flex(), no_waker()).unwrap();
    let again = match rerun.recv_blocking() {
        Some(JobMessage::Event(again)) => again,
        other => panic!("{other:?}"),
    };
    assert_eq!(again.curve, whole);
    assert_eq!(again.largest_difference(), Some(0.0));
    let _ = std::fs::remove_dir_all(straight);
    let _ = std::fs::remove_dir_all(stopped);
}

#[test]
fn a_promoted_hyperband_trial_continues_its_parents_training() {
    let _alone = alone();
    let dir = scratch("text-hyperband");
    let settings = TuneSettings {
        oracle: tuner::OracleConfig::Hyperband {
            max_epochs: 3,
            factor: 3,
        },
        max_trials: 20,
        max_epochs: 3,
        ..small_text_study()
    };
    let mut handle = job::start(settings, Some(dir.clone()), Device::flex(), no_waker()).unwrap();
    let (mut parents, mut epochs) = (Vec::new(), Vec::<Vec<usize>>::new());
    while let Some(message) = handle.recv_blocking() {
        match message {
            JobMessage::Event(TunerEvent::Proposed { row, .. }) => {
                parents.resize(row.id + 1, None);
                epochs.resize(row.id + 1, Vec::new());
                parents[row.id] = row.from;
            }
            JobMessage::Event(TunerEvent::Epoch { trial, figures, .. }) => {
                epochs[trial].push(figures.epoch);
            }
            JobMessage::Event(_) => {}
            JobMessage::Finished | JobMessage::Cancelled => break,
            JobMessage::Failed(reason) => panic!("{reason}"),
        }
    }
    let promoted: Vec<usize> = (0..parents.len())
        .filter(|&t| parents[t].is_some())
        .collect();
    assert!(!promoted.is_empty(), "{parents:?}");
    for trial in promoted {
        let parent = parents[trial].unwrap();
        assert_eq!(
            epochs[parent],
            [1],
            "the parent trained its rung's one epoch"
        );
        assert_eq!(epochs[trial], [2, 3], "trial {trial} went on from epoch 1");
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_trial_whose_training_fails_is_marked_failed_and_the_search_goes_on() {
    let _alone = alone();
    let dir = scratch("text-fails");
    // A window far longer than the 60 snippets: the text job refuses to
    // train that trial; the other window trains.
    let space = tuner::Space::new(
        tuner::Direction::Minimize,
        vec![
            tuner::Param::fixed("learning_rate", tuner::Value::Float(0.01)),
            tuner::Param::fixed("lstm_units", tuner::Value::Int(32)),
            tuner::Param {
                name: "sequence_length".to_owned(),
                kind: tuner::Kind::Choice {
                    values: vec![tuner::Value::Int(1_000_000), tuner::Value::Int(20)],
                },
            },
        ],
    )
    .unwrap();
    let settings = TuneSettings {
        oracle: tuner::OracleConfig::Grid,
        max_trials: 2,
        max_epochs: 1,
        limit: Some(60),
        space: Some(space),
        ..TuneSettings::quick_for(StudyKind::Text)
    };
    let mut handle = job::start(settings, Some(dir.clone()), Device::flex(), no_waker()).unwrap();
    let mut ended = Vec::new();
    while let Some(message) = handle.recv_blocking() {
        match message {
            JobMessage::Event(TunerEvent::Ended { row, .. }) => ended.push(row),
            JobMessage::Event(_) => {}
            JobMessage::Finished => break,
            other => panic!("the study itself must go on: {other:?}"),
        }
    }
    assert_eq!(ended.len(), 2, "{ended:?}");
    let study = tuner::Study::open(&dir).unwrap();
    for trial in &study.trials {
        let long = trial.params.get("sequence_length") == Some(&tuner::Value::Int(1_000_000));
        if long {
            assert_eq!(trial.state, TrialState::Failed, "{trial:?}");
            let reason = trial.reason.as_deref().unwrap_or_default();
            assert!(
                reason.contains("smaller than one training sequence"),
                "{reason}"
            );
            assert_eq!(trial.value, None);
        } else {
            assert_eq!(trial.state, TrialState::Completed, "{trial:?}");
            assert!(trial.value.is_some_and(f64::is_finite));
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}
