//! A convolution or transposed convolution, its bias and its activation as
//! one custom tensor operation on the CPU backend, for the VAE's layers and
//! the DCGAN's discriminator and output layer.
//!
//! At 28×28 and batch 128 each layer of the VAE is a few million numbers, and
//! composed from burn's operations (gather, matmul, bias, ReLU, each with its
//! backward) the step was mostly bookkeeping and memory passes around a few
//! small matrix products. Here a layer works through chunks of whole images
//! kept in cache, split over the cores, with the bias and activation written
//! straight to the output, in one of three forms (see [`Form`]):
//!
//! - strided convolutions: im2col and one matrix product ([`compute`]);
//! - transposed convolutions: every input pixel times the whole kernel in one
//!   product, then each output pixel adds up its taps ([`scattered`]);
//! - few output channels (32 → 1, 512 → 3): the same multiply-first form for
//!   one phase, products stored tap by tap ([`shifted`]).
//!
//! Both kinds of layer are described the same way, as a [`Geometry`]: a list
//! of phases, each a grid of output pixels and the kernel taps that reach
//! them — one phase for an ordinary convolution, stride² for a transposed one
//! (see the application's `layers::conv`). Only burn-flex and autodiff over it
//! are wired up; other devices run the composed layers.

use burn::backend::TensorMetadata;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, AutodiffBackend, Backend, Dispatch, Flex, backend_extension};
use burn::tensor::{DType, Shape, Tensor, TensorData};
use burn_flex::FlexTensor;

use compute::Sizes;

use super::signed;

pub use activation::Activation;

mod activation;
mod chunks;
mod compute;
mod scattered;
mod shifted;

/// Kernel tap (ky, kx) read at input pixel (m·in_stride + dy, n·in_stride + dx)
/// for the phase's grid point (m, n).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tap {
    pub ky: usize,
    pub kx: usize,
    pub dy: isize,
    pub dx: isize,
}

/// A grid of output pixels, (m·out_stride + out_offset) along each axis, all
/// reached by the same taps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Phase {
    pub size: [usize; 2],
    pub out_stride: usize,
    pub out_offset: [usize; 2],
    pub in_stride: usize,
    pub taps: Vec<Tap>,
}

impl Phase {
    fn rows(&self) -> usize {
        self.size[0] * self.size[1]
    }
}

/// Input and output sides, the kernel's side, and the phases that cover every
/// output pixel exactly once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Geometry {
    pub input: [usize; 2],
    pub output: [usize; 2],
    pub kernel: usize,
    pub phases: Vec<Phase>,
}

impl Geometry {
    /// A k×k convolution with `stride` and padding (top, left) giving an
    /// `output`-sized result.
    pub fn conv(
        input: [usize; 2],
        output: [usize; 2],
        kernel: usize,
        stride: usize,
        pad: [usize; 2],
    ) -> Self {
        let taps = (0..kernel)
            .flat_map(|ky| (0..kernel).map(move |kx| (ky, kx)))
            .map(|(ky, kx)| Tap {
                ky,
                kx,
                dy: signed(ky) - signed(pad[0]),
                dx: signed(kx) - signed(pad[1]),
            })
            .collect();
        Self {
            input,
            output,
            kernel,
            phases: vec![Phase {
                size: output,
                out_stride: 1,
                out_offset: [0, 0],
                in_stride: stride,
                taps,
            }],
        }
    }

    /// A k×k transposed convolution with `stride` whose output is `stride`
    /// times the input after cropping `crop` pixels before, as one phase per
    /// output pixel position mod `stride`; `phase_taps` lists, per phase along
    /// one axis, (kernel tap, input offset).
    pub fn transposed(
        input: [usize; 2],
        kernel: usize,
        stride: usize,
        phase_taps: &[Vec<(usize, isize)>],
    ) -> Self {
        let mut phases = Vec::with_capacity(stride * stride);
        for (py, rows) in phase_taps.iter().enumerate() {
            for (px, cols) in phase_taps.iter().enumerate() {
                let mut taps: Vec<Tap> = rows
                    .iter()
                    .flat_map(|&(ky, dy)| cols.iter().map(move |&(kx, dx)| Tap { ky, kx, dy, dx }))
                    .collect();
                // Input order, so that neighbouring taps read neighbouring pixels.
                taps.sort_by_key(|t| (t.dy, t.dx));
                phases.push(Phase {
                    size: input,
                    out_stride: stride,
                    out_offset: [py, px],
                    in_stride: 1,
                    taps,
                });
            }
        }
        Self {
            input,
            output: [stride * input[0], stride * input[1]],
            kernel,
            phases,
        }
    }
}

/// For each output phase r (output index o = s·m + r) of a transposed
/// convolution along one axis, the kernel taps k that reach it and the input
/// offset d (input index m + d) each reads, from `o = s·i + k − crop`.
pub fn phase_taps(kernel: usize, stride: usize, crop: usize) -> Vec<Vec<(usize, isize)>> {
    (0..stride)
        .map(|r| {
            (0..kernel)
                .filter(|k| (r + crop + stride * kernel - k).is_multiple_of(stride))
                .map(|k| (k, (signed(r + crop) - signed(k)) / signed(stride)))
                .collect()
        })
        .collect()
}

#[backend_extension(Flex, Autodiff)]
pub trait TapConvOps: Backend {
    /// `act(conv(x, kernel) + bias)`: `x` `[b, h, w, in]`, kernel
    /// `[k, k, in, out]`, bias `[out]` → `[b, oh, ow, out]`.
    fn tap_conv(
        x: FloatTensor<Self>,
        kernel: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        geometry: Geometry,
        act: Activation,
    ) -> FloatTensor<Self>;
}

/// `act(conv(x, kernel) + bias)` as one operation, on burn-flex only.
pub fn tap_conv(
    x: Tensor<4>,
    kernel: Tensor<4>,
    bias: Tensor<1>,
    geometry: &Geometry,
    act: Activation,
) -> Tensor<4> {
    assert!(
        crate::runs_on(&x.device()),
        "tap_conv runs on burn-flex only"
    );
    let out = <Dispatch as TapConvOps>::tap_conv(
        x.into_dispatch(),
        kernel.into_dispatch(),
        bias.into_dispatch(),
        geometry.clone(),
        act,
    );
    Tensor::from_dispatch(out)
}

fn sizes(x: &FlexTensor, kernel: &FlexTensor, geometry: &Geometry) -> Sizes {
    let (x, k) = (x.shape(), kernel.shape());
    assert!(
        k[0] == geometry.kernel
            && k[1] == geometry.kernel
            && k[2] == x[3]
            && [x[1], x[2]] == geometry.input,
        "tap_conv: kernel {k:?} and input {x:?} do not fit {geometry:?}"
    );
    Sizes {
        batch: x[0],
        cin: x[3],
        cout: k[3],
    }
}

/// How a layer is computed (see the submodules).
enum Form {
    /// Multiply first, then add up shifted taps: one phase, fewer outputs than inputs.
    Shifted,
    /// Multiply first, then add up each phase's taps: transposed convolutions.
    Scattered,
    /// im2col per phase: the rest (strided convolutions).
    Im2col,
}

impl Form {
    fn of(geometry: &Geometry, s: Sizes) -> Self {
        if shifted::suits(geometry, s.cin, s.cout) {
            Self::Shifted
        } else if geometry.phases.len() > 1 {
            Self::Scattered
        } else {
            Self::Im2col
        }
    }
}

fn contiguous(tensor: &FlexTensor) -> FlexTensor {
    assert_eq!(tensor.dtype(), DType::F32, "tap_conv: f32 only");
    tensor.to_contiguous()
}

fn flex(data: Vec<f32>, shape: Vec<usize>) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(data, shape))
}

fn forward(
    x: &FlexTensor,
    kernel: &FlexTensor,
    bias: &FlexTensor,
    geometry: &Geometry,
    act: Activation,
) -> FlexTensor {
    let s = sizes(x, kernel, geometry);
    let (x, kernel, bias) = (contiguous(x), contiguous(kernel), contiguous(bias));
    let shape = Shape::from(vec![
        s.batch,
        geometry.output[0],
        geometry.output[1],
        s.cout,
    ]);
    // Zeros: the multiply-first forms add their taps into it.
    let mut y = super::buffers::zeros(shape.num_elements());
    let (x, kernel, bias) = (x.storage(), kernel.storage(), bias.storage());
    let layer = (geometry, s.batch, s.cin, s.cout);
    match Form::of(geometry, s) {
        Form::Shifted => shifted::forward(x, kernel, bias, act, layer, &mut y),
        Form::Scattered => scattered::forward(x, kernel, bias, act, layer, &mut y),
        Form::Im2col => compute::forward(x, kernel, bias, act, (geometry, s), &mut y),
    }
    flex(y, shape.to_vec())
}

impl TapConvOps for Flex {
    fn tap_conv(
        x: FlexTensor,
        kernel: FlexTensor,
        bias: FlexTensor,
        geometry: Geometry,
        act: Activation,
    ) -> FlexTensor {
        forward(&x, &kernel, &bias, &geometry, act)
    }
}

#[derive(Debug)]
struct TapConvBackward;

/// The forward pass's input, kernel and output, and the layer.
type Saved = (FlexTensor, FlexTensor, FlexTensor, Geometry, Activation);

impl Backward<Flex, 3> for TapConvBackward {
    type State = Saved;

    #[expect(clippy::many_single_char_names, reason = "the textbook x, y, s")]
    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let (x, kernel, y, geometry, act) = ops.state;
        let dy = contiguous(&grads.consume::<Flex>(&ops.node));
        let s = sizes(&x, &kernel, &geometry);
        let (x, kernel, y) = (contiguous(&x), contiguous(&kernel), contiguous(&y));
        let [x_node, kernel_node, bias_node] = ops.parents;
        // The images fed to the first layer need no gradient.
        let need_dx = x_node.is_some();
        let (x, kernel, pair) = (x.storage(), kernel.storage(), (y.storage(), dy.storage()));
        let layer = (&geometry, s.batch, s.cin, s.cout);
        let (dx, dk, db) = match Form::of(&geometry, s) {
            Form::Shifted => shifted::backward(x, kernel, pair, act, layer, need_dx),
            Form::Scattered => scattered::backward(x, kernel, pair, act, layer, need_dx),
            Form::Im2col => compute::backward(x, kernel, pair, act, (&geometry, s), need_dx),
        };
        let [h, w] = geometry.input;
        if let Some(node) = x_node {
            grads.register::<Flex>(node.id, flex(dx, vec![s.batch, h, w, s.cin]));
        }
        if let Some(node) = kernel_node {
            let k = geometry.kernel;
            grads.register::<Flex>(node.id, flex(dk, vec![k, k, s.cin, s.cout]));
        }
        if let Some(node) = bias_node {
            grads.register::<Flex>(node.id, flex(db, vec![s.cout]));
        }
    }
}

impl<C: CheckpointStrategy> TapConvOps for Autodiff<Flex, C> {
    fn tap_conv(
        x: FloatTensor<Self>,
        kernel: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        geometry: Geometry,
        act: Activation,
    ) -> FloatTensor<Self> {
        let prep = TapConvBackward
            .prepare::<C>([x.node(), kernel.node(), bias.node()])
            .compute_bound()
            .stateful();
        let x = <Self as AutodiffBackend>::inner(x);
        let kernel = <Self as AutodiffBackend>::inner(kernel);
        let bias = <Self as AutodiffBackend>::inner(bias);
        let y = forward(&x, &kernel, &bias, &geometry, act);
        match prep {
            OpsKind::Tracked(prep) => prep.finish((x, kernel, y.clone(), geometry, act), y),
            OpsKind::UnTracked(prep) => prep.finish(y),
        }
    }
}

#[cfg(test)]
mod tests;
