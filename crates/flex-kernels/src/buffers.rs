//! Output buffers for the custom CPU operations.

use rayon::prelude::*;

/// `len` zeros, written by all cores. One allocation of zeroed memory is a
/// single-threaded `memset` when the allocator hands back reused memory (it
/// does, kept warm: see `main.rs`) — for the layers' outputs and gradients,
/// milliseconds a step with the other core idle.
pub fn zeros(len: usize) -> Vec<f32> {
    (0..len).into_par_iter().map(|_| 0.0).collect()
}
