//! The F(2×2, 2×2) transforms, one tile at a time, channel by channel: each
//! is a few additions per channel, written out so that the compiler keeps
//! them in vector registers.
//!
//! With the 1-D matrices (rows are outputs)
//!
//! ```text
//! Bᵀ = [1 −1 0; 0 1 0; 0 −1 1]   input window (3) → points (3)
//! Aᵀ = [1 1 0; 0 1 1]            points (3) → outputs (2)
//! ```
//!
//! a tile's points are V = Bᵀ d B, its outputs Y = Aᵀ M A, and the adjoints
//! (for the backward pass) dM = A dY Aᵀ and dd = B dV Bᵀ. Points and windows
//! are listed row-major: index 3·row + column.

/// `out = Bᵀ d B` (9 window pixels → 9 points).
pub fn input(d: [&[f32]; 9], out: [&mut [f32]; 9]) {
    let n = out[0].len();
    let [d0, d1, d2, d3, d4, d5, d6, d7, d8] = d;
    let (d0, d1, d2, d3, d4) = (&d0[..n], &d1[..n], &d2[..n], &d3[..n], &d4[..n]);
    let (d5, d6, d7, d8) = (&d5[..n], &d6[..n], &d7[..n], &d8[..n]);
    let [o0, o1, o2, o3, o4, o5, o6, o7, o8] = out;
    let (o0, o1, o2, o3, o4) = (
        &mut o0[..n],
        &mut o1[..n],
        &mut o2[..n],
        &mut o3[..n],
        &mut o4[..n],
    );
    let (o5, o6, o7, o8) = (&mut o5[..n], &mut o6[..n], &mut o7[..n], &mut o8[..n]);
    for k in 0..n {
        let (d00, d01, d02) = (d0[k], d1[k], d2[k]);
        let (d10, d11, d12) = (d3[k], d4[k], d5[k]);
        let (d20, d21, d22) = (d6[k], d7[k], d8[k]);
        // Along each row (columns → points), then along the columns.
        let (a0, a1, a2) = (d00 - d01, d01, d02 - d01);
        let (b0, b1, b2) = (d10 - d11, d11, d12 - d11);
        let (c0, c1, c2) = (d20 - d21, d21, d22 - d21);
        o0[k] = a0 - b0;
        o1[k] = a1 - b1;
        o2[k] = a2 - b2;
        o3[k] = b0;
        o4[k] = b1;
        o5[k] = b2;
        o6[k] = c0 - b0;
        o7[k] = c1 - b1;
        o8[k] = c2 - b2;
    }
}

/// `out = leaky(Aᵀ M A + bias)` (9 points → 4 outputs, row-major 2×2).
pub fn output(m: [&[f32]; 9], bias: &[f32], slope: f32, out: [&mut [f32]; 4]) {
    let n = out[0].len();
    let [m0, m1, m2, m3, m4, m5, m6, m7, m8] = m;
    let (m0, m1, m2, m3, m4) = (&m0[..n], &m1[..n], &m2[..n], &m3[..n], &m4[..n]);
    let (m5, m6, m7, m8) = (&m5[..n], &m6[..n], &m7[..n], &m8[..n]);
    let bias = &bias[..n];
    let [y00, y01, y10, y11] = out;
    let (y00, y01, y10, y11) = (&mut y00[..n], &mut y01[..n], &mut y10[..n], &mut y11[..n]);
    let leaky = |v: f32| v.max(0.0) + slope * v.min(0.0);
    for k in 0..n {
        let (m00, m01, m02) = (m0[k], m1[k], m2[k]);
        let (m10, m11, m12) = (m3[k], m4[k], m5[k]);
        let (m20, m21, m22) = (m6[k], m7[k], m8[k]);
        let (a0, a1) = (m00 + m01, m01 + m02);
        let (b0, b1) = (m10 + m11, m11 + m12);
        let (c0, c1) = (m20 + m21, m21 + m22);
        let b = bias[k];
        y00[k] = leaky(a0 + b0 + b);
        y01[k] = leaky(a1 + b1 + b);
        y10[k] = leaky(b0 + c0 + b);
        y11[k] = leaky(b1 + c1 + b);
    }
}

/// From the outputs `y` and their gradients `dy` (2×2, row-major): the
/// gradient before the LeakyReLU, added into `d_bias`, and `out = A dpre Aᵀ`
/// (4 → 9 points).
pub fn output_gradient(
    y: [&[f32]; 4],
    dy: [&[f32]; 4],
    slope: f32,
    d_bias: &mut [f32],
    out: [&mut [f32]; 9],
) {
    let n = out[0].len();
    let [y0, y1, y2, y3] = y;
    let (y0, y1, y2, y3) = (&y0[..n], &y1[..n], &y2[..n], &y3[..n]);
    let [g0, g1, g2, g3] = dy;
    let (g0, g1, g2, g3) = (&g0[..n], &g1[..n], &g2[..n], &g3[..n]);
    let d_bias = &mut d_bias[..n];
    let [o0, o1, o2, o3, o4, o5, o6, o7, o8] = out;
    let (o0, o1, o2, o3, o4) = (
        &mut o0[..n],
        &mut o1[..n],
        &mut o2[..n],
        &mut o3[..n],
        &mut o4[..n],
    );
    let (o5, o6, o7, o8) = (&mut o5[..n], &mut o6[..n], &mut o7[..n], &mut o8[..n]);
    let pre = |y: f32, dy: f32| if y > 0.0 { dy } else { slope * dy };
    for k in 0..n {
        let (p00, p01) = (pre(y0[k], g0[k]), pre(y1[k], g1[k]));
        let (p10, p11) = (pre(y2[k], g2[k]), pre(y3[k], g3[k]));
        d_bias[k] += (p00 + p01) + (p10 + p11);
        // Along each row (outputs → points), then along the columns.
        let (a0, a1, a2) = (p00, p00 + p01, p01);
        let (c0, c1, c2) = (p10, p10 + p11, p11);
        o0[k] = a0;
        o1[k] = a1;
        o2[k] = a2;
        o3[k] = a0 + c0;
        o4[k] = a1 + c1;
        o5[k] = a2 + c2;
        o6[k] = c0;
        o7[k] = c1;
        o8[k] = c2;
    }
}

/// `out = B dV Bᵀ` (9 points → 9 window pixels).
pub fn input_gradient(dv: [&[f32]; 9], out: [&mut [f32]; 9]) {
    let n = out[0].len();
    let [v0, v1, v2, v3, v4, v5, v6, v7, v8] = dv;
    let (v0, v1, v2, v3, v4) = (&v0[..n], &v1[..n], &v2[..n], &v3[..n], &v4[..n]);
    let (v5, v6, v7, v8) = (&v5[..n], &v6[..n], &v7[..n], &v8[..n]);
    let [o0, o1, o2, o3, o4, o5, o6, o7, o8] = out;
    let (o0, o1, o2, o3, o4) = (
        &mut o0[..n],
        &mut o1[..n],
        &mut o2[..n],
        &mut o3[..n],
        &mut o4[..n],
    );
    let (o5, o6, o7, o8) = (&mut o5[..n], &mut o6[..n], &mut o7[..n], &mut o8[..n]);
    for k in 0..n {
        let (v00, v01, v02) = (v0[k], v1[k], v2[k]);
        let (v10, v11, v12) = (v3[k], v4[k], v5[k]);
        let (v20, v21, v22) = (v6[k], v7[k], v8[k]);
        // Along each row (points → columns), then along the columns.
        let (a0, a1, a2) = (v00, v01 - v00 - v02, v02);
        let (b0, b1, b2) = (v10, v11 - v10 - v12, v12);
        let (c0, c1, c2) = (v20, v21 - v20 - v22, v22);
        o0[k] = a0;
        o1[k] = a1;
        o2[k] = a2;
        o3[k] = b0 - a0 - c0;
        o4[k] = b1 - a1 - c1;
        o5[k] = b2 - a2 - c2;
        o6[k] = c0;
        o7[k] = c1;
        o8[k] = c2;
    }
}
