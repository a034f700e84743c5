//! DeepDream on wgpu (lavapipe) against burn-flex (ignored: see below): one octave of three
//! gradient-ascent steps of the Book preset (mixed4…mixed7, the L2-normalised
//! step of 20) on an 80×96 picture, with InceptionV3's real weights loaded
//! from the same file on each backend.

use burn::tensor::{Device, Tensor};
use latent_studio::job::read_f32;
use latent_studio::nets::inception_v3::InceptionV3;
use latent_studio::techniques::dream::model::{DreamSettings, Preset, dream_loss, normalise};

/// Relative tolerance between the two backends (f32, different summation
/// orders, three steps that each follow the previous gradient).
const TOLERANCE: f32 = 1e-3;

const HEIGHT: usize = 80;
const WIDTH: usize = 96;

/// Each step's loss, then the picture after the three steps, then the first
/// step's gradient.
fn dream_steps(device: &Device) -> (Vec<f32>, Vec<f32>) {
    let net = InceptionV3::load_cached(device).unwrap();
    let settings = DreamSettings::preset(Preset::Book);
    #[expect(clippy::cast_precision_loss, reason = "a test pattern")]
    let values: Vec<f32> = (0..3 * HEIGHT * WIDTH)
        .map(|i| ((i * 37 % 251) as f32 / 125.0 - 1.0) * 0.8)
        .collect();
    let mut image =
        Tensor::<1>::from_floats(values.as_slice(), device).reshape([1, 3, HEIGHT, WIDTH]);
    let mut figures = Vec::new();
    let mut first = Vec::new();
    for _ in 0..3 {
        let tracked = image.clone().autodiff().require_grad();
        let loss = dream_loss(&net, tracked.clone(), &settings);
        figures.extend(read_f32(loss.clone().detach().inner()).unwrap());
        let grads = loss.backward();
        let gradient = tracked.grad(&grads).unwrap();
        if first.is_empty() {
            first = read_f32(gradient.clone()).unwrap();
        }
        image = image + normalise(gradient, settings.norm).mul_scalar(settings.step);
    }
    figures.extend(read_f32(image).unwrap());
    (figures, first)
}

/// Fails today (issue #14): from the same picture the losses agree
/// (2.8892405 / 2.88924) but the first gradient does not (the largest
/// difference 20 % of the largest |g|), so the steps part. The gradient
/// already differs with the loss reading mixed0 alone (8 %), while every
/// operation InceptionV3 is made of, at its real sizes, and a small mixed
/// block agree to 1e-6 (`tests/wgpu_taps.rs`) — unlike style transfer's
/// Gram, not found yet.
#[test]
#[ignore = "DeepDream's gradient differs on wgpu (issue #14)"]
fn deepdream_steps_alike_on_wgpu_and_flex() {
    let (on_flex, first_flex) = dream_steps(&Device::flex());
    let (on_wgpu, first_wgpu) = dream_steps(&latent_studio::backend::wgpu_device());
    let scale = first_flex.iter().fold(0.0f32, |m, g| m.max(g.abs()));
    let first = first_flex
        .iter()
        .zip(&first_wgpu)
        .map(|(a, b)| (a - b).abs() / scale)
        .fold(0.0f32, f32::max);
    #[expect(clippy::cast_precision_loss, reason = "a picture's size")]
    let mean = first_flex.iter().map(|g| g.abs()).sum::<f32>() / first_flex.len() as f32;
    eprintln!(
        "first gradient: largest difference {first:e} of the largest |g| {scale:e} (mean |g| {mean:e})"
    );
    eprintln!(
        "dream losses flex {:?} wgpu {:?}",
        &on_flex[..3],
        &on_wgpu[..3]
    );
    assert!(on_flex[2] > on_flex[0], "the ascent raised the loss");
    let largest = on_flex
        .iter()
        .zip(&on_wgpu)
        .map(|(a, b)| (a - b).abs() / a.abs().max(1.0))
        .fold(0.0f32, f32::max);
    eprintln!("largest relative difference {largest:e}");
    assert!(largest <= TOLERANCE, "largest {largest}");
}

/// InceptionV3's input gradient for a loss reading the blocks `taps`
/// (mean squares), on both backends: the largest difference over the
/// largest |g|, printed (a diagnostic: `--ignored --nocapture`).
#[test]
#[ignore = "a diagnostic that prints"]
fn inception_taps_gradients_on_wgpu_and_flex() {
    let wgpu = latent_studio::backend::wgpu_device();
    let gradient = |device: &Device, taps: &[usize]| {
        let autodiff = device.clone().autodiff();
        let net = InceptionV3::load_cached(&autodiff).unwrap();
        #[expect(clippy::cast_precision_loss, reason = "a test pattern")]
        let values: Vec<f32> = (0..3 * HEIGHT * WIDTH)
            .map(|i| ((i * 37 % 251) as f32 / 125.0 - 1.0) * 0.8)
            .collect();
        let image = Tensor::<1>::from_floats(values.as_slice(), &autodiff)
            .reshape([1, 3, HEIGHT, WIDTH])
            .require_grad();
        let loss = net
            .features(image.clone(), taps)
            .into_iter()
            .map(|t| t.square().mean())
            .reduce(|a, b| a + b)
            .unwrap();
        let grads = loss.backward();
        read_f32(image.grad(&grads).unwrap()).unwrap()
    };
    for taps in [&[0][..], &[1], &[0, 1], &[4], &[5], &[4, 5], &[3, 4]] {
        let flex = gradient(&Device::flex(), taps);
        let on_wgpu = gradient(&wgpu, taps);
        let scale = flex.iter().fold(0.0f32, |m, g| m.max(g.abs()));
        let largest = flex
            .iter()
            .zip(&on_wgpu)
            .map(|(a, b)| (a - b).abs() / scale)
            .fold(0.0f32, f32::max);
        eprintln!("taps {taps:?}: largest difference {largest:e} of the largest |g| {scale:e}");
    }
}
