//! Style transfer on the CPU backend: the losses' known answers, VGG19 against
//! the NumPy reference (weights fetched through the asset pipeline), the
//! optimisers on a quadratic, and the job end to end at tiny sizes.

#![expect(
    clippy::cast_possible_truncation,
    clippy::cast_precision_loss,
    reason = "test patterns and fixture numbers"
)]

mod common;

use burn::tensor::{Device, Tensor, TensorData};
use common::{Fixture, Tolerance};
use image::{Rgb, RgbImage};
use latent_studio::assets::{self, Cache, Manifest, VGG19_FILE};
use latent_studio::job::{JobMessage, no_waker};
use latent_studio::nets::vgg19::{self, Vgg19};
use latent_studio::picture::Picture;
use latent_studio::techniques::style::job::{
    self, ImageOptimizer, OptimizerKind, StepLoss, StyleEvent, StyleInputs, StyleSettings,
};
use latent_studio::techniques::style::model::{
    LossWeights, Targets, gram, objective, style_layer_indices, style_loss, total_variation_loss,
};

fn scalar(tensor: Tensor<1>) -> f64 {
    f64::from(tensor.into_data().as_slice::<f32>().unwrap()[0])
}

fn tensor4(values: Vec<f32>, shape: [usize; 4]) -> Tensor<4> {
    Tensor::from_data(TensorData::new(values, shape), &Device::flex())
}

fn vgg() -> Vgg19 {
    let cache = Cache::user();
    if let Err(err) = assets::ensure(&cache, &Manifest::bundled(), "vgg19") {
        panic!("could not fetch VGG19 through the asset pipeline: {err}");
    }
    Vgg19::load(&cache.converted("vgg19", VGG19_FILE), &Device::flex()).unwrap()
}

#[test]
fn gram_matrix_known_answer() {
    // Two channels over a 1×2 map: F = [[1, 2], [3, 4]] → F·Fᵀ = [[5, 11], [11, 25]].
    let g = gram(tensor4(vec![1.0, 2.0, 3.0, 4.0], [1, 2, 1, 2]));
    assert_eq!(g.dims(), [2, 2]);
    assert_eq!(
        g.into_data().as_slice::<f32>().unwrap(),
        &[5.0, 11.0, 11.0, 25.0]
    );
}

#[test]
fn total_variation_known_answer() {
    // One channel, 2×2: only the top-left pixel has both neighbours:
    // ((1−3)² + (1−2)²)^1.25 = 5^1.25.
    let tv = scalar(total_variation_loss(tensor4(
        vec![1.0, 2.0, 3.0, 4.0],
        [1, 1, 2, 2],
    )));
    assert!((tv - 5f64.powf(1.25)).abs() < 1e-4, "{tv}");
    // A flat image has none.
    let flat = scalar(total_variation_loss(tensor4(
        vec![7.0; 3 * 16],
        [1, 3, 4, 4],
    )));
    assert!(flat.abs() < 1e-9);
}

#[test]
fn style_loss_is_zero_on_the_style_features_and_positive_elsewhere() {
    let features = tensor4((0..24).map(|v| v as f32 * 0.5).collect(), [1, 3, 2, 4]);
    let target = gram(features.clone());
    assert!(scalar(style_loss(target.clone(), features, [8, 8])).abs() < 1e-9);
    let other = tensor4((0..24).map(|v| (v % 5) as f32).collect(), [1, 3, 2, 4]);
    let loss = scalar(style_loss(target, other, [8, 8]));
    assert!(loss > 0.0);
    // The book's normalisation: a 2× larger image divides by 16×.
    let features = tensor4((0..24).map(|v| v as f32).collect(), [1, 3, 2, 4]);
    let zero = gram(features.zeros_like());
    let small = scalar(style_loss(zero.clone(), features.clone(), [4, 4]));
    let large = scalar(style_loss(zero, features, [8, 8]));
    assert!((small / large - 16.0).abs() < 1e-3);
}

/// The 48×32 test image of tests/reference/vgg19_reference.py.
fn reference_image() -> RgbImage {
    RgbImage::from_fn(48, 32, |x, y| {
        Rgb([
            ((x * 37 + y * 11) % 256) as u8,
            ((x * 5 + y * 29) % 256) as u8,
            ((x * y * 3) % 256) as u8,
        ])
    })
}

#[test]
fn vgg19_activations_match_the_numpy_reference() {
    let net = vgg();
    let fixture = Fixture::read("vgg19_activations.txt");
    let wanted: Vec<usize> = fixture
        .taps()
        .iter()
        .map(|t| vgg19::layer_index(t).unwrap())
        .collect();
    let rgb = reference_image();
    let input = tensor4(vgg19::to_caffe(rgb.as_raw(), 48, 32), [1, 3, 32, 48]);
    // f32 through up to 14 convolutions vs float64 NumPy.
    let tolerance = Tolerance {
        sums: 1e-3,
        relative: 1e-3,
        absolute: 1e-2,
    };
    fixture.assert_matches(net.features(input, &wanted), &tolerance);
}

/// The CPU runs VGG19 channels-last through the frozen layers of
/// `flex-kernels`; burn's own NCHW ops must give the same taps and input
/// gradient, with max and with average pooling.
#[test]
fn frozen_channels_last_path_matches_burns_ops() {
    let rgb = reference_image();
    let picture = tensor4(vgg19::to_caffe(rgb.as_raw(), 48, 32), [1, 3, 32, 48]);
    let mut wanted = style_layer_indices();
    wanted.push(vgg19::layer_index("block5_conv2").unwrap());
    for pooling in [vgg19::Pooling::Max, vgg19::Pooling::Average] {
        let mut frozen = vgg();
        frozen.pooling = pooling;
        let reference = frozen.clone().channels_first();
        common::assert_paths_agree(
            |x| frozen.features(x, &wanted),
            |x| reference.features(x, &wanted),
            &picture,
            1e-4,
        );
    }
}

#[test]
fn every_optimiser_descends_a_quadratic() {
    let target = tensor4(
        (0..48).map(|v| (v as f32).sin() * 50.0).collect(),
        [1, 3, 4, 4],
    );
    for (kind, lr) in [
        (OptimizerKind::Sgd, 0.1),
        (OptimizerKind::Adam, 2.0),
        (OptimizerKind::Lbfgs, 1.0),
    ] {
        let mut optimizer = ImageOptimizer::new(kind, lr);
        let mut x = target.zeros_like();
        let loss = |x: &Tensor<4>| scalar((x.clone() - target.clone()).square().sum());
        let first = loss(&x);
        for step in 0..30 {
            let grad = (x.clone() - target.clone()).mul_scalar(2.0);
            x = optimizer.step(step, x.clone(), loss(&x), grad).unwrap();
        }
        let last = loss(&x);
        assert!(last < first * 0.05, "{kind:?}: {first} → {last}");
    }
}

#[test]
fn sgd_rate_is_the_books_at_400_px_and_scaled_below() {
    assert_eq!(OptimizerKind::Sgd.default_learning_rate(400), (100.0, None));
    let (lr, note) = OptimizerKind::Sgd.default_learning_rate(200);
    assert!((lr - 25.0).abs() < 1e-9);
    assert!(note.unwrap().contains("400"));
    let optimizer = ImageOptimizer::new(OptimizerKind::Sgd, 100.0);
    assert!((optimizer.learning_rate_at(100) - 96.0).abs() < 1e-9);
    assert!((optimizer.learning_rate_at(200) - 92.16).abs() < 1e-9);
}

#[test]
fn a_zero_style_layer_weight_removes_its_term() {
    let net = vgg();
    let photo = tensor4(
        vgg19::to_caffe(reference_image().as_raw(), 48, 32),
        [1, 3, 32, 48],
    );
    let painting = photo.clone().flip([3]);
    let content_layer = vgg19::layer_index("block5_conv2").unwrap();
    let targets = Targets::compute(&net, photo.clone(), content_layer, &[(painting, 1.0)]);
    assert_eq!(targets.grams.len(), style_layer_indices().len());
    let style =
        |weights: &LossWeights| scalar(objective(&net, &targets, photo.clone(), weights).style);
    let all = style(&LossWeights::default());
    let mut without_first = LossWeights::default();
    without_first.style_layers[0] = 0.0;
    let partial = style(&without_first);
    assert!(all > partial && partial > 0.0, "{all} vs {partial}");
}

fn tiny_inputs() -> StyleInputs {
    let photo = RgbImage::from_fn(64, 48, |x, y| Rgb([(x * 4) as u8, (y * 5) as u8, 128]));
    let painting = RgbImage::from_fn(64, 64, |x, y| {
        Rgb([((x / 8 + y / 8) % 2 * 200) as u8, 40, ((x * y) % 256) as u8])
    });
    StyleInputs {
        content: Picture::from_rgb(photo, "photo").unwrap(),
        styles: vec![(Picture::from_rgb(painting, "painting").unwrap(), 1.0)],
    }
}

fn tiny_settings(iterations: usize) -> StyleSettings {
    let mut settings = StyleSettings::book();
    settings.height = 48;
    settings.iterations = iterations;
    settings.optimizer = OptimizerKind::Adam;
    settings.frame_every = 10;
    settings
}

#[test]
fn twenty_steps_lower_the_loss_and_write_frames() {
    let frames = std::env::temp_dir().join(format!("ls-style-frames-{}", std::process::id()));
    let mut handle = job::start(
        tiny_inputs(),
        tiny_settings(20),
        Some(frames.clone()),
        Device::flex(),
        no_waker(),
    )
    .unwrap();
    let mut losses: Vec<StepLoss> = Vec::new();
    let mut image_size = None;
    loop {
        match handle.recv_blocking() {
            Some(JobMessage::Event(StyleEvent::Losses(l))) => losses.extend(l),
            Some(JobMessage::Event(StyleEvent::Image { image, .. })) => {
                image_size = Some(image.size);
            }
            Some(JobMessage::Event(StyleEvent::Done { .. })) => break,
            Some(JobMessage::Event(_)) => {}
            other => panic!("job ended early: {other:?}"),
        }
    }
    assert_eq!(losses.len(), 20);
    assert_eq!(
        losses.iter().map(|l| l.iteration).collect::<Vec<_>>(),
        (1..=20).collect::<Vec<_>>()
    );
    assert!(losses.iter().all(|l| l.total.is_finite()));
    assert!(
        losses[19].total < losses[0].total * 0.8,
        "{} → {}",
        losses[0].total,
        losses[19].total
    );
    assert_eq!(image_size, Some([64, 48]));
    let mut written: Vec<_> = std::fs::read_dir(&frames)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    written.sort();
    assert_eq!(written, ["frame_00010.png", "frame_00020.png"]);
    let gif = frames.join("evolution.gif");
    handle.command(job::StyleCommand::SaveGif(gif.clone()));
    loop {
        match handle.recv_blocking() {
            Some(JobMessage::Event(StyleEvent::Saved(path))) => {
                assert_eq!(path, gif);
                break;
            }
            Some(JobMessage::Event(_)) => {}
            other => panic!("expected Saved, got {other:?}"),
        }
    }
    let decoder = image::codecs::gif::GifDecoder::new(std::io::BufReader::new(
        std::fs::File::open(&gif).unwrap(),
    ))
    .unwrap();
    let gif_frames = image::AnimationDecoder::into_frames(decoder)
        .collect_frames()
        .unwrap();
    assert_eq!(gif_frames.len(), 2);
    std::fs::remove_dir_all(&frames).ok();
}

#[test]
fn cancel_stops_within_a_step() {
    let mut handle = job::start(
        tiny_inputs(),
        tiny_settings(100_000),
        None,
        Device::flex(),
        no_waker(),
    )
    .unwrap();
    common::assert_cancels_within_a_step(&mut handle, |event| match event {
        StyleEvent::Progress {
            secs_per_iteration, ..
        } => Some(*secs_per_iteration),
        _ => None,
    });
}

#[test]
fn coarse_to_fine_runs_each_scale_and_keeps_counting() {
    let mut settings = tiny_settings(3);
    settings.height = 64;
    settings.scales = 2;
    settings.optimizer = OptimizerKind::Lbfgs;
    settings.preserve_colors = true;
    let mut handle = job::start(tiny_inputs(), settings, None, Device::flex(), no_waker()).unwrap();
    let mut heights = Vec::new();
    let mut iterations = Vec::new();
    let mut last_image = None;
    loop {
        match handle.recv_blocking() {
            Some(JobMessage::Event(StyleEvent::Scale { height, width, .. })) => {
                heights.push((width, height));
            }
            Some(JobMessage::Event(StyleEvent::Losses(l))) => {
                iterations.extend(l.iter().map(|l| l.iteration));
            }
            Some(JobMessage::Event(StyleEvent::Image { image, .. })) => {
                last_image = Some(image.size);
            }
            Some(JobMessage::Event(StyleEvent::Done { .. })) => break,
            Some(JobMessage::Event(_)) => {}
            other => panic!("job ended early: {other:?}"),
        }
    }
    assert_eq!(heights, [(43, 32), (85, 64)]);
    assert_eq!(iterations, (1..=6).collect::<Vec<_>>());
    assert_eq!(last_image, Some([85, 64]));
}
