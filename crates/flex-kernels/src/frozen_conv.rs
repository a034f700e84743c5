//! A pretrained network's convolution — frozen kernel, bias (a batch norm
//! folded in) and ReLU — as one custom operation on channels-last tensors,
//! whose backward pass computes the input gradient only: the pictures
//! DeepDream and style transfer optimise are the only thing that learns.
//!
//! burn's own `conv2d` on the CPU works in NCHW with im2col over the whole
//! picture, and its backward pass is a transposed convolution, a ReLU mask
//! and bookkeeping around them; at batch 1 half of a DeepDream step was not
//! matrix products. Here the output rows are split into chunks small enough
//! for their im2col columns to stay in cache, spread over the cores, each
//! chunk one matrix product with the bias and ReLU applied as it is stored;
//! the backward pass masks the output gradient by the saved output (no
//! input kept), multiplies by the transposed kernel and adds the columns back
//! into the input's rows. 1×1 convolutions (most of InceptionV3) are a single
//! product on the pixels as they lie, forward and backward.
//!
//! The kernel is not a tensor: it is built once from the weights (see
//! [`FrozenConv::from_oihw`]) and shared by every call.

use std::sync::Arc;

use burn::backend::TensorMetadata;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, AutodiffBackend, Backend, Dispatch, Flex, backend_extension};
use burn::tensor::{DType, Tensor, TensorData};
use burn_flex::FlexTensor;

mod compute;
#[cfg(test)]
mod tests;
mod winograd;

/// Fewest channels on both sides for the Winograd form: below this the
/// products are too thin to repay the transforms (measured: InceptionV3's
/// 32 → 64 stem layer ran slower in it, VGG19's 64-channel layers faster).
const WINOGRAD_CHANNELS: usize = 64;

/// A frozen convolution: kernel `[kh, kw, cin, cout]`, bias, stride and
/// symmetric zero padding per axis, and whether a ReLU follows.
#[derive(Clone, PartialEq)]
pub struct FrozenConv {
    pub kernel: Vec<f32>,
    pub bias: Vec<f32>,
    pub size: [usize; 2],
    pub cin: usize,
    pub cout: usize,
    pub stride: [usize; 2],
    pub pad: [usize; 2],
    pub relu: bool,
    /// 3×3 stride-1 "same" layers: the kernel and the input gradient's
    /// kernel in the Winograd domain.
    winograd: Option<Box<[winograd::Winograd; 2]>>,
}

impl std::fmt::Debug for FrozenConv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FrozenConv")
            .field("size", &self.size)
            .field("cin", &self.cin)
            .field("cout", &self.cout)
            .field("stride", &self.stride)
            .field("pad", &self.pad)
            .field("relu", &self.relu)
            .field("winograd", &self.winograd.is_some())
            .finish_non_exhaustive()
    }
}

impl FrozenConv {
    /// From a PyTorch-layout kernel `[cout, cin, kh, kw]` (row-major in `weight`).
    pub fn from_oihw(
        weight: &[f32],
        [cout, cin, kh, kw]: [usize; 4],
        bias: Vec<f32>,
        stride: [usize; 2],
        pad: [usize; 2],
        relu: bool,
    ) -> Self {
        assert_eq!(
            weight.len(),
            cout * cin * kh * kw,
            "frozen_conv: kernel size"
        );
        assert_eq!(bias.len(), cout, "frozen_conv: bias size");
        let mut kernel = vec![0.0; weight.len()];
        for o in 0..cout {
            for i in 0..cin {
                for y in 0..kh {
                    for x in 0..kw {
                        kernel[((y * kw + x) * cin + i) * cout + o] =
                            weight[((o * cin + i) * kh + y) * kw + x];
                    }
                }
            }
        }
        let same_3x3 = [kh, kw] == [3, 3] && stride == [1, 1] && pad == [1, 1];
        let winograd = (same_3x3 && cin.min(cout) >= WINOGRAD_CHANNELS).then(|| {
            Box::new([
                winograd::Winograd::new(&kernel, cin, cout),
                winograd::Winograd::transposed(&kernel, cin, cout),
            ])
        });
        Self {
            kernel,
            bias,
            size: [kh, kw],
            cin,
            cout,
            stride,
            pad,
            relu,
            winograd,
        }
    }

    /// The same layer without the Winograd form (im2col and one product).
    #[must_use]
    pub fn direct(mut self) -> Self {
        self.winograd = None;
        self
    }

    /// The output side for an input side.
    pub fn output(&self, input: [usize; 2]) -> [usize; 2] {
        std::array::from_fn(|a| {
            let padded = input[a] + 2 * self.pad[a];
            assert!(
                padded >= self.size[a],
                "frozen_conv: input {input:?} smaller than the kernel {:?}",
                self.size
            );
            (padded - self.size[a]) / self.stride[a] + 1
        })
    }

    /// Inputs along the kernel's rows: `kh · kw · cin`.
    fn taps(&self) -> usize {
        self.size[0] * self.size[1] * self.cin
    }

    /// Whether the convolution is a product on the pixels as they lie.
    fn pointwise(&self) -> bool {
        self.size == [1, 1] && self.stride == [1, 1] && self.pad == [0, 0]
    }
}

#[backend_extension(Flex, Autodiff)]
pub trait FrozenConvOps: Backend {
    /// `relu(conv(x, kernel) + bias)`: `x` `[b, h, w, cin]` → `[b, oh, ow, cout]`.
    fn frozen_conv(x: FloatTensor<Self>, conv: Arc<FrozenConv>) -> FloatTensor<Self>;
}

/// `relu(conv(x) + bias)` with a frozen kernel, on burn-flex only.
pub fn frozen_conv(x: Tensor<4>, conv: &Arc<FrozenConv>) -> Tensor<4> {
    assert!(
        crate::runs_on(&x.device()),
        "frozen_conv runs on burn-flex only"
    );
    let out = <Dispatch as FrozenConvOps>::frozen_conv(x.into_dispatch(), conv.clone());
    Tensor::from_dispatch(out)
}

pub(crate) fn contiguous(tensor: &FlexTensor) -> FlexTensor {
    assert_eq!(tensor.dtype(), DType::F32, "frozen layers: f32 only");
    tensor.to_contiguous()
}

pub(crate) fn flex(data: Vec<f32>, shape: Vec<usize>) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(data, shape))
}

fn image_shape(x: &FlexTensor, conv: &FrozenConv) -> [usize; 4] {
    let shape = x.shape();
    assert!(
        shape.num_dims() == 4 && shape[3] == conv.cin,
        "frozen_conv: input {shape:?} does not fit {conv:?}"
    );
    [shape[0], shape[1], shape[2], shape[3]]
}

fn forward(x: &FlexTensor, conv: &FrozenConv) -> FlexTensor {
    let [batch, h, w, _] = image_shape(x, conv);
    let x = contiguous(x);
    let [oh, ow] = conv.output([h, w]);
    let y = compute::forward(x.storage(), conv, [batch, h, w]);
    flex(y, vec![batch, oh, ow, conv.cout])
}

impl FrozenConvOps for Flex {
    fn frozen_conv(x: FlexTensor, conv: Arc<FrozenConv>) -> FlexTensor {
        forward(&x, &conv)
    }
}

#[derive(Debug)]
struct FrozenConvBackward;

impl Backward<Flex, 1> for FrozenConvBackward {
    /// The output (its sign is the ReLU's mask), the input's sides, the layer.
    type State = (FlexTensor, [usize; 4], Arc<FrozenConv>);

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let (y, [batch, h, w, cin], conv) = ops.state;
        let dy = contiguous(&grads.consume::<Flex>(&ops.node));
        let [x_node] = ops.parents;
        if let Some(node) = x_node {
            let y = contiguous(&y);
            let dx = compute::backward(y.storage(), dy.storage(), &conv, [batch, h, w]);
            grads.register::<Flex>(node.id, flex(dx, vec![batch, h, w, cin]));
        }
    }
}

impl<C: CheckpointStrategy> FrozenConvOps for Autodiff<Flex, C> {
    fn frozen_conv(x: FloatTensor<Self>, conv: Arc<FrozenConv>) -> FloatTensor<Self> {
        let prep = FrozenConvBackward
            .prepare::<C>([x.node()])
            .compute_bound()
            .stateful();
        let x = <Self as AutodiffBackend>::inner(x);
        let shape = image_shape(&x, &conv);
        let y = forward(&x, &conv);
        match prep {
            OpsKind::Tracked(prep) => prep.finish((y.clone(), shape, conv), y),
            OpsKind::UnTracked(prep) => prep.finish(y),
        }
    }
}
