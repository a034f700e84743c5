//! The Winograd kernel transform G g Gᵀ per phase, its adjoint (for the
//! kernel gradient), and the transposed copy the input gradient multiplies by.

use super::{PHASES, POINTS, add};

/// Filter → points (G), per point the filter taps it sums.
const G_TAPS: [&[usize]; 3] = [&[0], &[0, 1], &[1]];

/// The kernel tap (along one axis) that filter tap `a` ∈ {0, 1} of phase `p`
/// uses: output 2m + p reads inputs m + p − 1 + a, with o = 2i + k − 1.
fn kernel_tap(p: usize, a: usize) -> usize {
    3 - p - 2 * a
}

/// Kernel `[4, 4, cin, cout]` → transformed `[phase, point, cin, cout]` (G g Gᵀ).
pub fn transform_kernel(kernel: &[f32], cin: usize, cout: usize) -> Vec<f32> {
    let plane = cin * cout;
    assert_eq!(kernel.len(), 16 * plane, "kernel size");
    let mut out = vec![0.0; PHASES * POINTS * plane];
    for (phase, slab) in out.chunks_exact_mut(POINTS * plane).enumerate() {
        let (py, px) = (phase / 2, phase % 2);
        for (point, dst) in slab.chunks_exact_mut(plane).enumerate() {
            for &a in G_TAPS[point / 3] {
                for &b in G_TAPS[point % 3] {
                    let k = kernel_tap(py, a) * 4 + kernel_tap(px, b);
                    add(dst, 1.0, &kernel[k * plane..(k + 1) * plane]);
                }
            }
        }
    }
    out
}

/// The adjoint of [`transform_kernel`]: `[phase, point, cin, cout]` →
/// `[4, 4, cin, cout]` (Gᵀ dU G).
pub fn kernel_gradient(points: &[f32], cin: usize, cout: usize) -> Vec<f32> {
    let plane = cin * cout;
    assert_eq!(points.len(), PHASES * POINTS * plane, "gradient size");
    let mut kernel = vec![0.0; 16 * plane];
    for (phase, slab) in points.chunks_exact(POINTS * plane).enumerate() {
        let (py, px) = (phase / 2, phase % 2);
        for (point, src) in slab.chunks_exact(plane).enumerate() {
            for &a in G_TAPS[point / 3] {
                for &b in G_TAPS[point % 3] {
                    let k = kernel_tap(py, a) * 4 + kernel_tap(px, b);
                    add(&mut kernel[k * plane..(k + 1) * plane], 1.0, src);
                }
            }
        }
    }
    kernel
}

/// Each `rows × cols` plane of `planes`, transposed.
pub(super) fn transpose_planes(planes: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut out = vec![0.0; planes.len()];
    for (src, dst) in planes
        .chunks_exact(rows * cols)
        .zip(out.chunks_exact_mut(rows * cols))
    {
        for (r, row) in src.chunks_exact(cols).enumerate() {
            for (c, &value) in row.iter().enumerate() {
                dst[c * rows + r] = value;
            }
        }
    }
    out
}
