//! The activations the fused layers apply after the bias.

use burn::tensor::Tensor;

/// What follows the bias.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Activation {
    Identity,
    Relu,
    /// LeakyReLU with this negative slope.
    Leaky(f32),
}

impl Activation {
    /// `out = act(pre + bias)`, one output pixel (the match hoisted out of
    /// the loop, so that each loop vectorises).
    pub(super) fn apply(self, out: &mut [f32], pre: &[f32], bias: &[f32]) {
        let n = out.len();
        let (pre, bias) = (&pre[..n], &bias[..n]);
        match self {
            Self::Identity => {
                for i in 0..n {
                    out[i] = pre[i] + bias[i];
                }
            }
            Self::Relu => {
                for i in 0..n {
                    out[i] = (pre[i] + bias[i]).max(0.0);
                }
            }
            Self::Leaky(slope) => {
                for i in 0..n {
                    let v = pre[i] + bias[i];
                    out[i] = v.max(0.0) + slope * v.min(0.0);
                }
            }
        }
    }

    /// `values = act(values + bias)` in place, one output pixel.
    pub(super) fn apply_in_place(self, values: &mut [f32], bias: &[f32]) {
        let n = values.len();
        let bias = &bias[..n];
        match self {
            Self::Identity => {
                for i in 0..n {
                    values[i] += bias[i];
                }
            }
            Self::Relu => {
                for i in 0..n {
                    values[i] = (values[i] + bias[i]).max(0.0);
                }
            }
            Self::Leaky(slope) => {
                for i in 0..n {
                    let v = values[i] + bias[i];
                    values[i] = v.max(0.0) + slope * v.min(0.0);
                }
            }
        }
    }

    /// `d = act'·dy` from the activation's output `y` and its gradient `dy`;
    /// `d` is also added into `d_bias` (one output pixel at a time).
    pub(super) fn gradient(self, d: &mut [f32], (y, dy): (&[f32], &[f32]), d_bias: &mut [f32]) {
        let n = d.len();
        let (y, dy, d_bias) = (&y[..n], &dy[..n], &mut d_bias[..n]);
        match self {
            Self::Identity => {
                d.copy_from_slice(dy);
                for (b, &g) in d_bias.iter_mut().zip(dy) {
                    *b += g;
                }
            }
            Self::Relu => {
                for i in 0..n {
                    // Both loaded first: a select, not a branch on the sign
                    // (unpredictable, and it kept the loop scalar).
                    let (y, dy) = (y[i], dy[i]);
                    let g = if y > 0.0 { dy } else { 0.0 };
                    d[i] = g;
                    d_bias[i] += g;
                }
            }
            Self::Leaky(slope) => {
                for i in 0..n {
                    let (y, dy) = (y[i], dy[i]);
                    let g = if y > 0.0 { dy } else { slope * dy };
                    d[i] = g;
                    d_bias[i] += g;
                }
            }
        }
    }

    /// The activation from burn's operations.
    pub fn composed<const D: usize>(self, x: Tensor<D>) -> Tensor<D> {
        match self {
            Self::Identity => x,
            Self::Relu => burn::tensor::activation::relu(x),
            Self::Leaky(slope) => crate::deconv_leaky::leaky(x, slope),
        }
    }
}
