//! The arithmetic of [`super`] on channels-last f32 slices, split into chunks
//! of output rows spread over the cores.

use rayon::prelude::*;

use super::FrozenConv;
use crate::buffers;
use crate::gemm::{View, matmul};
use crate::signed;

/// im2col floats per chunk: about half a megabyte, so the columns a chunk
/// writes are still in cache when its product reads them.
const CACHE_FLOATS: usize = 128 * 1024;
/// Fewest pixels per chunk, where the picture has them: the product packs
/// the whole kernel matrix once per chunk, which costs about as much as
/// sixteen of its rows (measured on VGG19's deep layers: at 64 pixels a
/// chunk a fifth of the time went to packing).
const MIN_PIXELS: usize = 1024;

/// Output rows per chunk of one image.
fn chunk_rows(conv: &FrozenConv, batch: usize, [oh, ow]: [usize; 2]) -> usize {
    let width = conv.taps().max(conv.cout);
    let by_cache = (CACHE_FLOATS / width).max(1);
    let threads = rayon::current_num_threads().max(1);
    let total = batch * oh * ow;
    let pixels = by_cache
        .min(total.div_ceil(4 * threads))
        .max(MIN_PIXELS)
        .min(total.div_ceil(threads));
    pixels.div_ceil(ow).clamp(1, oh.max(1))
}

/// One chunk: its image, first output row and output slice.
type Task<'a> = (usize, usize, &'a mut [f32]);

fn tasks(out: &mut [f32], image: usize, chunk: usize) -> Vec<Task<'_>> {
    out.chunks_mut(image)
        .enumerate()
        .flat_map(|(b, img)| {
            img.chunks_mut(chunk)
                .enumerate()
                .map(move |(c, part)| (b, c, part))
        })
        .collect()
}

/// The columns of `pixels` output pixels from output row `r0`: per pixel the
/// kernel's `kh · kw` input pixels side by side, zeros where they fall in the padding.
fn im2col(
    image: &[f32],
    conv: &FrozenConv,
    [h, w]: [usize; 2],
    (ow, r0): (usize, usize),
    cols: &mut [f32],
) {
    let ([_, kw], [sy, sx], [py, px], cin) = (conv.size, conv.stride, conv.pad, conv.cin);
    for (p, row) in cols.chunks_exact_mut(conv.taps()).enumerate() {
        let (oy, ox) = (r0 + p / ow, p % ow);
        let ix0 = signed(ox * sx) - signed(px);
        let lo = usize::try_from(-ix0).unwrap_or(0).min(kw);
        let hi = usize::try_from(signed(w) - ix0).unwrap_or(0).clamp(lo, kw);
        for (ky, dst) in row.chunks_exact_mut(kw * cin).enumerate() {
            let iy = signed(oy * sy + ky) - signed(py);
            let Some(iy) = usize::try_from(iy).ok().filter(|&iy| iy < h) else {
                dst.fill(0.0);
                continue;
            };
            dst[..lo * cin].fill(0.0);
            dst[hi * cin..].fill(0.0);
            if hi > lo {
                let start =
                    (iy * w) * cin + usize::try_from(ix0 + signed(lo)).expect("inside") * cin;
                dst[lo * cin..hi * cin].copy_from_slice(&image[start..start + (hi - lo) * cin]);
            }
        }
    }
}

/// The adjoint of [`im2col`]: adds each column back into the input rows
/// `iy0..` held in `band`.
fn col2im(
    cols: &[f32],
    conv: &FrozenConv,
    [h, w]: [usize; 2],
    (ow, r0, iy0): (usize, usize, usize),
    band: &mut [f32],
) {
    let ([kh, kw], [sy, sx], [py, px], cin) = (conv.size, conv.stride, conv.pad, conv.cin);
    for (p, row) in cols.chunks_exact(conv.taps()).enumerate() {
        let (oy, ox) = (r0 + p / ow, p % ow);
        let ix0 = signed(ox * sx) - signed(px);
        let lo = usize::try_from(-ix0).unwrap_or(0).min(kw);
        let hi = usize::try_from(signed(w) - ix0).unwrap_or(0).clamp(lo, kw);
        if hi <= lo {
            continue;
        }
        for (ky, src) in row.chunks_exact(kw * cin).enumerate().take(kh) {
            let iy = signed(oy * sy + ky) - signed(py);
            let Some(iy) = usize::try_from(iy).ok().filter(|&iy| iy < h) else {
                continue;
            };
            let start =
                ((iy - iy0) * w) * cin + usize::try_from(ix0 + signed(lo)).expect("inside") * cin;
            for (d, s) in band[start..start + (hi - lo) * cin]
                .iter_mut()
                .zip(&src[lo * cin..hi * cin])
            {
                *d += s;
            }
        }
    }
}

/// Bias and ReLU on a chunk of outputs.
fn epilogue(out: &mut [f32], bias: &[f32], relu: bool) {
    for row in out.chunks_exact_mut(bias.len()) {
        for (v, b) in row.iter_mut().zip(bias) {
            let sum = *v + b;
            *v = if relu { sum.max(0.0) } else { sum };
        }
    }
}

/// `relu(conv(x) + bias)`, `x` `[batch, h, w, cin]`.
pub fn forward(x: &[f32], conv: &FrozenConv, [batch, h, w]: [usize; 3]) -> Vec<f32> {
    let [oh, ow] = conv.output([h, w]);
    let (cin, cout, taps) = (conv.cin, conv.cout, conv.taps());
    assert_eq!(x.len(), batch * h * w * cin, "frozen_conv: input size");
    if let Some(winograd) = &conv.winograd {
        return winograd[0].conv(x, [batch, h, w], Some(&conv.bias), conv.relu);
    }
    let rows = chunk_rows(conv, batch, [oh, ow]);
    let mut y = buffers::zeros(batch * oh * ow * cout);
    let kernel = View::row_major(&conv.kernel, taps, cout);
    let image_in = h * w * cin;
    tasks(&mut y, oh * ow * cout, rows * ow * cout)
        .into_par_iter()
        .for_each_init(Vec::new, |cols, (b, c, out)| {
            let image = &x[b * image_in..(b + 1) * image_in];
            let pixels = out.len() / cout;
            let r0 = c * rows;
            if conv.pointwise() {
                let start = r0 * ow * cin;
                let lhs = View::row_major(&image[start..start + pixels * cin], pixels, cin);
                matmul(out, lhs, kernel, false);
            } else {
                cols.resize(pixels * taps, 0.0);
                im2col(image, conv, [h, w], (ow, r0), cols);
                matmul(out, View::row_major(cols, pixels, taps), kernel, false);
            }
            epilogue(out, &conv.bias, conv.relu);
        });
    y
}

/// The output gradient where the ReLU passed it.
fn masked(y: &[f32], dy: &[f32], relu: bool, g: &mut Vec<f32>) {
    g.clear();
    if relu {
        g.extend(
            y.iter()
                .zip(dy)
                .map(|(&y, &d)| if y > 0.0 { d } else { 0.0 }),
        );
    } else {
        g.extend_from_slice(dy);
    }
}

/// The input gradient from the output `y` and its gradient `dy`.
pub fn backward(y: &[f32], dy: &[f32], conv: &FrozenConv, [batch, h, w]: [usize; 3]) -> Vec<f32> {
    let [oh, ow] = conv.output([h, w]);
    let (cin, cout, taps) = (conv.cin, conv.cout, conv.taps());
    assert_eq!(y.len(), batch * oh * ow * cout, "frozen_conv: output size");
    assert_eq!(dy.len(), y.len(), "frozen_conv: gradient size");
    if let Some(winograd) = &conv.winograd {
        let mut g = Vec::new();
        masked(y, dy, conv.relu, &mut g);
        return winograd[1].conv(&g, [batch, h, w], None, false);
    }
    let rows = chunk_rows(conv, batch, [oh, ow]);
    let kernel_t = View::row_major(&conv.kernel, taps, cout).t();
    let mut dx = buffers::zeros(batch * h * w * cin);
    if conv.pointwise() {
        // One input pixel per output pixel: the chunks of dx are disjoint.
        let pixels = rows * ow;
        dx.par_chunks_mut(pixels * cin)
            .zip(
                y.par_chunks(pixels * cout)
                    .zip(dy.par_chunks(pixels * cout)),
            )
            .for_each_init(Vec::new, |g, (dx, (y, dy))| {
                masked(y, dy, conv.relu, g);
                matmul(
                    dx,
                    View::row_major(g, y.len() / cout, cout),
                    kernel_t,
                    false,
                );
            });
        return dx;
    }
    let image_out = oh * ow * cout;
    let chunk = rows * ow * cout;
    let [kh, sy, py] = [conv.size[0], conv.stride[0], conv.pad[0]];
    // Each chunk adds its columns into a band of the input rows it reads;
    // neighbouring bands overlap, so they are summed into dx afterwards.
    let bands: Vec<(usize, usize, Vec<f32>)> = (0..batch)
        .flat_map(|b| (0..oh.div_ceil(rows)).map(move |c| (b, c)))
        .collect::<Vec<_>>()
        .into_par_iter()
        .map_init(
            || (Vec::new(), Vec::new()),
            |(g, cols), (b, c)| {
                let start = b * image_out + c * chunk;
                let end = (start + chunk).min((b + 1) * image_out);
                let pixels = (end - start) / cout;
                masked(&y[start..end], &dy[start..end], conv.relu, g);
                cols.resize(pixels * taps, 0.0);
                matmul(cols, View::row_major(g, pixels, cout), kernel_t, false);
                let (r0, r_last) = (c * rows, c * rows + pixels / ow - 1);
                let iy0 = (r0 * sy).saturating_sub(py);
                let iy1 = (r_last * sy + kh).saturating_sub(py).min(h);
                let mut band = vec![0.0; iy1.saturating_sub(iy0) * w * cin];
                col2im(cols, conv, [h, w], (ow, r0, iy0), &mut band);
                (b, iy0, band)
            },
        )
        .collect();
    let row = w * cin;
    let block_rows = h.div_ceil(2 * rayon::current_num_threads().max(1)).max(1);
    tasks(&mut dx, h * row, block_rows * row)
        .into_par_iter()
        .for_each(|(b, c, block)| {
            let ra = c * block_rows;
            let rb = ra + block.len() / row;
            for (_, iy0, band) in bands.iter().filter(|(bb, ..)| *bb == b) {
                let (lo, hi) = (ra.max(*iy0), rb.min(iy0 + band.len() / row));
                if lo >= hi {
                    continue;
                }
                let dst = &mut block[(lo - ra) * row..(hi - ra) * row];
                let src = &band[(lo - iy0) * row..(hi - iy0) * row];
                for (d, s) in dst.iter_mut().zip(src) {
                    *d += s;
                }
            }
        });
    dx
}
