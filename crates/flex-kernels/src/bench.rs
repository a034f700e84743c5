//! Each kernel against its composed form at the size the studio runs it,
//! forward and backward (`latent-studio bench kernels`).

use std::time::Instant;

use burn::tensor::{Device, Distribution, Int, Tensor};

use crate::tap_conv::{Activation, Geometry, phase_taps};
use crate::taps::Taps;
use crate::{
    bce_logits, deconv_leaky, fast_math, log_softmax_pick, lstm, projected_cross_entropy,
    reference, tap_conv, taps,
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
/// is told each result as it comes.
pub fn run_all(reps: usize, mut progress: impl FnMut(&KernelTiming)) -> Vec<KernelTiming> {
    let cases: [(&str, &str, Case); 8] = [
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
    ];
    let mut out = Vec::new();
    for (name, size, case) in cases {
        let timing = KernelTiming {
            name,
            size,
            fused_ms: median_ms(reps, || case(true)),
            composed_ms: median_ms(reps, || case(false)),
        };
        progress(&timing);
        out.push(timing);
    }
    let exp = exp_timing(reps);
    progress(&exp);
    out.push(exp);
    out
}

/// A kernel (`true`) or its composed form (`false`), forward and backward.
type Case = fn(bool);

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
    Tensor::random(shape, Distribution::Normal(0.0, 1.0), &device()).require_grad()
}

/// Σ out, backward, and wait for the gradients (burn-flex is eager).
fn backward<const D: usize>(out: Tensor<D>) {
    let grads = out.sum().backward();
    drop(grads);
}

fn conv_case(input: [usize; 4], cout: usize, transposed: bool, fused: bool) {
    let [_, h, w, cin] = input;
    let (x, kernel, bias) = (normal(input), normal([3, 3, cin, cout]), normal([cout]));
    let out = match (transposed, fused) {
        (false, true) => {
            let geometry = Geometry::conv([h, w], [h / 2, w / 2], 3, 2, [0, 0]);
            tap_conv::tap_conv(x, kernel, bias, &geometry, Activation::Relu)
        }
        (false, false) => {
            Activation::Relu.composed(reference::conv(x, kernel, bias, 2, [0, 1, 0, 1]))
        }
        (true, true) => {
            let geometry = Geometry::transposed([h, w], 3, 2, &phase_taps(3, 2, 0));
            tap_conv::tap_conv(x, kernel, bias, &geometry, Activation::Relu)
        }
        (true, false) => {
            Activation::Relu.composed(reference::conv_transpose(x, kernel, bias, 2, 0))
        }
    };
    backward(out);
}

fn vae_conv(fused: bool) {
    conv_case([128, 28, 28, 1], 32, false, fused);
}

fn vae_deconv(fused: bool) {
    conv_case([128, 7, 7, 64], 64, true, fused);
}

fn gan_deconv(fused: bool) {
    let (x, kernel, bias) = (
        normal([32, 16, 16, 128]),
        normal([4, 4, 128, 128]),
        normal([128]),
    );
    let out = if fused {
        deconv_leaky::deconv_leaky(x, kernel, bias, 0.2)
    } else {
        deconv_leaky::leaky(reference::conv_transpose(x, kernel, bias, 2, 1), 0.2)
    };
    backward(out);
}

fn gather(fused: bool) {
    let x = normal([128, 14, 14, 32]);
    let spec = Taps {
        out: [7, 7],
        stride: 2,
        width: 32,
        taps: (0..9).map(|t| (t / 3 - 1, t % 3 - 1, 0)).collect(),
    };
    let out = if fused {
        taps::gather(x, &spec)
    } else {
        taps::gather_composed(x, &spec)
    };
    backward(out);
}

fn lstm_case(fused: bool) {
    let (inputs, recurrent) = (normal([60, 128, 512]), normal([128, 512]));
    let out = if fused {
        lstm::lstm_last(inputs, recurrent)
    } else {
        lstm::lstm_last_composed(inputs, recurrent)
    };
    backward(out);
}

fn targets(n: usize, classes: u32) -> Tensor<1, Int> {
    let top = f64::from(classes);
    Tensor::<1, Int>::random([n], Distribution::Uniform(0.0, top), &device())
}

fn pick(fused: bool) {
    let (logits, targets) = (normal([4096, 15_000]), targets(4096, 15_000));
    let out = if fused {
        log_softmax_pick::log_softmax_pick(logits, targets)
    } else {
        log_softmax_pick::log_softmax_pick_composed(logits, targets)
    };
    backward(out);
}

fn projected(fused: bool) {
    let (hidden, weight, bias) = (normal([2048, 256]), normal([256, 15_000]), normal([15_000]));
    let (targets, weights) = (targets(2048, 15_000), Tensor::ones([2048], &device()));
    let out = if fused {
        projected_cross_entropy::projected_cross_entropy(hidden, weight, bias, targets, weights)
    } else {
        projected_cross_entropy::projected_cross_entropy_composed(
            hidden, weight, bias, targets, weights,
        )
    };
    backward(out);
}

fn bce(fused: bool) {
    let (logits, targets) = (normal([128, 784]), normal([128, 784]).detach());
    let out = if fused {
        bce_logits::bce_logits_rows(logits, targets)
    } else {
        bce_logits::bce_logits_rows_composed(logits, targets)
    };
    backward(out);
}

/// The vectorised exponential against `f32::exp` over 4 M values.
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
