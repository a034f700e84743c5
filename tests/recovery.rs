//! Nothing of a training run is lost, on the CPU backend: a resumed GAN
//! checkpoint continues exactly where the run stood (both Adam states, the
//! shuffle, the RNG), a checkpoint being overwritten when the process is
//! killed still loads, and a killed run's autosave is found and finished by
//! `--resume-last`. The kills are real: SIGKILL of a child process.

#![expect(clippy::cast_possible_truncation, reason = "test patterns")]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use burn::tensor::Device;
use image::{Rgb, RgbImage};
use latent_studio::job::autosave;
use latent_studio::job::{JobHandle, JobMessage, no_waker};
use latent_studio::techniques::gan::data::ImageSource;
use latent_studio::techniques::gan::job::{
    self, GanCommand, GanEvent, GanSettings, GanStart, StepLoss,
};
use latent_studio::techniques::gan::model::GanConfig;

#[path = "common/events.rs"]
mod events;
use events::next;

/// burn-flex draws every random number from one generator per process, which
/// `Device::seed` resets: tests in this file that train or initialise take
/// turns, so no other test draws between a job's seed and its draws.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());
    TURN.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ls-recovery-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn pattern(i: u8) -> RgbImage {
    RgbImage::from_fn(64, 64, |x, y| {
        Rgb([i.wrapping_mul(11), (x * 4) as u8, (y as u8) ^ i])
    })
}

/// A run's step losses and its last epoch's sample grid, once training is done.
fn train_to_end(
    handle: &mut JobHandle<GanEvent, GanCommand>,
) -> (Vec<StepLoss>, Vec<egui::Color32>) {
    let mut losses = Vec::new();
    let mut grid = Vec::new();
    next(handle, |event| match event {
        GanEvent::Losses(l) => {
            losses.extend(l);
            None
        }
        GanEvent::EpochDone { image, .. } => {
            grid = image.pixels;
            None
        }
        GanEvent::TrainingDone => Some(()),
        _ => None,
    });
    (losses, grid)
}

#[test]
fn a_resumed_gan_continues_bit_for_bit() {
    let _turn = serial();
    let dir = scratch("gan-resume");
    let images = || ImageSource::Images((0..24).map(pattern).collect());
    let settings = |epochs| GanSettings {
        epochs,
        batch_size: 8,
        ..GanSettings::book()
    };
    let train = |epochs| GanStart::Train {
        config: GanConfig::small(),
        settings: settings(epochs),
        data: images(),
    };

    let mut straight = job::start(train(3), Device::flex(), no_waker()).unwrap();
    let (straight_losses, straight_grid) = train_to_end(&mut straight);
    drop(straight);

    let mut first = job::start(train(2), Device::flex(), no_waker()).unwrap();
    let (first_losses, _) = train_to_end(&mut first);
    first.command(GanCommand::Save(dir.join("ckpt")));
    next(&mut first, GanEvent::save_outcome).unwrap();
    drop(first);
    let resume = GanStart::Resume {
        checkpoint: dir.join("ckpt"),
        data: images(),
        more_epochs: 1,
    };
    let mut resumed = job::start(resume, Device::flex(), no_waker()).unwrap();
    let (resumed_losses, resumed_grid) = train_to_end(&mut resumed);

    // Three steps an epoch: the first two epochs agree with the straight run,
    // and so does the resumed third — every loss and every pixel.
    assert_eq!(straight_losses.len(), 9);
    assert_eq!(first_losses[..], straight_losses[..6]);
    assert_eq!(resumed_losses[..], straight_losses[6..]);
    assert_eq!(resumed_grid, straight_grid);
    std::fs::remove_dir_all(dir).ok();
}

/// The studio's binary, autosaving into `root` after every step.
fn studio(root: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_latent-studio"));
    command
        .args(["--backend", "cpu", "--autosave-minutes", "0"])
        .args(args)
        .env("LATENT_STUDIO_AUTOSAVE", root)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    command
}

/// Waits until `ready` holds, or fails the test after two minutes (or when the child exits).
fn wait_until(child: &mut Child, what: &str, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
            panic!("the child exited ({status}) before {what}: {err}");
        }
        assert!(start.elapsed() < Duration::from_mins(2), "no {what}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Whether process `pid` is writing a new model folder in `parent` now.
fn writing_in(parent: &Path, pid: u32) -> bool {
    let scratch = format!(".model.writing-{pid}-");
    std::fs::read_dir(parent).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with(&scratch))
    })
}

fn grid_of(model: &Path) -> Vec<egui::Color32> {
    let mut loaded = job::start(GanStart::Load(model.to_owned()), Device::flex(), no_waker())
        .unwrap_or_else(|err| panic!("{err}"));
    loop {
        match loaded.recv_blocking() {
            Some(JobMessage::Event(GanEvent::Samples { image, .. })) => return image.pixels,
            Some(JobMessage::Event(_)) => {}
            other => panic!("{} does not load: {other:?}", model.display()),
        }
    }
}

#[test]
fn a_checkpoint_killed_while_it_is_overwritten_still_loads() {
    let _turn = serial();
    let root = scratch("gan-kill");
    let faces = root.join("faces");
    std::fs::create_dir_all(&faces).unwrap();
    for i in 0..16 {
        pattern(i).save(faces.join(format!("{i}.png"))).unwrap();
    }
    let model = root.join("gan").join("model");
    let faces = faces.to_str().unwrap().to_owned();
    let out = root.join("final");
    let args = [
        "gan",
        "train",
        "--small",
        "--data",
        &faces,
        "--epochs",
        "1000",
        "--batch",
        "8",
        "--out",
        out.to_str().unwrap(),
    ];
    // Killed at several points of a save: the checkpoint is always whole.
    for round in 0..3 {
        let mut child = studio(&root, &args).spawn().unwrap();
        if round == 0 {
            wait_until(&mut child, "a first autosave", || model.is_dir());
        }
        let pid = child.id();
        wait_until(&mut child, "an overwrite under way", || {
            writing_in(model.parent().unwrap(), pid)
        });
        std::thread::sleep(Duration::from_millis(round * 3));
        child.kill().unwrap();
        child.wait().unwrap();
        let pixels = grid_of(&model);
        assert_eq!(pixels.len(), 256 * 256, "round {round}");
    }
    // The killed run is offered for recovery, with its data source.
    let runs = autosave::interrupted_in(&root);
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0].technique, "gan");
    let source: ImageSource = runs[0].source().unwrap();
    assert!(matches!(source, ImageSource::Folder(ref f) if f.to_str() == Some(faces.as_str())));
    std::fs::remove_dir_all(root).ok();
}

#[test]
fn a_killed_vae_run_is_resumed_to_its_end_by_resume_last() {
    let root = scratch("vae-kill");
    let out = root.join("final");
    let args = |resume: bool| {
        let mut args = vec![
            "vae",
            "train",
            "--limit",
            "256",
            "--epochs",
            "3",
            "--batch",
            "64",
            "--out",
            out.to_str().unwrap(),
        ];
        if resume {
            args.push("--resume-last");
        }
        args.into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    let record = root.join("vae").join("run.json");
    let epochs_done = || {
        std::fs::read_to_string(&record)
            .ok()
            .and_then(|text| serde_json::from_str::<autosave::RunRecord>(&text).ok())
            .map_or(0, |r| r.epochs_done)
    };
    let mut child = studio(&root, &[]).args(args(false)).spawn().unwrap();
    wait_until(&mut child, "the first epoch's autosave", || {
        epochs_done() >= 1
    });
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!out.exists(), "the run finished before it was killed");

    let runs = autosave::interrupted_in(&root);
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0].record.epochs, 3);
    let done = runs[0].record.epochs_done;

    let resumed = studio(&root, &[])
        .args(args(true))
        .stdout(Stdio::piped())
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&resumed.stdout);
    assert!(
        resumed.status.success(),
        "{printed}{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    assert!(
        printed.contains(&format!("{done} of 3 epochs")),
        "{printed}"
    );
    // Only the epochs that were left ran, and the run is no longer offered.
    assert!(!printed.contains("Epoch 1:"), "{printed}");
    assert!(printed.contains("Epoch 3:"), "{printed}");
    assert!(out.is_dir());
    assert!(autosave::interrupted_in(&root).is_empty());
    std::fs::remove_dir_all(root).ok();
}
