//! The multiply-first form of a one-phase layer with fewer output than input
//! channels (the VAE's 32 → 1 output convolution): each input pixel times
//! every tap's kernel slice, `[pixels, in] · [in, taps·out]`, then each
//! output pixel adds up its taps' products. The product is `taps·out` wide
//! instead of im2col's `taps·in`, so for 32 → 1 a ninth of the memory traffic.

use super::chunks::{self, Split};
use super::{Activation, Geometry, Phase};
use crate::nets::gemm::{View, matmul};

/// Rows (input pixels) per chunk.
const TARGET_ROWS: usize = 1024;

/// Whether a layer is better computed in this form.
pub fn suits(geometry: &Geometry, cin: usize, cout: usize) -> bool {
    geometry.phases.len() == 1 && cout < cin
}

struct Plan<'a> {
    geometry: &'a Geometry,
    phase: &'a Phase,
    cin: usize,
    cout: usize,
    /// `[cin, taps·cout]`: column block t is tap t's `[cin, cout]` slice.
    weights: Vec<f32>,
}

impl<'a> Plan<'a> {
    fn new(geometry: &'a Geometry, (cin, cout): (usize, usize), kernel: &[f32]) -> Self {
        let phase = &geometry.phases[0];
        let taps = phase.taps.len();
        let mut weights = vec![0.0; cin * taps * cout];
        for (t, tap) in phase.taps.iter().enumerate() {
            let at = (tap.ky * geometry.kernel + tap.kx) * cin * cout;
            for c in 0..cin {
                let src = &kernel[at + c * cout..at + (c + 1) * cout];
                weights[(c * taps + t) * cout..(c * taps + t + 1) * cout].copy_from_slice(src);
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
            chunk_images: (TARGET_ROWS / (h * w).max(1)).clamp(1, batch.max(1)),
        }
    }

    fn width(&self) -> usize {
        self.phase.taps.len() * self.cout
    }

    /// Calls `visit(output pixel, tap, input pixel)` (pixel indices within
    /// the chunk) for every tap of every output pixel that reads the input,
    /// a row of output pixels at a time.
    #[expect(clippy::many_single_char_names, reason = "image coordinates")]
    fn for_each_tap(&self, images: usize, mut visit: impl FnMut(usize, usize, usize)) {
        let [h, w] = self.geometry.input;
        let [oh, ow] = self.geometry.output;
        let s = self.phase.in_stride;
        for image in 0..images {
            for oy in 0..oh {
                let out_row = (image * oh + oy) * ow;
                for (t, tap) in self.phase.taps.iter().enumerate() {
                    let Some(y) = (oy * s).checked_add_signed(tap.dy).filter(|&y| y < h) else {
                        continue;
                    };
                    // Output columns whose input column ox·s + dx lies in 0..w.
                    let first = usize::try_from(-tap.dx).map_or(0, |before| before.div_ceil(s));
                    let end =
                        usize::try_from(signed(w) - 1 - tap.dx).map_or(0, |last| last / s + 1);
                    let src_row = (image * h + y) * w;
                    for ox in first..end.min(ow) {
                        let x = (ox * s).wrapping_add_signed(tap.dx);
                        visit(out_row + ox, t, src_row + x);
                    }
                }
            }
        }
    }
}

fn signed(v: usize) -> isize {
    isize::try_from(v).expect("tensor sizes fit isize")
}

/// `y = act(conv(x, kernel) + bias)`.
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
    chunks::forward(
        split,
        x,
        y,
        |x, y, (products, pre): &mut (Vec<f32>, Vec<f32>)| {
            let pixels = x.len() / cin;
            products.resize(pixels * width, 0.0);
            matmul(
                products,
                View::row_major(x, pixels, cin),
                View::row_major(&plan.weights, cin, width),
                false,
            );
            pre.clear();
            pre.resize(y.len(), 0.0);
            plan.for_each_tap(x.len() / split.input_image, |out, t, src| {
                let p = &products[src * width + t * cout..src * width + (t + 1) * cout];
                chunks::add(&mut pre[out * cout..(out + 1) * cout], p);
            });
            for (out, pre) in y.chunks_exact_mut(cout).zip(pre.chunks_exact(cout)) {
                act.apply(out, pre, bias);
            }
        },
    );
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
    let width = plan.width();
    let weights_t = super::compute::transpose(&plan.weights, cin, width);
    let zero = || (vec![0.0; cin * width], vec![0.0; cout]);
    let split = plan.split(batch);
    let (dx, (d_weights, d_bias)) = chunks::backward(
        split,
        (x, y, dy),
        zero,
        |(x, y, dy), dx, (d_weights, d_bias), d_products: &mut Vec<f32>| {
            let pixels = x.len() / cin;
            d_products.clear();
            d_products.resize(pixels * width, 0.0);
            let mut d_pre = vec![0.0; y.len()];
            let pixels_out = d_pre
                .chunks_exact_mut(cout)
                .zip(y.chunks_exact(cout).zip(dy.chunks_exact(cout)));
            for (d, pair) in pixels_out {
                act.gradient(d, pair, d_bias);
            }
            plan.for_each_tap(x.len() / split.input_image, |out, t, src| {
                let at = src * width + t * cout;
                chunks::add(
                    &mut d_products[at..at + cout],
                    &d_pre[out * cout..(out + 1) * cout],
                );
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
                    View::row_major(&weights_t, width, cin),
                    false,
                );
            }
        },
        |(mut a, mut b), (c, d)| {
            chunks::add(&mut a, &c);
            chunks::add(&mut b, &d);
            (a, b)
        },
    );
    let k = geometry.kernel;
    let taps = plan.phase.taps.len();
    let mut d_kernel = vec![0.0; k * k * cin * cout];
    for (t, tap) in plan.phase.taps.iter().enumerate() {
        let at = (tap.ky * k + tap.kx) * cin * cout;
        for c in 0..cin {
            let src = &d_weights[(c * taps + t) * cout..(c * taps + t + 1) * cout];
            chunks::add(&mut d_kernel[at + c * cout..at + (c + 1) * cout], src);
        }
    }
    (dx, d_kernel, d_bias)
}
