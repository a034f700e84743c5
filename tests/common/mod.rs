//! Shared by the pretrained-network tests: reading a reference fixture made by
//! a script in tests/reference/ and comparing activations with it.

use burn::tensor::Tensor;

/// Rows of a fixture: tap name, channels, height, width, sum, sum of squares,
/// then 8 values sampled at indices (i · 7919) mod size.
pub struct Fixture {
    pub rows: Vec<Vec<String>>,
}

/// How close the activations must be.
pub struct Tolerance {
    /// Relative, for the sum and the sum of squares.
    pub sums: f64,
    /// Relative and absolute parts for each sampled value.
    pub relative: f64,
    pub absolute: f64,
}

impl Fixture {
    pub fn read(name: &str) -> Self {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name);
        let text = std::fs::read_to_string(path).unwrap();
        let rows = text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .map(|l| l.split_whitespace().map(str::to_owned).collect())
            .collect();
        Self { rows }
    }

    /// The tap names, in order.
    pub fn taps(&self) -> Vec<&str> {
        self.rows.iter().map(|r| r[0].as_str()).collect()
    }

    /// Asserts each activation [1, c, h, w] matches its row.
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "fixture sizes"
    )]
    pub fn assert_matches(&self, activations: Vec<Tensor<4>>, tolerance: &Tolerance) {
        assert_eq!(activations.len(), self.rows.len());
        for (row, tap) in self.rows.iter().zip(activations) {
            let num = |i: usize| row[i].parse::<f64>().unwrap();
            let dims = tap.dims();
            assert_eq!(
                [dims[1], dims[2], dims[3]],
                [num(1) as usize, num(2) as usize, num(3) as usize],
                "{}",
                row[0]
            );
            let values: Vec<f64> = tap
                .into_data()
                .as_slice::<f32>()
                .unwrap()
                .iter()
                .map(|v| f64::from(*v))
                .collect();
            let sum: f64 = values.iter().sum();
            let squares: f64 = values.iter().map(|v| v * v).sum();
            assert!(
                (sum - num(4)).abs() <= tolerance.sums * num(4).abs(),
                "{} sum {sum} vs {}",
                row[0],
                num(4)
            );
            assert!(
                (squares - num(5)).abs() <= tolerance.sums * num(5).abs(),
                "{} squares {squares} vs {}",
                row[0],
                num(5)
            );
            for i in 0..8 {
                let got = values[(i * 7919) % values.len()];
                let want = num(6 + i);
                assert!(
                    (got - want).abs() <= tolerance.relative * want.abs() + tolerance.absolute,
                    "{} value {i}: {got} vs {want}",
                    row[0]
                );
            }
        }
    }
}

/// Waits for the first step time `step_secs` finds in the job's events,
/// cancels, and asserts the job ends within one more step (plus slack for a
/// loaded machine).
pub fn assert_cancels_within_a_step<E: std::fmt::Debug, C>(
    handle: &mut latent_studio::job::JobHandle<E, C>,
    step_secs: impl Fn(&E) -> Option<f32>,
) {
    use latent_studio::job::JobMessage;
    use std::time::{Duration, Instant};
    let step = loop {
        match handle.recv_blocking() {
            Some(JobMessage::Event(event)) => {
                if let Some(secs) = step_secs(&event) {
                    break Duration::from_secs_f32(secs);
                }
            }
            other => panic!("job ended early: {other:?}"),
        }
    };
    let asked = Instant::now();
    handle.cancel();
    loop {
        match handle.recv_blocking() {
            Some(JobMessage::Cancelled) => break,
            Some(JobMessage::Event(_)) => {}
            other => panic!("expected Cancelled, got {other:?}"),
        }
    }
    let took = asked.elapsed();
    assert!(
        took < step * 2 + Duration::from_secs(2),
        "{took:?} for steps of {step:?}"
    );
}

/// Two ways of computing the same taps of a frozen network — the CPU's
/// channels-last `frozen` layers and burn's own ops — agree on `picture`:
/// the taps' values, and the input gradient of Σ mean(tap²), each to
/// `tolerance` in relative L2.
pub fn assert_paths_agree(
    frozen: impl Fn(Tensor<4>) -> Vec<Tensor<4>>,
    reference: impl Fn(Tensor<4>) -> Vec<Tensor<4>>,
    picture: &Tensor<4>,
    tolerance: f32,
) {
    use latent_studio::job::read_f32;
    let run = |features: &dyn Fn(Tensor<4>) -> Vec<Tensor<4>>| {
        let tracked = picture.clone().autodiff().require_grad();
        let taps = features(tracked.clone());
        let values: Vec<Vec<f32>> = taps
            .iter()
            .map(|t| read_f32(t.clone().detach().inner()).unwrap())
            .collect();
        let loss = taps
            .into_iter()
            .map(|t| t.square().mean())
            .reduce(|a, b| a + b)
            .unwrap();
        let grads = loss.backward();
        (values, read_f32(tracked.grad(&grads).unwrap()).unwrap())
    };
    let relative = |a: &[f32], b: &[f32]| {
        assert_eq!(a.len(), b.len());
        let difference: f32 = a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum();
        let size: f32 = b.iter().map(|y| y * y).sum();
        (difference / size).sqrt()
    };
    let (values, gradient) = run(&frozen);
    let (expected_values, expected_gradient) = run(&reference);
    assert_eq!(values.len(), expected_values.len());
    for (tap, (got, want)) in values.iter().zip(&expected_values).enumerate() {
        let l2 = relative(got, want);
        assert!(l2 < tolerance, "tap {tap}: relative L2 {l2:e}");
    }
    let l2 = relative(&gradient, &expected_gradient);
    eprintln!("input gradient, frozen layers vs burn's ops: relative L2 {l2:e}");
    assert!(l2 < tolerance, "input gradient: relative L2 {l2:e}");
}
