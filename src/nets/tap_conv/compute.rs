//! The arithmetic of [`super`] on channels-last f32 slices: per chunk of
//! whole images and per phase, gather the taps side by side (im2col), one
//! matrix product with that phase's kernel rows, bias and activation written
//! straight to the output pixels; the backward pass reverses each step.
//! Chunks are small enough to stay in cache; each core takes whole images.

use rayon::prelude::*;

use super::{Activation, Geometry, Phase};
use crate::nets::gemm::{View, matmul};

/// Rows (output pixels) per chunk: enough for the matrix kernel.
const TARGET_ROWS: usize = 1024;

/// Sizes of one call: input `[batch, h, w, cin]`, output `[batch, oh, ow, cout]`.
#[derive(Clone, Copy, Debug)]
pub struct Sizes {
    pub batch: usize,
    pub cin: usize,
    pub cout: usize,
}

struct Plan<'a> {
    geometry: &'a Geometry,
    sizes: Sizes,
    /// Per phase: its kernel rows `[taps·cin, cout]`.
    weights: Vec<Vec<f32>>,
}

impl<'a> Plan<'a> {
    fn new(geometry: &'a Geometry, sizes: Sizes, kernel: &[f32]) -> Self {
        let plane = sizes.cin * sizes.cout;
        assert_eq!(kernel.len(), geometry.kernel * geometry.kernel * plane, "kernel size");
        let weights = geometry
            .phases
            .iter()
            .map(|phase| {
                phase
                    .taps
                    .iter()
                    .flat_map(|tap| {
                        let k = tap.ky * geometry.kernel + tap.kx;
                        kernel[k * plane..(k + 1) * plane].iter().copied()
                    })
                    .collect()
            })
            .collect();
        Self {
            geometry,
            sizes,
            weights,
        }
    }

    fn input_image(&self) -> usize {
        self.geometry.input[0] * self.geometry.input[1] * self.sizes.cin
    }

    fn output_image(&self) -> usize {
        self.geometry.output[0] * self.geometry.output[1] * self.sizes.cout
    }

    fn images_per_chunk(&self) -> usize {
        let rows = self.geometry.phases.iter().map(Phase::rows).max().unwrap_or(1);
        (TARGET_ROWS / rows.max(1)).clamp(1, self.sizes.batch.max(1))
    }

    fn images_per_group(&self) -> usize {
        self.sizes.batch.div_ceil(rayon::current_num_threads().max(1)).max(1)
    }

    /// Calls `visit(row, input pixel offset per tap, output pixel offset)`
    /// for every row of `phase` over `images` images.
    fn for_each_row(&self, phase: &Phase, images: usize, mut visit: impl FnMut(usize, &[Option<usize>], usize)) {
        let [h, w] = self.geometry.input;
        let [oh, ow] = self.geometry.output;
        let mut sources = vec![None; phase.taps.len()];
        let mut row = 0;
        for image in 0..images {
            for m in 0..phase.size[0] {
                for n in 0..phase.size[1] {
                    for (source, tap) in sources.iter_mut().zip(&phase.taps) {
                        let y = (m * phase.in_stride).checked_add_signed(tap.dy).filter(|&y| y < h);
                        let x = (n * phase.in_stride).checked_add_signed(tap.dx).filter(|&x| x < w);
                        *source = y.zip(x).map(|(y, x)| ((image * h + y) * w + x) * self.sizes.cin);
                    }
                    let oy = m * phase.out_stride + phase.out_offset[0];
                    let ox = n * phase.out_stride + phase.out_offset[1];
                    visit(row, &sources, ((image * oh + oy) * ow + ox) * self.sizes.cout);
                    row += 1;
                }
            }
        }
    }

    /// cols `[rows, taps·cin]`: the taps of every row side by side.
    fn gather(&self, x: &[f32], phase: &Phase, images: usize, cols: &mut Vec<f32>) {
        let cin = self.sizes.cin;
        let width = phase.taps.len() * cin;
        cols.resize(images * phase.rows() * width, 0.0);
        self.for_each_row(phase, images, |row, sources, _| {
            let out = &mut cols[row * width..(row + 1) * width];
            for (piece, source) in out.chunks_exact_mut(cin).zip(sources) {
                match source {
                    Some(at) => piece.copy_from_slice(&x[*at..at + cin]),
                    None => piece.fill(0.0),
                }
            }
        });
    }

    fn forward_chunk(&self, x: &[f32], bias: &[f32], act: Activation, y: &mut [f32], scratch: &mut Scratch) {
        let images = x.len() / self.input_image();
        let (cin, cout) = (self.sizes.cin, self.sizes.cout);
        for (phase, weights) in self.geometry.phases.iter().zip(&self.weights) {
            let (rows, width) = (images * phase.rows(), phase.taps.len() * cin);
            self.gather(x, phase, images, &mut scratch.cols);
            scratch.out.resize(rows * cout, 0.0);
            matmul(
                &mut scratch.out,
                View::row_major(&scratch.cols, rows, width),
                View::row_major(weights, width, cout),
                false,
            );
            self.for_each_row(phase, images, |row, _, at| {
                let pre = &scratch.out[row * cout..(row + 1) * cout];
                for ((out, &pre), &b) in y[at..at + cout].iter_mut().zip(pre).zip(bias) {
                    *out = act.apply(pre + b);
                }
            });
        }
    }

    #[expect(clippy::too_many_arguments, reason = "one chunk's inputs and outputs")]
    fn backward_chunk(
        &self,
        (x, y, dy): (&[f32], &[f32], &[f32]),
        act: Activation,
        weights_t: &[Vec<f32>],
        dx: &mut [f32],
        d_weights: &mut [Vec<f32>],
        d_bias: &mut [f32],
        scratch: &mut Scratch,
    ) {
        let images = x.len() / self.input_image();
        let (cin, cout) = (self.sizes.cin, self.sizes.cout);
        for ((phase, weights_t), d_weights) in self.geometry.phases.iter().zip(weights_t).zip(d_weights) {
            let (rows, width) = (images * phase.rows(), phase.taps.len() * cin);
            // The gradient before the activation, row by row.
            scratch.out.resize(rows * cout, 0.0);
            self.for_each_row(phase, images, |row, _, at| {
                let d_pre = &mut scratch.out[row * cout..(row + 1) * cout];
                let (y, dy) = (&y[at..at + cout], &dy[at..at + cout]);
                for (((d, &y), &dy), db) in d_pre.iter_mut().zip(y).zip(dy).zip(&mut *d_bias) {
                    *d = act.gradient(y, dy);
                    *db += *d;
                }
            });
            let d_pre = View::row_major(&scratch.out, rows, cout);
            self.gather(x, phase, images, &mut scratch.cols);
            matmul(d_weights, View::row_major(&scratch.cols, rows, width).t(), d_pre, true);
            matmul(&mut scratch.cols, d_pre, View::row_major(weights_t, cout, width), false);
            let d_cols = &scratch.cols;
            self.for_each_row(phase, images, |row, sources, _| {
                let grads = &d_cols[row * width..(row + 1) * width];
                for (grad, source) in grads.chunks_exact(cin).zip(sources) {
                    if let Some(at) = source {
                        for (d, &g) in dx[*at..at + cin].iter_mut().zip(grad) {
                            *d += g;
                        }
                    }
                }
            });
        }
    }

    /// Per phase, the kernel gradient rows back in `[k, k, cin, cout]`.
    fn kernel_gradient(&self, d_weights: &[Vec<f32>]) -> Vec<f32> {
        let plane = self.sizes.cin * self.sizes.cout;
        let k = self.geometry.kernel;
        let mut kernel = vec![0.0; k * k * plane];
        for (phase, rows) in self.geometry.phases.iter().zip(d_weights) {
            for (tap, rows) in phase.taps.iter().zip(rows.chunks_exact(plane)) {
                let at = (tap.ky * k + tap.kx) * plane;
                for (d, &g) in kernel[at..at + plane].iter_mut().zip(rows) {
                    *d += g;
                }
            }
        }
        kernel
    }
}

/// Buffers reused across a core's chunks.
#[derive(Default)]
struct Scratch {
    cols: Vec<f32>,
    out: Vec<f32>,
}

/// `y = act(conv(x, kernel) + bias)`; every element of `y` is written.
pub fn forward(
    x: &[f32],
    kernel: &[f32],
    bias: &[f32],
    act: Activation,
    (geometry, sizes): (&Geometry, Sizes),
    y: &mut [f32],
) {
    let plan = Plan::new(geometry, sizes, kernel);
    assert_eq!(x.len(), sizes.batch * plan.input_image(), "input size");
    assert_eq!(y.len(), sizes.batch * plan.output_image(), "output size");
    assert_eq!(bias.len(), sizes.cout, "bias size");
    let group = plan.images_per_group();
    let chunk = plan.images_per_chunk();
    y.par_chunks_mut(group * plan.output_image())
        .zip(x.par_chunks(group * plan.input_image()))
        .for_each(|(y, x)| {
            let mut scratch = Scratch::default();
            for (y, x) in y
                .chunks_mut(chunk * plan.output_image())
                .zip(x.chunks(chunk * plan.input_image()))
            {
                plan.forward_chunk(x, bias, act, y, &mut scratch);
            }
        });
}

/// Gradients of the input, the kernel and the bias from the forward pass's
/// input `x`, output `y` and the output's gradient `dy`.
pub fn backward(
    x: &[f32],
    kernel: &[f32],
    (y, dy): (&[f32], &[f32]),
    act: Activation,
    (geometry, sizes): (&Geometry, Sizes),
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let plan = Plan::new(geometry, sizes, kernel);
    assert_eq!(y.len(), sizes.batch * plan.output_image(), "output size");
    assert_eq!(dy.len(), y.len(), "output gradient size");
    let width = |phase: &Phase| phase.taps.len() * sizes.cin;
    let weights_t: Vec<Vec<f32>> = geometry
        .phases
        .iter()
        .zip(&plan.weights)
        .map(|(phase, w)| transpose(w, width(phase), sizes.cout))
        .collect();
    let zero = || {
        let d_weights: Vec<Vec<f32>> = geometry
            .phases
            .iter()
            .map(|phase| vec![0.0; width(phase) * sizes.cout])
            .collect();
        (d_weights, vec![0.0; sizes.cout])
    };
    let mut dx = vec![0.0; x.len()];
    let (in_group, out_group) = (plan.images_per_group() * plan.input_image(), plan.images_per_group() * plan.output_image());
    let chunk = plan.images_per_chunk();
    let (in_chunk, out_chunk) = (chunk * plan.input_image(), chunk * plan.output_image());
    let (d_weights, d_bias) = dx
        .par_chunks_mut(in_group)
        .zip(x.par_chunks(in_group))
        .zip(y.par_chunks(out_group).zip(dy.par_chunks(out_group)))
        .map(|((dx, x), (y, dy))| {
            let (mut d_weights, mut d_bias) = zero();
            let mut scratch = Scratch::default();
            for ((dx, x), (y, dy)) in dx
                .chunks_mut(in_chunk)
                .zip(x.chunks(in_chunk))
                .zip(y.chunks(out_chunk).zip(dy.chunks(out_chunk)))
            {
                plan.backward_chunk((x, y, dy), act, &weights_t, dx, &mut d_weights, &mut d_bias, &mut scratch);
            }
            (d_weights, d_bias)
        })
        .reduce(zero, |(mut a, mut b), (c, d)| {
            for (a, c) in a.iter_mut().zip(&c) {
                for (a, c) in a.iter_mut().zip(c) {
                    *a += c;
                }
            }
            for (b, d) in b.iter_mut().zip(&d) {
                *b += d;
            }
            (a, b)
        });
    (dx, plan.kernel_gradient(&d_weights), d_bias)
}

/// A `rows × cols` row-major matrix, transposed.
fn transpose(values: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut out = vec![0.0; values.len()];
    for (r, row) in values.chunks_exact(cols).enumerate() {
        for (c, &value) in row.iter().enumerate() {
            out[c * rows + r] = value;
        }
    }
    out
}
