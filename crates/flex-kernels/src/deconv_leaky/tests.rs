//! The fused generator layer against burn's own `conv_transpose2d`, bias and
//! LeakyReLU: values and all three gradients.

use burn::tensor::{Device, Distribution, Tensor, Tolerance};

use super::{deconv_leaky, fits, leaky};
use crate::reference;

#[test]
fn the_fused_layer_matches_burns_transposed_convolution() {
    let device = Device::flex().autodiff();
    let normal = Distribution::Normal(0.0, 1.0);
    let x = Tensor::<4>::random([3, 4, 6, 5], normal, &device).require_grad();
    let kernel = (Tensor::<4>::random([4, 4, 5, 7], normal, &device) * 0.3).require_grad();
    let bias = Tensor::<1>::random([7], Distribution::Default, &device).require_grad();
    let target = Tensor::<4>::random([3, 8, 12, 7], normal, &device);
    assert!(fits(&x));
    let run = |fused: bool| {
        let out = if fused {
            deconv_leaky(x.clone(), kernel.clone(), bias.clone(), 0.2)
        } else {
            let y = reference::conv_transpose(x.clone(), kernel.clone(), bias.clone(), 2, 1);
            leaky(y, 0.2)
        };
        let grads = (out.clone() * target.clone()).sum().backward();
        [
            out.inner().into_data(),
            x.grad(&grads).expect("input gradient").into_data(),
            kernel.grad(&grads).expect("kernel gradient").into_data(),
            bias.grad(&grads).expect("bias gradient").into_data(),
        ]
    };
    for (what, (a, b)) in ["output", "input", "kernel", "bias"]
        .into_iter()
        .zip(run(true).into_iter().zip(run(false)))
    {
        assert_eq!(a.shape(), b.shape(), "{what}");
        a.assert_approx_eq::<f32>(&b, Tolerance::absolute(1e-3));
    }
}

#[test]
fn odd_sides_do_not_fit() {
    let x = Tensor::<4>::zeros([1, 3, 4, 2], &Device::flex());
    assert!(!fits(&x));
}
