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
/// (2.8892405 / 2.88924) but the first gradient is 6.6e-3 apart (relative L2),
/// and the picture after the three steps 0.13. Not a fault of the loss:
/// mixed0 alone already differs (`inception_taps_gradients_on_wgpu_and_flex`),
/// while every operation InceptionV3 is made of at its real sizes, and its
/// stem and mixed0 with pattern weights (`tests/wgpu_taps.rs`), agree to 2e-6;
/// along the difference both gradients match a finite difference of the loss
/// within its noise (`which_mixed0_gradient_is_right`). Not found yet.
#[test]
#[ignore = "DeepDream's gradient differs on wgpu (issue #14)"]
fn deepdream_steps_alike_on_wgpu_and_flex() {
    let (on_flex, first_flex) = dream_steps(&Device::flex());
    let (on_wgpu, first_wgpu) = dream_steps(&latent_studio::backend::wgpu_device());
    let l2 = |a: &[f32], b: &[f32]| {
        let difference: f32 = a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum();
        let size: f32 = a.iter().map(|x| x * x).sum();
        (difference / size).sqrt()
    };
    let gradient = l2(&first_flex, &first_wgpu);
    let picture = l2(&on_flex[3..], &on_wgpu[3..]);
    let losses: Vec<f32> = (0..3)
        .map(|i| (on_flex[i] - on_wgpu[i]).abs() / on_flex[i])
        .collect();
    eprintln!(
        "dream losses flex {:?} wgpu {:?}; relative L2 difference of the first gradient {gradient:e}, of the picture after three steps {picture:e}",
        &on_flex[..3],
        &on_wgpu[..3]
    );
    assert!(on_flex[2] > on_flex[0], "the ascent raised the loss");
    assert!(gradient <= TOLERANCE, "first gradient {gradient}");
    assert!(losses.iter().all(|&l| l <= 10.0 * TOLERANCE), "{losses:?}");
    assert!(picture <= TOLERANCE, "picture {picture}");
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

/// Which backend's mixed0 gradient is right: both projected on the
/// direction in which they differ, against a central finite difference of
/// the loss along it on each backend (a diagnostic: `--ignored --nocapture`).
#[test]
#[ignore = "a diagnostic that prints"]
fn which_mixed0_gradient_is_right() {
    let wgpu = latent_studio::backend::wgpu_device();
    #[expect(clippy::cast_precision_loss, reason = "a test pattern")]
    let values: Vec<f32> = (0..3 * HEIGHT * WIDTH)
        .map(|i| ((i * 37 % 251) as f32 / 125.0 - 1.0) * 0.8)
        .collect();
    let loss_and_gradient = |device: &Device, at: &[f32]| {
        let autodiff = device.clone().autodiff();
        let net = InceptionV3::load_cached(&autodiff).unwrap();
        let image = Tensor::<1>::from_floats(at, &autodiff)
            .reshape([1, 3, HEIGHT, WIDTH])
            .require_grad();
        let loss = net.features(image.clone(), &[0]).remove(0).square().mean();
        let value = read_f32(loss.clone().detach()).unwrap()[0];
        let grads = loss.backward();
        (value, read_f32(image.grad(&grads).unwrap()).unwrap())
    };
    let (_, on_flex) = loss_and_gradient(&Device::flex(), &values);
    let (_, on_wgpu) = loss_and_gradient(&wgpu, &values);
    let mut direction: Vec<f32> = on_wgpu.iter().zip(&on_flex).map(|(w, f)| w - f).collect();
    let norm = direction.iter().map(|d| d * d).sum::<f32>().sqrt();
    for d in &mut direction {
        *d /= norm;
    }
    let dot = |g: &[f32]| g.iter().zip(&direction).map(|(a, b)| a * b).sum::<f32>();
    eprintln!(
        "along the difference: flex g·d {:e}, wgpu g·d {:e}",
        dot(&on_flex),
        dot(&on_wgpu)
    );
    for epsilon in [1e-2f32, 3e-3, 1e-3] {
        let moved = |sign: f32| -> Vec<f32> {
            values
                .iter()
                .zip(&direction)
                .map(|(v, d)| v + sign * epsilon * d)
                .collect()
        };
        for (name, device) in [("flex", Device::flex()), ("wgpu", wgpu.clone())] {
            let up = loss_and_gradient(&device, &moved(1.0)).0;
            let down = loss_and_gradient(&device, &moved(-1.0)).0;
            eprintln!(
                "ε {epsilon:e}: finite difference on {name} {:e}",
                (up - down) / (2.0 * epsilon)
            );
        }
    }
}
