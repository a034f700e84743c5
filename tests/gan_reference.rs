//! The DCGAN's training step against an independent PyTorch implementation
//! (`tests/reference/dcgan_reference.py`): the small model, the same initial
//! weights, the same batches of real face emoji (through the product's own
//! data path), the same latents and label noise, dropout off (the only random
//! draw the two cannot share). The fixture holds the reference's losses for
//! 300 steps; CI checks the first steps.
//!
//! Regenerate the fixture (and see the whole 300-step comparison):
//!
//! ```text
//! LATENT_STUDIO_DCGAN_DUMP=/tmp/dcgan cargo test --release --test gan_reference
//! python3 tests/reference/dcgan_reference.py /tmp/dcgan > tests/fixtures/dcgan_reference.txt
//! ```

use std::io::Write;
use std::path::Path;

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::{Device, Tensor, TensorData};
use latent_studio::techniques::gan::data::{self, ImageSource};
use latent_studio::techniques::gan::job::{batch_tensor, normal_latents};
use latent_studio::techniques::gan::model::GanConfig;
use latent_studio::techniques::gan::step::{Players, StepInputs};

const BATCH: usize = 32;
const BATCHES: usize = 10;
const STEPS: usize = 300;
const CHECKED: usize = 8;

/// The latents and label noise of step `step`, from the studio's own seeded draws.
fn draws(step: usize, latent: usize) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let s = step as u64;
    let noise = {
        let mut rng = latent_studio::rng::Rng(3000 + s);
        (0..2 * BATCH).map(|_| 0.05 * rng.uniform()).collect()
    };
    (
        normal_latents(BATCH * latent, 1000 + s),
        noise,
        normal_latents(BATCH * latent, 2000 + s),
    )
}

/// Every float weight with its path (`generator.deconv1.kernel`), in visiting order.
struct Named {
    path: Vec<String>,
    found: Vec<(String, Vec<usize>, Vec<f32>)>,
}

impl ModuleVisitor for Named {
    fn enter_module(&mut self, name: &str, _: &str) {
        self.path.push(name.to_owned());
    }
    fn exit_module(&mut self, _: &str, _: &str) {
        self.path.pop();
    }
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let value = param.val();
        let shape = value.dims().to_vec();
        let values = value.into_data().try_to_vec::<f32>().unwrap();
        self.found.push((self.path.join("."), shape, values));
    }
}

fn write_f32(path: &Path, values: &[f32]) {
    let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(path, bytes).unwrap();
}

/// Writes the initial weights, the batches and every step's draws for the reference.
fn dump(dir: &Path, players: &Players, batches: &[Vec<f32>], latent: usize) {
    std::fs::create_dir_all(dir).unwrap();
    let mut index = Vec::new();
    for (owner, module) in [("generator", 0), ("discriminator", 1)] {
        let mut named = Named {
            path: vec![owner.to_owned()],
            found: Vec::new(),
        };
        if module == 0 {
            players.generator.visit(&mut named);
        } else {
            players.discriminator.visit(&mut named);
        }
        for (name, shape, values) in named.found {
            write_f32(&dir.join(format!("{name}.f32")), &values);
            index.push(serde_json::json!({ "name": name, "shape": shape }));
        }
    }
    let all: Vec<f32> = batches.concat();
    write_f32(&dir.join("batches.f32"), &all);
    let (mut for_d, mut noise, mut for_g) = (Vec::new(), Vec::new(), Vec::new());
    for step in 0..STEPS {
        let (d_latents, label_noise, g_latents) = draws(step, latent);
        for_d.extend(d_latents);
        noise.extend(label_noise);
        for_g.extend(g_latents);
    }
    write_f32(&dir.join("d_latents.f32"), &for_d);
    write_f32(&dir.join("noise.f32"), &noise);
    write_f32(&dir.join("g_latents.f32"), &for_g);
    let meta = serde_json::json!({
        "weights": index, "batch": BATCH, "batches": BATCHES, "steps": STEPS,
        "latent": latent, "side": 64,
    });
    std::fs::write(dir.join("meta.json"), meta.to_string()).unwrap();
}

/// The reference's losses: lines `step d_loss g_loss`.
fn fixture() -> Vec<(f32, f32)> {
    include_str!("fixtures/dcgan_reference.txt")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let parts: Vec<f32> = l.split_whitespace().map(|v| v.parse().unwrap()).collect();
            (parts[1], parts[2])
        })
        .collect()
}

#[test]
fn training_steps_match_the_pytorch_reference() {
    let device = Device::flex().autodiff();
    device.seed(7);
    let config = GanConfig::small();
    let mut players = Players::new(&config, 0.9, &device);
    players.discriminator.set_dropout(0.0);
    let images = data::load(&ImageSource::Faces {
        limit: Some(BATCH * BATCHES),
    })
    .unwrap();
    let batches: Vec<Vec<f32>> = (0..BATCHES)
        .map(|b| {
            let indices: Vec<usize> = (b * BATCH..(b + 1) * BATCH).collect();
            batch_tensor(&images, &indices, 64, None, &Device::flex())
                .into_data()
                .try_to_vec::<f32>()
                .unwrap()
        })
        .collect();
    let dump_dir = std::env::var_os("LATENT_STUDIO_DCGAN_DUMP").map(std::path::PathBuf::from);
    if let Some(dir) = &dump_dir {
        dump(dir, &players, &batches, config.latent_dim);
    }
    let steps = if dump_dir.is_some() { STEPS } else { CHECKED };
    let want = fixture();
    let mut ours = Vec::new();
    for step in 0..steps {
        let (d, noise, g) = draws(step, config.latent_dim);
        let tensor = |values: Vec<f32>, shape: [usize; 2]| {
            Tensor::<2>::from_data(TensorData::new(values, shape), &device)
        };
        let real = Tensor::<4>::from_data(
            TensorData::new(batches[step % BATCHES].clone(), [BATCH, 3, 64, 64]),
            &device,
        );
        let losses = players.step(
            StepInputs {
                real,
                d_latents: tensor(d, [BATCH, config.latent_dim]),
                label_noise: tensor(noise, [2 * BATCH, 1]),
                g_latents: tensor(g, [BATCH, config.latent_dim]),
            },
            1e-4,
            1e-4,
        );
        let value = |t: Tensor<1>| t.into_data().try_to_vec::<f32>().unwrap()[0];
        ours.push((value(losses.d_loss), value(losses.g_loss)));
    }
    if let Some(dir) = &dump_dir {
        let mut out = std::fs::File::create(dir.join("studio_losses.txt")).unwrap();
        for (step, (d, g)) in ours.iter().enumerate() {
            writeln!(out, "{step} {d} {g}").unwrap();
        }
        return;
    }
    assert!(
        want.len() >= CHECKED,
        "the fixture has {} steps",
        want.len()
    );
    for (step, (ours, theirs)) in ours.iter().zip(&want).take(CHECKED).enumerate() {
        for (a, b) in [(ours.0, theirs.0), (ours.1, theirs.1)] {
            assert!(
                (a - b).abs() <= 2e-3 * b.abs().max(1.0),
                "step {step}: studio {ours:?}, reference {theirs:?}"
            );
        }
    }
}
