//! Style transfer on wgpu (lavapipe) against burn-flex: three gradient steps
//! on a 32×32 picture with VGG19's real weights, and Gram matrices'
//! gradients at the style layers' sizes.

use burn::tensor::{Device, Tensor};
use latent_studio::job::read_f32;

/// Relative tolerance between the two backends (f32, different summation orders).
const TOLERANCE: f32 = 1e-3;

/// The pictures after three steps, by relative L2 (measured 6.6e-4 on an
/// AVX-512 machine; the CPU's 3×3 layers run in Winograd form).
const PICTURE_TOLERANCE: f32 = 3e-3;

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

/// Three steps alike (they were not until the Gram matrix sent its gradient
/// back along one side of its product: issue #14, `tests/wgpu_taps.rs`).
#[test]
fn style_transfer_steps_alike_on_wgpu_and_flex() {
    let on_flex = style_steps(&Device::flex());
    let on_wgpu = style_steps(&latent_studio::backend::wgpu_device());
    eprintln!(
        "style losses flex {:?} wgpu {:?}",
        &on_flex[..3],
        &on_wgpu[..3]
    );
    assert!(on_flex[2] < on_flex[0], "the steps descended");
    for (a, b) in on_flex[..3].iter().zip(&on_wgpu[..3]) {
        assert!(close(*a, *b), "losses {a} and {b}");
    }
    // The pictures by relative L2: the CPU's VGG19 runs its 3×3 layers in
    // Winograd form, so single pixels differ by more than the summation order
    // alone would make them (0.18 of a grey level at worst, measured).
    let (flex, wgpu) = (&on_flex[3..], &on_wgpu[3..]);
    let norm = |v: &mut dyn Iterator<Item = f32>| v.map(|x| x * x).sum::<f32>().sqrt();
    let apart =
        norm(&mut flex.iter().zip(wgpu).map(|(a, b)| a - b)) / norm(&mut flex.iter().copied());
    eprintln!("pictures apart by relative L2 {apart:e}");
    assert!(apart <= PICTURE_TOLERANCE, "pictures apart by {apart}");
}

/// The Gram matrix's input gradient, F·Fᵀ of a small F, on both backends:
/// what the style loss's gradient stands on.
#[test]
fn a_gram_matrix_gradient_is_the_same_on_wgpu_and_flex() {
    let values: Vec<f32> = (0..15u8).map(|i| f32::from(i % 7) * 0.3 - 0.8).collect();
    let mut found = Vec::new();
    for device in [Device::flex(), latent_studio::backend::wgpu_device()] {
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

/// The style loss's Gram gradient at the sizes of VGG19's five style layers
/// on a 32×32 picture ([C, h·w] = [64, 1024] … [512, 4]), values of a
/// feature map's scale, on both backends: the Gram matrix, the loss and the
/// input gradient.
#[test]
fn gram_gradients_at_the_style_layers_sizes_agree() {
    let mut report = Vec::new();
    let mut worst = 0.0f32;
    for (channels, positions) in [(64, 1024), (128, 256), (256, 64), (512, 16), (512, 4)] {
        let len = channels * positions;
        #[expect(clippy::cast_precision_loss, reason = "a test pattern")]
        let values: Vec<f32> = (0..len)
            .map(|i| ((i * 7919 % 1000) as f32 / 100.0 - 3.0).max(0.0))
            .collect();
        let mut found = Vec::new();
        for device in [Device::flex(), latent_studio::backend::wgpu_device()] {
            let autodiff = device.clone().autodiff();
            let flat = Tensor::<1>::from_floats(values.as_slice(), &autodiff)
                .reshape([channels, positions])
                .require_grad();
            let gram = flat.clone().matmul(flat.clone().transpose());
            let target = gram.clone().detach().mul_scalar(0.5);
            let loss = (target - gram.clone()).square().sum();
            let grads = loss.backward();
            found.push((
                read_f32(gram.detach()).unwrap(),
                read_f32(flat.grad(&grads).unwrap()).unwrap(),
            ));
        }
        let differ = |a: &[f32], b: &[f32]| {
            let scale = a.iter().fold(0.0f32, |m, v| m.max(v.abs())).max(1.0);
            a.iter()
                .zip(b)
                .map(|(x, y)| (x - y).abs() / scale)
                .fold(0.0f32, f32::max)
        };
        let gram = differ(&found[0].0, &found[1].0);
        let gradient = differ(&found[0].1, &found[1].1);
        worst = worst.max(gram).max(gradient);
        report.push(format!(
            "[{channels}, {positions}]: gram {gram:e}, gradient {gradient:e}"
        ));
    }
    eprintln!("{}", report.join("\n"));
    assert!(worst <= TOLERANCE, "{}", report.join("\n"));
}
