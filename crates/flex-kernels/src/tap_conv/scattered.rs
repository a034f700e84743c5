//! The multiply-first form of a transposed convolution (the VAE's decoder):
//! every input pixel times the whole kernel at once, `[pixels, in] ·
//! [in, k·k·out]` — one large, well-shaped matrix product per chunk — and
//! then each output pixel adds up the `out`-wide pieces of the taps that
//! reach it, phase by phase. No padding and no im2col: each product is used
//! by exactly one output pixel, and the backward pass scatters the output
//! gradient back into the same layout for two more large products.

use super::chunks::{self, Split};
use super::{Activation, Geometry};
use crate::gemm::{View, matmul};
use crate::signed;

/// Input pixels per chunk.
const TARGET_PIXELS: usize = 768;

struct Plan<'a> {
    geometry: &'a Geometry,
    cin: usize,
    cout: usize,
    /// Every tap of every phase, in order: (kernel index, phase, tap).
    taps: Vec<usize>,
    /// `[cin, taps·cout]` and its transpose `[taps·cout, cin]`.
    weights: Vec<f32>,
    weights_t: Vec<f32>,
}

/// Output pixels `out, out + out_step, …` (`len` of them) add tap `tap`'s
/// products of input pixels `src, src + src_step, …`.
#[derive(Clone, Copy)]
struct Run {
    out: usize,
    out_step: usize,
    src: usize,
    src_step: usize,
    tap: usize,
    len: usize,
}

impl<'a> Plan<'a> {
    fn new(geometry: &'a Geometry, (cin, cout): (usize, usize), kernel: &[f32]) -> Self {
        let k = geometry.kernel;
        let taps: Vec<usize> = geometry
            .phases
            .iter()
            .flat_map(|p| p.taps.iter().map(move |t| t.ky * k + t.kx))
            .collect();
        let width = taps.len() * cout;
        let mut weights = vec![0.0; cin * width];
        for (g, &index) in taps.iter().enumerate() {
            let slice = &kernel[index * cin * cout..(index + 1) * cin * cout];
            for (c, row) in slice.chunks_exact(cout).enumerate() {
                weights[c * width + g * cout..c * width + (g + 1) * cout].copy_from_slice(row);
            }
        }
        let weights_t = super::compute::transpose(&weights, cin, width);
        Self {
            geometry,
            cin,
            cout,
            taps,
            weights,
            weights_t,
        }
    }

    fn width(&self) -> usize {
        self.taps.len() * self.cout
    }

    fn split(&self, batch: usize) -> Split {
        let [h, w] = self.geometry.input;
        let [oh, ow] = self.geometry.output;
        Split {
            batch,
            input_image: h * w * self.cin,
            output_image: oh * ow * self.cout,
            chunk_images: (TARGET_PIXELS / (h * w).max(1)).clamp(1, batch.max(1)),
        }
    }

    /// Calls `visit(run)` for each grid row of each phase and each of its
    /// taps that reads inside the input.
    fn for_each_run(&self, images: usize, mut visit: impl FnMut(Run)) {
        let [h, w] = self.geometry.input;
        let [oh, ow] = self.geometry.output;
        let mut first_tap = 0;
        for phase in &self.geometry.phases {
            let s = phase.in_stride;
            for image in 0..images {
                for m in 0..phase.size[0] {
                    let oy = m * phase.out_stride + phase.out_offset[0];
                    for (t, tap) in phase.taps.iter().enumerate() {
                        let Some(y) = (m * s).checked_add_signed(tap.dy).filter(|&y| y < h) else {
                            continue;
                        };
                        // Grid columns n whose input column n·s + dx lies in 0..w.
                        let first = usize::try_from(-tap.dx).map_or(0, |before| before.div_ceil(s));
                        let end = usize::try_from(signed(w) - 1 - tap.dx)
                            .map_or(0, |last| last / s + 1)
                            .min(phase.size[1]);
                        if first < end {
                            let ox = first * phase.out_stride + phase.out_offset[1];
                            visit(Run {
                                out: (image * oh + oy) * ow + ox,
                                out_step: phase.out_stride,
                                src: (image * h + y) * w + (first * s).wrapping_add_signed(tap.dx),
                                src_step: s,
                                tap: first_tap + t,
                                len: end - first,
                            });
                        }
                    }
                }
            }
            first_tap += phase.taps.len();
        }
    }
}

/// `y = act(conv_transpose(x, kernel) + bias)`; `y` must hold zeros (the
/// taps are added into it).
pub fn forward(
    x: &[f32],
    kernel: &[f32],
    bias: &[f32],
    act: Activation,
    (geometry, batch, cin, cout): (&Geometry, usize, usize, usize),
    y: &mut [f32],
) {
    let plan = Plan::new(geometry, (cin, cout), kernel);
    let (width, split) = (plan.width(), plan.split(batch));
    chunks::forward(split, x, y, |x, y, products: &mut Vec<f32>| {
        let pixels = x.len() / cin;
        products.resize(pixels * width, 0.0);
        matmul(
            products,
            View::row_major(x, pixels, cin),
            View::row_major(&plan.weights, cin, width),
            false,
        );
        plan.for_each_run(x.len() / split.input_image, |run| {
            for i in 0..run.len {
                let out = (run.out + i * run.out_step) * cout;
                let src = (run.src + i * run.src_step) * width + run.tap * cout;
                chunks::add(&mut y[out..out + cout], &products[src..src + cout]);
            }
        });
        chunks::activate(act, y, bias, cout);
    });
}

/// Gradients of the input, the kernel and the bias.
pub fn backward(
    x: &[f32],
    kernel: &[f32],
    (y, dy): (&[f32], &[f32]),
    act: Activation,
    (geometry, batch, cin, cout): (&Geometry, usize, usize, usize),
    need_dx: bool,
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let plan = Plan::new(geometry, (cin, cout), kernel);
    let (width, split) = (plan.width(), plan.split(batch));
    let zero = || (vec![0.0; cin * width], vec![0.0; cout]);
    let (dx, (d_weights, d_bias)) = chunks::backward(
        split,
        (x, y, dy),
        zero,
        |(x, y, dy), dx, (d_weights, d_bias), (d_products, d_pre): &mut (Vec<f32>, Vec<f32>)| {
            let pixels = x.len() / cin;
            chunks::gradient_before(act, (y, dy), cout, d_pre, d_bias);
            d_products.clear();
            d_products.resize(pixels * width, 0.0);
            plan.for_each_run(x.len() / split.input_image, |run| {
                for i in 0..run.len {
                    let out = (run.out + i * run.out_step) * cout;
                    let src = (run.src + i * run.src_step) * width + run.tap * cout;
                    chunks::add(&mut d_products[src..src + cout], &d_pre[out..out + cout]);
                }
            });
            let d_products = View::row_major(d_products, pixels, width);
            matmul(
                d_weights,
                View::row_major(x, pixels, cin).t(),
                d_products,
                true,
            );
            if need_dx {
                matmul(
                    dx,
                    d_products,
                    View::row_major(&plan.weights_t, width, cin),
                    false,
                );
            }
        },
        chunks::merge,
    );
    let k = geometry.kernel;
    let mut d_kernel = vec![0.0; k * k * cin * cout];
    for (g, &index) in plan.taps.iter().enumerate() {
        let at = index * cin * cout;
        for c in 0..cin {
            let src = &d_weights[c * width + g * cout..c * width + (g + 1) * cout];
            chunks::add(&mut d_kernel[at + c * cout..at + (c + 1) * cout], src);
        }
    }
    (dx, d_kernel, d_bias)
}
