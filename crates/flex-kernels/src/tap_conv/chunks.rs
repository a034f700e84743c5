//! Splitting a layer's batch over the cores, whole images per core, and each
//! core's share into chunks of images small enough to stay in cache.

use rayon::prelude::*;

use super::Activation;

/// Sizes (in floats) of one image's input and output, and images per chunk.
#[derive(Clone, Copy, Debug)]
pub struct Split {
    pub batch: usize,
    pub input_image: usize,
    pub output_image: usize,
    pub chunk_images: usize,
}

impl Split {
    fn group_images(&self) -> usize {
        self.batch
            .div_ceil(rayon::current_num_threads().max(1))
            .max(1)
    }
}

/// Runs `run(x chunk, y chunk, scratch)` over all chunks, one scratch per core.
pub fn forward<S: Default>(
    split: Split,
    x: &[f32],
    y: &mut [f32],
    run: impl Fn(&[f32], &mut [f32], &mut S) + Sync,
) {
    assert_eq!(x.len(), split.batch * split.input_image, "input size");
    assert_eq!(y.len(), split.batch * split.output_image, "output size");
    let group = split.group_images();
    let (in_chunk, out_chunk) = (
        split.chunk_images * split.input_image,
        split.chunk_images * split.output_image,
    );
    y.par_chunks_mut(group * split.output_image)
        .zip(x.par_chunks(group * split.input_image))
        .for_each(|(y, x)| {
            let mut scratch = S::default();
            for (y, x) in y.chunks_mut(out_chunk).zip(x.chunks(in_chunk)) {
                run(x, y, &mut scratch);
            }
        });
}

/// Runs `run((x, y, dy) chunks, dx chunk, gradients, scratch)` over all
/// chunks, one set of parameter gradients (from `zero`) and one scratch per
/// core, and returns the input gradient and the `merge`d parameter gradients.
pub fn backward<G: Send, S: Default>(
    split: Split,
    (x, y, dy): (&[f32], &[f32], &[f32]),
    zero: impl Fn() -> G + Sync + Send,
    run: impl Fn((&[f32], &[f32], &[f32]), &mut [f32], &mut G, &mut S) + Sync,
    merge: impl Fn(G, G) -> G + Sync + Send,
) -> (Vec<f32>, G) {
    assert_eq!(x.len(), split.batch * split.input_image, "input size");
    assert_eq!(y.len(), split.batch * split.output_image, "output size");
    assert_eq!(dy.len(), y.len(), "output gradient size");
    let group = split.group_images();
    let (in_group, out_group) = (group * split.input_image, group * split.output_image);
    let (in_chunk, out_chunk) = (
        split.chunk_images * split.input_image,
        split.chunk_images * split.output_image,
    );
    let mut dx = crate::buffers::zeros(x.len());
    let grads = dx
        .par_chunks_mut(in_group)
        .zip(x.par_chunks(in_group))
        .zip(y.par_chunks(out_group).zip(dy.par_chunks(out_group)))
        .map(|((dx, x), (y, dy))| {
            let mut grads = zero();
            let mut scratch = S::default();
            let chunks = dx
                .chunks_mut(in_chunk)
                .zip(x.chunks(in_chunk))
                .zip(y.chunks(out_chunk).zip(dy.chunks(out_chunk)));
            for ((dx, x), (y, dy)) in chunks {
                run((x, y, dy), dx, &mut grads, &mut scratch);
            }
            grads
        })
        .reduce(&zero, &merge);
    (dx, grads)
}

/// `a += b`, element by element.
pub fn add(a: &mut [f32], b: &[f32]) {
    for (a, b) in a.iter_mut().zip(b) {
        *a += b;
    }
}

/// `y = act(y + bias)` in place, pixel by pixel (`cout` channels each).
pub fn activate(act: Activation, y: &mut [f32], bias: &[f32], cout: usize) {
    for out in y.chunks_exact_mut(cout) {
        act.apply_in_place(out, bias);
    }
}

/// The gradient before the activation into `d_pre` (resized to the output),
/// pixel by pixel, added into `d_bias`.
pub fn gradient_before(
    act: Activation,
    (y, dy): (&[f32], &[f32]),
    cout: usize,
    d_pre: &mut Vec<f32>,
    d_bias: &mut [f32],
) {
    d_pre.resize(y.len(), 0.0);
    let pixels = d_pre
        .chunks_exact_mut(cout)
        .zip(y.chunks_exact(cout).zip(dy.chunks_exact(cout)));
    for (d, pair) in pixels {
        act.gradient(d, pair, d_bias);
    }
}

/// Adds two cores' (weight, bias) gradients.
pub fn merge(
    (mut a, mut b): (Vec<f32>, Vec<f32>),
    (c, d): (Vec<f32>, Vec<f32>),
) -> (Vec<f32>, Vec<f32>) {
    add(&mut a, &c);
    add(&mut b, &d);
    (a, b)
}
