//! The DCGAN generator's layer — a 4×4, stride-2 transposed convolution
//! (TensorFlow "same": the output is twice the input), plus bias, plus
//! LeakyReLU — on channels-last f32 slices, forward and backward, by
//! Winograd's minimal filtering.
//!
//! A stride-2 transposed convolution is four ordinary 2×2 convolutions, one per
//! output phase (see the application's `layers::conv`). Winograd's F(2×2, 2×2) computes a
//! 2×2 tile of a 2×2 convolution's outputs from 9 products instead of 16: the
//! 3×3 input window and the 2×2 filter are each mapped to 9 "points" by fixed
//! ±1 matrices, multiplied point by point, and the 9 results mapped back to 4
//! outputs. Over channels, each point's products are one matrix product
//! `[tiles, in] · [in, out]`, so the layer's three products (forward, input
//! gradient, kernel gradient) each do 9/16 of the direct form's arithmetic —
//! the 256 → 512 layer at 64×64 is most of a GAN training step on a CPU.
//!
//! The work is split over the cores by whole images; each core runs its
//! images in chunks of about [`TARGET_TILES`] tiles, so a chunk's transformed
//! inputs and products stay in cache, and no intermediate the size of the
//! layer's output exists besides the output itself.

use rayon::prelude::*;

use super::gemm::{View, matmul};
use super::signed;

mod kernel;
mod transforms;

use kernel::transpose_planes;
pub use kernel::{kernel_gradient, transform_kernel};

/// Tiles per chunk: enough rows for the matrix kernel to run at full speed.
const TARGET_TILES: usize = 256;
/// Winograd points per tile.
const POINTS: usize = 9;
const PHASES: usize = 4;

/// Sizes of one layer: input `[batch, height, width, cin]`, kernel
/// `[4, 4, cin, cout]`, output `[batch, 2·height, 2·width, cout]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dims {
    pub batch: usize,
    pub height: usize,
    pub width: usize,
    pub cin: usize,
    pub cout: usize,
}

impl Dims {
    /// Whether the input's sides are even, as the 2×2 tiles need.
    pub fn supported(&self) -> bool {
        self.height.is_multiple_of(2) && self.width.is_multiple_of(2) && self.height > 0
    }

    fn tiles_per_image(&self) -> usize {
        (self.height / 2) * (self.width / 2)
    }

    fn input_image(&self) -> usize {
        self.height * self.width * self.cin
    }

    fn output_image(&self) -> usize {
        4 * self.height * self.width * self.cout
    }

    fn images_per_chunk(&self) -> usize {
        (TARGET_TILES / self.tiles_per_image()).clamp(1, self.batch.max(1))
    }

    /// Images per core (the last core may get fewer).
    fn images_per_group(&self) -> usize {
        self.batch
            .div_ceil(rayon::current_num_threads().max(1))
            .max(1)
    }
}

/// `y = leaky(transposed_conv(x) + bias)`; `points` from
/// [`transform_kernel`]. Every element of `y` is written.
pub fn forward(x: &[f32], points: &[f32], bias: &[f32], slope: f32, dims: Dims, y: &mut [f32]) {
    assert!(dims.supported(), "winograd: odd input sides");
    assert_eq!(x.len(), dims.batch * dims.input_image(), "input size");
    assert_eq!(y.len(), dims.batch * dims.output_image(), "output size");
    assert_eq!(bias.len(), dims.cout, "bias size");
    let group = dims.images_per_group();
    y.par_chunks_mut(group * dims.output_image())
        .zip(x.par_chunks(group * dims.input_image()))
        .for_each(|(y, x)| {
            let mut scratch = Scratch::default();
            let chunk = dims.images_per_chunk();
            for (y, x) in y
                .chunks_mut(chunk * dims.output_image())
                .zip(x.chunks(chunk * dims.input_image()))
            {
                let tile = Tile::new(dims, x.len() / dims.input_image());
                for phase in 0..PHASES {
                    tile.input_points(x, phase, &mut scratch.v);
                    tile.multiply(&scratch.v, points, phase, &mut scratch.m);
                    tile.outputs(&scratch.m, bias, slope, phase, y);
                }
            }
        });
}

/// Gradients of the input, the transformed kernel (`[phase, point, cin,
/// cout]`, see [`kernel_gradient`]) and the bias, from the forward pass's
/// input `x`, output `y` and the output's gradient `dy`.
pub fn backward(
    x: &[f32],
    points: &[f32],
    y: &[f32],
    dy: &[f32],
    slope: f32,
    dims: Dims,
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    assert!(dims.supported(), "winograd: odd input sides");
    assert_eq!(y.len(), dims.batch * dims.output_image(), "output size");
    assert_eq!(dy.len(), y.len(), "output gradient size");
    let mut dx = super::buffers::zeros(x.len());
    // gemm multiplies by a contiguous Uᵀ at full speed, by a transposed view
    // at two thirds of it.
    let points_t = transpose_planes(points, dims.cin, dims.cout);
    let group = dims.images_per_group();
    let (in_group, out_group) = (group * dims.input_image(), group * dims.output_image());
    let zero = || {
        (
            vec![0.0; PHASES * POINTS * dims.cin * dims.cout],
            vec![0.0; dims.cout],
        )
    };
    let (d_points, d_bias) = dx
        .par_chunks_mut(in_group)
        .zip(x.par_chunks(in_group))
        .zip(y.par_chunks(out_group).zip(dy.par_chunks(out_group)))
        .map(|((dx, x), (y, dy))| {
            let (mut d_points, mut d_bias) = zero();
            let mut scratch = Scratch::default();
            let chunk = dims.images_per_chunk();
            let (in_chunk, out_chunk) = (chunk * dims.input_image(), chunk * dims.output_image());
            for ((dx, x), (y, dy)) in dx
                .chunks_mut(in_chunk)
                .zip(x.chunks(in_chunk))
                .zip(y.chunks(out_chunk).zip(dy.chunks(out_chunk)))
            {
                let tile = Tile::new(dims, x.len() / dims.input_image());
                for phase in 0..PHASES {
                    tile.input_points(x, phase, &mut scratch.v);
                    tile.output_gradients((y, dy), slope, phase, &mut scratch.m, &mut d_bias);
                    tile.kernel_products(&scratch.v, &scratch.m, phase, &mut d_points);
                    tile.input_products(&scratch.m, &points_t, phase, &mut scratch.v);
                    tile.input_gradients(&scratch.v, phase, dx);
                }
            }
            (d_points, d_bias)
        })
        .reduce(zero, |(mut a, mut b), (c, d)| {
            add(&mut a, 1.0, &c);
            add(&mut b, 1.0, &d);
            (a, b)
        });
    (dx, d_points, d_bias)
}

/// Buffers reused across a core's chunks: transformed inputs (or their
/// gradients) `[point, tile, cin]` and products (or their gradients)
/// `[point, tile, cout]`.
#[derive(Default)]
struct Scratch {
    v: Vec<f32>,
    m: Vec<f32>,
}

/// One chunk of `images` whole images.
struct Tile {
    dims: Dims,
    images: usize,
    tiles: usize,
}

impl Tile {
    fn new(dims: Dims, images: usize) -> Self {
        Self {
            dims,
            images,
            tiles: images * dims.tiles_per_image(),
        }
    }

    /// Calls `visit(tile index, image, tile row, tile column)` for every tile.
    fn for_each(&self, mut visit: impl FnMut(usize, usize, usize, usize)) {
        let (th, tw) = (self.dims.height / 2, self.dims.width / 2);
        let mut t = 0;
        for image in 0..self.images {
            for ti in 0..th {
                for tj in 0..tw {
                    visit(t, image, ti, tj);
                    t += 1;
                }
            }
        }
    }

    /// Offset of input pixel (row, col) of `image`, if inside the image.
    fn input_pixel(&self, image: usize, row: isize, col: isize) -> Option<usize> {
        let (h, w) = (self.dims.height, self.dims.width);
        let row = usize::try_from(row).ok().filter(|&r| r < h)?;
        let col = usize::try_from(col).ok().filter(|&c| c < w)?;
        Some(((image * h + row) * w + col) * self.dims.cin)
    }

    /// The 3×3 input window of a tile of `phase`: rows 2·ti + py − 1 + r.
    fn window(&self, image: usize, ti: usize, tj: usize, phase: usize) -> [[Option<usize>; 3]; 3] {
        let (py, px) = (signed(phase / 2), signed(phase % 2));
        let (top, left) = (signed(2 * ti) + py - 1, signed(2 * tj) + px - 1);
        std::array::from_fn(|r| {
            std::array::from_fn(|c| self.input_pixel(image, top + signed(r), left + signed(c)))
        })
    }

    /// Offset of output pixel (i, j) of a tile of `phase`.
    fn output_pixel(
        &self,
        image: usize,
        ti: usize,
        tj: usize,
        phase: usize,
        i: usize,
        j: usize,
    ) -> usize {
        let (w2, h2) = (2 * self.dims.width, 2 * self.dims.height);
        let row = 2 * (2 * ti + i) + phase / 2;
        let col = 2 * (2 * tj + j) + phase % 2;
        ((image * h2 + row) * w2 + col) * self.dims.cout
    }

    /// v[point][tile] = (Bᵀ d B)[point] over the input windows.
    fn input_points(&self, x: &[f32], phase: usize, v: &mut Vec<f32>) {
        let cin = self.dims.cin;
        v.resize(POINTS * self.tiles * cin, 0.0);
        let zeros = vec![0.0; cin];
        let mut slabs = slabs(v, self.tiles * cin);
        self.for_each(|t, image, ti, tj| {
            let window = self.window(image, ti, tj, phase);
            let d = std::array::from_fn(|k| match window[k / 3][k % 3] {
                Some(at) => &x[at..at + cin],
                None => zeros.as_slice(),
            });
            transforms::input(d, slabs.each_mut().map(|s| &mut s[t * cin..(t + 1) * cin]));
        });
    }

    /// m[point] = v[point] · U[phase][point].
    fn multiply(&self, v: &[f32], points: &[f32], phase: usize, m: &mut Vec<f32>) {
        let (cin, cout, n) = (self.dims.cin, self.dims.cout, self.tiles);
        m.resize(POINTS * n * cout, 0.0);
        for (point, m) in m.chunks_exact_mut(n * cout).enumerate() {
            let u = &points[(phase * POINTS + point) * cin * cout..][..cin * cout];
            let v = &v[point * n * cin..][..n * cin];
            matmul(
                m,
                View::row_major(v, n, cin),
                View::row_major(u, cin, cout),
                false,
            );
        }
    }

    /// y = leaky(Aᵀ M A + bias) at the phase's output pixels.
    fn outputs(&self, m: &[f32], bias: &[f32], slope: f32, phase: usize, y: &mut [f32]) {
        let (cout, n) = (self.dims.cout, self.tiles);
        let mut buffer = vec![0.0; 4 * cout];
        self.for_each(|t, image, ti, tj| {
            let points = std::array::from_fn(|p| &m[(p * n + t) * cout..][..cout]);
            transforms::output(points, bias, slope, slabs(&mut buffer, cout));
            for (k, values) in buffer.chunks_exact(cout).enumerate() {
                let at = self.output_pixel(image, ti, tj, phase, k / 2, k % 2);
                y[at..at + cout].copy_from_slice(values);
            }
        });
    }

    /// dm[point] = (A dpre Aᵀ)[point], where dpre is the gradient before the
    /// LeakyReLU; adds dpre into the bias gradient.
    fn output_gradients(
        &self,
        (y, dy): (&[f32], &[f32]),
        slope: f32,
        phase: usize,
        dm: &mut Vec<f32>,
        d_bias: &mut [f32],
    ) {
        let (cout, n) = (self.dims.cout, self.tiles);
        dm.resize(POINTS * n * cout, 0.0);
        let mut slabs = slabs(dm, n * cout);
        self.for_each(|t, image, ti, tj| {
            let at: [usize; 4] =
                std::array::from_fn(|k| self.output_pixel(image, ti, tj, phase, k / 2, k % 2));
            transforms::output_gradient(
                at.map(|at| &y[at..at + cout]),
                at.map(|at| &dy[at..at + cout]),
                slope,
                d_bias,
                slabs.each_mut().map(|s| &mut s[t * cout..(t + 1) * cout]),
            );
        });
    }

    /// dU[phase][point] += v[point]ᵀ · dm[point].
    fn kernel_products(&self, v: &[f32], dm: &[f32], phase: usize, d_points: &mut [f32]) {
        let (cin, cout, n) = (self.dims.cin, self.dims.cout, self.tiles);
        for point in 0..POINTS {
            let du = &mut d_points[(phase * POINTS + point) * cin * cout..][..cin * cout];
            let v = View::row_major(&v[point * n * cin..][..n * cin], n, cin).t();
            let dm = View::row_major(&dm[point * n * cout..][..n * cout], n, cout);
            matmul(du, v, dm, true);
        }
    }

    /// dv[point] = dm[point] · U[phase][point]ᵀ (`points_t` holds the Uᵀ).
    fn input_products(&self, dm: &[f32], points_t: &[f32], phase: usize, dv: &mut Vec<f32>) {
        let (cin, cout, n) = (self.dims.cin, self.dims.cout, self.tiles);
        dv.resize(POINTS * n * cin, 0.0);
        for (point, dv) in dv.chunks_exact_mut(n * cin).enumerate() {
            let u_t = &points_t[(phase * POINTS + point) * cin * cout..][..cin * cout];
            let dm = View::row_major(&dm[point * n * cout..][..n * cout], n, cout);
            matmul(dv, dm, View::row_major(u_t, cout, cin), false);
        }
    }

    /// dx += (B dv Bᵀ) over the input windows.
    fn input_gradients(&self, dv: &[f32], phase: usize, dx: &mut [f32]) {
        let (cin, n) = (self.dims.cin, self.tiles);
        let mut buffer = vec![0.0; POINTS * cin];
        self.for_each(|t, image, ti, tj| {
            let points = std::array::from_fn(|p| &dv[(p * n + t) * cin..][..cin]);
            transforms::input_gradient(points, slabs(&mut buffer, cin));
            let window = self.window(image, ti, tj, phase);
            for (k, grad) in buffer.chunks_exact(cin).enumerate() {
                if let Some(at) = window[k / 3][k % 3] {
                    add(&mut dx[at..at + cin], 1.0, grad);
                }
            }
        });
    }
}

/// The first `N` consecutive `len`-element pieces of `values`.
fn slabs<const N: usize>(values: &mut [f32], len: usize) -> [&mut [f32]; N] {
    let mut pieces = values.chunks_exact_mut(len);
    std::array::from_fn(|_| pieces.next().expect("enough values for every piece"))
}

/// `dst += scale · src`.
fn add(dst: &mut [f32], scale: f32, src: &[f32]) {
    for (d, &s) in dst.iter_mut().zip(src) {
        *d += scale * s;
    }
}

#[cfg(test)]
mod tests;
