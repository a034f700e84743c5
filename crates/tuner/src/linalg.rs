//! The little dense linear algebra the Gaussian process needs: a Cholesky
//! factor of a symmetric positive-definite matrix (row-major, n × n) and
//! what follows from it.

pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(a, b)| a * b).sum()
}

/// The lower factor L of A = L·Lᵀ.
pub struct Cholesky {
    l: Vec<f64>,
    n: usize,
}

impl Cholesky {
    /// `None` when `a` is not positive definite (to working precision).
    pub fn new(mut a: Vec<f64>, n: usize) -> Option<Self> {
        for j in 0..n {
            let row_j = &mut a[j * n..(j + 1) * n];
            let diagonal = row_j[j] - dot(&row_j[..j], &row_j[..j]);
            if diagonal <= 0.0 || !diagonal.is_finite() {
                return None;
            }
            row_j[j] = diagonal.sqrt();
            for value in &mut row_j[j + 1..] {
                *value = 0.0;
            }
            let pivot = a[j * n + j];
            for i in j + 1..n {
                let (upper, lower) = a.split_at_mut(i * n);
                let row_j = &upper[j * n..j * n + j];
                let row_i = &mut lower[..n];
                row_i[j] = (row_i[j] - dot(&row_i[..j], row_j)) / pivot;
            }
        }
        Some(Self { l: a, n })
    }

    /// L⁻¹ b.
    pub fn solve_lower(&self, b: &[f64]) -> Vec<f64> {
        let n = self.n;
        let mut x = b.to_vec();
        for i in 0..n {
            let row = &self.l[i * n..i * n + i];
            x[i] = (x[i] - dot(row, &x[..i])) / self.l[i * n + i];
        }
        x
    }

    /// L⁻ᵀ b.
    fn solve_upper(&self, b: &[f64]) -> Vec<f64> {
        let n = self.n;
        let mut x = b.to_vec();
        for i in (0..n).rev() {
            let below: f64 = x
                .iter()
                .enumerate()
                .skip(i + 1)
                .map(|(k, xk)| self.l[k * n + i] * xk)
                .sum();
            x[i] = (x[i] - below) / self.l[i * n + i];
        }
        x
    }

    /// A⁻¹ b.
    pub fn solve(&self, b: &[f64]) -> Vec<f64> {
        self.solve_upper(&self.solve_lower(b))
    }

    /// ln det A.
    pub fn log_determinant(&self) -> f64 {
        (0..self.n).map(|i| 2.0 * self.l[i * self.n + i].ln()).sum()
    }

    /// A⁻¹ = L⁻ᵀ L⁻¹, from the inverse of L.
    pub fn inverse(&self) -> Vec<f64> {
        let n = self.n;
        // M = L⁻¹, lower triangular, column by column.
        let mut m = vec![0.0; n * n];
        for c in 0..n {
            m[c * n + c] = 1.0 / self.l[c * n + c];
            for i in c + 1..n {
                let mut sum = 0.0;
                for k in c..i {
                    sum += self.l[i * n + k] * m[k * n + c];
                }
                m[i * n + c] = -sum / self.l[i * n + i];
            }
        }
        // A⁻¹[i][j] = Σ_k M[k][i]·M[k][j] for k ≥ max(i, j).
        let mut inverse = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..=i {
                let mut sum = 0.0;
                for k in i..n {
                    sum += m[k * n + i] * m[k * n + j];
                }
                inverse[i * n + j] = sum;
                inverse[j * n + i] = sum;
            }
        }
        inverse
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factor_solve_and_inverse_agree_with_a_known_matrix() {
        let a = vec![4.0, 2.0, 0.6, 2.0, 5.0, 1.0, 0.6, 1.0, 3.0];
        let factor = Cholesky::new(a.clone(), 3).unwrap();
        let x = factor.solve(&[1.0, 2.0, 3.0]);
        for i in 0..3 {
            let back: f64 = (0..3).map(|j| a[i * 3 + j] * x[j]).sum();
            assert!((back - [1.0, 2.0, 3.0][i]).abs() < 1e-12);
        }
        let inverse = factor.inverse();
        for i in 0..3 {
            for j in 0..3 {
                let product: f64 = (0..3).map(|k| a[i * 3 + k] * inverse[k * 3 + j]).sum();
                assert!((product - f64::from(u8::from(i == j))).abs() < 1e-12);
            }
        }
        // det = 4(15 − 1) − 2(6 − 0.6) + 0.6(2 − 3) = 44.6
        assert!((factor.log_determinant() - 44.6f64.ln()).abs() < 1e-12);
        assert!(Cholesky::new(vec![1.0, 2.0, 2.0, 1.0], 2).is_none());
    }
}
