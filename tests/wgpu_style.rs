//! Style transfer on wgpu (lavapipe) against burn-flex: three gradient steps
//! on a 32×32 picture — ignored today, the style term's gradient differs on
//! wgpu (issue #14) — a diagnostic printing each term's gradient, and a small
//! Gram matrix's gradient, which agrees.

use burn::tensor::{Device, DeviceKind, Tensor};
use latent_studio::job::read_f32;

/// Relative tolerance between the two backends (f32, different summation orders).
const TOLERANCE: f32 = 1e-3;

fn close(a: f32, b: f32) -> bool {
    (a - b).abs() <= TOLERANCE * a.abs().max(b.abs()).max(1.0)
}

/// VGG19 with its real weights on `autodiff`, the targets of a 32×32
/// content pattern and a checkered style pattern, and the content picture.
fn style_setup(
    autodiff: &Device,
) -> (
    latent_studio::nets::vgg19::Vgg19,
    latent_studio::techniques::style::model::Targets,
    Tensor<4>,
) {
    use latent_studio::nets::vgg19::{self, Vgg19, to_caffe};
    use latent_studio::techniques::style::model::Targets;
    const SIDE: usize = 32;
    let net = Vgg19::load_cached(autodiff).unwrap();
    let picture = |f: &dyn Fn(usize, usize) -> [u8; 3]| {
        let rgb: Vec<u8> = (0..SIDE * SIDE)
            .flat_map(|i| f(i % SIDE, i / SIDE))
            .collect();
        Tensor::<1>::from_floats(to_caffe(&rgb, SIDE, SIDE).as_slice(), autodiff)
            .reshape([1, 3, SIDE, SIDE])
    };
    #[expect(clippy::cast_possible_truncation, reason = "bytes of a test pattern")]
    let content = picture(&|x, y| [(x * 8) as u8, (y * 8) as u8, 128]);
    #[expect(clippy::cast_possible_truncation, reason = "bytes of a test pattern")]
    let style = picture(&|x, y| [((x / 4 + y / 4) % 2 * 200) as u8, 40, (x * y % 256) as u8]);
    let layer = vgg19::LAYERS
        .iter()
        .position(|l| *l == "block5_conv2")
        .unwrap();
    let targets = Targets::compute(&net, content.clone(), layer, &[(style, 1.0)]);
    (net, targets, content)
}

/// Three gradient steps of style transfer on a 32×32 picture (VGG19's real
/// weights, the book's loss weights; each step one grey level on average):
/// each step's loss, then the picture.
fn style_steps(device: &Device) -> Vec<f32> {
    use latent_studio::techniques::style::model::{LossWeights, objective};
    let autodiff = device.clone().autodiff();
    let (net, targets, content) = style_setup(&autodiff);
    let mut combination = content.detach();
    let mut figures = Vec::new();
    for _ in 0..3 {
        let image = combination.clone().require_grad();
        let loss = objective(&net, &targets, image.clone(), &LossWeights::default()).total;
        figures.extend(read_f32(loss.clone().detach()).unwrap());
        let grads = loss.backward();
        let gradient = image.grad(&grads).unwrap();
        // A step of one grey level on average, whatever the loss's scale.
        let mean = read_f32(gradient.clone().abs().mean()).unwrap()[0].max(f32::MIN_POSITIVE);
        combination = (combination.inner() - gradient.div_scalar(mean)).autodiff();
    }
    figures.extend(read_f32(combination.detach()).unwrap());
    figures
}

/// Fails today (issue #14): the style term's input gradient differs on wgpu
/// (mean |g| 1.65 against 38.4 on flex at the same loss, 7 919 1xx, while the
/// content and total-variation terms' gradients agree to 1e-5 and a small
/// Gram matrix's gradient agrees exactly; see
/// `style_gradient_terms_on_wgpu_and_flex`), so the wgpu steps barely descend.
#[test]
#[ignore = "the style term's gradient differs on wgpu (issue #14); about 2.5 minutes on lavapipe"]
fn style_transfer_steps_alike_on_wgpu_and_flex() {
    let on_flex = style_steps(&Device::flex());
    let on_wgpu = style_steps(&Device::wgpu(DeviceKind::DefaultDevice));
    eprintln!(
        "style losses flex {:?} wgpu {:?}",
        &on_flex[..3],
        &on_wgpu[..3]
    );
    assert!(on_flex[2] < on_flex[0], "the steps descended");
    let largest = on_flex
        .iter()
        .zip(&on_wgpu)
        .map(|(a, b)| (a - b).abs() / a.abs().max(1.0))
        .fold(0.0f32, f32::max);
    eprintln!("largest relative difference {largest:e}");
    assert!(largest <= TOLERANCE, "largest {largest}");
}

/// Each term of the style objective's input gradient on both backends,
/// printed (a diagnostic for the failure above: `--ignored --nocapture`).
#[test]
#[ignore = "a diagnostic that prints; about 3 minutes on lavapipe"]
fn style_gradient_terms_on_wgpu_and_flex() {
    use latent_studio::techniques::style::model::{LossWeights, objective};
    for device in [Device::flex(), Device::wgpu(DeviceKind::DefaultDevice)] {
        let autodiff = device.clone().autodiff();
        let (net, targets, content) = style_setup(&autodiff);
        let start = (content.detach().inner() + 3.0).autodiff();
        let terms = objective(
            &net,
            &targets,
            start.clone().require_grad(),
            &LossWeights::default(),
        );
        for (name, loss) in [
            ("content", terms.content),
            ("style", terms.style),
            ("tv", terms.total_variation),
        ] {
            let image = start.clone().require_grad();
            let again = objective(&net, &targets, image.clone(), &LossWeights::default());
            let chosen = match name {
                "content" => again.content,
                "style" => again.style,
                _ => again.total_variation,
            };
            let grads = chosen.backward();
            let g = image.grad(&grads).unwrap();
            let mean = read_f32(g.clone().abs().mean()).unwrap()[0];
            let first = read_f32(g.slice([0..1, 0..1, 0..1, 0..4]).reshape([4])).unwrap();
            eprintln!(
                "{:?} {name}: loss {:?} mean|g| {mean:e} first {first:?}",
                device,
                read_f32(loss.detach()).unwrap()
            );
        }
    }
}

/// The Gram matrix's input gradient, F·Fᵀ of a small F, on both backends:
/// what the style loss's gradient stands on.
#[test]
fn a_gram_matrix_gradient_is_the_same_on_wgpu_and_flex() {
    let values: Vec<f32> = (0..15u8).map(|i| f32::from(i % 7) * 0.3 - 0.8).collect();
    let mut found = Vec::new();
    for device in [Device::flex(), Device::wgpu(DeviceKind::DefaultDevice)] {
        let autodiff = device.clone().autodiff();
        let flat = Tensor::<1>::from_floats(values.as_slice(), &autodiff)
            .reshape([3, 5])
            .require_grad();
        let gram = flat.clone().matmul(flat.clone().transpose());
        let grads = gram.square().sum().backward();
        found.push(read_f32(flat.grad(&grads).unwrap()).unwrap());
    }
    eprintln!(
        "gram gradient flex {:?}\n              wgpu {:?}",
        found[0], found[1]
    );
    assert!(found[0].iter().zip(&found[1]).all(|(a, b)| close(*a, *b)));
}
