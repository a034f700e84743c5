//! 3×3 stride-1 "same" convolutions by Winograd's minimal filtering
//! F(2×2, 3×3) (Lavin & Gray, 2015): each 2×2 block of outputs from a 4×4
//! input tile with 16 multiplications per channel pair instead of 36.
//!
//! The picture is cut into tiles; each tile's 4×4 patch becomes V = Bᵀ·d·B,
//! the kernel U = G·g·Gᵀ (once, when the layer is built), and for each of
//! the 16 positions ξ the products of every tile with every channel pair are
//! one matrix product M[ξ] = V[ξ]·U[ξ] ([tiles × cin] · [cin × cout]); the
//! outputs are Aᵀ·M·A. The transforms run on whole channel vectors (the
//! layout is channels-last), so they vectorise as plain slice loops.
//!
//! The input gradient of such a convolution is the same kind of convolution
//! of the output gradient with the kernel turned half a turn and its
//! channel axes swapped, so one routine serves both passes.

use rayon::prelude::*;

use crate::buffers;
use crate::gemm::{View, matmul};

/// Tiles per chunk: enough rows for the product to amortise packing U[ξ].
const TILES_PER_CHUNK: usize = 256;

/// A 3×3 kernel in the Winograd domain: U `[16, cin, cout]`.
#[derive(Clone, PartialEq)]
pub struct Winograd {
    u: Vec<f32>,
    cin: usize,
    cout: usize,
}

/// `out = a + sign · b`, element by element.
fn combine(out: &mut [f32], a: &[f32], b: &[f32], sign: f32) {
    for ((o, x), y) in out.iter_mut().zip(a).zip(b) {
        *o = x + sign * y;
    }
}

impl Winograd {
    /// From a kernel `[3, 3, cin, cout]` (row-major).
    pub fn new(kernel: &[f32], cin: usize, cout: usize) -> Self {
        assert_eq!(kernel.len(), 9 * cin * cout, "winograd: kernel size");
        let mut u = vec![0.0; 16 * cin * cout];
        let tap = |ky: usize, kx: usize, i: usize| {
            let at = ((ky * 3 + kx) * cin + i) * cout;
            &kernel[at..at + cout]
        };
        // G·g along one axis: [g0, (g0+g1+g2)/2, (g0−g1+g2)/2, g2].
        let expand = |g: [&[f32]; 3]| -> [Vec<f32>; 4] {
            let sum: Vec<f32> = g[0].iter().zip(g[2]).map(|(a, b)| a + b).collect();
            [
                g[0].to_vec(),
                sum.iter().zip(g[1]).map(|(s, m)| 0.5 * (s + m)).collect(),
                sum.iter().zip(g[1]).map(|(s, m)| 0.5 * (s - m)).collect(),
                g[2].to_vec(),
            ]
        };
        for i in 0..cin {
            let columns: [[Vec<f32>; 4]; 3] =
                std::array::from_fn(|kx| expand([tap(0, kx, i), tap(1, kx, i), tap(2, kx, i)]));
            #[expect(
                clippy::needless_range_loop,
                reason = "r picks the same row of the three columns"
            )]
            for r in 0..4 {
                let row = expand([&columns[0][r], &columns[1][r], &columns[2][r]]);
                for (s, values) in row.iter().enumerate() {
                    let at = ((r * 4 + s) * cin + i) * cout;
                    u[at..at + cout].copy_from_slice(values);
                }
            }
        }
        Self { u, cin, cout }
    }

    /// The kernel of the input gradient: turned half a turn, cin and cout swapped.
    pub fn transposed(kernel: &[f32], cin: usize, cout: usize) -> Self {
        let mut turned = vec![0.0; kernel.len()];
        for ky in 0..3 {
            for kx in 0..3 {
                for i in 0..cin {
                    for o in 0..cout {
                        turned[(((2 - ky) * 3 + (2 - kx)) * cout + o) * cin + i] =
                            kernel[((ky * 3 + kx) * cin + i) * cout + o];
                    }
                }
            }
        }
        Self::new(&turned, cout, cin)
    }

    /// `conv(x) + bias`, then ReLU when `relu`; `x` `[batch, h, w, cin]`,
    /// the output `[batch, h, w, cout]`.
    pub fn conv(
        &self,
        x: &[f32],
        [batch, h, w]: [usize; 3],
        bias: Option<&[f32]>,
        relu: bool,
    ) -> Vec<f32> {
        let (cin, cout) = (self.cin, self.cout);
        assert_eq!(x.len(), batch * h * w * cin, "winograd: input size");
        let (th, tw) = (h.div_ceil(2), w.div_ceil(2));
        let threads = rayon::current_num_threads().max(1);
        let rows = TILES_PER_CHUNK
            .div_ceil(tw)
            .min((batch * th).div_ceil(threads).max(1))
            .clamp(1, th.max(1));
        let mut y = buffers::zeros(batch * h * w * cout);
        let image_out = h * w * cout;
        let tasks: Vec<(usize, usize, &mut [f32])> = y
            .chunks_mut(image_out.max(1))
            .enumerate()
            .flat_map(|(b, image)| {
                image
                    .chunks_mut(2 * rows * w * cout)
                    .enumerate()
                    .map(move |(c, out)| (b, c * rows, out))
            })
            .collect();
        tasks.into_par_iter().for_each_init(
            || (Vec::new(), Vec::new()),
            |(v, m), (b, ty0, out)| {
                let image = &x[b * h * w * cin..(b + 1) * h * w * cin];
                let tile_rows = (out.len() / (w * cout)).div_ceil(2);
                let tiles = tile_rows * tw;
                v.resize(16 * tiles * cin, 0.0);
                m.resize(16 * tiles * cout, 0.0);
                self.transform_input(image, [h, w], ty0, tile_rows, v);
                for xi in 0..16 {
                    let lhs = View::row_major(&v[xi * tiles * cin..], tiles, cin);
                    let rhs = View::row_major(&self.u[xi * cin * cout..], cin, cout);
                    matmul(
                        &mut m[xi * tiles * cout..(xi + 1) * tiles * cout],
                        lhs,
                        rhs,
                        false,
                    );
                }
                transform_output(m, [tile_rows, tw, w, cout], bias, relu, out);
            },
        );
        y
    }

    /// V = Bᵀ·d·B of the tiles of `tile_rows` rows from tile row `ty0`,
    /// into `v` `[16, tiles, cin]`.
    fn transform_input(
        &self,
        image: &[f32],
        [h, w]: [usize; 2],
        ty0: usize,
        tile_rows: usize,
        v: &mut [f32],
    ) {
        let cin = self.cin;
        let tw = w.div_ceil(2);
        let tiles = tile_rows * tw;
        let zeros = vec![0.0; cin];
        let mut rows: [Vec<f32>; 16] = std::array::from_fn(|_| vec![0.0; cin]);
        for t in 0..tiles {
            let (ty, tx) = (ty0 + t / tw, t % tw);
            // The patch's input pixel (r, s), or zeros in the padding.
            let d = |r: usize, s: usize| {
                let (iy, ix) = ((2 * ty + r).wrapping_sub(1), (2 * tx + s).wrapping_sub(1));
                if iy < h && ix < w {
                    &image[(iy * w + ix) * cin..(iy * w + ix + 1) * cin]
                } else {
                    &zeros[..]
                }
            };
            // Bᵀ·d: the rows [d0 − d2, d1 + d2, d2 − d1, d1 − d3], per column.
            for s in 0..4 {
                combine(&mut rows[s], d(0, s), d(2, s), -1.0);
                combine(&mut rows[4 + s], d(1, s), d(2, s), 1.0);
                combine(&mut rows[8 + s], d(2, s), d(1, s), -1.0);
                combine(&mut rows[12 + s], d(1, s), d(3, s), -1.0);
            }
            // (Bᵀ·d)·B: the same on the columns, straight into V[ξ].
            for r in 0..4 {
                let row = &rows[4 * r..4 * r + 4];
                for (s, (a, b, sign)) in [(0, 2, -1.0), (1, 2, 1.0), (2, 1, -1.0), (1, 3, -1.0)]
                    .into_iter()
                    .enumerate()
                {
                    let at = ((r * 4 + s) * tiles + t) * cin;
                    combine(&mut v[at..at + cin], &row[a], &row[b], sign);
                }
            }
        }
    }
}

/// Y = Aᵀ·M·A of each tile, plus bias, ReLU when asked, into the output
/// rows `out` (the last tile row or column may fall outside the picture).
#[expect(
    clippy::many_single_char_names,
    reason = "the transform's names: M, its rows a–d, the output o"
)]
fn transform_output(
    m: &[f32],
    [tile_rows, tw, w, cout]: [usize; 4],
    bias: Option<&[f32]>,
    relu: bool,
    out: &mut [f32],
) {
    let tiles = tile_rows * tw;
    let out_rows = out.len() / (w * cout);
    let mut half: [Vec<f32>; 8] = std::array::from_fn(|_| vec![0.0; cout]);
    for t in 0..tiles {
        let (ty, tx) = (t / tw, t % tw);
        let mx = |xi: usize| &m[(xi * tiles + t) * cout..(xi * tiles + t + 1) * cout];
        // Aᵀ·M: rows [m0 + m1 + m2, m1 − m2 − m3], per column.
        for s in 0..4 {
            let [top, bottom] = &mut half[2 * s..2 * s + 2] else {
                unreachable!()
            };
            for (((((t0, t1), a), b), c), d) in top
                .iter_mut()
                .zip(bottom.iter_mut())
                .zip(mx(s))
                .zip(mx(4 + s))
                .zip(mx(8 + s))
                .zip(mx(12 + s))
            {
                *t0 = a + b + c;
                *t1 = b - c - d;
            }
        }
        for i in 0..2 {
            let oy = 2 * ty + i;
            if oy >= out_rows {
                continue;
            }
            let col = |s: usize| &half[2 * s + i];
            for j in 0..2 {
                let ox = 2 * tx + j;
                if ox >= w {
                    continue;
                }
                let px = &mut out[(oy * w + ox) * cout..(oy * w + ox + 1) * cout];
                let (a, b, c) = if j == 0 {
                    (col(0), col(1), col(2))
                } else {
                    (col(1), col(2), col(3))
                };
                let sign = if j == 0 { 1.0 } else { -1.0 };
                for (o, ((x, y), z)) in px.iter_mut().zip(a.iter().zip(b).zip(c)) {
                    *o = x + sign * (y + z);
                }
                if let Some(bias) = bias {
                    for (o, b) in px.iter_mut().zip(bias) {
                        *o += b;
                    }
                }
                if relu {
                    for o in px.iter_mut() {
                        *o = o.max(0.0);
                    }
                }
            }
        }
    }
}
