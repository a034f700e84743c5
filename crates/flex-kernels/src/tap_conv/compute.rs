//! The arithmetic of [`super`] on channels-last f32 slices: per chunk of
//! whole images and per phase, gather the taps side by side (im2col), one
//! matrix product with that phase's kernel rows, bias and activation written
//! straight to the output pixels; the backward pass reverses each step.
//! Chunks are small enough to stay in cache; each core takes whole images.

use super::chunks::{self, Split};
use super::{Activation, Geometry, Phase};
use crate::gemm::{View, matmul};
use crate::signed;

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
    /// Per phase: its taps grouped into runs over consecutive input pixels.
    spans: Vec<Vec<Span>>,
}

/// Taps `first..first + len` of a phase: kernel row dy, input columns
/// dx, dx + 1, … — one copy of `len · cin` channels when inside the input.
#[derive(Clone, Copy, Debug)]
struct Span {
    first: usize,
    len: usize,
    dy: isize,
    dx: isize,
}

fn spans(phase: &Phase) -> Vec<Span> {
    let mut spans: Vec<Span> = Vec::new();
    for (index, tap) in phase.taps.iter().enumerate() {
        match spans.last_mut() {
            Some(s) if s.dy == tap.dy && s.dx + signed(s.len) == tap.dx => s.len += 1,
            _ => spans.push(Span {
                first: index,
                len: 1,
                dy: tap.dy,
                dx: tap.dx,
            }),
        }
    }
    spans
}

impl<'a> Plan<'a> {
    fn new(geometry: &'a Geometry, sizes: Sizes, kernel: &[f32]) -> Self {
        let plane = sizes.cin * sizes.cout;
        assert_eq!(
            kernel.len(),
            geometry.kernel * geometry.kernel * plane,
            "kernel size"
        );
        let weights = geometry
            .phases
            .iter()
            .map(|phase| {
                let mut rows = Vec::with_capacity(phase.taps.len() * plane);
                for tap in &phase.taps {
                    let k = tap.ky * geometry.kernel + tap.kx;
                    rows.extend_from_slice(&kernel[k * plane..(k + 1) * plane]);
                }
                rows
            })
            .collect();
        Self {
            geometry,
            sizes,
            weights,
            spans: geometry.phases.iter().map(spans).collect(),
        }
    }

    fn input_image(&self) -> usize {
        self.geometry.input[0] * self.geometry.input[1] * self.sizes.cin
    }

    fn output_image(&self) -> usize {
        self.geometry.output[0] * self.geometry.output[1] * self.sizes.cout
    }

    fn split(&self) -> Split {
        let rows = self
            .geometry
            .phases
            .iter()
            .map(Phase::rows)
            .max()
            .unwrap_or(1);
        Split {
            batch: self.sizes.batch,
            input_image: self.input_image(),
            output_image: self.output_image(),
            chunk_images: (TARGET_ROWS / rows.max(1)).clamp(1, self.sizes.batch.max(1)),
        }
    }

    /// Calls `visit(row, image, m, n, output pixel offset)` for every row
    /// (grid point) of `phase` over `images` images.
    fn for_each_row(
        &self,
        phase: &Phase,
        images: usize,
        mut visit: impl FnMut(usize, usize, usize, usize, usize),
    ) {
        let [oh, ow] = self.geometry.output;
        let mut row = 0;
        for image in 0..images {
            for m in 0..phase.size[0] {
                let oy = m * phase.out_stride + phase.out_offset[0];
                for n in 0..phase.size[1] {
                    let ox = n * phase.out_stride + phase.out_offset[1];
                    visit(
                        row,
                        image,
                        m,
                        n,
                        ((image * oh + oy) * ow + ox) * self.sizes.cout,
                    );
                    row += 1;
                }
            }
        }
    }

    /// Calls `visit(piece, source)` for the pieces of grid point (m, n) of
    /// `image`: runs of taps that read consecutive input pixels, `piece` the
    /// range of their channels in the row of taps, `source` the input offset
    /// of the first pixel, or `None` where the run reads zero padding. A run
    /// that is only partly inside the input is split into single taps.
    #[expect(clippy::many_single_char_names, reason = "image coordinates")]
    fn for_each_piece(
        &self,
        spans: &[Span],
        (image, m, n): (usize, usize, usize),
        stride: usize,
        mut visit: impl FnMut(std::ops::Range<usize>, Option<usize>),
    ) {
        let [h, w] = self.geometry.input;
        let cin = self.sizes.cin;
        for span in spans {
            let start = span.first * cin;
            let y = (m * stride).checked_add_signed(span.dy).filter(|&y| y < h);
            let Some(y) = y else {
                visit(start..start + span.len * cin, None);
                continue;
            };
            let pixel = |x: usize| ((image * h + y) * w + x) * cin;
            let x0 = (n * stride).checked_add_signed(span.dx);
            match x0 {
                Some(x0) if x0 + span.len <= w => {
                    visit(start..start + span.len * cin, Some(pixel(x0)));
                }
                _ => {
                    for j in 0..span.len {
                        let x = (n * stride)
                            .checked_add_signed(span.dx + signed(j))
                            .filter(|&x| x < w);
                        let piece = start + j * cin..start + (j + 1) * cin;
                        visit(piece, x.map(pixel));
                    }
                }
            }
        }
    }

    /// cols `[rows, taps·cin]`: the taps of every row side by side.
    fn gather(&self, x: &[f32], phase_index: usize, images: usize, cols: &mut Vec<f32>) {
        let phase = &self.geometry.phases[phase_index];
        let spans = &self.spans[phase_index];
        let width = phase.taps.len() * self.sizes.cin;
        cols.resize(images * phase.rows() * width, 0.0);
        self.for_each_row(phase, images, |row, image, m, n, _| {
            let out = &mut cols[row * width..(row + 1) * width];
            self.for_each_piece(spans, (image, m, n), phase.in_stride, |piece, source| {
                let len = piece.len();
                match source {
                    Some(at) => out[piece].copy_from_slice(&x[at..at + len]),
                    None => out[piece].fill(0.0),
                }
            });
        });
    }

    /// The adjoint of [`Self::gather`]: adds each row's taps into `dx`.
    fn scatter(&self, d_cols: &[f32], phase_index: usize, images: usize, dx: &mut [f32]) {
        let phase = &self.geometry.phases[phase_index];
        let spans = &self.spans[phase_index];
        let width = phase.taps.len() * self.sizes.cin;
        self.for_each_row(phase, images, |row, image, m, n, _| {
            let grads = &d_cols[row * width..(row + 1) * width];
            self.for_each_piece(spans, (image, m, n), phase.in_stride, |piece, source| {
                if let Some(at) = source {
                    let len = piece.len();
                    chunks::add(&mut dx[at..at + len], &grads[piece]);
                }
            });
        });
    }

    fn forward_chunk(
        &self,
        x: &[f32],
        bias: &[f32],
        act: Activation,
        y: &mut [f32],
        scratch: &mut Scratch,
    ) {
        let images = x.len() / self.input_image();
        let (cin, cout) = (self.sizes.cin, self.sizes.cout);
        for (index, (phase, weights)) in self.geometry.phases.iter().zip(&self.weights).enumerate()
        {
            let (rows, width) = (images * phase.rows(), phase.taps.len() * cin);
            self.gather(x, index, images, &mut scratch.cols);
            scratch.out.resize(rows * cout, 0.0);
            matmul(
                &mut scratch.out,
                View::row_major(&scratch.cols, rows, width),
                View::row_major(weights, width, cout),
                false,
            );
            self.for_each_row(phase, images, |row, _, _, _, at| {
                act.apply(
                    &mut y[at..at + cout],
                    &scratch.out[row * cout..(row + 1) * cout],
                    bias,
                );
            });
        }
    }

    #[expect(clippy::too_many_arguments, reason = "one chunk's inputs and outputs")]
    fn backward_chunk(
        &self,
        (x, y, dy): (&[f32], &[f32], &[f32]),
        act: Activation,
        weights_t: &[Vec<f32>],
        dx: Option<&mut [f32]>,
        d_weights: &mut [Vec<f32>],
        d_bias: &mut [f32],
        scratch: &mut Scratch,
    ) {
        let images = x.len() / self.input_image();
        let (cin, cout) = (self.sizes.cin, self.sizes.cout);
        let mut dx = dx;
        let phases = self.geometry.phases.iter().zip(weights_t).zip(d_weights);
        for (index, ((phase, weights_t), d_weights)) in phases.enumerate() {
            let (rows, width) = (images * phase.rows(), phase.taps.len() * cin);
            // The gradient before the activation, row by row.
            scratch.out.resize(rows * cout, 0.0);
            self.for_each_row(phase, images, |row, _, _, _, at| {
                let d_pre = &mut scratch.out[row * cout..(row + 1) * cout];
                act.gradient(d_pre, (&y[at..at + cout], &dy[at..at + cout]), d_bias);
            });
            let d_pre = View::row_major(&scratch.out, rows, cout);
            self.gather(x, index, images, &mut scratch.cols);
            matmul(
                d_weights,
                View::row_major(&scratch.cols, rows, width).t(),
                d_pre,
                true,
            );
            if let Some(dx) = dx.as_deref_mut() {
                matmul(
                    &mut scratch.cols,
                    d_pre,
                    View::row_major(weights_t, cout, width),
                    false,
                );
                self.scatter(&scratch.cols, index, images, dx);
            }
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
                chunks::add(&mut kernel[at..at + plane], rows);
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
    assert_eq!(bias.len(), sizes.cout, "bias size");
    chunks::forward(plan.split(), x, y, |x, y, scratch: &mut Scratch| {
        plan.forward_chunk(x, bias, act, y, scratch);
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
    need_dx: bool,
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let plan = Plan::new(geometry, sizes, kernel);
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
    let (dx, (d_weights, d_bias)) = chunks::backward(
        plan.split(),
        (x, y, dy),
        zero,
        |chunk, dx, (d_weights, d_bias), scratch: &mut Scratch| {
            let dx = need_dx.then_some(dx);
            plan.backward_chunk(chunk, act, &weights_t, dx, d_weights, d_bias, scratch);
        },
        |(mut a, mut b), (c, d)| {
            for (a, c) in a.iter_mut().zip(&c) {
                chunks::add(a, c);
            }
            chunks::add(&mut b, &d);
            (a, b)
        },
    );
    (dx, plan.kernel_gradient(&d_weights), d_bias)
}

/// A `rows × cols` row-major matrix, transposed.
pub(super) fn transpose(values: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut out = vec![0.0; values.len()];
    for (r, row) in values.chunks_exact(cols).enumerate() {
        for (c, &value) in row.iter().enumerate() {
            out[c * rows + r] = value;
        }
    }
    out
}
