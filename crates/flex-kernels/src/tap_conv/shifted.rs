//! The multiply-first form of a one-phase layer with fewer output than input
//! channels (the VAE's 32 → 1 output convolution): every tap's kernel slice
//! times every input pixel, `[taps·out, in] · [in, pixels]`, then each output
//! pixel adds up its taps' products. The product is `taps·out` per pixel
//! instead of im2col's `taps·in`, so for 32 → 1 a ninth of the memory traffic,
//! and stored tap by tap so that a row of output pixels adds a contiguous run.

use super::chunks::{self, Split};
use super::{Activation, Geometry, Phase};
use crate::gemm::{View, matmul};
use crate::signed;

/// Input pixels per chunk.
const TARGET_PIXELS: usize = 2048;

/// Whether a layer is better computed in this form.
pub fn suits(geometry: &Geometry, cin: usize, cout: usize) -> bool {
    geometry.phases.len() == 1 && cout < cin
}

struct Plan<'a> {
    geometry: &'a Geometry,
    phase: &'a Phase,
    cin: usize,
    cout: usize,
    /// `[taps·cout, cin]`: row t·cout + o is tap t's kernel for output o.
    weights: Vec<f32>,
}

/// Output pixels `out..out + len` of a chunk read input pixels `src`, `src +
/// stride`, … through tap `tap`.
#[derive(Clone, Copy)]
struct Run {
    out: usize,
    tap: usize,
    src: usize,
    len: usize,
}

impl<'a> Plan<'a> {
    fn new(geometry: &'a Geometry, (cin, cout): (usize, usize), kernel: &[f32]) -> Self {
        let phase = &geometry.phases[0];
        let mut weights = vec![0.0; phase.taps.len() * cout * cin];
        for (t, tap) in phase.taps.iter().enumerate() {
            let at = (tap.ky * geometry.kernel + tap.kx) * cin * cout;
            for c in 0..cin {
                for o in 0..cout {
                    weights[(t * cout + o) * cin + c] = kernel[at + c * cout + o];
                }
            }
        }
        Self {
            geometry,
            phase,
            cin,
            cout,
            weights,
        }
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

    fn rows(&self) -> usize {
        self.phase.taps.len() * self.cout
    }

    /// Calls `visit(run)` for each row of output pixels and each tap that
    /// reads inside the input.
    fn for_each_run(&self, images: usize, mut visit: impl FnMut(Run)) {
        let [h, w] = self.geometry.input;
        let [oh, ow] = self.geometry.output;
        let s = self.phase.in_stride;
        for image in 0..images {
            for oy in 0..oh {
                for (tap, t) in self.phase.taps.iter().enumerate() {
                    let Some(y) = (oy * s).checked_add_signed(t.dy).filter(|&y| y < h) else {
                        continue;
                    };
                    // Output columns whose input column ox·s + dx lies in 0..w.
                    let first = usize::try_from(-t.dx).map_or(0, |before| before.div_ceil(s));
                    let end = usize::try_from(signed(w) - 1 - t.dx)
                        .map_or(0, |last| last / s + 1)
                        .min(ow);
                    if first < end {
                        visit(Run {
                            out: (image * oh + oy) * ow + first,
                            tap,
                            src: (image * h + y) * w + (first * s).wrapping_add_signed(t.dx),
                            len: end - first,
                        });
                    }
                }
            }
        }
    }
}

/// `y = act(conv(x, kernel) + bias)`; `y` must hold zeros (the taps are
/// added into it).
pub fn forward(
    x: &[f32],
    kernel: &[f32],
    bias: &[f32],
    act: Activation,
    (geometry, batch, cin, cout): (&Geometry, usize, usize, usize),
    y: &mut [f32],
) {
    let plan = Plan::new(geometry, (cin, cout), kernel);
    let (rows, split) = (plan.rows(), plan.split(batch));
    let s = plan.phase.in_stride;
    chunks::forward(split, x, y, |x, y, products: &mut Vec<f32>| {
        let pixels = x.len() / cin;
        products.resize(rows * pixels, 0.0);
        matmul(
            products,
            View::row_major(&plan.weights, rows, cin),
            View::row_major(x, pixels, cin).t(),
            false,
        );
        plan.for_each_run(x.len() / split.input_image, |run| {
            if (s, cout) == (1, 1) {
                // Contiguous on both sides (the VAE's output layer).
                let p = &products[run.tap * pixels + run.src..][..run.len];
                chunks::add(&mut y[run.out..run.out + run.len], p);
                return;
            }
            for o in 0..cout {
                let p = &products[(run.tap * cout + o) * pixels..][..pixels];
                let p = p[run.src..].iter().step_by(s).take(run.len);
                let out = y[run.out * cout + o..].iter_mut().step_by(cout);
                for (d, &v) in out.zip(p) {
                    *d += v;
                }
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
    let (rows, split) = (plan.rows(), plan.split(batch));
    let s = plan.phase.in_stride;
    let zero = || (vec![0.0; rows * cin], vec![0.0; cout]);
    let (dx, (d_weights, d_bias)) = chunks::backward(
        split,
        (x, y, dy),
        zero,
        |(x, y, dy), dx, (d_weights, d_bias), (d_products, d_pre): &mut (Vec<f32>, Vec<f32>)| {
            let pixels = x.len() / cin;
            chunks::gradient_before(act, (y, dy), cout, d_pre, d_bias);
            d_products.clear();
            d_products.resize(rows * pixels, 0.0);
            plan.for_each_run(x.len() / split.input_image, |run| {
                if (s, cout) == (1, 1) {
                    let row = &mut d_products[run.tap * pixels + run.src..][..run.len];
                    chunks::add(row, &d_pre[run.out..run.out + run.len]);
                    return;
                }
                for o in 0..cout {
                    let row = &mut d_products[(run.tap * cout + o) * pixels..][..pixels];
                    let row = row[run.src..].iter_mut().step_by(s).take(run.len);
                    let grads = d_pre[run.out * cout + o..].iter().step_by(cout);
                    for (d, &g) in row.zip(grads) {
                        *d += g;
                    }
                }
            });
            let d_products = View::row_major(d_products, rows, pixels);
            matmul(d_weights, d_products, View::row_major(x, pixels, cin), true);
            if need_dx {
                matmul(
                    dx,
                    d_products.t(),
                    View::row_major(&plan.weights, rows, cin),
                    false,
                );
            }
        },
        chunks::merge,
    );
    let k = geometry.kernel;
    let mut d_kernel = vec![0.0; k * k * cin * cout];
    for (t, tap) in plan.phase.taps.iter().enumerate() {
        let at = (tap.ky * k + tap.kx) * cin * cout;
        for c in 0..cin {
            for o in 0..cout {
                d_kernel[at + c * cout + o] += d_weights[(t * cout + o) * cin + c];
            }
        }
    }
    (dx, d_kernel, d_bias)
}
