//! Each kernel against its composed form at the size the studio runs it,
//! forward and backward (`latent-studio bench kernels`).

use std::time::Instant;

use burn::tensor::{Device, Distribution, Int, Tensor};

use crate::tap_conv::{Activation, Geometry, phase_taps};
use crate::taps::Taps;
use crate::{
    bce_logits, deconv_leaky, fast_math, log_softmax_pick, lstm, projected_cross_entropy,
    reference, row_product, tap_conv, taps,
};

/// One kernel's timing: median milliseconds per forward + backward pass.
#[derive(Clone, Debug)]
pub struct KernelTiming {
    pub name: &'static str,
    /// The shapes it ran at, in words.
    pub size: &'static str,
    pub fused_ms: f64,
    pub composed_ms: f64,
}

impl KernelTiming {
    /// How many times faster the kernel is than the composed form.
    pub fn speedup(&self) -> f64 {
        self.composed_ms / self.fused_ms
    }
}

/// Times every kernel, `reps` runs each after one warm-up run; `progress`
/// is told each result as it comes. Inputs are made once per kernel, outside
/// the timed runs.
pub fn run_all(reps: usize, mut progress: impl FnMut(&KernelTiming)) -> Vec<KernelTiming> {
    let cases: [(&str, &str, Case); 9] = [
        (
            "tap_conv (conv)",
            "VAE encoder: 128×28×28×1 → 32, k3 s2, ReLU",
            vae_conv,
        ),
        (
            "tap_conv (transposed)",
            "VAE decoder: 128×7×7×64 → 64, k3 s2, ReLU",
            vae_deconv,
        ),
        (
            "deconv_leaky",
            "DCGAN generator: 32×16×16×128 → 128, k4 s2",
            gan_deconv,
        ),
        ("taps::gather", "128×14×14×32, 9 taps, stride 2", gather),
        (
            "lstm_last",
            "char LSTM: 60 steps, batch 128, 128 units",
            lstm_case,
        ),
        ("log_softmax_pick", "4 096 rows × 15 000 classes", pick),
        (
            "projected_cross_entropy",
            "2 048 × 256 → 15 000 classes",
            projected,
        ),
        ("bce_logits_rows", "VAE loss: 128 × 784", bce),
        (
            "row_product",
            "one token onto the vocabulary: 256 → 15 000",
            row,
        ),
    ];
    let mut out = Vec::new();
    for (name, size, case) in cases {
        let (fused_ms, composed_ms) = case(reps);
        let timing = KernelTiming {
            name,
            size,
            fused_ms,
            composed_ms,
        };
        progress(&timing);
        out.push(timing);
    }
    let exp = exp_timing(reps);
    progress(&exp);
    out.push(exp);
    out
}

/// Median milliseconds of the kernel and of its composed form, `reps` runs each.
type Case = fn(usize) -> (f64, f64);

/// Times `run(inputs, true)` (the kernel) and `run(inputs, false)` (composed).
fn pair<I>(reps: usize, inputs: &I, run: impl Fn(&I, bool)) -> (f64, f64) {
    (
        median_ms(reps, || run(inputs, true)),
        median_ms(reps, || run(inputs, false)),
    )
}

fn median_ms(reps: usize, mut run: impl FnMut()) -> f64 {
    run();
    let mut times: Vec<f64> = (0..reps.max(1))
        .map(|_| {
            let start = Instant::now();
            run();
            start.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn device() -> Device {
    Device::flex().autodiff()
}

fn normal<const D: usize>(shape: [usize; D]) -> Tensor<D> {
    spread(shape, 1.0)
}

/// Normal with standard deviation `std`: weights at the scale Glorot gives
/// them, so that the logits stay near 1 (with unit weights a 256-wide
/// projection gives logits of ±50, whose exponentials underflow to denormal
/// floats and make both forms some thirty times slower).
fn spread<const D: usize>(shape: [usize; D], std: f64) -> Tensor<D> {
    Tensor::random(shape, Distribution::Normal(0.0, std), &device()).require_grad()
}

/// Σ out, backward: the gradients of every input are computed (burn-flex is eager).
fn backward<const D: usize>(out: Tensor<D>) {
    let grads = out.sum().backward();
    drop(grads);
}

type ConvInputs = (Tensor<4>, Tensor<4>, Tensor<1>);

fn conv_inputs(input: [usize; 4], k: usize, cout: usize) -> ConvInputs {
    #[expect(clippy::cast_precision_loss, reason = "layer sizes")]
    let std = 1.0 / ((k * k * input[3]) as f64).sqrt();
    (
        normal(input),
        spread([k, k, input[3], cout], std),
        normal([cout]),
    )
}

fn vae_conv(reps: usize) -> (f64, f64) {
    let inputs = conv_inputs([128, 28, 28, 1], 3, 32);
    let geometry = Geometry::conv([28, 28], [14, 14], 3, 2, [0, 0]);
    pair(reps, &inputs, |(x, k, b), fused| {
        let (x, k, b) = (x.clone(), k.clone(), b.clone());
        backward(if fused {
            tap_conv::tap_conv(x, k, b, &geometry, Activation::Relu)
        } else {
            Activation::Relu.composed(reference::conv(x, k, b, 2, [0, 1, 0, 1]))
        });
    })
}

fn vae_deconv(reps: usize) -> (f64, f64) {
    let inputs = conv_inputs([128, 7, 7, 64], 3, 64);
    let geometry = Geometry::transposed([7, 7], 3, 2, &phase_taps(3, 2, 0));
    pair(reps, &inputs, |(x, k, b), fused| {
        let (x, k, b) = (x.clone(), k.clone(), b.clone());
        backward(if fused {
            tap_conv::tap_conv(x, k, b, &geometry, Activation::Relu)
        } else {
            Activation::Relu.composed(reference::conv_transpose(x, k, b, 2, 0))
        });
    })
}

fn gan_deconv(reps: usize) -> (f64, f64) {
    let inputs = conv_inputs([32, 16, 16, 128], 4, 128);
    pair(reps, &inputs, |(x, k, b), fused| {
        let (x, k, b) = (x.clone(), k.clone(), b.clone());
        backward(if fused {
            deconv_leaky::deconv_leaky(x, k, b, 0.2)
        } else {
            deconv_leaky::leaky(reference::conv_transpose(x, k, b, 2, 1), 0.2)
        });
    })
}

fn gather(reps: usize) -> (f64, f64) {
    let x = normal([128, 14, 14, 32]);
    let spec = Taps {
        out: [7, 7],
        stride: 2,
        width: 32,
        taps: (0..9).map(|t| (t / 3 - 1, t % 3 - 1, 0)).collect(),
    };
    pair(reps, &x, |x, fused| {
        backward(if fused {
            taps::gather(x.clone(), &spec)
        } else {
            taps::gather_composed(x.clone(), &spec)
        });
    })
}

fn lstm_case(reps: usize) -> (f64, f64) {
    let inputs = (normal([60, 128, 512]), spread([128, 512], 1.0 / 16.0));
    pair(reps, &inputs, |(x, r), fused| {
        let (x, r) = (x.clone(), r.clone());
        backward(if fused {
            lstm::lstm_last(x, r)
        } else {
            lstm::lstm_last_composed(x, r)
        });
    })
}

fn targets(n: usize, classes: u32) -> Tensor<1, Int> {
    let top = f64::from(classes);
    Tensor::<1, Int>::random([n], Distribution::Uniform(0.0, top), &device())
}

fn pick(reps: usize) -> (f64, f64) {
    let inputs = (normal([4096, 15_000]), targets(4096, 15_000));
    pair(reps, &inputs, |(logits, targets), fused| {
        let (logits, targets) = (logits.clone(), targets.clone());
        backward(if fused {
            log_softmax_pick::log_softmax_pick(logits, targets)
        } else {
            log_softmax_pick::log_softmax_pick_composed(logits, targets)
        });
    })
}

fn projected(reps: usize) -> (f64, f64) {
    let weights = Tensor::ones([2048], &device());
    let inputs = (
        normal([2048, 256]),
        spread([256, 15_000], 1.0 / 16.0),
        normal([15_000]),
        targets(2048, 15_000),
    );
    pair(reps, &inputs, |(hidden, weight, bias, targets), fused| {
        let args = (
            hidden.clone(),
            weight.clone(),
            bias.clone(),
            targets.clone(),
        );
        backward(if fused {
            projected_cross_entropy::projected_cross_entropy(
                args.0,
                args.1,
                args.2,
                args.3,
                weights.clone(),
            )
        } else {
            projected_cross_entropy::projected_cross_entropy_composed(
                args.0,
                args.1,
                args.2,
                args.3,
                weights.clone(),
            )
        });
    })
}

fn bce(reps: usize) -> (f64, f64) {
    let inputs = (normal([128, 784]), normal([128, 784]).detach());
    pair(reps, &inputs, |(logits, targets), fused| {
        let (logits, targets) = (logits.clone(), targets.clone());
        backward(if fused {
            bce_logits::bce_logits_rows(logits, targets)
        } else {
            bce_logits::bce_logits_rows_composed(logits, targets)
        });
    })
}

/// The vectorised exponential against `f32::exp` over 4 M values.
/// Forward only, without autodiff: generation's one-row products.
fn row(reps: usize) -> (f64, f64) {
    let device = Device::flex();
    let make = |shape: &[usize]| {
        Tensor::<2>::random(shape.to_vec(), Distribution::Normal(0.0, 0.06), &device)
    };
    let x = make(&[1, 256]).reshape([256]);
    let w = make(&[256, 15_000]);
    let b = make(&[1, 15_000]).reshape([15_000]);
    pair(reps.max(20), &(x, w, b), |(x, w, b), fused| {
        let out = if fused {
            row_product::row_times(x.clone(), w.clone(), b.clone())
        } else {
            row_product::row_times_composed(x.clone(), w.clone(), b.clone())
        };
        drop(out);
    })
}

fn exp_timing(reps: usize) -> KernelTiming {
    #[expect(clippy::cast_precision_loss, reason = "test values")]
    let values: Vec<f32> = (0..4 << 20)
        .map(|i| (i % 1000) as f32 * 0.01 - 5.0)
        .collect();
    let mut buffer = values.clone();
    let fused_ms = median_ms(reps, || {
        buffer.copy_from_slice(&values);
        fast_math::exp_in_place(&mut buffer);
    });
    let composed_ms = median_ms(reps, || {
        buffer.copy_from_slice(&values);
        for v in &mut buffer {
            *v = v.exp();
        }
    });
    KernelTiming {
        name: "fast_math::exp_in_place",
        size: "4 194 304 values, one core",
        fused_ms,
        composed_ms,
    }
}
