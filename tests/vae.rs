//! The VAE on the CPU backend: the sampler's statistics, the loss's known
//! answers, and the job end to end on a slice of the real MNIST (fetched through
//! the asset pipeline): the loss falls, the grid has the right shape, and a
//! saved model decodes exactly as before.

use burn::tensor::{Device, Tensor, TensorData};
use latent_studio::assets::{self, Cache, Manifest};
use latent_studio::job::{JobHandle, JobMessage, no_waker};
use latent_studio::techniques::vae::job::{self, DataSource, VaeCommand, VaeEvent, VaeStart};
use latent_studio::techniques::vae::model::{VaeSettings, sample, vae_loss};

#[path = "common/events.rs"]
mod events;
use events::next;

fn scalar(tensor: Tensor<1>) -> f32 {
    tensor.into_data().as_slice::<f32>().unwrap()[0]
}

#[test]
fn sampler_has_the_requested_mean_and_variance() {
    let device = Device::flex();
    device.seed(7);
    let n = 20_000;
    let mean = Tensor::<2>::full([n, 2], 2.0, &device);
    let log_var = Tensor::<2>::full([n, 2], 0.25f32.ln(), &device);
    let z = sample(mean, log_var);
    let values = z.into_data().as_slice::<f32>().unwrap().to_vec();
    #[expect(clippy::cast_precision_loss, reason = "test statistics")]
    let count = values.len() as f32;
    let m = values.iter().sum::<f32>() / count;
    let var = values.iter().map(|v| (v - m).powi(2)).sum::<f32>() / count;
    assert!((m - 2.0).abs() < 0.02, "mean {m}");
    assert!((var - 0.25).abs() < 0.02, "variance {var}");
}

#[test]
fn loss_known_answers() {
    let device = Device::flex();
    let images = Tensor::<4>::full([4, 1, 28, 28], 1.0, &device);
    let logits = Tensor::<4>::zeros([4, 1, 28, 28], &device);
    let zeros = Tensor::<2>::zeros([4, 2], &device);
    // μ = 0, logσ² = 0: the KL term is exactly 0.
    let loss = vae_loss(images.clone(), logits.clone(), zeros.clone(), zeros.clone());
    assert!(scalar(loss.kl).abs() < 1e-7);
    // Logit 0 = probability ½: ln 2 per pixel, summed over 784 pixels.
    let expected = 784.0 * std::f32::consts::LN_2;
    assert!((scalar(loss.reconstruction) - expected).abs() < 1e-2);
    // μ = 1, logσ² = 0: KL = ½ μ² per dimension, averaged = 0.5.
    let ones = Tensor::<2>::ones([4, 2], &device);
    let loss = vae_loss(images, logits, ones, zeros);
    assert!((scalar(loss.kl) - 0.5).abs() < 1e-6);
}

#[test]
fn decoder_output_shape_and_range() {
    let device = Device::flex();
    let model = VaeSettings::new().init(&device);
    let z = Tensor::<2>::from_data(
        TensorData::new(vec![0.0f32, 0.5, -1.0, 2.0], [2, 2]),
        &device,
    );
    let images = model.decoder.forward(z);
    assert_eq!(images.dims(), [2, 1, 28, 28]);
    let (z_mean, z_log_var) = model.encoder.forward(images);
    assert_eq!(z_mean.dims(), [2, 2]);
    assert_eq!(z_log_var.dims(), [2, 2]);
}

fn mnist_slice(limit: usize) -> DataSource {
    let asset_dir = assets::ensure(&Cache::user(), &Manifest::bundled(), "mnist").unwrap();
    DataSource::Mnist {
        asset_dir,
        limit: Some(limit),
    }
}

#[test]
fn training_on_real_digits_lowers_the_loss_and_saved_models_decode_identically() {
    let config = VaeSettings::new().with_epochs(3).with_batch_size(64);
    let start = VaeStart::Train {
        config,
        data: mnist_slice(1024),
    };
    let mut handle = job::start(start, Device::flex(), no_waker()).unwrap();
    let mut means = Vec::new();
    next(&mut handle, |event| match event {
        VaeEvent::EpochDone { mean, .. } => {
            means.push(mean.total);
            None
        }
        VaeEvent::TrainingDone => Some(()),
        _ => None,
    });
    assert_eq!(means.len(), 3);
    assert!(means[2] < means[0], "loss did not fall: {means:?}");
    assert!(
        means[0] < 560.0 && means[2] > 100.0,
        "implausible losses: {means:?}"
    );

    handle.command(VaeCommand::Grid { n: 5, range: 1.0 });
    let grid = next(&mut handle, |e| match e {
        VaeEvent::Grid { image, n: 5, .. } => Some(image),
        _ => None,
    });
    assert_eq!(grid.size, [5 * 28, 5 * 28]);
    handle.command(VaeCommand::Interpolate {
        from: [-1.0, 0.0],
        to: [1.0, 0.5],
        steps: 6,
    });
    let strip = next(&mut handle, |e| match e {
        VaeEvent::Strip { image, .. } => Some(image),
        _ => None,
    });
    assert_eq!(strip.size, [6 * 28, 28]);

    let dir = std::env::temp_dir().join(format!("ls-vae-model-{}", std::process::id()));
    handle.command(VaeCommand::Save(dir.clone()));
    next(&mut handle, |e| {
        matches!(e, VaeEvent::Saved(_)).then_some(())
    });
    let decode = |handle: &mut JobHandle<VaeEvent, VaeCommand>| {
        handle.command(VaeCommand::Decode([0.3, -0.7]));
        next(handle, |e| match e {
            VaeEvent::Decoded { image, .. } => Some(image),
            _ => None,
        })
    };
    let before = decode(&mut handle);
    drop(handle);
    let mut loaded = job::start(
        VaeStart::Load {
            model: dir.clone(),
            shown: None,
        },
        Device::flex(),
        no_waker(),
    )
    .unwrap();
    let after = decode(&mut loaded);
    assert_eq!(before.pixels, after.pixels);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_data_fails_with_a_clear_message() {
    let dir = std::env::temp_dir().join(format!("ls-vae-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("images"), b"not an idx file").unwrap();
    std::fs::write(dir.join("labels"), b"nor this").unwrap();
    let start = VaeStart::Train {
        config: VaeSettings::new(),
        data: DataSource::IdxPair {
            images: dir.join("images"),
            labels: dir.join("labels"),
        },
    };
    let mut handle = job::start(start, Device::flex(), no_waker()).unwrap();
    match handle.recv_blocking() {
        Some(JobMessage::Failed(text)) => assert!(text.contains("not an IDX image file"), "{text}"),
        other => panic!(
            "expected Failed, got terminal={:?}",
            other.map(|m| m.is_terminal())
        ),
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
