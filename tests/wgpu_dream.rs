//! DeepDream on wgpu (lavapipe) against burn-flex: one octave of three
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

/// Each step's loss, then the picture after the three steps.
fn dream_steps(device: &Device) -> Vec<f32> {
    let net = InceptionV3::load_cached(device).unwrap();
    let settings = DreamSettings::preset(Preset::Book);
    #[expect(clippy::cast_precision_loss, reason = "a test pattern")]
    let values: Vec<f32> = (0..3 * HEIGHT * WIDTH)
        .map(|i| ((i * 37 % 251) as f32 / 125.0 - 1.0) * 0.8)
        .collect();
    let mut image =
        Tensor::<1>::from_floats(values.as_slice(), device).reshape([1, 3, HEIGHT, WIDTH]);
    let mut figures = Vec::new();
    for _ in 0..3 {
        let tracked = image.clone().autodiff().require_grad();
        let loss = dream_loss(&net, tracked.clone(), &settings);
        figures.extend(read_f32(loss.clone().detach().inner()).unwrap());
        let grads = loss.backward();
        let gradient = tracked.grad(&grads).unwrap();
        image = image + normalise(gradient, settings.norm).mul_scalar(settings.step);
    }
    figures.extend(read_f32(image).unwrap());
    figures
}

/// Fails today (issue #14): the first loss agrees (2.8892405 / 2.88924),
/// the third does not (4.027288 / 4.0072603), the picture differs by 0.61
/// relative — likely the same fault as style transfer's, several taps of
/// one forward pass receiving gradients together (README, GPU section).
#[test]
#[ignore = "DeepDream's steps differ on wgpu (issue #14); about 2.5 minutes on lavapipe"]
fn deepdream_steps_alike_on_wgpu_and_flex() {
    let on_flex = dream_steps(&Device::flex());
    let on_wgpu = dream_steps(&latent_studio::backend::wgpu_device());
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
