//! The pooling layers of the pretrained networks on channels-last tensors,
//! next to [`crate::frozen_conv`]: k×k max pooling (any stride, padding that
//! never wins) and InceptionV3's 3×3 average pooling (stride 1, padding 1,
//! padding not counted), each with its backward pass. Channels are the
//! innermost axis, so every window is a few contiguous slices added or
//! compared channel by channel.

use burn::backend::TensorMetadata;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, AutodiffBackend, Backend, Dispatch, Flex, backend_extension};
use burn::tensor::Tensor;
use burn_flex::FlexTensor;
use rayon::prelude::*;

use crate::buffers;
use crate::frozen_conv::{contiguous, flex};

/// Max pooling: window side, stride and padding (the same on both axes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MaxPool {
    pub size: usize,
    pub stride: usize,
    pub pad: usize,
}

impl MaxPool {
    pub fn output(self, input: [usize; 2]) -> [usize; 2] {
        input.map(|side| (side + 2 * self.pad - self.size) / self.stride + 1)
    }

    /// The window of output index `o` along one axis, clipped to `0..side`.
    fn window(self, o: usize, side: usize) -> std::ops::Range<usize> {
        let start = (o * self.stride).saturating_sub(self.pad);
        let end = (o * self.stride + self.size)
            .saturating_sub(self.pad)
            .min(side);
        start..end
    }
}

#[backend_extension(Flex, Autodiff)]
pub trait FrozenPoolOps: Backend {
    /// Max pooling of `x` `[b, h, w, c]`.
    fn frozen_max_pool(x: FloatTensor<Self>, pool: MaxPool) -> FloatTensor<Self>;
    /// 3×3 average pooling, stride 1, padding 1 not counted, of `x` `[b, h, w, c]`.
    fn frozen_avg_pool(x: FloatTensor<Self>) -> FloatTensor<Self>;
}

/// Max pooling on channels-last tensors, on burn-flex only.
pub fn frozen_max_pool(x: Tensor<4>, pool: MaxPool) -> Tensor<4> {
    assert!(
        crate::runs_on(&x.device()),
        "frozen_max_pool runs on burn-flex only"
    );
    Tensor::from_dispatch(<Dispatch as FrozenPoolOps>::frozen_max_pool(
        x.into_dispatch(),
        pool,
    ))
}

/// InceptionV3's 3×3 average pooling on channels-last tensors, on burn-flex only.
pub fn frozen_avg_pool(x: Tensor<4>) -> Tensor<4> {
    assert!(
        crate::runs_on(&x.device()),
        "frozen_avg_pool runs on burn-flex only"
    );
    Tensor::from_dispatch(<Dispatch as FrozenPoolOps>::frozen_avg_pool(
        x.into_dispatch(),
    ))
}

fn dims(x: &FlexTensor) -> [usize; 4] {
    let shape = x.shape();
    assert_eq!(shape.num_dims(), 4, "frozen pools: [b, h, w, c] input");
    [shape[0], shape[1], shape[2], shape[3]]
}

/// The maxima and, per output element, the index of its input element
/// within the image.
fn max_forward(
    x: &[f32],
    pool: MaxPool,
    [batch, height, width, channels]: [usize; 4],
) -> (Vec<f32>, Vec<u32>) {
    let [oh, ow] = pool.output([height, width]);
    let row = ow * channels;
    let mut y = buffers::zeros(batch * oh * row);
    let mut arg = vec![0u32; y.len()];
    y.par_chunks_mut(row)
        .zip(arg.par_chunks_mut(row))
        .enumerate()
        .for_each(|(index, (y, arg))| {
            let (b, oy) = (index / oh, index % oh);
            let image = &x[b * height * width * channels..(b + 1) * height * width * channels];
            y.fill(f32::NEG_INFINITY);
            for ox in 0..ow {
                let (y, arg) = (
                    &mut y[ox * channels..(ox + 1) * channels],
                    &mut arg[ox * channels..(ox + 1) * channels],
                );
                for iy in pool.window(oy, height) {
                    for ix in pool.window(ox, width) {
                        let at = (iy * width + ix) * channels;
                        for (ch, &v) in image[at..at + channels].iter().enumerate() {
                            if v > y[ch] {
                                y[ch] = v;
                                arg[ch] = u32::try_from(at + ch).expect("image fits u32");
                            }
                        }
                    }
                }
            }
        });
    (y, arg)
}

fn max_backward(dy: &[f32], arg: &[u32], [batch, h, w, c]: [usize; 4]) -> Vec<f32> {
    let image = h * w * c;
    let mut dx = buffers::zeros(batch * image);
    let out_image = dy.len() / batch.max(1);
    dx.par_chunks_mut(image)
        .zip(dy.par_chunks(out_image).zip(arg.par_chunks(out_image)))
        .for_each(|(dx, (dy, arg))| {
            for (&d, &at) in dy.iter().zip(arg) {
                dx[at as usize] += d;
            }
        });
    dx
}

/// Σ of each 3×3 neighbourhood inside the image, divided by its size when `average`.
fn box_sum(x: &[f32], [_, height, width, channels]: [usize; 4], average: bool) -> Vec<f32> {
    let row = width * channels;
    let mut y = buffers::zeros(x.len());
    let near = |o: usize, side: usize| o.saturating_sub(1)..(o + 2).min(side);
    y.par_chunks_mut(row).enumerate().for_each(|(index, y)| {
        let (b, oy) = (index / height, index % height);
        let image = &x[b * height * row..(b + 1) * height * row];
        for ox in 0..width {
            let out = &mut y[ox * channels..(ox + 1) * channels];
            let (rows, cols) = (near(oy, height), near(ox, width));
            for iy in rows.clone() {
                for ix in cols.clone() {
                    let at = (iy * width + ix) * channels;
                    for (o, v) in out.iter_mut().zip(&image[at..at + channels]) {
                        *o += v;
                    }
                }
            }
            if average {
                #[expect(clippy::cast_precision_loss, reason = "at most 9")]
                let scale = 1.0 / (rows.len() * cols.len()) as f32;
                for o in out.iter_mut() {
                    *o *= scale;
                }
            }
        }
    });
    y
}

/// The average pool's backward: each gradient divided by its window's count,
/// then added back over the same neighbourhoods (the window is symmetric).
fn avg_backward(dy: &[f32], [batch, h, w, c]: [usize; 4]) -> Vec<f32> {
    let mut scaled = dy.to_vec();
    let count = |o: usize, side: usize| (o + 2).min(side) - o.saturating_sub(1);
    scaled
        .par_chunks_mut(w * c)
        .enumerate()
        .for_each(|(index, row)| {
            let oy = index % h;
            for (ox, px) in row.chunks_exact_mut(c).enumerate() {
                #[expect(clippy::cast_precision_loss, reason = "at most 9")]
                let scale = 1.0 / (count(oy, h) * count(ox, w)) as f32;
                for v in px.iter_mut() {
                    *v *= scale;
                }
            }
        });
    box_sum(&scaled, [batch, h, w, c], false)
}

impl FrozenPoolOps for Flex {
    fn frozen_max_pool(x: FlexTensor, pool: MaxPool) -> FlexTensor {
        let d = dims(&x);
        let [oh, ow] = pool.output([d[1], d[2]]);
        let (y, _) = max_forward(contiguous(&x).storage(), pool, d);
        flex(y, vec![d[0], oh, ow, d[3]])
    }

    fn frozen_avg_pool(x: FlexTensor) -> FlexTensor {
        let d = dims(&x);
        flex(box_sum(contiguous(&x).storage(), d, true), d.to_vec())
    }
}

#[derive(Debug)]
struct MaxPoolBackward;

impl Backward<Flex, 1> for MaxPoolBackward {
    type State = (Vec<u32>, [usize; 4]);

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let (arg, d) = ops.state;
        let dy = contiguous(&grads.consume::<Flex>(&ops.node));
        if let [Some(node)] = ops.parents {
            let dx = max_backward(dy.storage(), &arg, d);
            grads.register::<Flex>(node.id, flex(dx, d.to_vec()));
        }
    }
}

#[derive(Debug)]
struct AvgPoolBackward;

impl Backward<Flex, 1> for AvgPoolBackward {
    type State = [usize; 4];

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let d = ops.state;
        let dy = contiguous(&grads.consume::<Flex>(&ops.node));
        if let [Some(node)] = ops.parents {
            grads.register::<Flex>(node.id, flex(avg_backward(dy.storage(), d), d.to_vec()));
        }
    }
}

impl<C: CheckpointStrategy> FrozenPoolOps for Autodiff<Flex, C> {
    fn frozen_max_pool(x: FloatTensor<Self>, pool: MaxPool) -> FloatTensor<Self> {
        let prep = MaxPoolBackward
            .prepare::<C>([x.node()])
            .compute_bound()
            .stateful();
        let x = <Self as AutodiffBackend>::inner(x);
        let d = dims(&x);
        let [oh, ow] = pool.output([d[1], d[2]]);
        let (y, arg) = max_forward(contiguous(&x).storage(), pool, d);
        let y = flex(y, vec![d[0], oh, ow, d[3]]);
        match prep {
            OpsKind::Tracked(prep) => prep.finish((arg, d), y),
            OpsKind::UnTracked(prep) => prep.finish(y),
        }
    }

    fn frozen_avg_pool(x: FloatTensor<Self>) -> FloatTensor<Self> {
        let prep = AvgPoolBackward
            .prepare::<C>([x.node()])
            .compute_bound()
            .stateful();
        let x = <Self as AutodiffBackend>::inner(x);
        let d = dims(&x);
        let y = flex(box_sum(contiguous(&x).storage(), d, true), d.to_vec());
        match prep {
            OpsKind::Tracked(prep) => prep.finish(d, y),
            OpsKind::UnTracked(prep) => prep.finish(y),
        }
    }
}
