//! The fused layers against the composed ones (`forward` then the
//! activation, from burn's operations): values and all three gradients.

use burn::module::Param;
use burn::tensor::{Device, Distribution, Tensor, Tolerance};

use super::{Activation, Conv2dNhwc, ConvTranspose2dNhwc, Padding};

enum Layer {
    Conv(Conv2dNhwc),
    Transposed(ConvTranspose2dNhwc),
}

impl Layer {
    fn run(&self, x: Tensor<4>, act: Activation, fused: bool) -> Tensor<4> {
        match (self, fused) {
            (Self::Conv(l), true) => l.forward_act(x, act),
            (Self::Conv(l), false) => act.composed(l.forward(x)),
            (Self::Transposed(l), true) => l.forward_act(x, act),
            (Self::Transposed(l), false) => act.composed(l.forward(x)),
        }
    }

    fn params(&self) -> (Tensor<4>, Tensor<1>) {
        match self {
            Self::Conv(l) => (l.kernel.val(), l.bias.val()),
            Self::Transposed(l) => (l.kernel.val(), l.bias.val()),
        }
    }
}

fn check(layer: &Layer, input: [usize; 4], act: Activation) {
    let device = Device::flex().autodiff();
    let x = Tensor::<4>::random(input, Distribution::Normal(0.0, 1.0), &device).require_grad();
    let results = [true, false].map(|fused| {
        let out = layer.run(x.clone(), act, fused);
        let weights = weights_from(out.dims(), &device);
        let grads = (out.clone() * weights).sum().backward();
        let (kernel, bias) = layer.params();
        (
            out.inner().into_data(),
            x.grad(&grads).expect("input gradient").into_data(),
            kernel.grad(&grads).expect("kernel gradient").into_data(),
            bias.grad(&grads).expect("bias gradient").into_data(),
        )
    });
    let [fused, composed] = results;
    let tolerance = Tolerance::absolute(1e-3);
    fused.0.assert_approx_eq::<f32>(&composed.0, tolerance);
    fused.1.assert_approx_eq::<f32>(&composed.1, tolerance);
    fused.2.assert_approx_eq::<f32>(&composed.2, tolerance);
    fused.3.assert_approx_eq::<f32>(&composed.3, tolerance);
}

/// Fixed weights for the loss Σ out ⊙ weights, the same in both runs.
#[expect(clippy::cast_precision_loss, reason = "small test tensors")]
fn weights_from(shape: [usize; 4], device: &Device) -> Tensor<4> {
    let count = shape.iter().product::<usize>();
    let values: Vec<f32> = (0..count)
        .map(|i| ((i as f32 + 1.0) * 0.618).sin())
        .collect();
    Tensor::<1>::from_floats(values.as_slice(), device).reshape(shape)
}

fn with_bias<L>(mut layer: L, bias: impl FnOnce(&mut L) -> &mut Param<Tensor<1>>) -> L {
    let b = bias(&mut layer);
    *b = Param::from_tensor(Tensor::random(b.dims(), Distribution::Default, &b.device()));
    layer
}

#[test]
fn convolutions_match_the_composed_layers() {
    let device = Device::flex().autodiff();
    // The VAE's encoder layer (k3 s2, TF same: the odd pixel after).
    let conv = with_bias(
        Conv2dNhwc::new([3, 4], 3, 2, Padding::tf_same(10, 3, 2), &device),
        |l| &mut l.bias,
    );
    check(&Layer::Conv(conv), [3, 10, 10, 3], Activation::Relu);
    // The GAN's discriminator layer (k4 s2, one pixel each side), LeakyReLU.
    let conv = with_bias(
        Conv2dNhwc::new([3, 5], 4, 2, Padding::uniform(1), &device),
        |l| &mut l.bias,
    );
    check(&Layer::Conv(conv), [2, 8, 8, 3], Activation::Leaky(0.2));
    // Its output layer (k3 s1, one output channel), without activation.
    let conv = with_bias(
        Conv2dNhwc::new([5, 1], 3, 1, Padding::uniform(1), &device),
        |l| &mut l.bias,
    );
    check(
        &Layer::Conv(conv.clone()),
        [2, 6, 7, 5],
        Activation::Identity,
    );
    // ... with one image per chunk, several chunks per core.
    check(&Layer::Conv(conv), [5, 48, 45, 5], Activation::Relu);
    // Strided, and more than one output channel, in the same form.
    let conv = with_bias(
        Conv2dNhwc::new([6, 2], 3, 2, Padding::tf_same(9, 3, 2), &device),
        |l| &mut l.bias,
    );
    check(&Layer::Conv(conv), [2, 9, 8, 6], Activation::Relu);
}

#[test]
fn transposed_convolutions_match_the_composed_layers() {
    let device = Device::flex().autodiff();
    // The VAE's decoder layer (k3 s2, nothing cropped before)...
    let deconv = with_bias(ConvTranspose2dNhwc::new([4, 3], 3, 2, 0, &device), |l| {
        &mut l.bias
    });
    check(&Layer::Transposed(deconv), [3, 5, 4, 4], Activation::Relu);
    // ... on 32×32 inputs: one image per chunk, several chunks per core.
    let deconv = with_bias(ConvTranspose2dNhwc::new([2, 3], 3, 2, 0, &device), |l| {
        &mut l.bias
    });
    check(&Layer::Transposed(deconv), [5, 32, 32, 2], Activation::Relu);
    // The GAN's (k4 s2, crop 1).
    let deconv = with_bias(ConvTranspose2dNhwc::new([3, 2], 4, 2, 1, &device), |l| {
        &mut l.bias
    });
    check(
        &Layer::Transposed(deconv),
        [2, 4, 6, 3],
        Activation::Identity,
    );
}
