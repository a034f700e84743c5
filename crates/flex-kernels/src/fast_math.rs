//! Vectorised exponentials for the custom CPU operations: burn-flex's own
//! sigmoid and the standard library's `exp` call the C library's `expf` one
//! element at a time, which was a third of the char-LSTM's step.

#[derive(Clone, Copy)]
enum Kernel {
    Exp,
    Sigmoid,
}

/// eˣ of every element, in place.
pub fn exp_in_place(values: &mut [f32]) {
    apply(Kernel::Exp, values);
}

/// σ of every element, in place.
pub fn sigmoid_in_place(values: &mut [f32]) {
    apply(Kernel::Sigmoid, values);
}

/// The sum, eight lanes at a time (a plain fold adds one element after the
/// other, and the compiler may not reorder float additions itself).
pub fn sum(values: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    let chunks = values.chunks_exact(8);
    let rest = chunks.remainder();
    for chunk in chunks {
        for (lane, v) in lanes.iter_mut().zip(chunk) {
            *lane += v;
        }
    }
    lanes.iter().sum::<f32>() + rest.iter().sum::<f32>()
}

/// The maximum, eight lanes at a time (−∞ for an empty slice).
pub fn max(values: &[f32]) -> f32 {
    let mut lanes = [f32::NEG_INFINITY; 8];
    let chunks = values.chunks_exact(8);
    let rest = chunks.remainder();
    for chunk in chunks {
        for (lane, &v) in lanes.iter_mut().zip(chunk) {
            *lane = lane.max(v);
        }
    }
    lanes
        .iter()
        .chain(rest)
        .copied()
        .fold(f32::NEG_INFINITY, f32::max)
}

/// `out[j] += Σᵢ x[i] · w[i·stride + j]` for every `j < out.len()`: a row
/// times a block of columns of a row-major matrix (`w` starts at the block's
/// first column), four matrix rows per pass over `out`, eight columns at a
/// time with AVX2.
pub fn accumulate_rows(out: &mut [f32], x: &[f32], w: &[f32], stride: usize) {
    let len = out.len();
    if len == 0 || x.is_empty() {
        return;
    }
    assert!(
        (x.len() - 1) * stride + len <= w.len(),
        "accumulate_rows: the matrix is too short"
    );
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        #[allow(unsafe_code)]
        // SAFETY: the CPU was just checked for both features the function is
        // compiled with.
        unsafe {
            accumulate_rows_avx2(out, x, w, stride);
        }
        return;
    }
    accumulate_rows_loop(out, x, w, stride);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn accumulate_rows_avx2(out: &mut [f32], x: &[f32], w: &[f32], stride: usize) {
    accumulate_rows_loop(out, x, w, stride);
}

#[expect(
    clippy::inline_always,
    reason = "inlined into accumulate_rows_avx2 so that it is compiled with AVX2"
)]
#[inline(always)]
fn accumulate_rows_loop(out: &mut [f32], x: &[f32], w: &[f32], stride: usize) {
    let len = out.len();
    let row = |i: usize| &w[i * stride..i * stride + len];
    let mut chunks = x.chunks_exact(4);
    let mut i = 0;
    for four in &mut chunks {
        let (r0, r1, r2, r3) = (row(i), row(i + 1), row(i + 2), row(i + 3));
        for j in 0..len {
            out[j] += four[0] * r0[j] + four[1] * r1[j] + four[2] * r2[j] + four[3] * r3[j];
        }
        i += 4;
    }
    for &xi in chunks.remainder() {
        for (o, &v) in out.iter_mut().zip(row(i)) {
            *o += xi * v;
        }
        i += 1;
    }
}

/// Eight elements at a time on CPUs with AVX2, four (SSE2, the baseline the
/// binary is built for) elsewhere.
fn apply(kernel: Kernel, values: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        #[allow(unsafe_code)]
        // SAFETY: the CPU was just checked for both features the function is
        // compiled with.
        unsafe {
            apply_avx2(kernel, values);
        }
        return;
    }
    apply_loop(kernel, values);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn apply_avx2(kernel: Kernel, values: &mut [f32]) {
    apply_loop(kernel, values);
}

#[expect(
    clippy::inline_always,
    reason = "inlined into apply_avx2 so that it is compiled with AVX2"
)]
#[inline(always)]
fn apply_loop(kernel: Kernel, values: &mut [f32]) {
    match kernel {
        Kernel::Exp => {
            for v in values {
                *v = fast_exp(*v);
            }
        }
        Kernel::Sigmoid => {
            for v in values {
                *v = 1.0 / (1.0 + fast_exp(-*v));
            }
        }
    }
}

/// eˣ to about 1e-7 relative, written so that the compiler vectorises loops
/// of it: eˣ = 2ᵏ·eʳ with k = round(x / ln 2) and a
/// degree-6 Taylor polynomial for eʳ on |r| ≤ ln 2 / 2.
#[inline(always)]
pub(crate) fn fast_exp(x: f32) -> f32 {
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    // Adding and subtracting 1.5·2²³ rounds to the nearest integer.
    const ROUND: f32 = 12_582_912.0;
    #[expect(
        clippy::manual_clamp,
        reason = "clamp's NaN handling keeps the loop from vectorising"
    )]
    let x = x.max(-87.0).min(88.0);
    let shifted = x * std::f32::consts::LOG2_E + ROUND;
    let k = shifted - ROUND;
    let r = x - k * LN2_HI - k * LN2_LO;
    let p = 1.0
        + r * (1.0
            + r * (0.5
                + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0))))));
    // 2ᵏ from k's bits, which sit at the bottom of `shifted`'s mantissa
    // (integer arithmetic only, so the loop stays vectorised).
    let exponent = shifted
        .to_bits()
        .wrapping_sub(0x4B40_0000)
        .wrapping_add(127)
        << 23;
    p * f32::from_bits(exponent)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_fast_exponential_is_accurate() {
        for i in -870i16..=880 {
            let x = f32::from(i) * 0.1;
            let (ours, exact) = (super::fast_exp(x), x.exp());
            assert!(
                (ours - exact).abs() <= 3e-7 * exact,
                "e^{x}: {ours} against {exact}"
            );
        }
    }

    #[test]
    fn slices_agree_with_the_scalar_forms() {
        let values: Vec<f32> = (0..37u8).map(|i| f32::from(i) * 0.37 - 6.0).collect();
        let mut exp = values.clone();
        super::exp_in_place(&mut exp);
        let mut sigmoid = values.clone();
        super::sigmoid_in_place(&mut sigmoid);
        for ((x, e), s) in values.iter().zip(&exp).zip(&sigmoid) {
            assert!((e - x.exp()).abs() <= 3e-7 * x.exp());
            assert!((s - 1.0 / (1.0 + (-x).exp())).abs() <= 1e-6);
        }
        assert!((super::sum(&values) - values.iter().sum::<f32>()).abs() < 1e-3);
        assert!(super::max(&values).to_bits() == values[36].to_bits());
        assert!(super::max(&[]).is_infinite() && super::max(&[]) < 0.0);
    }
}
