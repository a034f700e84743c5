//! The tap-by-tap form of layers whose phases read the input with stride 1
//! (transposed convolutions): the chunk's images are copied once into a
//! zero-padded buffer, and then every tap is one matrix product straight out
//! of that buffer — output pixel r reads padded pixel r + offset(tap), so a
//! tap's inputs are the buffer itself, shifted. No im2col copy of every tap,
//! and the input gradient is accumulated back into a padded buffer the same
//! way. The price: the products also run over the padding columns and rows
//! (their results are dropped), 15 % more arithmetic for the VAE's 14×14
//! layer, 31 % for its 7×7 one — far less than the copies cost.

use super::chunks::{self, Split};
use super::{Activation, Geometry};
use crate::nets::gemm::{View, matmul};

/// Rows (padded output pixels) per chunk.
const TARGET_ROWS: usize = 1024;

/// Whether every phase reads with stride 1.
pub fn suits(geometry: &Geometry) -> bool {
    geometry.phases.iter().all(|p| p.in_stride == 1)
}

struct Plan<'a> {
    geometry: &'a Geometry,
    cin: usize,
    cout: usize,
    /// Zero pixels before the image (top, left); the padded image's size.
    before: [usize; 2],
    padded: [usize; 2],
    /// Per phase, per tap: its `[cin, cout]` kernel slice, and the offset
    /// (in padded pixels) of the pixel it reads for grid point 0.
    taps: Vec<Vec<(Vec<f32>, usize)>>,
}

impl<'a> Plan<'a> {
    fn new(geometry: &'a Geometry, (cin, cout): (usize, usize), kernel: &[f32]) -> Self {
        let taps = || {
            geometry
                .phases
                .iter()
                .flat_map(|p| p.taps.iter().map(move |t| (p, t)))
        };
        let reach = |axis: usize| {
            let lo = taps()
                .map(|(_, t)| if axis == 0 { t.dy } else { t.dx })
                .min()
                .unwrap_or(0);
            let hi = taps()
                .map(|(p, t)| signed(p.size[axis]) - 1 + if axis == 0 { t.dy } else { t.dx })
                .max()
                .unwrap_or(0);
            let before = usize::try_from(-lo).unwrap_or(0);
            let after = usize::try_from(hi + 1 - signed(geometry.input[axis])).unwrap_or(0);
            (before, before + geometry.input[axis] + after)
        };
        let ((top, height), (left, width)) = (reach(0), reach(1));
        let plane = cin * cout;
        let taps = geometry
            .phases
            .iter()
            .map(|phase| {
                phase
                    .taps
                    .iter()
                    .map(|t| {
                        let k = (t.ky * geometry.kernel + t.kx) * plane;
                        let y = usize::try_from(t.dy + signed(top)).expect("padded above");
                        let x = usize::try_from(t.dx + signed(left)).expect("padded left");
                        (kernel[k..k + plane].to_vec(), y * width + x)
                    })
                    .collect()
            })
            .collect();
        Self {
            geometry,
            cin,
            cout,
            before: [top, left],
            padded: [height, width],
            taps,
        }
    }

    fn image_rows(&self) -> usize {
        self.padded[0] * self.padded[1]
    }

    fn split(&self, batch: usize) -> Split {
        let [h, w] = self.geometry.input;
        let [oh, ow] = self.geometry.output;
        Split {
            batch,
            input_image: h * w * self.cin,
            output_image: oh * ow * self.cout,
            chunk_images: (TARGET_ROWS / self.image_rows()).clamp(1, batch.max(1)),
        }
    }

    /// Padded pixels a chunk of `images` needs: the images, then room for the
    /// farthest tap of the last row.
    fn buffer_pixels(&self, images: usize) -> usize {
        let reach = self.taps.iter().flatten().map(|t| t.1).max().unwrap_or(0);
        images * self.image_rows() + reach
    }

    /// Calls `visit(offset in the images, offset in the padded buffer,
    /// length)` for every row of every image.
    fn for_each_image_row(&self, images: usize, mut visit: impl FnMut(usize, usize, usize)) {
        let [h, w] = self.geometry.input;
        let [_, width] = self.padded;
        let row_len = w * self.cin;
        for image in 0..images {
            for y in 0..h {
                let padded =
                    (image * self.image_rows() + (y + self.before[0]) * width + self.before[1])
                        * self.cin;
                visit((image * h + y) * row_len, padded, row_len);
            }
        }
    }

    fn pad(&self, x: &[f32], images: usize, buffer: &mut Vec<f32>) {
        buffer.clear();
        buffer.resize(self.buffer_pixels(images) * self.cin, 0.0);
        self.for_each_image_row(images, |src, dst, len| {
            buffer[dst..dst + len].copy_from_slice(&x[src..src + len]);
        });
    }

    /// Calls `visit(grid row, output pixel offset)` for the rows of `phase`
    /// that are real output pixels.
    fn for_each_output(&self, phase: usize, images: usize, mut visit: impl FnMut(usize, usize)) {
        let p = &self.geometry.phases[phase];
        let [oh, ow] = self.geometry.output;
        for image in 0..images {
            for m in 0..p.size[0] {
                let oy = m * p.out_stride + p.out_offset[0];
                let row = image * self.image_rows() + m * self.padded[1];
                for n in 0..p.size[1] {
                    let ox = n * p.out_stride + p.out_offset[1];
                    visit(row + n, ((image * oh + oy) * ow + ox) * self.cout);
                }
            }
        }
    }
}

fn signed(v: usize) -> isize {
    isize::try_from(v).expect("tensor sizes fit isize")
}

/// Buffers reused across a core's chunks.
#[derive(Default)]
struct Scratch {
    padded: Vec<f32>,
    d_padded: Vec<f32>,
    pre: Vec<f32>,
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
    let split = plan.split(batch);
    chunks::forward(split, x, y, |x, y, scratch: &mut Scratch| {
        let images = x.len() / split.input_image;
        let rows = images * plan.image_rows();
        plan.pad(x, images, &mut scratch.padded);
        scratch.pre.resize(rows * cout, 0.0);
        for (phase, taps) in plan.taps.iter().enumerate() {
            for (index, (weights, offset)) in taps.iter().enumerate() {
                let inputs = &scratch.padded[offset * cin..][..rows * cin];
                matmul(
                    &mut scratch.pre,
                    View::row_major(inputs, rows, cin),
                    View::row_major(weights, cin, cout),
                    index > 0,
                );
            }
            plan.for_each_output(phase, images, |row, at| {
                act.apply(
                    &mut y[at..at + cout],
                    &scratch.pre[row * cout..(row + 1) * cout],
                    bias,
                );
            });
        }
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
    let split = plan.split(batch);
    let plane = cin * cout;
    // Each tap's kernel slice transposed, `[cout, cin]`, for the input gradient.
    let transposed: Vec<Vec<Vec<f32>>> = plan
        .taps
        .iter()
        .map(|taps| {
            taps.iter()
                .map(|(w, _)| super::compute::transpose(w, cin, cout))
                .collect()
        })
        .collect();
    let tap_count = plan.taps.iter().map(Vec::len).sum::<usize>();
    let zero = || (vec![0.0; tap_count * plane], vec![0.0; cout]);
    let (dx, (d_taps, d_bias)) = chunks::backward(
        split,
        (x, y, dy),
        zero,
        |(x, y, dy), dx, (d_taps, d_bias), scratch: &mut Scratch| {
            let images = x.len() / split.input_image;
            let rows = images * plan.image_rows();
            plan.pad(x, images, &mut scratch.padded);
            if need_dx {
                scratch.d_padded.clear();
                scratch.d_padded.resize(scratch.padded.len(), 0.0);
            }
            let mut d_tap = d_taps.chunks_exact_mut(plane);
            for (phase, taps) in plan.taps.iter().enumerate() {
                // The gradient before the activation; zero on padding rows.
                scratch.pre.clear();
                scratch.pre.resize(rows * cout, 0.0);
                plan.for_each_output(phase, images, |row, at| {
                    let d = &mut scratch.pre[row * cout..(row + 1) * cout];
                    act.gradient(d, (&y[at..at + cout], &dy[at..at + cout]), d_bias);
                });
                let d_pre = View::row_major(&scratch.pre, rows, cout);
                for ((_, offset), transposed) in taps.iter().zip(&transposed[phase]) {
                    let inputs = &scratch.padded[offset * cin..][..rows * cin];
                    let d_weights = d_tap.next().expect("one gradient per tap");
                    matmul(
                        d_weights,
                        View::row_major(inputs, rows, cin).t(),
                        d_pre,
                        true,
                    );
                    if need_dx {
                        let d_inputs = &mut scratch.d_padded[offset * cin..][..rows * cin];
                        matmul(
                            d_inputs,
                            d_pre,
                            View::row_major(transposed, cout, cin),
                            true,
                        );
                    }
                }
            }
            if need_dx {
                plan.for_each_image_row(images, |src, dst, len| {
                    dx[src..src + len].copy_from_slice(&scratch.d_padded[dst..dst + len]);
                });
            }
        },
        |(mut a, mut b), (c, d)| {
            chunks::add(&mut a, &c);
            chunks::add(&mut b, &d);
            (a, b)
        },
    );
    let k = geometry.kernel;
    let mut d_kernel = vec![0.0; k * k * plane];
    let all_taps = geometry.phases.iter().flat_map(|p| &p.taps);
    for (tap, grad) in all_taps.zip(d_taps.chunks_exact(plane)) {
        let at = (tap.ky * k + tap.kx) * plane;
        chunks::add(&mut d_kernel[at..at + plane], grad);
    }
    (dx, d_kernel, d_bias)
}
