//! The book's `train_step` (chapter 12.5) on explicit inputs, so a reference
//! implementation can be fed the same latents and label noise
//! (`tests/reference/dcgan_reference.py`), and the exponential moving average
//! of the generator's weights. Burn only: losses come back as tensors, the job
//! reads them.

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::{Distribution, Tensor};

use super::model::{Discriminator, GanConfig, Generator, bce_with_logits};

/// Both players and their Adam states.
pub struct Players {
    pub generator: Generator,
    pub discriminator: Discriminator,
    pub d_optimizer: ModuleOptimizer,
    pub g_optimizer: ModuleOptimizer,
}

/// What one step draws: the real batch, latents for each player's half of
/// the step, and the label noise (already scaled) for the discriminator's
/// 2·batch labels.
pub struct StepInputs {
    pub real: Tensor<4>,
    pub d_latents: Tensor<2>,
    pub label_noise: Tensor<2>,
    pub g_latents: Tensor<2>,
}

impl StepInputs {
    /// The book's draws: latents from N(0, 1), noise `scale`·U(0, 1).
    pub fn draw(real: Tensor<4>, latent_dim: usize, scale: f32) -> Self {
        let device = real.device();
        let [batch, ..] = real.dims();
        let normal =
            || Tensor::<2>::random([batch, latent_dim], Distribution::Normal(0.0, 1.0), &device);
        let d_latents = normal();
        let label_noise =
            Tensor::<2>::random([2 * batch, 1], Distribution::Uniform(0.0, 1.0), &device)
                .mul_scalar(scale);
        let g_latents = normal();
        Self {
            real,
            d_latents,
            label_noise,
            g_latents,
        }
    }
}

/// The two losses of a step, still on the device.
pub struct StepLosses {
    pub d_loss: Tensor<1>,
    pub g_loss: Tensor<1>,
}

/// The book's optimiser (Keras' epsilon); `beta_1` 0.9 in the book, 0.5 in
/// the DCGAN paper.
pub fn adam(beta_1: f32) -> ModuleOptimizer {
    AdamConfig::new()
        .with_beta_1(beta_1)
        .with_epsilon(1e-7)
        .init()
}

impl Players {
    /// Freshly initialised players (on an autodiff device).
    pub fn new(config: &GanConfig, beta_1: f32, device: &burn::tensor::Device) -> Self {
        Self {
            generator: config.generator(device),
            discriminator: config.discriminator(device),
            d_optimizer: adam(beta_1),
            g_optimizer: adam(beta_1),
        }
    }

    /// One discriminator step, then one generator step.
    pub fn step(&mut self, inputs: StepInputs, d_rate: f64, g_rate: f64) -> StepLosses {
        let StepInputs {
            real,
            d_latents,
            label_noise,
            g_latents,
        } = inputs;
        let device = real.device();
        let [batch, ..] = real.dims();
        // Discriminator: generated labelled 1, real 0, plus label noise.
        // No gradient flows into the generator here: run it without autodiff.
        let fake = self.generator.valid().forward(d_latents.inner()).autodiff();
        let labels = Tensor::cat(
            vec![
                Tensor::<2>::ones([batch, 1], &device),
                Tensor::zeros([batch, 1], &device),
            ],
            0,
        );
        let d_loss = bce_with_logits(
            self.discriminator.forward(Tensor::cat(vec![fake, real], 0)),
            labels + label_noise,
        );
        let grads = GradientsParams::from_grads(d_loss.backward(), &self.discriminator);
        self.discriminator = self
            .d_optimizer
            .step(d_rate, self.discriminator.clone(), grads);
        // Generator: through the discriminator, with the misleading label "real".
        let predictions = self
            .discriminator
            .forward(self.generator.forward(g_latents));
        let g_loss = bce_with_logits(predictions, Tensor::zeros([batch, 1], &device));
        let grads = GradientsParams::from_grads(g_loss.backward(), &self.generator);
        self.generator = self.g_optimizer.step(g_rate, self.generator.clone(), grads);
        StepLosses {
            d_loss: d_loss.detach(),
            g_loss: g_loss.detach(),
        }
    }
}

/// `average` moved toward `live` by `1 − decay` (the generator's exponential
/// moving average: `average·decay + live·(1 − decay)` for every weight).
pub fn ema_update(average: Generator, live: &Generator, decay: f32) -> Generator {
    let mut weights = Collect(Vec::new());
    live.visit(&mut weights);
    weights.0.reverse();
    average.map(&mut Blend {
        live: weights.0,
        decay,
    })
}

/// Every float weight, flattened, in visiting order.
struct Collect(Vec<Tensor<1>>);

impl ModuleVisitor for Collect {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let value = param.val().inner();
        let count = value.shape().num_elements();
        self.0.push(value.reshape([count]));
    }
}

struct Blend {
    /// The live weights, last first (popped in visiting order).
    live: Vec<Tensor<1>>,
    decay: f32,
}

impl ModuleMapper for Blend {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let Some(live) = self.live.pop() else {
            return param;
        };
        param.map(|average| {
            let shape = average.shape();
            average.mul_scalar(self.decay) + live.reshape(shape).mul_scalar(1.0 - self.decay)
        })
    }
}
