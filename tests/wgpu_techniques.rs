//! The techniques on wgpu (lavapipe here and in CI) against burn-flex, from
//! the same initial state: the same losses and outputs within a stated
//! tolerance: the VAE (two training batches and a decode) and the DCGAN (its
//! sample grid, its judgement, a training step). The text models:
//! `wgpu_text.rs`; style transfer: `wgpu_style.rs`; DeepDream not yet. On
//! lavapipe the kernels compile and run on the CPU: minutes.

use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::{Device, Tensor};
use latent_studio::assets::{self, Cache, Manifest};
use latent_studio::job::read_f32;
use latent_studio::techniques::gan::model::{Discriminator, Generator};
use latent_studio::techniques::vae::data::load_mnist;
use latent_studio::techniques::vae::job::batch_tensor;
use latent_studio::techniques::vae::model::{Vae, VaeSettings, vae_loss};

/// Relative tolerance between the two backends (f32, different summation orders).
const TOLERANCE: f32 = 1e-3;

fn close(a: f32, b: f32) -> bool {
    (a - b).abs() <= TOLERANCE * a.abs().max(b.abs()).max(1.0)
}

/// The VAE's loss on `images` with z at its mean (no sampling, so both
/// backends see the same numbers), and the decoded digits.
fn vae_figures(vae: &Vae, images: Tensor<4>) -> (f32, Vec<f32>) {
    let (z_mean, z_log_var) = vae.encoder.forward(images.clone());
    let logits = vae.decoder.forward_logits(z_mean.clone());
    let decoded = burn::tensor::activation::sigmoid(logits.clone());
    let loss = vae_loss(images, logits, z_mean, z_log_var).total;
    (read_f32(loss).unwrap()[0], read_f32(decoded).unwrap())
}

/// Two Adam steps on `batches`, then the figures on the first batch again.
fn vae_two_batches(mut vae: Vae, device: &Device, batches: &[Vec<usize>]) -> Vec<f32> {
    let dir = assets::ensure(&Cache::user(), &Manifest::bundled(), "mnist").unwrap();
    let (digits, _) = load_mnist(&dir).unwrap();
    let autodiff = device.clone().autodiff();
    let mut optimizer = AdamConfig::new().init();
    let mut losses = Vec::new();
    for batch in batches {
        let images = batch_tensor(&digits, batch, &autodiff);
        let (z_mean, z_log_var) = vae.encoder.forward(images.clone());
        let logits = vae.decoder.forward_logits(z_mean.clone());
        let loss = vae_loss(images, logits, z_mean, z_log_var).total;
        losses.push(read_f32(loss.clone().detach()).unwrap()[0]);
        let grads = GradientsParams::from_grads(loss.backward(), &vae);
        vae = optimizer.step(1e-3, vae, grads);
    }
    let (after, decoded) = vae_figures(&vae.valid(), batch_tensor(&digits, &batches[0], device));
    losses.push(after);
    losses.push(decoded.iter().sum());
    losses
}

#[test]
fn the_vae_trains_and_decodes_alike_on_wgpu_and_flex() {
    let flex = Device::flex();
    let gpu = latent_studio::backend::wgpu_device();
    flex.seed(3);
    let vae = VaeSettings::new().init(&flex.clone().autodiff());
    // The same initial weights on the GPU, through a file as a checkpoint
    // carries them (a moved autodiff module would share its graph).
    let file = std::env::temp_dir().join(format!("ls-wgpu-vae-{}", std::process::id()));
    vae.clone().save_file(&file).unwrap();
    let on_gpu_model = VaeSettings::new()
        .init(&gpu.clone().autodiff())
        .try_load_file(&file)
        .unwrap();
    let batches = [(0..16).collect::<Vec<_>>(), (16..32).collect()];
    let on_flex = vae_two_batches(vae, &flex, &batches);
    let on_gpu = vae_two_batches(on_gpu_model, &gpu, &batches);
    eprintln!("flex {on_flex:?}\nwgpu {on_gpu:?}");
    // The two steps trained: the first batch's loss fell on both.
    assert!(on_flex[2] < on_flex[0] && on_gpu[2] < on_gpu[0]);
    assert!(
        on_flex.iter().zip(&on_gpu).all(|(a, b)| close(*a, *b)),
        "flex {on_flex:?}\nwgpu {on_gpu:?}"
    );
}

#[test]
fn the_gan_draws_and_judges_alike_on_wgpu_and_flex() {
    use latent_studio::techniques::gan::job::normal_latents;
    use latent_studio::techniques::gan::model::GanConfig;
    let (flex, gpu) = (Device::flex(), latent_studio::backend::wgpu_device());
    let config = GanConfig::small();
    flex.seed(5);
    let (generator, discriminator) = (config.generator(&flex), config.discriminator(&flex));
    let file =
        |name: &str| std::env::temp_dir().join(format!("ls-wgpu-{name}-{}", std::process::id()));
    generator.clone().save_file(file("g")).unwrap();
    discriminator.clone().save_file(file("d")).unwrap();
    let on_gpu = (
        config.generator(&gpu).try_load_file(file("g")).unwrap(),
        config.discriminator(&gpu).try_load_file(file("d")).unwrap(),
    );
    // The tab's 16 fixed latent points, drawn on the host.
    let latents = normal_latents(16 * config.latent_dim, 5);
    let figures = |(generator, discriminator): (Generator, Discriminator), device: &Device| {
        let z =
            Tensor::<1>::from_floats(latents.as_slice(), device).reshape([16, config.latent_dim]);
        let images = generator.forward(z);
        let judged = discriminator.forward(images.clone());
        (read_f32(images).unwrap(), read_f32(judged).unwrap())
    };
    let (flex_images, flex_judged) = figures((generator, discriminator), &flex);
    let (gpu_images, gpu_judged) = figures(on_gpu, &gpu);
    let largest = flex_images
        .iter()
        .zip(&gpu_images)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    eprintln!("largest pixel difference {largest:e}; judged {flex_judged:?} / {gpu_judged:?}");
    assert!(largest <= TOLERANCE, "pixels differ by {largest}");
    assert!(
        flex_judged
            .iter()
            .zip(&gpu_judged)
            .all(|(a, b)| close(*a, *b))
    );
}

/// One DCGAN training step (the small model, dropout off so that nothing is
/// drawn on the device; latents and label noise drawn on the host) from the
/// same weights on both backends: its two losses, and the sample grid after it.
fn gan_step(
    (generator, discriminator): (Generator, Discriminator),
    images: &latent_studio::techniques::gan::data::Images,
    (latent, device): (usize, &Device),
) -> Vec<f32> {
    use latent_studio::techniques::gan::job::{batch_tensor, normal_latents};
    use latent_studio::techniques::gan::step::{Players, StepInputs, adam};
    const BATCH: usize = 8;
    let autodiff = device.clone().autodiff();
    let mut players = Players {
        generator,
        discriminator,
        d_optimizer: adam(0.5),
        g_optimizer: adam(0.5),
    };
    let host = |values: Vec<f32>, rows: usize| {
        Tensor::<1>::from_floats(values.as_slice(), &autodiff).reshape([rows, values.len() / rows])
    };
    let mut noise = latent_studio::rng::Rng(11);
    let inputs = StepInputs {
        real: batch_tensor(images, &(0..BATCH).collect::<Vec<_>>(), 32, None, &autodiff),
        d_latents: host(normal_latents(BATCH * latent, 1), BATCH),
        label_noise: host(
            (0..2 * BATCH).map(|_| 0.05 * noise.uniform()).collect(),
            2 * BATCH,
        ),
        g_latents: host(normal_latents(BATCH * latent, 2), BATCH),
    };
    let losses = players.step(inputs, 2e-4, 2e-4);
    let z = Tensor::<1>::from_floats(normal_latents(16 * latent, 5).as_slice(), device)
        .reshape([16, latent]);
    let mut figures = read_f32(Tensor::cat(vec![losses.d_loss, losses.g_loss], 0).inner()).unwrap();
    figures.extend(read_f32(players.generator.valid().forward(z)).unwrap());
    figures
}

#[test]
fn a_gan_training_step_is_the_same_on_wgpu_and_flex() {
    use latent_studio::techniques::gan::data::{self, ImageSource};
    use latent_studio::techniques::gan::model::GanConfig;
    let (flex, gpu) = (Device::flex(), latent_studio::backend::wgpu_device());
    let config = GanConfig {
        dropout: 0.0,
        side: 32,
        ..GanConfig::small()
    };
    let images = data::load(&ImageSource::Faces { limit: Some(8) }).unwrap();
    let (flex_ad, gpu_ad) = (flex.clone().autodiff(), gpu.clone().autodiff());
    let (generator, discriminator) = (config.generator(&flex_ad), config.discriminator(&flex_ad));
    let file = |name: &str| {
        std::env::temp_dir().join(format!("ls-wgpu-step-{name}-{}", std::process::id()))
    };
    generator.clone().save_file(file("g")).unwrap();
    discriminator.clone().save_file(file("d")).unwrap();
    let gpu_players = (
        config.generator(&gpu_ad).try_load_file(file("g")).unwrap(),
        config
            .discriminator(&gpu_ad)
            .try_load_file(file("d"))
            .unwrap(),
    );
    let on_flex = gan_step(
        (generator, discriminator),
        &images,
        (config.latent_dim, &flex),
    );
    let stepped_on_gpu = gan_step(gpu_players, &images, (config.latent_dim, &gpu));
    eprintln!(
        "losses flex {:?} wgpu {:?}",
        &on_flex[..2],
        &stepped_on_gpu[..2]
    );
    assert!(close(on_flex[0], stepped_on_gpu[0]) && close(on_flex[1], stepped_on_gpu[1]));
    let largest = on_flex[2..]
        .iter()
        .zip(&stepped_on_gpu[2..])
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    eprintln!("largest pixel difference after the step {largest:e}");
    assert!(largest <= TOLERANCE, "pixels differ by {largest}");
}
