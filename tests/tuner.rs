//! The Tuner on the CPU: the `mnist` study end to end on a 5 000-digit cut
//! of the real MNIST (fetched through the product's own path), its finish,
//! ask/tell through the real binary, and a study resumed after its process
//! was SIGKILLed in the middle of a trial. The other studies: `tuner_studies.rs`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use burn::tensor::Device;
use latent_studio::job::{JobMessage, no_waker};
use latent_studio::techniques::tuner::finish::{self, FinishEvent};
use latent_studio::techniques::tuner::job::{self, TuneSettings, TunerEvent};
use tuner::{OracleConfig, TrialState};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ls-tuner-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn quick(trials: usize) -> TuneSettings {
    TuneSettings {
        max_trials: trials,
        max_epochs: 4,
        patience: 2,
        limit: Some(5_000),
        ..TuneSettings::quick()
    }
}

#[test]
fn the_mnist_study_runs_six_trials_then_finishes_the_best() {
    let dir = scratch("mnist");
    let settings = TuneSettings {
        oracle: OracleConfig::bayesian(),
        ..quick(6)
    };
    let mut handle = job::start(
        settings.clone(),
        Some(dir.clone()),
        Device::flex(),
        no_waker(),
    )
    .unwrap();
    let mut ended = Vec::new();
    let mut epochs_seen = 0;
    let mut bayesian_reasons = 0;
    loop {
        match handle.recv_blocking() {
            Some(JobMessage::Event(TunerEvent::Epoch { figures, .. })) => {
                assert!(figures.val_accuracy.is_finite() && figures.loss.is_finite());
                epochs_seen += 1;
            }
            Some(JobMessage::Event(TunerEvent::Proposed { why, .. })) => {
                bayesian_reasons += usize::from(why.is_some());
            }
            Some(JobMessage::Event(TunerEvent::Ended { row, importance })) => {
                // From the fifth completed trial on, a share per parameter.
                assert_eq!(importance.len(), if ended.len() >= 4 { 2 } else { 0 });
                ended.push(row);
            }
            Some(JobMessage::Event(TunerEvent::Done { summary, .. })) => {
                assert!(
                    summary.contains("Results summary") && summary.contains("units:"),
                    "{summary}"
                );
            }
            Some(JobMessage::Event(TunerEvent::Loaded { train, val, .. })) => {
                assert_eq!((train, val), (5_000, 1_000));
            }
            Some(JobMessage::Finished) | None => break,
            Some(other) => panic!("{other:?}"),
        }
    }
    assert_eq!(ended.len(), 6);
    assert!(
        ended.iter().all(|r| r.state == TrialState::Completed),
        "{ended:?}"
    );
    let best = ended.iter().filter_map(|r| r.value).fold(0.0, f64::max);
    assert!(
        best > 0.85,
        "a Dense(units) classifier learns MNIST: best val_accuracy {best}"
    );
    assert!(epochs_seen >= 6);
    // KerasTuner's default: 3 × 2 parameters = 6 random trials first, so none of six is Bayesian's.
    assert_eq!(bayesian_reasons, 0);

    let mut finish = finish::start(dir.clone(), 2, &settings, Device::flex(), no_waker()).unwrap();
    let mut rows = Vec::new();
    loop {
        match finish.recv_blocking() {
            Some(JobMessage::Event(FinishEvent::Row(row))) => rows.push(row),
            Some(JobMessage::Event(FinishEvent::Stage { .. })) => {}
            Some(JobMessage::Finished) | None => break,
            Some(other) => panic!("{other:?}"),
        }
    }
    assert_eq!(rows.len(), 2);
    for row in &rows {
        assert_eq!(row.retrain_epochs, (row.best_epoch * 12 / 10).max(1));
        assert!(row.test_accuracy > 0.8, "{row:?}");
        assert!(
            row.saved.with_extension("bpk").exists() || row.saved.exists(),
            "{}",
            row.saved.display()
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}

fn studio(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_latent-studio"));
    command
        .args(["--backend", "cpu", "--no-autosave"])
        .args(args);
    command
}

fn ask(dir: &Path, space: Option<&Path>) -> (usize, serde_json::Value) {
    let mut args = vec!["tune", "ask", "--dir", dir.to_str().unwrap(), "--seed", "3"];
    if let Some(space) = space {
        args.extend(["--space", space.to_str().unwrap()]);
    }
    let out = studio(&args).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    (
        usize::try_from(line["trial"].as_u64().unwrap()).unwrap(),
        line["params"].clone(),
    )
}

#[test]
fn ask_and_tell_through_the_binary_keep_the_study_in_its_folder() {
    let dir = scratch("ask-tell");
    std::fs::create_dir_all(&dir).unwrap();
    let space = dir.join("space.toml");
    std::fs::write(
        &space,
        "direction = \"minimize\"\n[[param]]\nname = \"x1\"\nkind = \"float\"\nmin = -5.0\nmax = 10.0\n[[param]]\nname = \"x2\"\nkind = \"float\"\nmin = 0.0\nmax = 15.0\n",
    )
    .unwrap();
    let study = dir.join("study");
    for expected in 0..4 {
        let (trial, params) = ask(&study, (expected == 0).then_some(space.as_path()));
        assert_eq!(trial, expected);
        let value = tuner::functions::branin(
            params["x1"].as_f64().unwrap(),
            params["x2"].as_f64().unwrap(),
        );
        let told = studio(&[
            "tune",
            "tell",
            "--dir",
            study.to_str().unwrap(),
            "--trial",
            &trial.to_string(),
            "--value",
            &value.to_string(),
        ])
        .output()
        .unwrap();
        assert!(
            told.status.success(),
            "{}",
            String::from_utf8_lossy(&told.stderr)
        );
    }
    let again = studio(&[
        "tune",
        "tell",
        "--dir",
        study.to_str().unwrap(),
        "--trial",
        "2",
        "--value",
        "1",
    ])
    .output()
    .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("trial 2 is already completed"));
    let unknown = studio(&[
        "tune",
        "tell",
        "--dir",
        study.to_str().unwrap(),
        "--trial",
        "9",
        "--value",
        "1",
    ])
    .output()
    .unwrap();
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("trial 9 does not exist"));
    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        "[[param]]\nname = \"x\"\nkind = \"float\"\nmin = 3.0\nmax = 1.0\n",
    )
    .unwrap();
    let refused = studio(&[
        "tune",
        "ask",
        "--dir",
        dir.join("other").to_str().unwrap(),
        "--space",
        bad.to_str().unwrap(),
    ])
    .output()
    .unwrap();
    assert!(
        String::from_utf8_lossy(&refused.stderr)
            .contains("line 4, min: \"x\": min 3 is above max 1")
    );
    let csv = studio(&["tune", "export", "--dir", study.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&csv.stdout).lines().count(),
        5,
        "a header and four trials"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_study_killed_in_the_middle_of_a_trial_resumes_from_its_last_epoch() {
    let dir = scratch("killed");
    let run = |trials: &str| {
        studio(&[
            "tune",
            "run",
            "--dir",
            dir.to_str().unwrap(),
            "--oracle",
            "random",
            "--max-trials",
            trials,
            "--max-epochs",
            "6",
            "--patience",
            "0",
            "--limit",
            "3000",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
    };
    let mut child = run("3");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    // Once trial 1 has started, kill the process as soon as its first epoch is on disk.
    for line in lines.by_ref() {
        if line.unwrap().starts_with("Trial 1 ") {
            break;
        }
    }
    let checkpoint = dir.join("trials").join("1-0");
    let start = std::time::Instant::now();
    while !checkpoint.join("progress.json").exists() {
        assert!(start.elapsed().as_secs() < 120, "trial 1 saved no epoch");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().unwrap();
    let _ = child.wait();
    let before = tuner::Study::open(&dir).unwrap();
    assert_eq!(before.trials[1].state, TrialState::Running);
    let done_before = before.trials[1].intermediate.len();
    assert!(
        done_before < 6,
        "killed mid-trial: {done_before} epochs reported"
    );

    let out = run("3").wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("2 trials already in the study"), "{text}");
    let study = tuner::Study::open(&dir).unwrap();
    assert_eq!(study.trials.len(), 3);
    assert!(
        study
            .trials
            .iter()
            .all(|t| t.state == TrialState::Completed),
        "{:?}",
        study.trials.iter().map(|t| t.state).collect::<Vec<_>>()
    );
    let epochs: Vec<usize> = study.trials[1]
        .intermediate
        .iter()
        .map(|(e, _)| *e)
        .collect();
    assert_eq!(
        epochs,
        (1..=6).collect::<Vec<_>>(),
        "every epoch once: none lost, none twice"
    );

    // The resumed trial, trained again from its seed in one go: the same curve.
    let rerun = studio(&[
        "tune",
        "rerun",
        "--dir",
        dir.to_str().unwrap(),
        "--trial",
        "1",
    ])
    .output()
    .unwrap();
    let said = String::from_utf8_lossy(&rerun.stdout);
    assert!(rerun.status.success(), "{said}");
    assert!(
        said.contains("the re-run's curve is the journal's, epoch for epoch"),
        "{said}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_trial_saved_and_loaded_trains_on_exactly_as_one_that_was_not() {
    use latent_studio::techniques::tuner::studies::MnistData;
    use latent_studio::techniques::tuner::train::{EpochFigures, Next, Optimizer, Run, TrialSpec};
    let data = MnistData::load(Some(2_000)).unwrap();
    let device = Device::flex();
    let check = || Ok(());
    let mut quiet = |_: &EpochFigures| Ok(Next::Continue);
    for optimizer in [Optimizer::Adam, Optimizer::RmsProp] {
        let spec = TrialSpec {
            units: 32,
            optimizer,
            seed: 11,
            batch: 128,
            patience: 0,
        };
        let mut straight = Run::new(spec, &device);
        straight
            .train_to(3, &data.train, Some(&data.val), &device, &check, &mut quiet)
            .unwrap();
        let dir = scratch(&format!("resume-{optimizer:?}"));
        let mut first = Run::new(spec, &device);
        first
            .train_to(1, &data.train, Some(&data.val), &device, &check, &mut quiet)
            .unwrap();
        first.save(&dir).unwrap();
        let mut resumed = Run::load(&dir, &device).unwrap();
        resumed.finished = false;
        resumed
            .train_to(3, &data.train, Some(&data.val), &device, &check, &mut quiet)
            .unwrap();
        assert_eq!(resumed.history, straight.history, "{optimizer:?}");
        let _ = std::fs::remove_dir_all(dir);
    }
}
