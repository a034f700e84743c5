//! The Fréchet Inception distance between two sets of feature vectors,
//! ‖μ₁ − μ₂‖² + tr C₁ + tr C₂ − 2 tr √(C₁C₂), computed without a 2048×2048
//! matrix square root: with Cᵢ = AᵢᵀAᵢ (Aᵢ the centred features / √(n−1)),
//! the eigenvalues of C₁C₂ are the squared singular values of A₁A₂ᵀ, an n×n
//! matrix, so tr √(C₁C₂) is the sum of those singular values.

/// FID of `first` and `second`: rows of `dim` features each (row-major), at least 2 rows.
pub fn fid(first: &[f32], second: &[f32], dim: usize) -> f64 {
    let (rows_1, mean_1) = centred(first, dim);
    let (rows_2, mean_2) = centred(second, dim);
    let mean_term: f64 = mean_1
        .iter()
        .zip(&mean_2)
        .map(|(x, y)| (x - y).powi(2))
        .sum();
    let trace = |rows: &[Vec<f64>]| rows.iter().flatten().map(|v| v * v).sum::<f64>();
    let dot = |x: &[f64], y: &[f64]| x.iter().zip(y).map(|(p, q)| p * q).sum::<f64>();
    // K = A₁A₂ᵀ (rows × rows); tr √(C₁C₂) = Σ σ(K) = Σ √λ(K Kᵀ).
    let cross: Vec<Vec<f64>> = rows_1
        .iter()
        .map(|r1| rows_2.iter().map(|r2| dot(r1, r2)).collect())
        .collect();
    let gram: Vec<Vec<f64>> = cross
        .iter()
        .map(|ri| cross.iter().map(|rj| dot(ri, rj)).collect())
        .collect();
    let nuclear: f64 = symmetric_eigenvalues(gram)
        .into_iter()
        .map(|l| l.max(0.0).sqrt())
        .sum();
    mean_term + trace(&rows_1) + trace(&rows_2) - 2.0 * nuclear
}

/// `count` indices spread evenly over `total` images (all of them when
/// fewer): FID's real images drawn across the whole data set.
pub fn reference_indices(total: usize, count: usize) -> Vec<usize> {
    let count = count.min(total);
    (0..count).map(|i| i * total / count.max(1)).collect()
}

/// The mean Euclidean distance between all pairs of rows (`dim` features
/// each); 0 for fewer than two rows or identical rows.
pub fn mean_pairwise_distance(rows: &[f32], dim: usize) -> f64 {
    let rows: Vec<&[f32]> = rows.chunks_exact(dim.max(1)).collect();
    let (mut sum, mut pairs) = (0.0f64, 0usize);
    for (i, a) in rows.iter().enumerate() {
        for b in &rows[i + 1..] {
            let squared: f64 = a
                .iter()
                .zip(*b)
                .map(|(x, y)| f64::from(x - y).powi(2))
                .sum();
            sum += squared.sqrt();
            pairs += 1;
        }
    }
    #[expect(clippy::cast_precision_loss, reason = "pair counts")]
    let mean = sum / pairs.max(1) as f64;
    mean
}

/// Rows centred and divided by √(n − 1), and the mean.
fn centred(rows: &[f32], dim: usize) -> (Vec<Vec<f64>>, Vec<f64>) {
    let count = rows.len() / dim.max(1);
    let mut mean = vec![0.0f64; dim];
    for row in rows.chunks_exact(dim) {
        for (m, v) in mean.iter_mut().zip(row) {
            *m += f64::from(*v);
        }
    }
    #[expect(clippy::cast_precision_loss, reason = "sample counts")]
    let (total, scale) = (count as f64, ((count.max(2) - 1) as f64).sqrt());
    for m in &mut mean {
        *m /= total;
    }
    let centred = rows
        .chunks_exact(dim)
        .map(|row| {
            row.iter()
                .zip(&mean)
                .map(|(v, m)| (f64::from(*v) - m) / scale)
                .collect()
        })
        .collect();
    (centred, mean)
}

/// Eigenvalues of a symmetric matrix by cyclic Jacobi rotations.
pub fn symmetric_eigenvalues(mut matrix: Vec<Vec<f64>>) -> Vec<f64> {
    let size = matrix.len();
    for _sweep in 0..60 {
        let mut off = 0.0;
        let mut diagonal = 0.0;
        for (row_index, row) in matrix.iter().enumerate() {
            for (col_index, value) in row.iter().enumerate() {
                if row_index == col_index {
                    diagonal += value * value;
                } else {
                    off += value * value;
                }
            }
        }
        if off <= 1e-22 * diagonal.max(f64::MIN_POSITIVE) {
            break;
        }
        for p in 0..size {
            for q in p + 1..size {
                rotate(&mut matrix, p, q);
            }
        }
    }
    (0..size).map(|i| matrix[i][i]).collect()
}

/// One Jacobi rotation zeroing `matrix[p][q]`.
fn rotate(matrix: &mut [Vec<f64>], p: usize, q: usize) {
    let pivot = matrix[p][q];
    if pivot.abs() < 1e-300 {
        return;
    }
    let theta = (matrix[q][q] - matrix[p][p]) / (2.0 * pivot);
    let tangent = if theta == 0.0 {
        1.0
    } else {
        theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt())
    };
    let cosine = 1.0 / (tangent * tangent + 1.0).sqrt();
    let sine = tangent * cosine;
    for row in matrix.iter_mut() {
        let (at_p, at_q) = (row[p], row[q]);
        row[p] = cosine * at_p - sine * at_q;
        row[q] = sine * at_p + cosine * at_q;
    }
    let (row_p, row_q) = (matrix[p].clone(), matrix[q].clone());
    for (column, (at_p, at_q)) in row_p.iter().zip(&row_q).enumerate() {
        matrix[p][column] = cosine * at_p - sine * at_q;
        matrix[q][column] = sine * at_p + cosine * at_q;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jacobi_finds_known_eigenvalues() {
        let mut values = symmetric_eigenvalues(vec![vec![2.0, 1.0], vec![1.0, 2.0]]);
        values.sort_by(f64::total_cmp);
        assert!((values[0] - 1.0).abs() < 1e-9 && (values[1] - 3.0).abs() < 1e-9);
    }

    #[test]
    fn pairwise_distance_known_answers() {
        let same: Vec<f32> = [0.3f32, -1.0, 2.0].repeat(16);
        assert!(mean_pairwise_distance(&same, 3).abs() < 1e-12);
        // Three points on a line at 0, 3 and 4 (the 3-4-5 pairs): (3 + 4 + 1) / 3.
        let line = [0.0f32, 0.0, 3.0, 0.0, 4.0, 0.0];
        assert!((mean_pairwise_distance(&line, 2) - 8.0 / 3.0).abs() < 1e-9);
        assert!(mean_pairwise_distance(&line[..2], 2).abs() < 1e-12);
    }

    #[test]
    fn fid_known_answers() {
        let a: Vec<f32> = (0..40u8).map(|i| (f32::from(i) * 0.37).sin()).collect();
        // Same set: 0, up to the square roots of round-off eigenvalues.
        assert!(fid(&a, &a, 2).abs() < 1e-6, "{}", fid(&a, &a, 2));
        // One dimension: (μ₁ − μ₂)² + (σ₁ − σ₂)².
        let x: Vec<f32> = vec![1.0, 2.0, 3.0, 4.0];
        let y: Vec<f32> = vec![10.0, 12.0, 14.0, 16.0];
        let (sx, sy) = ((5.0f64 / 3.0).sqrt(), (20.0f64 / 3.0).sqrt());
        let want = (2.5f64 - 13.0).powi(2) + (sx - sy).powi(2);
        assert!(
            (fid(&x, &y, 1) - want).abs() < 1e-6,
            "{} vs {want}",
            fid(&x, &y, 1)
        );
    }
}
