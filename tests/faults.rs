//! Faults a user meets, on the CPU backend: a save or export to a folder that
//! cannot exist, or to a name no encoder knows, is an event the panel shows —
//! the job and its model keep running, and a good save afterwards works. One
//! test per technique.

#![expect(clippy::cast_possible_truncation, reason = "test patterns")]

use std::path::PathBuf;

use burn::tensor::Device;
use image::{Rgb, RgbImage};
use latent_studio::assets::{self, Cache, Manifest};
use latent_studio::job::{JobMessage, no_waker};
use latent_studio::picture::Picture;
use latent_studio::techniques::text::corpus::CorpusSource;
use latent_studio::techniques::text::model::TransformerConfig;
use latent_studio::techniques::vae::job::VaeCommand;
use latent_studio::techniques::{dream, gan, style, text, vae};

#[path = "common/events.rs"]
mod events;
use events::next;

/// A scratch folder of this test, and inside it a plain file: no folder can
/// be made under it (not even by root), so any save there fails.
fn scratch(name: &str) -> (PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!("ls-faults-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("a-file");
    std::fs::write(&file, "not a folder").unwrap();
    (dir, file.join("inside"))
}

/// The reason of a failed save, or a panic if it was saved.
fn failure(outcome: Option<Result<PathBuf, String>>) -> Option<String> {
    match outcome? {
        Ok(path) => panic!("saved to {} although it cannot be", path.display()),
        Err(reason) => Some(reason),
    }
}

fn saved(outcome: Option<Result<PathBuf, String>>) -> Option<PathBuf> {
    outcome.map(|o| o.unwrap_or_else(|reason| panic!("the save failed: {reason}")))
}

#[test]
fn gan_a_failed_checkpoint_keeps_the_models() {
    let (dir, impossible) = scratch("gan");
    let mut settings = gan::job::GanSettings::book();
    (settings.epochs, settings.batch_size) = (1, 8);
    let images = (0..16u8)
        .map(|i| RgbImage::from_fn(64, 64, |x, _| Rgb([i * 12, (x * 3) as u8, 90])))
        .collect();
    let start = gan::job::GanStart::Train {
        config: gan::model::GanConfig::small(),
        settings,
        data: gan::data::ImageSource::Images(images),
    };
    let mut handle = gan::job::start(start, Device::flex(), no_waker()).unwrap();
    next(&mut handle, |e| {
        matches!(e, gan::job::GanEvent::TrainingDone).then_some(())
    });
    handle.command(gan::job::GanCommand::Save(impossible.clone()));
    let reason = next(&mut handle, |e| failure(e.save_outcome()));
    assert!(reason.contains("inside"), "{reason}");
    // The models are still there: they sample and save.
    handle.command(gan::job::GanCommand::Walk {
        from: 0,
        to: 1,
        steps: 2,
    });
    next(&mut handle, |e| {
        matches!(e, gan::job::GanEvent::Walk(_)).then_some(())
    });
    handle.command(gan::job::GanCommand::Save(dir.join("checkpoint")));
    next(&mut handle, |e| saved(e.save_outcome()));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn vae_a_failed_save_or_export_keeps_the_model() {
    let (dir, impossible) = scratch("vae");
    let asset_dir = assets::ensure(&Cache::user(), &Manifest::bundled(), "mnist").unwrap();
    let start = vae::job::VaeStart::Train {
        config: vae::model::VaeSettings::new()
            .with_epochs(1)
            .with_batch_size(64),
        data: vae::job::DataSource::Mnist {
            asset_dir,
            limit: Some(256),
        },
    };
    let mut handle = vae::job::start(start, Device::flex(), no_waker()).unwrap();
    next(&mut handle, |e| {
        matches!(e, vae::job::VaeEvent::TrainingDone).then_some(())
    });
    handle.command(VaeCommand::Save(impossible.clone()));
    next(&mut handle, |e| failure(e.save_outcome()));
    handle.command(VaeCommand::ExportGrid {
        path: dir.join("grid.unknown-extension"),
        n: 4,
        range: 1.0,
    });
    next(&mut handle, |e| failure(e.save_outcome()));
    // A grid too large for any host's memory is refused with its estimate;
    // the job and its model stay.
    handle.command(VaeCommand::Grid {
        n: 100_000,
        range: 1.0,
    });
    let refused = next(&mut handle, |e| match e {
        vae::job::VaeEvent::Refused(reason) => Some(reason),
        _ => None,
    });
    assert!(
        refused.contains("100000×100000 grid") && refused.contains("needs about"),
        "{refused}"
    );
    handle.command(VaeCommand::ExportGrid {
        path: dir.join("huge.png"),
        n: 100_000,
        range: 1.0,
    });
    let reason = next(&mut handle, |e| failure(e.save_outcome()));
    assert!(reason.contains("needs about"), "{reason}");
    handle.command(VaeCommand::Decode([0.1, 0.2]));
    next(&mut handle, |e| {
        matches!(e, vae::job::VaeEvent::Decoded { .. }).then_some(())
    });
    handle.command(VaeCommand::Save(dir.join("model")));
    next(&mut handle, |e| saved(e.save_outcome()));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn text_a_failed_save_keeps_the_model() {
    let (dir, impossible) = scratch("text");
    let mut config = text::job::TextSettings::book(text::job::ModelKind::Lstm);
    (config.epochs, config.batch_size, config.sample_length) = (1, 16, 4);
    (config.lstm_hidden, config.lstm_length) = (16, 12);
    config.temperatures = vec![1.0];
    config.transformer = TransformerConfig::book();
    let lines = [
        "a film to see twice",
        "a film to miss twice",
        "see it twice",
    ];
    let start = text::job::TextStart::Train {
        config,
        corpus: CorpusSource::Documents((0..20).map(|i| lines[i % 3].to_owned()).collect()),
    };
    let mut handle = text::job::start(start, Device::flex(), no_waker()).unwrap();
    next(&mut handle, |e| {
        matches!(e, text::job::TextEvent::TrainingDone).then_some(())
    });
    handle.command(text::job::TextCommand::Save(impossible));
    next(&mut handle, |e| failure(e.save_outcome()));
    handle.command(text::job::TextCommand::Save(dir.join("model")));
    next(&mut handle, |e| saved(e.save_outcome()));
    std::fs::remove_dir_all(dir).unwrap();
}

fn photo(side: u32) -> Picture {
    let rgb = RgbImage::from_fn(side, side, |x, y| Rgb([(x * 3) as u8, (y * 2) as u8, 120]));
    Picture::from_rgb(rgb, "photo").unwrap()
}

#[test]
fn style_a_failed_save_keeps_the_image() {
    let (dir, impossible) = scratch("style");
    let inputs = style::job::StyleInputs {
        content: photo(48),
        styles: vec![(photo(64), 1.0)],
    };
    let mut settings = style::job::StyleSettings::book();
    (settings.height, settings.iterations) = (48, 3);
    settings.optimizer = style::job::OptimizerKind::Adam;
    let mut handle = style::job::start(inputs, settings, None, Device::flex(), no_waker()).unwrap();
    next(&mut handle, |e| {
        matches!(e, style::job::StyleEvent::Done { .. }).then_some(())
    });
    for bad in [impossible.with_extension("png"), dir.join("result.unknown")] {
        handle.command(style::job::StyleCommand::Save(bad));
        next(&mut handle, |e| failure(e.save_outcome()));
    }
    handle.command(style::job::StyleCommand::SaveFrames(impossible));
    next(&mut handle, |e| failure(e.save_outcome()));
    handle.command(style::job::StyleCommand::Save(dir.join("result.png")));
    next(&mut handle, |e| saved(e.save_outcome()));
    assert!(dir.join("result.png").is_file());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_style_run_too_large_for_memory_is_refused_before_it_starts() {
    // A 12 000 × 300 panorama at a height of 1024: 40 960 px wide.
    let panorama = RgbImage::from_fn(12_000, 300, |x, _| Rgb([(x % 251) as u8, 40, 90]));
    let inputs = style::job::StyleInputs {
        content: Picture::from_rgb(panorama, "panorama").unwrap(),
        styles: vec![(photo(64), 1.0)],
    };
    let mut settings = style::job::StyleSettings::book();
    settings.height = 1024;
    let mut handle = style::job::start(inputs, settings, None, Device::flex(), no_waker()).unwrap();
    let message = loop {
        match handle.recv_blocking() {
            Some(JobMessage::Failed(message)) => break message,
            Some(JobMessage::Event(_)) => {}
            other => panic!("the run was not refused: {other:?}"),
        }
    };
    assert!(
        message.contains("40960×1024 px needs about")
            && message.contains("Lower the output height"),
        "{message}"
    );
}

#[test]
fn dream_a_failed_save_keeps_the_dream() {
    let (dir, impossible) = scratch("dream");
    let mut settings = dream::model::DreamSettings::preset(dream::model::Preset::Book);
    (settings.octaves, settings.iterations) = (1, 2);
    let mut handle =
        dream::job::start(photo(96), settings, None, None, Device::flex(), no_waker()).unwrap();
    next(&mut handle, |e| {
        matches!(e, dream::job::DreamEvent::Done { .. }).then_some(())
    });
    handle.command(dream::job::DreamCommand::Save(
        impossible.with_extension("png"),
    ));
    next(&mut handle, |e| failure(e.save_outcome()));
    handle.command(dream::job::DreamCommand::SaveGif(
        impossible.with_extension("gif"),
    ));
    next(&mut handle, |e| failure(e.save_outcome()));
    handle.command(dream::job::DreamCommand::Save(dir.join("dream.png")));
    next(&mut handle, |e| saved(e.save_outcome()));
    assert!(dir.join("dream.png").is_file());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn vae_with_a_4_d_latent_draws_decodes_saves_and_reloads() {
    let (dir, _) = scratch("vae4");
    let asset_dir = assets::ensure(&Cache::user(), &Manifest::bundled(), "mnist").unwrap();
    let start = vae::job::VaeStart::Train {
        config: vae::model::VaeSettings::new()
            .with_epochs(1)
            .with_batch_size(64)
            .with_latent_dim(4),
        data: vae::job::DataSource::Mnist {
            asset_dir: asset_dir.clone(),
            limit: Some(256),
        },
    };
    let mut handle = vae::job::start(start, Device::flex(), no_waker()).unwrap();
    let latent = next(&mut handle, |e| match e {
        vae::job::VaeEvent::Loaded { latent_dim, .. } => Some(latent_dim),
        _ => None,
    });
    assert_eq!(latent, 4);
    // The snapshot after training: a 30×30 grid and the map, in the plane of
    // dimensions 0 and 1 (the job used to die here with a shape panic).
    let grid = next(&mut handle, |e| match e {
        vae::job::VaeEvent::Grid { image, .. } => Some(image),
        _ => None,
    });
    assert_eq!(grid.size, [30 * 28, 30 * 28]);
    next(&mut handle, |e| {
        matches!(e, vae::job::VaeEvent::Scatter(ref points) if !points.is_empty()).then_some(())
    });
    handle.command(VaeCommand::Decode([0.4, -0.6]));
    next(&mut handle, |e| {
        matches!(e, vae::job::VaeEvent::Decoded { .. }).then_some(())
    });
    handle.command(VaeCommand::Interpolate {
        from: [0.0, 0.0],
        to: [1.0, 1.0],
        steps: 5,
    });
    let strip = next(&mut handle, |e| match e {
        vae::job::VaeEvent::Strip { image, .. } => Some(image),
        _ => None,
    });
    assert_eq!(strip.size, [5 * 28, 28]);
    // Another plane: dimensions 2 and 3 draw another grid.
    handle.command(VaeCommand::Slice([2, 3]));
    let other = next(&mut handle, |e| match e {
        vae::job::VaeEvent::Grid { image, .. } => Some(image),
        _ => None,
    });
    assert_ne!(other.pixels, grid.pixels, "the grid moved to another plane");
    handle.command(VaeCommand::ExportGrid {
        path: dir.join("grid.png"),
        n: 4,
        range: 1.0,
    });
    next(&mut handle, |e| saved(e.save_outcome()));
    // A full point must have the model's size; then it decodes.
    handle.command(VaeCommand::DecodeFull(vec![0.1, 0.2, 0.3, 0.4]));
    next(&mut handle, |e| {
        matches!(e, vae::job::VaeEvent::Decoded { .. }).then_some(())
    });
    handle.command(VaeCommand::Save(dir.join("model")));
    next(&mut handle, |e| saved(e.save_outcome()));
    drop(handle);
    // Loading says the model's own latent size.
    let mut loaded = vae::job::start(
        vae::job::VaeStart::Load {
            model: dir.join("model"),
            shown: None,
        },
        Device::flex(),
        no_waker(),
    )
    .unwrap();
    let latent = next(&mut loaded, |e| match e {
        vae::job::VaeEvent::Loaded { latent_dim, .. } => Some(latent_dim),
        _ => None,
    });
    assert_eq!(latent, 4);
    // A point of the wrong size is refused with the model's size in the words.
    loaded.command(VaeCommand::DecodeFull(vec![0.1, 0.2]));
    let refusal = loop {
        match loaded.recv_blocking() {
            Some(JobMessage::Failed(text)) => break text,
            Some(JobMessage::Event(_)) => {}
            other => panic!("{other:?}"),
        }
    };
    assert!(refusal.contains("4 dimensions"), "{refusal}");
    std::fs::remove_dir_all(dir).unwrap();
}
