use super::*;

fn forward_vec(x: &[f32], points: &[f32], bias: &[f32], slope: f32, d: Dims) -> Vec<f32> {
    let mut y = vec![f32::NAN; d.batch * 4 * d.height * d.width * d.cout];
    forward(x, points, bias, slope, d, &mut y);
    y
}

/// Deterministic values in about [-1, 1].
#[expect(clippy::cast_precision_loss, reason = "small test tensors")]
fn values(len: usize, seed: f32) -> Vec<f32> {
    (0..len).map(|i| ((i as f32 + 1.0) * seed).sin()).collect()
}

const DIMS: Dims = Dims {
    batch: 3,
    height: 4,
    width: 6,
    cin: 3,
    cout: 5,
};

/// The transposed convolution from its definition: output o = 2i + k − 1.
fn direct_pre(x: &[f32], kernel: &[f32], bias: &[f32], d: Dims) -> Vec<f32> {
    let (oh, ow) = (2 * d.height, 2 * d.width);
    let mut out = vec![0.0; d.batch * oh * ow * d.cout];
    for n in 0..d.batch {
        for i in 0..d.height {
            for j in 0..d.width {
                for ky in 0..4 {
                    for kx in 0..4 {
                        let (oy, ox) = (2 * i + ky, 2 * j + kx);
                        if oy == 0 || ox == 0 || oy > oh || ox > ow {
                            continue;
                        }
                        let (oy, ox) = (oy - 1, ox - 1);
                        for ci in 0..d.cin {
                            let xv = x[((n * d.height + i) * d.width + j) * d.cin + ci];
                            for co in 0..d.cout {
                                let w = kernel[((ky * 4 + kx) * d.cin + ci) * d.cout + co];
                                out[((n * oh + oy) * ow + ox) * d.cout + co] += xv * w;
                            }
                        }
                    }
                }
            }
        }
    }
    for (k, v) in out.iter_mut().enumerate() {
        *v += bias[k % d.cout];
    }
    out
}

fn leaky(pre: &[f32], slope: f32) -> Vec<f32> {
    pre.iter()
        .map(|&v| if v > 0.0 { v } else { slope * v })
        .collect()
}

fn assert_close(got: &[f32], want: &[f32], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= 1e-4 * (1.0 + w.abs()),
            "{what}[{i}]: {g} vs {w}"
        );
    }
}

#[test]
fn forward_matches_the_definition() {
    let x = values(DIMS.batch * DIMS.height * DIMS.width * DIMS.cin, 0.71);
    let kernel = values(16 * DIMS.cin * DIMS.cout, 1.37);
    let bias = values(DIMS.cout, 2.11);
    let points = transform_kernel(&kernel, DIMS.cin, DIMS.cout);
    let got = forward_vec(&x, &points, &bias, 0.2, DIMS);
    let want = leaky(&direct_pre(&x, &kernel, &bias, DIMS), 0.2);
    assert_close(&got, &want, "output");
}

#[test]
fn kernel_gradient_is_the_adjoint_of_the_kernel_transform() {
    // ⟨T(k), u⟩ = ⟨k, Tᵀ(u)⟩ for the linear map T.
    let (cin, cout) = (2, 3);
    let kernel = values(16 * cin * cout, 0.9);
    let u = values(PHASES * POINTS * cin * cout, 1.3);
    let dot = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(a, b)| a * b).sum::<f32>();
    let left = dot(&transform_kernel(&kernel, cin, cout), &u);
    let right = dot(&kernel, &kernel_gradient(&u, cin, cout));
    assert!((left - right).abs() < 1e-3, "{left} vs {right}");
}

#[test]
fn gradients_match_finite_differences_of_the_definition() {
    let d = DIMS;
    let slope = 0.2;
    let x = values(d.batch * d.height * d.width * d.cin, 0.71);
    let kernel = values(16 * d.cin * d.cout, 1.37);
    let bias = values(d.cout, 2.11);
    // A loss L = Σ y ⊙ r for fixed weights r, so dy = r.
    let r = values(d.batch * 4 * d.height * d.width * d.cout, 0.53);
    let loss = |x: &[f32], kernel: &[f32], bias: &[f32]| -> f64 {
        let y = leaky(&direct_pre(x, kernel, bias, d), slope);
        y.iter().zip(&r).map(|(&y, &r)| f64::from(y * r)).sum()
    };
    let points = transform_kernel(&kernel, d.cin, d.cout);
    let y = forward_vec(&x, &points, &bias, slope, d);
    let (dx, d_points, d_bias) = backward(&x, &points, &y, &r, slope, d);
    let d_kernel = kernel_gradient(&d_points, d.cin, d.cout);
    let eps = 1e-2;
    let numeric = |which: usize, index: usize| {
        let mut inputs = [x.clone(), kernel.clone(), bias.clone()];
        inputs[which][index] += eps;
        let up = loss(&inputs[0], &inputs[1], &inputs[2]);
        inputs[which][index] -= 2.0 * eps;
        let down = loss(&inputs[0], &inputs[1], &inputs[2]);
        #[expect(clippy::cast_possible_truncation, reason = "test tolerance")]
        let slope = ((up - down) / (2.0 * f64::from(eps))) as f32;
        slope
    };
    for (which, grads) in [(0, &dx), (1, &d_kernel), (2, &d_bias)] {
        for index in (0..grads.len()).step_by(7) {
            let want = numeric(which, index);
            let got = grads[index];
            assert!(
                (got - want).abs() < 2e-2 * (1.0 + want.abs()),
                "input {which}, element {index}: {got} vs {want}"
            );
        }
    }
}

#[test]
fn chunking_over_cores_and_tiles_does_not_change_the_result() {
    // 144 tiles an image: one image per chunk, several chunks per core.
    let d = Dims {
        batch: 5,
        height: 24,
        width: 24,
        cin: 2,
        cout: 3,
    };
    let x = values(d.batch * d.height * d.width * d.cin, 0.31);
    let kernel = values(16 * d.cin * d.cout, 0.77);
    let bias = values(d.cout, 0.5);
    let points = transform_kernel(&kernel, d.cin, d.cout);
    let got = forward_vec(&x, &points, &bias, 0.2, d);
    assert_close(
        &got,
        &leaky(&direct_pre(&x, &kernel, &bias, d), 0.2),
        "output",
    );
}
