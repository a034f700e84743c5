//! One custom tensor operation, on the CPU backend, for the application's
//! NHWC convolution layers (`layers::conv`): gather shifted (and strided) windows of a
//! channels-last tensor side by side, and its adjoint, which adds them back.
//!
//! Composed from burn's slices, pads and concatenations, the same gather costs
//! a zero tensor, an assignment and an addition the size of the whole input for
//! every tap in the backward pass; this one walks the gradient once. Only
//! burn-flex and autodiff over it are wired up: on every other device (wgpu),
//! where the cost is different, the layers run [`gather_composed`].

#![expect(
    clippy::many_single_char_names,
    reason = "image coordinates: b, h, w, c, x, y"
)]

use burn::backend::TensorMetadata;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind, unary};
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, AutodiffBackend, Backend, Dispatch, Flex, backend_extension};
use burn::tensor::ops::PadMode;
use burn::tensor::{DType, Shape, Slice, Tensor};
use burn_flex::FlexTensor;
use rayon::prelude::*;

/// Where each tap reads: output pixel (oy, ox) of tap t takes channels
/// `first..first + width` of input pixel (oy·stride + dy, ox·stride + dx), or
/// zeros outside the input (zero padding, via negative offsets).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Taps {
    /// Output height and width.
    pub out: [usize; 2],
    pub stride: usize,
    /// Channels each tap takes.
    pub width: usize,
    /// Per tap: (dy, dx, first channel).
    pub taps: Vec<(isize, isize, usize)>,
}

#[backend_extension(Flex, Autodiff)]
pub trait TapOps: Backend {
    /// `[b, h, w, c]` → `[b, oh, ow, taps · width]`.
    fn gather_taps(x: FloatTensor<Self>, taps: Taps) -> FloatTensor<Self>;
    /// The adjoint: `[b, oh, ow, taps · width]` → `[b, h, w, c]` (`input` is that shape).
    fn scatter_taps(grad: FloatTensor<Self>, input: Shape, taps: Taps) -> FloatTensor<Self>;
}

/// Gathers the taps of `x` (`[b, h, w, c]`) into `[b, oh, ow, taps · width]`
/// (burn-flex only).
pub fn gather(x: Tensor<4>, taps: &Taps) -> Tensor<4> {
    assert!(crate::runs_on(&x.device()), "gather runs on burn-flex only");
    let out = <Dispatch as TapOps>::gather_taps(x.into_dispatch(), taps.clone());
    Tensor::from_dispatch(out)
}

/// The adjoint of [`gather`]: adds each tap back where it was read from, into
/// a zero tensor of `shape`.
pub fn scatter(x: Tensor<4>, shape: [usize; 4], taps: &Taps) -> Tensor<4> {
    assert!(
        crate::runs_on(&x.device()),
        "scatter runs on burn-flex only"
    );
    let out = <Dispatch as TapOps>::scatter_taps(
        x.into_dispatch(),
        Shape::from(shape.to_vec()),
        taps.clone(),
    );
    Tensor::from_dispatch(out)
}

/// The same gather from burn's own operations (for wgpu, and to test against).
pub fn gather_composed(x: Tensor<4>, taps: &Taps) -> Tensor<4> {
    let [_, h, w, _] = x.dims();
    let [oh, ow] = taps.out;
    let s = taps.stride;
    let signed = |v: usize| isize::try_from(v).expect("tensor sizes fit isize");
    let reach = |offsets: &mut dyn Iterator<Item = isize>, size: usize, out: usize| {
        let (lo, hi) = offsets.fold((0, 0), |(lo, hi), d| (lo.min(d), hi.max(d)));
        let before = usize::try_from(-lo).unwrap_or(0);
        let last = signed((out - 1) * s) + hi;
        let after = usize::try_from(last - signed(size) + 1).unwrap_or(0);
        (before, after)
    };
    let rows = reach(&mut taps.taps.iter().map(|t| t.0), h, oh);
    let cols = reach(&mut taps.taps.iter().map(|t| t.1), w, ow);
    let padded = x.pad([(0, 0), rows, cols, (0, 0)], PadMode::Constant(0.0));
    let window = |start: isize, len: usize| {
        Slice::new(start, Some(start + signed((len - 1) * s) + 1), signed(s))
    };
    let parts = taps
        .taps
        .iter()
        .map(|&(dy, dx, first)| {
            padded.clone().slice([
                Slice::full(),
                window(dy + signed(rows.0), oh),
                window(dx + signed(cols.0), ow),
                Slice::new(signed(first), Some(signed(first + taps.width)), 1),
            ])
        })
        .collect();
    Tensor::cat(parts, 3)
}

/// For output coordinate `o` along one axis, the input coordinate tap offset
/// `d` reads, if inside `0..size`.
fn source(o: usize, stride: usize, d: isize, size: usize) -> Option<usize> {
    (o * stride).checked_add_signed(d).filter(|&i| i < size)
}

fn dims4(shape: &Shape) -> [usize; 4] {
    [shape[0], shape[1], shape[2], shape[3]]
}

impl TapOps for Flex {
    fn gather_taps(x: FlexTensor, taps: Taps) -> FlexTensor {
        assert_eq!(x.dtype(), DType::F32, "gather_taps: f32 only");
        let x = x.to_contiguous();
        let [batch, h, w, c] = dims4(&x.shape());
        let [oh, ow] = taps.out;
        let row = ow * taps.taps.len() * taps.width;
        let src: &[f32] = x.storage();
        let mut out = FlexTensor::empty(
            Shape::from(vec![batch, oh, ow, taps.taps.len() * taps.width]),
            DType::F32,
        );
        let dst: &mut [f32] = out.storage_mut();
        dst.par_chunks_mut(row.max(1))
            .enumerate()
            .for_each(|(index, out_row)| {
                let (b, oy) = (index / oh, index % oh);
                let image = &src[b * h * w * c..(b + 1) * h * w * c];
                for (ox, pixel) in out_row.chunks_mut(taps.taps.len() * taps.width).enumerate() {
                    for (&(dy, dx, first), out) in
                        taps.taps.iter().zip(pixel.chunks_mut(taps.width))
                    {
                        match source(oy, taps.stride, dy, h).zip(source(ox, taps.stride, dx, w)) {
                            Some((y, x)) => {
                                let at = (y * w + x) * c + first;
                                out.copy_from_slice(&image[at..at + taps.width]);
                            }
                            None => out.fill(0.0),
                        }
                    }
                }
            });
        out
    }

    fn scatter_taps(grad: FlexTensor, input: Shape, taps: Taps) -> FlexTensor {
        assert_eq!(grad.dtype(), DType::F32, "scatter_taps: f32 only");
        let grad = grad.to_contiguous();
        let [batch, h, w, c] = dims4(&input);
        let [oh, ow] = taps.out;
        let src: &[f32] = grad.storage();
        let per_image = oh * ow * taps.taps.len() * taps.width;
        let mut out = FlexTensor::zeros(input, DType::F32);
        let dst: &mut [f32] = out.storage_mut();
        dst.par_chunks_mut((h * w * c).max(1))
            .enumerate()
            .take(batch)
            .for_each(|(b, image)| {
                let grads = &src[b * per_image..(b + 1) * per_image];
                let pixels = grads.chunks(taps.taps.len() * taps.width);
                for (index, pixel) in pixels.enumerate() {
                    let (oy, ox) = (index / ow.max(1), index % ow.max(1));
                    for (&(dy, dx, first), g) in taps.taps.iter().zip(pixel.chunks(taps.width)) {
                        if let Some((y, x)) =
                            source(oy, taps.stride, dy, h).zip(source(ox, taps.stride, dx, w))
                        {
                            let at = (y * w + x) * c + first;
                            for (d, g) in image[at..at + taps.width].iter_mut().zip(g) {
                                *d += g;
                            }
                        }
                    }
                }
            });
        out
    }
}

#[derive(Debug)]
struct GatherBackward;

impl<B: Backend + TapOps> Backward<B, 1> for GatherBackward {
    type State = (Shape, Taps);

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let (input, taps) = ops.state;
        unary::<B, _>(ops.parents, ops.node, grads, |grad| {
            B::scatter_taps(grad, input, taps)
        });
    }
}

#[derive(Debug)]
struct ScatterBackward;

impl<B: Backend + TapOps> Backward<B, 1> for ScatterBackward {
    type State = Taps;

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let taps = ops.state;
        unary::<B, _>(ops.parents, ops.node, grads, |grad| {
            B::gather_taps(grad, taps)
        });
    }
}

impl<B: Backend + TapOps, C: CheckpointStrategy> TapOps for Autodiff<B, C> {
    fn gather_taps(x: FloatTensor<Self>, taps: Taps) -> FloatTensor<Self> {
        let input = x.shape();
        let prep = GatherBackward
            .prepare::<C>([x.node()])
            .compute_bound()
            .stateful();
        let inner = <Self as AutodiffBackend>::inner(x);
        match prep {
            OpsKind::Tracked(prep) => {
                prep.finish((input, taps.clone()), B::gather_taps(inner, taps))
            }
            OpsKind::UnTracked(prep) => prep.finish(B::gather_taps(inner, taps)),
        }
    }

    fn scatter_taps(grad: FloatTensor<Self>, input: Shape, taps: Taps) -> FloatTensor<Self> {
        let prep = ScatterBackward
            .prepare::<C>([grad.node()])
            .compute_bound()
            .stateful();
        let inner = <Self as AutodiffBackend>::inner(grad);
        match prep {
            OpsKind::Tracked(prep) => {
                prep.finish(taps.clone(), B::scatter_taps(inner, input, taps))
            }
            OpsKind::UnTracked(prep) => prep.finish(B::scatter_taps(inner, input, taps)),
        }
    }
}

#[cfg(test)]
mod tests {
    use burn::tensor::{Device, Distribution, Tensor, Tolerance};

    use super::Taps;

    fn random(shape: [usize; 4], device: &Device) -> Tensor<4> {
        Tensor::random(shape, Distribution::Normal(0.0, 1.0), device)
    }

    fn assert_close(ours: Tensor<4>, theirs: Tensor<4>) {
        ours.into_data()
            .assert_approx_eq::<f32>(&theirs.into_data(), Tolerance::absolute(1e-4));
    }

    #[test]
    fn the_native_gather_matches_the_composed_one_and_scatter_is_its_adjoint() {
        let device = Device::flex();
        let taps = Taps {
            out: [3, 4],
            stride: 2,
            width: 2,
            taps: vec![(-1, 0, 0), (0, 1, 1), (1, -1, 2), (2, 2, 0)],
        };
        let x = random([2, 6, 7, 4], &device);
        let gathered = super::gather(x.clone(), &taps);
        assert_close(gathered.clone(), super::gather_composed(x.clone(), &taps));
        // ⟨gather(x), y⟩ = ⟨x, scatter(y)⟩
        let y = random(gathered.dims(), &device);
        let lhs = (gathered * y.clone()).sum().into_scalar::<f32>();
        let rhs = (x * super::scatter(y, [2, 6, 7, 4], &taps))
            .sum()
            .into_scalar::<f32>();
        assert!(
            (lhs - rhs).abs() < 1e-3 * lhs.abs().max(1.0),
            "{lhs} vs {rhs}"
        );
    }
}
