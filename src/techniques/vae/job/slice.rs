//! The 2-D view of a latent space of any size: the grid, the map, a click
//! and an interpolation all live in the plane of two chosen dimensions
//! through a base point (the prior's mean, zero, in the other dimensions).
//! With the book's 2-D latent the plane is the whole space.

/// Two dimensions and the point the plane passes through.
#[derive(Clone, Debug, PartialEq)]
pub struct LatentSlice {
    /// The dimensions shown as x and y (the same one twice for a 1-D latent).
    pub dims: [usize; 2],
    /// The full latent point the plane passes through.
    pub base: Vec<f32>,
}

impl LatentSlice {
    /// Dimensions 0 and 1 through the origin of a `latent`-dimensional space.
    pub fn new(latent: usize) -> Self {
        let latent = latent.max(1);
        Self {
            dims: [0, 1.min(latent - 1)],
            base: vec![0.0; latent],
        }
    }

    /// The same base, showing `dims` (each clamped into the space).
    #[must_use]
    pub fn with_dims(&self, dims: [usize; 2]) -> Self {
        let last = self.base.len() - 1;
        Self {
            dims: dims.map(|d| d.min(last)),
            base: self.base.clone(),
        }
    }

    /// The full latent point at plane coordinates `p`.
    pub fn embed(&self, p: [f32; 2]) -> Vec<f32> {
        let mut z = self.base.clone();
        z[self.dims[1]] = p[1];
        z[self.dims[0]] = p[0];
        z
    }

    /// A full latent point's coordinates in the plane.
    pub fn project(&self, z: &[f32]) -> [f32; 2] {
        [z[self.dims[0]], z[self.dims[1]]]
    }
}

#[cfg(test)]
mod tests {
    use super::LatentSlice;

    #[test]
    #[expect(clippy::float_cmp, reason = "values copied, not computed")]
    fn the_plane_embeds_and_projects_back() {
        let slice = LatentSlice::new(4).with_dims([2, 9]);
        assert_eq!(slice.dims, [2, 3]);
        let z = slice.embed([0.5, -1.0]);
        assert_eq!(z, [0.0, 0.0, 0.5, -1.0]);
        assert_eq!(slice.project(&z), [0.5, -1.0]);
        let book = LatentSlice::new(2);
        assert_eq!(book.embed([0.3, 0.4]), [0.3, 0.4]);
        let line = LatentSlice::new(1);
        assert_eq!(line.embed([0.3, 0.4]), [0.3]);
    }
}
