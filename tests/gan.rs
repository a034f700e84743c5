//! The DCGAN on the CPU backend: shapes, one step of each player lowers its
//! loss on a fixed batch, label noise, fixed-latent samples, checkpoints, and
//! bad folders. Tests use the narrow model and a few dozen images.

use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::{Device, Distribution, Tensor};
use image::{Rgb, RgbImage};
use latent_studio::job::{JobMessage, no_waker};
use latent_studio::techniques::gan::data::{self, ImageSource};
use latent_studio::techniques::gan::job::{
    self, GanCommand, GanEvent, GanSettings, GanStart, StepLoss, normal_latents,
};
use latent_studio::techniques::gan::model::{GanConfig, bce_with_logits};

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

fn scalar(tensor: Tensor<1>) -> f32 {
    tensor.into_data().as_slice::<f32>().unwrap()[0]
}

#[test]
fn book_models_have_the_books_shapes() {
    let _turn = serial();
    let device = Device::flex();
    let config = GanConfig::book();
    let generator = config.generator(&device);
    let discriminator = config.discriminator(&device);
    let images = generator.forward(Tensor::random(
        [2, 128],
        Distribution::Normal(0.0, 1.0),
        &device,
    ));
    assert_eq!(images.dims(), [2, 3, 64, 64]);
    let values = images
        .clone()
        .into_data()
        .as_slice::<f32>()
        .unwrap()
        .to_vec();
    assert!(values.iter().all(|v| (0.0..=1.0).contains(v)));
    assert_eq!(discriminator.forward(images).dims(), [2, 1]);
}

#[test]
fn each_players_step_lowers_its_loss_on_a_fixed_batch() {
    let _turn = serial();
    let device = Device::flex().autodiff();
    device.seed(11);
    let config = GanConfig::small();
    let mut discriminator = config.discriminator(&device);
    let generator = config.generator(&device);
    let real = Tensor::<4>::random([8, 3, 64, 64], Distribution::Uniform(0.0, 1.0), &device);
    let latent = Tensor::<2>::random(
        [8, config.latent_dim],
        Distribution::Normal(0.0, 1.0),
        &device,
    );
    let fake = generator.forward(latent.clone()).detach();
    let labels = Tensor::cat(
        vec![
            Tensor::<2>::ones([8, 1], &device),
            Tensor::zeros([8, 1], &device),
        ],
        0,
    );
    let batch = Tensor::cat(vec![fake, real], 0);
    discriminator.set_dropout(0.0);
    let d_loss = |d: &latent_studio::techniques::gan::model::Discriminator| {
        scalar(bce_with_logits(
            d.valid().forward(batch.clone().inner()),
            labels.clone().inner(),
        ))
    };
    let before = d_loss(&discriminator);
    let mut optimizer = AdamConfig::new().init();
    for _ in 0..3 {
        let loss = bce_with_logits(discriminator.forward(batch.clone()), labels.clone());
        let grads = GradientsParams::from_grads(loss.backward(), &discriminator);
        discriminator = optimizer.step(1e-3, discriminator.clone(), grads);
    }
    assert!(d_loss(&discriminator) < before);

    let mut generator = generator;
    let g_loss = |g: &latent_studio::techniques::gan::model::Generator| {
        let predictions = discriminator
            .valid()
            .forward(g.valid().forward(latent.clone().inner()));
        scalar(bce_with_logits(
            predictions,
            Tensor::zeros([8, 1], &Device::flex()),
        ))
    };
    let before = g_loss(&generator);
    let mut optimizer = AdamConfig::new().init();
    for _ in 0..3 {
        let loss = bce_with_logits(
            discriminator.forward(generator.forward(latent.clone())),
            Tensor::zeros([8, 1], &device),
        );
        let grads = GradientsParams::from_grads(loss.backward(), &generator);
        generator = optimizer.step(1e-3, generator.clone(), grads);
    }
    assert!(g_loss(&generator) < before);
}

#[test]
fn label_noise_stays_in_its_range_and_latents_repeat() {
    let _turn = serial();
    let device = Device::flex();
    device.seed(2);
    let noise =
        Tensor::<2>::random([10_000, 1], Distribution::Uniform(0.0, 1.0), &device).mul_scalar(0.05);
    let values = noise.into_data().as_slice::<f32>().unwrap().to_vec();
    assert!(values.iter().all(|v| (0.0..0.05).contains(v)));
    assert!(values.iter().any(|v| *v > 0.045) && values.iter().any(|v| *v < 0.005));
    let a = normal_latents(4096, 9);
    assert_eq!(a, normal_latents(4096, 9));
    #[expect(clippy::cast_precision_loss, reason = "statistics")]
    let mean = a.iter().sum::<f32>() / a.len() as f32;
    assert!(mean.abs() < 0.06, "{mean}");
}

/// The first training step's losses of the small model at `label_noise`.
fn first_step_losses(label_noise: f32) -> StepLoss {
    let settings = GanSettings {
        epochs: 1,
        batch_size: 24,
        label_noise,
        ..GanSettings::book()
    };
    let start = GanStart::Train {
        config: GanConfig::small(),
        settings,
        data: tiny_images(),
    };
    let mut handle = job::start(start, Device::flex(), no_waker()).unwrap();
    next(&mut handle, |e| match e {
        GanEvent::Losses(l) => l.first().copied(),
        _ => None,
    })
}

#[test]
fn label_noise_acts_in_the_training_step() {
    let _turn = serial();
    // One step on the same images, latents and weights: only the noise differs.
    let clean = first_step_losses(0.0);
    assert_eq!(clean, first_step_losses(0.0));
    let noisy = first_step_losses(0.05);
    let louder = first_step_losses(0.5);
    assert!(
        (clean.d_loss - noisy.d_loss).abs() > 1e-6,
        "{clean:?} {noisy:?}"
    );
    // The cross-entropy is linear in its target, and the noise is the same
    // uniform draw scaled: ten times the noise moves the loss ten times as far.
    let shift = |l: StepLoss| l.d_loss - clean.d_loss;
    let ratio = shift(louder) / shift(noisy);
    assert!(
        (ratio - 10.0).abs() < 0.2,
        "{ratio}: {clean:?} {noisy:?} {louder:?}"
    );
    assert!([noisy, louder].iter().all(|l| l.d_loss.is_finite()));
}

#[expect(clippy::cast_possible_truncation, reason = "small test pattern")]
fn tiny_images() -> ImageSource {
    ImageSource::Images(
        (0..24u8)
            .map(|i| RgbImage::from_fn(48, 40, |x, y| Rgb([i * 10, (x * 5) as u8, (y * 6) as u8])))
            .collect(),
    )
}

#[test]
fn training_samples_checkpoints_and_resume() {
    let _turn = serial();
    let mut settings = GanSettings::book();
    settings.epochs = 2;
    settings.batch_size = 8;
    settings.fid_samples = 8;
    let start = GanStart::Train {
        config: GanConfig::small(),
        settings,
        data: tiny_images(),
    };
    let mut handle = job::start(start, Device::flex(), no_waker()).unwrap();
    let upscaled = next(&mut handle, |e| match e {
        GanEvent::Loaded {
            images, upscaled, ..
        } => Some((images, upscaled)),
        _ => None,
    });
    assert_eq!(upscaled, (24, 24));
    let mut losses = Vec::new();
    let mut fids = Vec::new();
    let mut trained_grid = Vec::new();
    next(&mut handle, |e| match e {
        GanEvent::Losses(l) => {
            losses.extend(l);
            None
        }
        GanEvent::Samples { image, .. } => {
            trained_grid = image.pixels;
            None
        }
        GanEvent::Fid {
            epoch,
            fid,
            diversity,
        } => {
            assert!(diversity.is_finite() && diversity >= 0.0, "{diversity}");
            fids.push((epoch, fid));
            None
        }
        GanEvent::TrainingDone => Some(()),
        _ => None,
    });
    assert_eq!(losses.len(), 6);
    assert_eq!(fids.iter().map(|f| f.0).collect::<Vec<_>>(), [1, 2]);
    assert!(
        fids.iter().all(|f| f.1.is_finite() && f.1 > 0.0),
        "{fids:?}"
    );
    assert!(
        losses
            .iter()
            .all(|l| l.d_loss.is_finite() && l.g_loss.is_finite())
    );
    let dir = std::env::temp_dir().join(format!("ls-gan-{}", std::process::id()));
    handle.command(GanCommand::Save(dir.clone()));
    next(&mut handle, |e| {
        matches!(e, GanEvent::Saved(_)).then_some(())
    });
    handle.command(GanCommand::Walk {
        from: 0,
        to: 3,
        steps: 4,
    });
    let walk = next(&mut handle, |e| match e {
        GanEvent::Walk(image) => Some(image),
        _ => None,
    });
    assert_eq!(walk.size, [256, 64]);

    // The loaded checkpoint draws the trained models' fixed-latent grid.
    let grid = |dir: &std::path::Path| {
        let mut loaded =
            job::start(GanStart::Load(dir.to_owned()), Device::flex(), no_waker()).unwrap();
        next(&mut loaded, |e| match e {
            GanEvent::Samples { image, .. } => Some(image),
            _ => None,
        })
    };
    let first = grid(&dir);
    assert_eq!(first.size, [256, 256]);
    assert_eq!(first.pixels, trained_grid);

    // Resume continues the curve: the history comes first, then epochs 3.
    let mut resumed = job::start(
        GanStart::Resume {
            checkpoint: dir.clone(),
            data: tiny_images(),
            more_epochs: 1,
        },
        Device::flex(),
        no_waker(),
    )
    .unwrap();
    let history = next(&mut resumed, |e| match e {
        GanEvent::History(h) => Some(h),
        _ => None,
    });
    assert_eq!(history.len(), 6);
    let epoch = next(&mut resumed, |e| match e {
        GanEvent::EpochDone { epoch, .. } => Some(epoch),
        _ => None,
    });
    assert_eq!(epoch, 3);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bad_folders_and_checkpoints_are_reported() {
    let _turn = serial();
    let dir = std::env::temp_dir().join(format!("ls-gan-folder-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    let err = data::load(&ImageSource::Folder(dir.clone()))
        .unwrap_err()
        .to_string();
    assert!(err.contains("empty"), "{err}");
    std::fs::write(dir.join("notes.txt"), "not an image").unwrap();
    std::fs::write(dir.join("broken.png"), b"\x89PNG\r\n\x1a\nbroken").unwrap();
    let err = data::load(&ImageSource::Folder(dir.clone()))
        .unwrap_err()
        .to_string();
    assert!(err.contains("2 files skipped"), "{err}");
    RgbImage::from_pixel(20, 30, Rgb([200, 10, 10]))
        .save(dir.join("sub/small.png"))
        .unwrap();
    let images = data::load(&ImageSource::Folder(dir.clone())).unwrap();
    assert_eq!(
        (images.count, images.skipped.len(), images.upscaled),
        (1, 2, 1)
    );
    assert_eq!(images.image(0)[..3], [200, 10, 10]);

    let refusal = |dir: &std::path::Path| {
        let mut handle =
            job::start(GanStart::Load(dir.to_owned()), Device::flex(), no_waker()).unwrap();
        match handle.recv_blocking() {
            Some(JobMessage::Failed(reason)) => reason,
            other => panic!("expected a refusal, got {other:?}"),
        }
    };
    // A folder of images is not a checkpoint; a marked one with a damaged file says which.
    let reason = refusal(&dir);
    assert!(reason.contains("not a GAN checkpoint"), "{reason}");
    std::fs::write(
        dir.join("format.json"),
        r#"{"kind": "gan-checkpoint", "version": 1}"#,
    )
    .unwrap();
    std::fs::write(dir.join("config.json"), "{ damaged").unwrap();
    let reason = refusal(&dir);
    assert!(reason.contains("config.json is damaged"), "{reason}");
    std::fs::remove_dir_all(&dir).ok();
}
