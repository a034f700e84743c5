//! Convolutions on channels-last (NHWC) tensors, written as one large matrix
//! product each, for the models trained from scratch (VAE, DCGAN).
//!
//! burn's CPU backend convolves in small tiles, and its transposed
//! convolutions and convolution gradients run mostly outside its matrix
//! kernels. Here every layer is a gather of shifted (strided) views followed by
//! one `matmul` — so the forward pass and both gradients (autodiff turns a
//! matmul into two more) run in the matrix kernel at close to its peak:
//!
//! - a convolution gathers its k×k taps side by side along the channels
//!   (im2col) and multiplies by the kernel as a `[k·k·in, out]` matrix; when the
//!   output has fewer channels than the input, it multiplies first and sums the
//!   k×k shifted tap outputs instead (much less memory for a 512 → 3 layer);
//! - a transposed convolution with stride s is s² ordinary convolutions, one per
//!   output phase (which output pixels mod s), each using only the taps that
//!   reach that phase, interleaved at the end — no multiplications by the zeros
//!   that the textbook "dilate the input" formulation inserts.
//!
//! Kernels are stored `[kh, kw, in, out]`, as Keras stores them.
//!
//! On burn-flex each layer with its bias and activation is one fused CPU
//! kernel instead ([`forward_act`](Conv2dNhwc::forward_act),
//! [`forward_leaky`](ConvTranspose2dNhwc::forward_leaky)); this file is the
//! one place that chooses.

use burn::module::{Module, Param};
use burn::nn::Initializer;
use burn::tensor::{Device, Slice, Tensor};
use flex_kernels::deconv_leaky;
use flex_kernels::tap_conv::{self, Geometry, phase_taps};
use flex_kernels::taps::{self, Taps};

pub use flex_kernels::deconv_leaky::leaky;
pub use flex_kernels::tap_conv::Activation;

use super::{cpu_kernels, signed};

/// Padding before and after, along height and width.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Padding {
    pub top: usize,
    pub bottom: usize,
    pub left: usize,
    pub right: usize,
}

impl Padding {
    pub const fn uniform(p: usize) -> Self {
        Self {
            top: p,
            bottom: p,
            left: p,
            right: p,
        }
    }

    /// TensorFlow's "same" for a stride-`stride` convolution of an input of
    /// `size` pixels with a `kernel`-wide kernel: the odd pixel goes after.
    pub const fn tf_same(size: usize, kernel: usize, stride: usize) -> Self {
        let out = size.div_ceil(stride);
        let needed = (out - 1) * stride + kernel;
        let total = needed.saturating_sub(size);
        Self {
            top: total / 2,
            bottom: total - total / 2,
            left: total / 2,
            right: total - total / 2,
        }
    }
}

/// A 2-D convolution on `[batch, height, width, channels]` tensors.
#[derive(Module, Debug)]
pub struct Conv2dNhwc {
    /// `[kh, kw, in, out]`.
    pub kernel: Param<Tensor<4>>,
    pub bias: Param<Tensor<1>>,
    stride: usize,
    pad_top: usize,
    pad_bottom: usize,
    pad_left: usize,
    pad_right: usize,
}

/// A 2-D transposed convolution on `[batch, height, width, channels]` tensors,
/// whose output is `stride` times the input's size after cropping `crop_before`
/// pixels at the start of each axis (PyTorch's `padding`; TensorFlow's "same"
/// is 1 for k4 s2 and 0 for k3 s2).
#[derive(Module, Debug)]
pub struct ConvTranspose2dNhwc {
    /// `[kh, kw, in, out]`.
    pub kernel: Param<Tensor<4>>,
    pub bias: Param<Tensor<1>>,
    stride: usize,
    crop_before: usize,
}

/// Keras' Glorot-uniform for a k×k kernel (fans count the kernel's area) and
/// zero biases.
fn glorot_kernel(shape: [usize; 4], device: &Device) -> (Param<Tensor<4>>, Param<Tensor<1>>) {
    let [kh, kw, from, to] = shape;
    let area = kh * kw;
    #[expect(clippy::cast_precision_loss, reason = "layer sizes")]
    let bound = (6.0 / (area * (from + to)) as f64).sqrt();
    let kernel = Initializer::Uniform {
        min: -bound,
        max: bound,
    }
    .init(shape, device);
    let bias = Initializer::Zeros.init([to], device);
    (kernel, bias)
}

impl Conv2dNhwc {
    /// A k×k convolution `from` → `to` channels, initialised as Keras does.
    pub fn new(
        [from, to]: [usize; 2],
        kernel: usize,
        stride: usize,
        padding: Padding,
        device: &Device,
    ) -> Self {
        let (kernel, bias) = glorot_kernel([kernel, kernel, from, to], device);
        Self {
            kernel,
            bias,
            stride,
            pad_top: padding.top,
            pad_bottom: padding.bottom,
            pad_left: padding.left,
            pad_right: padding.right,
        }
    }

    /// Where each output pixel reads, for an input of `[h, w]` pixels.
    pub fn geometry(&self, [h, w]: [usize; 2]) -> Geometry {
        let [k, _, _, _] = self.kernel.dims();
        let s = self.stride;
        let oh = (h + self.pad_top + self.pad_bottom - k) / s + 1;
        let ow = (w + self.pad_left + self.pad_right - k) / s + 1;
        Geometry::conv([h, w], [oh, ow], k, s, [self.pad_top, self.pad_left])
    }

    /// `act(self.forward(x))`, as one fused operation on the CPU backend.
    pub fn forward_act(&self, x: Tensor<4>, act: Activation) -> Tensor<4> {
        self.forward_act_with(x, self.kernel.val(), act)
    }

    /// [`Self::forward_act`] with `kernel` (`[kh, kw, in, out]`, e.g. this
    /// layer's own, spectrally normalised) in place of the stored one.
    pub fn forward_act_with(&self, x: Tensor<4>, kernel: Tensor<4>, act: Activation) -> Tensor<4> {
        if cpu_kernels(&x.device()) {
            let [_, h, w, _] = x.dims();
            let geometry = self.geometry([h, w]);
            return tap_conv::tap_conv(x, kernel, self.bias.val(), &geometry, act);
        }
        act.composed(self.forward_with(x, kernel))
    }

    /// `[batch, h, w, in]` → `[batch, oh, ow, out]`.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        self.forward_with(x, self.kernel.val())
    }

    fn forward_with(&self, x: Tensor<4>, kernel: Tensor<4>) -> Tensor<4> {
        let [kh, kw, cin, cout] = kernel.dims();
        let [batch, h, w, _] = x.dims();
        let s = self.stride;
        let oh = (h + self.pad_top + self.pad_bottom - kh) / s + 1;
        let ow = (w + self.pad_left + self.pad_right - kw) / s + 1;
        let offsets = (0..kh).flat_map(|ky| (0..kw).map(move |kx| (ky, kx)));
        let (top, left) = (signed(self.pad_top), signed(self.pad_left));
        let bias = self.bias.val().reshape([1, 1, 1, cout]);
        if cout * s * s < cin {
            // Multiply first, then add up the k×k shifted tap outputs: the
            // product is [h·w, k·k·out] instead of im2col's [oh·ow, k·k·in].
            let per_tap = x
                .reshape([batch * h * w, cin])
                .matmul(
                    kernel
                        .clone()
                        .permute([2, 0, 1, 3])
                        .reshape([cin, kh * kw * cout]),
                )
                .reshape([batch, h, w, kh * kw * cout]);
            let taps = Taps {
                out: [oh, ow],
                stride: s,
                width: cout,
                taps: offsets
                    .enumerate()
                    .map(|(tap, (ky, kx))| (signed(ky) - top, signed(kx) - left, tap * cout))
                    .collect(),
            };
            let shifted: Tensor<5> = gather(per_tap, &taps).reshape([batch, oh, ow, kh * kw, cout]);
            return shifted.sum_dim(3).reshape([batch, oh, ow, cout]) + bias;
        }
        let taps = Taps {
            out: [oh, ow],
            stride: s,
            width: cin,
            taps: offsets
                .map(|(ky, kx)| (signed(ky) - top, signed(kx) - left, 0))
                .collect(),
        };
        gather(x, &taps)
            .reshape([batch * oh * ow, kh * kw * cin])
            .matmul(kernel.reshape([kh * kw * cin, cout]))
            .reshape([batch, oh, ow, cout])
            + bias
    }
}

impl ConvTranspose2dNhwc {
    /// A k×k transposed convolution `from` → `to` channels, initialised as Keras does.
    pub fn new(
        [from, to]: [usize; 2],
        kernel: usize,
        stride: usize,
        crop_before: usize,
        device: &Device,
    ) -> Self {
        let (kernel, bias) = glorot_kernel([kernel, kernel, from, to], device);
        Self {
            kernel,
            bias,
            stride,
            crop_before,
        }
    }

    /// Whether this is the DCGAN generator's layer shape: 4×4, stride 2,
    /// TensorFlow's "same" (one pixel cropped before), which
    /// [`forward_leaky`](Self::forward_leaky) fuses with its activation.
    pub fn is_k4_s2_same(&self) -> bool {
        let [kh, kw, _, _] = self.kernel.dims();
        (kh, kw, self.stride, self.crop_before) == (4, 4, 2, 1)
    }

    /// Where each output pixel reads, for an input of `[h, w]` pixels.
    pub fn geometry(&self, input: [usize; 2]) -> Geometry {
        let [k, _, _, _] = self.kernel.dims();
        let taps = phase_taps(k, self.stride, self.crop_before);
        Geometry::transposed(input, k, self.stride, &taps)
    }

    /// `act(self.forward(x))`, as one fused operation on the CPU backend.
    pub fn forward_act(&self, x: Tensor<4>, act: Activation) -> Tensor<4> {
        if cpu_kernels(&x.device()) {
            let [_, h, w, _] = x.dims();
            let geometry = self.geometry([h, w]);
            return tap_conv::tap_conv(x, self.kernel.val(), self.bias.val(), &geometry, act);
        }
        act.composed(self.forward(x))
    }

    /// `leaky(self.forward(x))` with negative slope `slope`: one fused CPU
    /// kernel (Winograd) on burn-flex when this is the 4×4 stride-2 "same"
    /// layer and the input's sides are even, composed otherwise.
    pub fn forward_leaky(&self, x: Tensor<4>, slope: f32) -> Tensor<4> {
        if cpu_kernels(&x.device()) && self.is_k4_s2_same() && deconv_leaky::fits(&x) {
            return deconv_leaky::deconv_leaky(x, self.kernel.val(), self.bias.val(), slope);
        }
        leaky(self.forward(x), slope)
    }

    /// `[batch, h, w, in]` → `[batch, stride·h, stride·w, out]`.
    #[expect(
        clippy::needless_pass_by_value,
        reason = "layers take their input, as burn's do"
    )]
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let [kh, kw, cin, cout] = self.kernel.dims();
        let [batch, h, w, _] = x.dims();
        let s = self.stride;
        let rows = phase_taps(kh, s, self.crop_before);
        let cols = phase_taps(kw, s, self.crop_before);
        let kernel = self.kernel.val();
        let mut phases = Vec::with_capacity(s * s);
        for row_taps in &rows {
            for col_taps in &cols {
                let pairs = row_taps
                    .iter()
                    .flat_map(|&(ky, dy)| col_taps.iter().map(move |&(kx, dx)| (ky, dy, kx, dx)));
                let taps = Taps {
                    out: [h, w],
                    stride: 1,
                    width: cin,
                    taps: pairs.clone().map(|(_, dy, _, dx)| (dy, dx, 0)).collect(),
                };
                let weights = pairs
                    .map(|(ky, _, kx, _)| {
                        kernel
                            .clone()
                            .slice([range(ky, 1), range(kx, 1)])
                            .reshape([cin, cout])
                    })
                    .collect();
                let phase = gather(x.clone(), &taps)
                    .reshape([batch * h * w, taps.taps.len() * cin])
                    .matmul(Tensor::cat(weights, 0));
                phases.push(phase);
            }
        }
        let phases = Tensor::cat(phases, 1).reshape([batch, h, w, s * s * cout]);
        interleave(phases, s) + self.bias.val().reshape([1, 1, 1, cout])
    }
}

/// `[b, h, w, s·s·c]`, the s² output phases side by side (row phase major),
/// → `[b, s·h, s·w, c]`.
fn interleave(phases: Tensor<4>, s: usize) -> Tensor<4> {
    let [batch, h, w, channels] = phases.dims();
    let c = channels / (s * s);
    if cpu_kernels(&phases.device()) {
        // The inverse of gathering each phase's pixels with stride s, which for
        // a permutation is its adjoint.
        let taps = Taps {
            out: [h, w],
            stride: s,
            width: c,
            taps: (0..s * s)
                .map(|r| (signed(r / s), signed(r % s), 0))
                .collect(),
        };
        return taps::scatter(phases, [batch, s * h, s * w, c], &taps);
    }
    interleave_composed(phases, s)
}

/// [`Taps`] of `x` side by side: the custom CPU gather on burn-flex, slices
/// of a padded copy elsewhere.
fn gather(x: Tensor<4>, spec: &Taps) -> Tensor<4> {
    if cpu_kernels(&x.device()) {
        return taps::gather(x, spec);
    }
    taps::gather_composed(x, spec)
}

/// [`interleave`] from burn's reshape and permute (for wgpu).
fn interleave_composed(phases: Tensor<4>, s: usize) -> Tensor<4> {
    let [batch, h, w, channels] = phases.dims();
    let c = channels / (s * s);
    let phases: Tensor<6> = phases.reshape([batch, h, w, s, s, c]);
    phases
        .permute([0, 1, 3, 2, 4, 5])
        .reshape([batch, s * h, s * w, c])
}

/// `len` consecutive indices from `start`.
fn range(start: usize, len: usize) -> Slice {
    Slice::new(signed(start), Some(signed(start + len)), 1)
}

#[cfg(test)]
mod deconv_tests;
#[cfg(test)]
mod fused_tests;
#[cfg(test)]
mod tests;
