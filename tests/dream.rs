//! DeepDream on the CPU backend: InceptionV3 against the NumPy reference
//! (weights fetched through the asset pipeline), the book's octave shapes, the
//! loss and step, and the job end to end at small sizes.

#![expect(
    clippy::cast_possible_truncation,
    reason = "test patterns and fixture numbers"
)]

mod common;

use burn::tensor::{Device, Tensor, TensorData};
use common::{Fixture, Tolerance};
use image::{Rgb, RgbImage};
use latent_studio::assets::{self, Cache, INCEPTION_V3_FILE, Manifest};
use latent_studio::job::{JobMessage, no_waker};
use latent_studio::nets::inception_v3::{self, InceptionV3, TORCHSCRIPT_MEMBER};
use latent_studio::picture::Picture;
use latent_studio::techniques::dream::job::{self, DreamEvent, StepLoss, tiles};
use latent_studio::techniques::dream::model::{
    DreamSettings, GradientNorm, Preset, crop_for, dream_loss, normalise, octave_shapes,
};

fn net() -> InceptionV3 {
    let cache = Cache::user();
    if let Err(err) = assets::ensure(&cache, &Manifest::bundled(), "inception_v3") {
        panic!("could not fetch InceptionV3 through the asset pipeline: {err}");
    }
    InceptionV3::load(
        &cache.converted("inception_v3", INCEPTION_V3_FILE),
        &cache.member("inception_v3", TORCHSCRIPT_MEMBER),
        &Device::flex(),
    )
    .unwrap()
}

/// The fixed pattern of tests/reference/inception_v3_reference.py.
fn pattern(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        Rgb([
            ((x * 37 + y * 11) % 256) as u8,
            ((x * 5 + y * 29) % 256) as u8,
            ((x * y * 3) % 256) as u8,
        ])
    })
}

fn input(rgb: &RgbImage) -> Tensor<4> {
    let (w, h) = (rgb.width() as usize, rgb.height() as usize);
    Tensor::from_data(
        TensorData::new(inception_v3::to_input(rgb.as_raw(), w, h), [1, 3, h, w]),
        &Device::flex(),
    )
}

fn scalar(tensor: Tensor<1>) -> f32 {
    tensor.into_data().as_slice::<f32>().unwrap()[0]
}

#[test]
fn inception_v3_activations_match_the_numpy_reference() {
    let net = net();
    let fixture = Fixture::read("inception_v3_activations.txt");
    let wanted: Vec<usize> = fixture
        .taps()
        .iter()
        .map(|t| inception_v3::tap_index(t).unwrap())
        .collect();
    // f32 with folded batch norm through up to 94 layers vs float64 NumPy.
    let tolerance = Tolerance {
        sums: 2e-3,
        relative: 2e-3,
        absolute: 2e-3,
    };
    fixture.assert_matches(net.features(input(&pattern(96, 80)), &wanted), &tolerance);
}

#[test]
fn octave_shapes_are_the_books() {
    let (shapes, note) = octave_shapes([300, 451], 3, 1.4);
    assert_eq!(shapes, [[153, 230], [214, 322], [300, 451]]);
    assert!(note.is_none());
    // A 128 px image: the book's smallest octave (65 px) is below InceptionV3's 75.
    let (shapes, note) = octave_shapes([128, 192], 3, 1.4);
    assert_eq!(shapes.last(), Some(&[128, 192]));
    assert!(
        shapes.iter().all(|s| s[0] >= 75 && s[1] >= 75),
        "{shapes:?}"
    );
    assert!(note.unwrap().contains("75"));
}

#[test]
fn tiny_maps_are_not_cropped_to_nothing() {
    assert_eq!(crop_for(6, 9), 2);
    assert_eq!(crop_for(4, 9), 0);
    assert_eq!(crop_for(1, 1), 0);
}

#[test]
fn tiles_cover_the_image_and_none_is_too_small() {
    assert_eq!(tiles(300, 512).len(), 1);
    assert_eq!(tiles(300, 512)[0], 0..300);
    assert_eq!(tiles(1000, 512), [0..512, 512..1000]);
    // A 30 px remainder is moved back to make a 75 px tile.
    assert_eq!(tiles(542, 512), [0..512, 467..542]);
}

#[test]
fn a_zero_weight_removes_a_layer_and_a_step_raises_the_loss() {
    let net = net();
    let image = input(&pattern(96, 96));
    let mut settings = DreamSettings::preset(Preset::Book);
    settings.layers = [0.0; 11];
    settings.layers[4] = 1.0;
    let one = scalar(dream_loss(&net, image.clone(), &settings));
    settings.layers[5] = 0.0;
    assert!((scalar(dream_loss(&net, image.clone(), &settings)) - one).abs() < 1e-6);
    settings.layers[5] = 1.5;
    let two = scalar(dream_loss(&net, image.clone(), &settings));
    assert!(two > one, "{two} vs {one}");
    // One normalised ascent step of 20 (the book's) raises the loss.
    let tracked = image.clone().autodiff().require_grad();
    let loss = dream_loss(&net, tracked.clone(), &settings);
    let gradient = tracked.grad(&loss.backward()).unwrap();
    let stepped = image + normalise(gradient, GradientNorm::L2).mul_scalar(20.0);
    let after = scalar(dream_loss(&net, stepped, &settings));
    assert!(after > two, "{after} vs {two}");
}

/// Runs a dream to its end; returns the losses, the last image and the events' note.
fn dream(picture: RgbImage, settings: DreamSettings) -> (Vec<StepLoss>, egui::ColorImage, usize) {
    let picture = Picture::from_rgb(picture, "test").unwrap();
    let mut handle = job::start(picture, settings, None, None, Device::flex(), no_waker()).unwrap();
    let mut losses = Vec::new();
    let mut image = None;
    let mut octaves = 0;
    loop {
        match handle.recv_blocking() {
            Some(JobMessage::Event(DreamEvent::Losses(l))) => losses.extend(l),
            Some(JobMessage::Event(DreamEvent::Image { image: i })) => image = Some(i),
            Some(JobMessage::Event(DreamEvent::Octave { .. })) => octaves += 1,
            Some(JobMessage::Event(DreamEvent::Done { .. })) => break,
            Some(JobMessage::Event(_)) => {}
            other => panic!("job ended early: {other:?}"),
        }
    }
    (losses, image.unwrap(), octaves)
}

#[test]
fn no_steps_give_back_the_original() {
    let original = pattern(140, 100);
    let mut settings = DreamSettings::preset(Preset::Book);
    settings.iterations = 0;
    let (losses, image, octaves) = dream(original.clone(), settings);
    assert!(losses.is_empty());
    assert_eq!(
        octaves, 2,
        "100 px: the 71 px octave clamps onto the 75 px one"
    );
    assert_eq!(image.size, [140, 100]);
    let worst = image
        .pixels
        .iter()
        .zip(original.pixels())
        .flat_map(|(a, b)| {
            [
                a.r().abs_diff(b[0]),
                a.g().abs_diff(b[1]),
                a.b().abs_diff(b[2]),
            ]
        })
        .max()
        .unwrap();
    assert!(
        worst <= 1,
        "lost detail must restore the original: off by {worst}"
    );
}

#[test]
fn a_128_px_image_dreams_without_nan_and_loss_rises() {
    let mut settings = DreamSettings::preset(Preset::Book);
    settings.iterations = 4;
    settings.max_loss = None;
    let (losses, image, octaves) = dream(pattern(128, 128), settings);
    assert_eq!(octaves, 3);
    assert_eq!(losses.len(), 12);
    assert!(losses.iter().all(|l| l.loss.is_finite()), "{losses:?}");
    for octave in 0..3 {
        let own: Vec<f32> = losses
            .iter()
            .filter(|l| l.octave == octave)
            .map(|l| l.loss)
            .collect();
        assert!(own[3] > own[0], "octave {octave}: {own:?}");
    }
    assert_eq!(image.size, [128, 128]);
}

#[test]
fn max_loss_stops_an_octave_early_and_tiles_dream_too() {
    let mut settings = DreamSettings::preset(Preset::Book);
    settings.octaves = 1;
    settings.iterations = 30;
    settings.max_loss = Some(0.0);
    settings.tile = Some(96);
    let (losses, image, _) = dream(pattern(160, 120), settings);
    assert_eq!(losses.len(), 1, "stops after the first step past max_loss");
    assert!(losses[0].loss.is_finite());
    assert_eq!(image.size, [160, 120]);
}

#[test]
fn cancel_stops_within_a_step() {
    let mut settings = DreamSettings::preset(Preset::Book);
    settings.iterations = 100_000;
    settings.max_loss = None;
    let picture = Picture::from_rgb(pattern(96, 96), "test").unwrap();
    let mut handle = job::start(picture, settings, None, None, Device::flex(), no_waker()).unwrap();
    common::assert_cancels_within_a_step(&mut handle, |event| match event {
        DreamEvent::Progress { secs_per_step, .. } => Some(*secs_per_step),
        _ => None,
    });
}

#[test]
fn a_huge_photo_is_dreamt_in_tiles_and_fits_where_the_whole_would_not() {
    use latent_studio::techniques::dream::model::{AUTO_TILE, auto_tile, peak_bytes};
    let photo = [9000, 9000];
    assert_eq!(auto_tile(photo, None), Some(AUTO_TILE));
    assert_eq!(auto_tile(photo, Some(256)), Some(256));
    assert_eq!(auto_tile([1000, 1500], None), None);
    // Whole: over 50 GB; in tiles: the picture's own copies and one tile.
    let whole = peak_bytes(photo, None);
    let tiled = peak_bytes(photo, Some(AUTO_TILE));
    assert!(whole > 50 << 30, "{whole}");
    assert!(tiled < 12 << 30, "{tiled}");
    // A small picture is not made larger by a tile bigger than itself.
    assert_eq!(
        peak_bytes([100, 100], Some(512)),
        peak_bytes([100, 100], None)
    );
}

#[test]
fn previews_keep_to_the_throttle() {
    use latent_studio::job::Throttle;
    use std::time::{Duration, Instant};
    let mut settings = DreamSettings::preset(Preset::Book);
    settings.octaves = 1;
    settings.iterations = 12;
    settings.max_loss = None;
    let picture = Picture::from_rgb(pattern(96, 96), "test").unwrap();
    let interval = Duration::from_millis(400);
    let throttle = Throttle {
        preview_interval: interval,
        progress_interval: Duration::from_millis(100),
    };
    let mut handle = job::start_throttled(
        picture,
        settings,
        None,
        None,
        Device::flex(),
        no_waker(),
        throttle,
    )
    .unwrap();
    let (mut images, mut steps, mut first_step) = (0u128, 0, None);
    loop {
        match handle.recv_blocking() {
            Some(JobMessage::Event(DreamEvent::Image { .. })) => images += 1,
            Some(JobMessage::Event(DreamEvent::Losses(l))) => {
                first_step.get_or_insert_with(Instant::now);
                steps += l.len();
            }
            Some(JobMessage::Event(DreamEvent::Done { .. })) => break,
            Some(JobMessage::Event(_)) => {}
            other => panic!("job ended early: {other:?}"),
        }
    }
    let ascent = first_step.unwrap().elapsed();
    assert_eq!(steps, 12);
    // One reliable image at the octave's end, and at most one preview per
    // interval of the ascent (plus the first, which is due at once).
    let allowed = 2 + ascent.as_millis().div_ceil(interval.as_millis());
    assert!(
        images <= allowed,
        "{images} images in {ascent:?} of 12 steps: the throttle allows {allowed}"
    );
    assert!(images >= 2, "a preview and the octave's result");
}

/// The CPU runs InceptionV3 channels-last through the frozen layers of
/// `flex-kernels`; burn's own NCHW ops must give the same taps and the same
/// input gradient (the DeepDream step) on the real weights.
#[test]
fn frozen_channels_last_path_matches_burns_ops() {
    let frozen = net();
    let reference = frozen.clone().channels_first();
    let taps = [0, 2, 4, 7];
    common::assert_paths_agree(
        |x| frozen.features(x, &taps),
        |x| reference.features(x, &taps),
        &input(&pattern(96, 80)),
        1e-4,
    );
}
