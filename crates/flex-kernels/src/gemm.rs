//! The gemm crate's f32 matrix kernel (the one burn-flex multiplies with),
//! behind a safe, bounds-checked call, single-threaded: for custom operations
//! that split their work across cores themselves and multiply many small
//! matrices, accumulating into the destination.

/// A matrix stored in a slice with arbitrary row and column strides.
#[derive(Clone, Copy, Debug)]
pub struct View<'a> {
    pub data: &'a [f32],
    pub rows: usize,
    pub cols: usize,
    pub row_stride: usize,
    pub col_stride: usize,
}

impl<'a> View<'a> {
    /// A row-major `rows × cols` matrix at the start of `data`.
    pub fn row_major(data: &'a [f32], rows: usize, cols: usize) -> Self {
        Self {
            data,
            rows,
            cols,
            row_stride: cols,
            col_stride: 1,
        }
    }

    /// The transpose (no copy).
    #[must_use]
    pub fn t(self) -> Self {
        Self {
            rows: self.cols,
            cols: self.rows,
            row_stride: self.col_stride,
            col_stride: self.row_stride,
            ..self
        }
    }

    /// Whether every element the view names lies inside `data`.
    fn in_bounds(&self) -> bool {
        self.rows == 0
            || self.cols == 0
            || (self.rows - 1) * self.row_stride + (self.cols - 1) * self.col_stride
                < self.data.len()
    }
}

/// `dst = lhs · rhs`, or `dst += lhs · rhs` when `accumulate`; `dst` is
/// row-major `lhs.rows × rhs.cols`.
pub fn matmul(dst: &mut [f32], lhs: View<'_>, rhs: View<'_>, accumulate: bool) {
    assert_eq!(lhs.cols, rhs.rows, "matmul: inner sizes differ");
    let (m, n, k) = (lhs.rows, rhs.cols, lhs.cols);
    assert_eq!(dst.len(), m * n, "matmul: destination size");
    assert!(
        lhs.in_bounds() && rhs.in_bounds(),
        "matmul: view out of bounds"
    );
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            dst.fill(0.0);
        }
        return;
    }
    let stride = |s: usize| isize::try_from(s).expect("strides fit isize");
    #[allow(unsafe_code)]
    // SAFETY: gemm reads lhs[i·rs + j·cs] for i < m, j < k and rhs likewise
    // for k × n, all inside their slices (checked above), and writes dst, a
    // distinct exclusive slice of exactly m × n row-major elements.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            stride(n),
            accumulate,
            lhs.data.as_ptr(),
            stride(lhs.col_stride),
            stride(lhs.row_stride),
            rhs.data.as_ptr(),
            stride(rhs.col_stride),
            stride(rhs.row_stride),
            1.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(lhs: View<'_>, rhs: View<'_>) -> Vec<f32> {
        let mut out = vec![0.0; lhs.rows * rhs.cols];
        for i in 0..lhs.rows {
            for j in 0..rhs.cols {
                out[i * rhs.cols + j] = (0..lhs.cols)
                    .map(|p| {
                        lhs.data[i * lhs.row_stride + p * lhs.col_stride]
                            * rhs.data[p * rhs.row_stride + j * rhs.col_stride]
                    })
                    .sum();
            }
        }
        out
    }

    #[test]
    fn products_with_transposed_views_and_accumulation_match_the_definition() {
        let a: Vec<f32> = (0..35u8).map(|i| (f32::from(i) * 0.37).sin()).collect();
        let b: Vec<f32> = (0..28u8).map(|i| (f32::from(i) * 0.53).cos()).collect();
        let lhs = View::row_major(&a, 5, 7);
        let rhs = View::row_major(&b, 4, 7).t();
        let expected = naive(lhs, rhs);
        let mut out = vec![9.0; 20];
        matmul(&mut out, lhs, rhs, false);
        for (o, e) in out.iter().zip(&expected) {
            assert!((o - e).abs() < 1e-5, "{o} vs {e}");
        }
        matmul(&mut out, lhs, rhs, true);
        for (o, e) in out.iter().zip(&expected) {
            assert!((o - 2.0 * e).abs() < 1e-5, "{o} vs 2·{e}");
        }
    }

    #[test]
    #[should_panic(expected = "out of bounds")]
    fn a_view_past_its_slice_is_refused() {
        let a = vec![0.0; 10];
        let mut out = vec![0.0; 4];
        matmul(
            &mut out,
            View::row_major(&a, 2, 6),
            View::row_major(&a, 6, 2),
            false,
        );
    }
}
