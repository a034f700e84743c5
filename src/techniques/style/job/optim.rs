//! Optimisers over the combination image: the book's SGD with exponential
//! decay, Adam, and L-BFGS (Gatys et al.'s choice). The image is the only
//! parameter, so these act on one tensor; L-BFGS reads its dot products back.

use burn::tensor::Tensor;

use crate::job::{JobError, read_scalar};
use crate::techniques::style::model::{
    BOOK_DECAY_RATE, BOOK_DECAY_STEPS, BOOK_HEIGHT, BOOK_SGD_RATE,
};

/// Which optimiser moves the pixels.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    clap::ValueEnum,
    serde::Serialize,
    serde::Deserialize,
)]
pub enum OptimizerKind {
    /// The book: SGD, lr 100 × 0.96^(step/100).
    #[default]
    Sgd,
    Adam,
    /// Limited-memory BFGS (history 10), as Gatys et al.
    Lbfgs,
}

impl OptimizerKind {
    pub const ALL: [Self; 3] = [Self::Sgd, Self::Adam, Self::Lbfgs];

    pub fn label(self) -> &'static str {
        match self {
            Self::Sgd => "SGD (book)",
            Self::Adam => "Adam",
            Self::Lbfgs => "L-BFGS",
        }
    }

    /// The default learning rate at `height` px, and why when it differs from
    /// the book's. The style loss divides by (H·W)², so its gradient per pixel
    /// grows as the image shrinks: the book's SGD lr of 100 (tuned at 400 px)
    /// diverges at 128 px. SGD's rate is therefore scaled by (height / 400)²
    /// below 400 px; Adam and L-BFGS do not depend on the gradient's scale.
    pub fn default_learning_rate(self, height: u32) -> (f64, Option<String>) {
        match self {
            Self::Sgd if height < BOOK_HEIGHT => {
                let scale = (f64::from(height) / f64::from(BOOK_HEIGHT)).powi(2);
                (
                    BOOK_SGD_RATE * scale,
                    Some(format!(
                        "SGD learning rate scaled to {:.3} (the book's {BOOK_SGD_RATE} × ({height}/{BOOK_HEIGHT})²): the book's rate diverges below {BOOK_HEIGHT} px",
                        BOOK_SGD_RATE * scale
                    )),
                )
            }
            Self::Sgd => (BOOK_SGD_RATE, None),
            Self::Adam => (4.0, None),
            Self::Lbfgs => (1.0, None),
        }
    }
}

/// Adam's moment estimates.
struct AdamState {
    m: Tensor<4>,
    v: Tensor<4>,
    t: i32,
}

/// L-BFGS memory: the last few steps and gradient changes.
#[derive(Default)]
struct LbfgsState {
    history: Vec<(Tensor<1>, Tensor<1>, f64)>,
    /// The last accepted point, its loss and gradient, and the direction taken from it.
    accepted: Option<(Tensor<4>, f64, Tensor<1>, Tensor<1>)>,
    step: f64,
    h_diag: f64,
}

const LBFGS_HISTORY: usize = 10;

/// Moves the image one step downhill.
pub struct ImageOptimizer {
    kind: OptimizerKind,
    learning_rate: f64,
    adam: Option<AdamState>,
    lbfgs: LbfgsState,
}

impl ImageOptimizer {
    pub fn new(kind: OptimizerKind, learning_rate: f64) -> Self {
        Self {
            kind,
            learning_rate,
            adam: None,
            lbfgs: LbfgsState::default(),
        }
    }

    /// The rate in force at `iteration` (SGD decays ×0.96 every 100 steps, continuously, as
    /// Keras' `ExponentialDecay`).
    pub fn learning_rate_at(&self, iteration: usize) -> f64 {
        match self.kind {
            #[expect(clippy::cast_precision_loss, reason = "step counts")]
            OptimizerKind::Sgd => {
                self.learning_rate * BOOK_DECAY_RATE.powf(iteration as f64 / BOOK_DECAY_STEPS)
            }
            OptimizerKind::Adam | OptimizerKind::Lbfgs => self.learning_rate,
        }
    }

    /// The next image from `x`, whose loss is `loss` and gradient `grad`.
    pub fn step(
        &mut self,
        iteration: usize,
        x: Tensor<4>,
        loss: f64,
        grad: Tensor<4>,
    ) -> Result<Tensor<4>, JobError> {
        let lr = self.learning_rate_at(iteration);
        match self.kind {
            OptimizerKind::Sgd => Ok(x - grad.mul_scalar(lr)),
            OptimizerKind::Adam => Ok(self.adam_step(x, grad, lr)),
            OptimizerKind::Lbfgs => self.lbfgs_step(x, loss, grad),
        }
    }

    fn adam_step(&mut self, x: Tensor<4>, grad: Tensor<4>, lr: f64) -> Tensor<4> {
        const BETA1: f64 = 0.9;
        const BETA2: f64 = 0.999;
        let state = self.adam.get_or_insert_with(|| AdamState {
            m: grad.zeros_like(),
            v: grad.zeros_like(),
            t: 0,
        });
        state.t += 1;
        state.m = state.m.clone().mul_scalar(BETA1) + grad.clone().mul_scalar(1.0 - BETA1);
        state.v = state.v.clone().mul_scalar(BETA2) + grad.square().mul_scalar(1.0 - BETA2);
        let m_hat = state.m.clone().div_scalar(1.0 - BETA1.powi(state.t));
        let v_hat = state.v.clone().div_scalar(1.0 - BETA2.powi(state.t));
        x - (m_hat / (v_hat.sqrt().add_scalar(1e-7))).mul_scalar(lr)
    }

    /// L-BFGS without a full line search: a step that raises the loss is
    /// taken back and halved; an accepted one updates the curvature memory.
    fn lbfgs_step(
        &mut self,
        x: Tensor<4>,
        loss: f64,
        grad: Tensor<4>,
    ) -> Result<Tensor<4>, JobError> {
        let shape = x.dims();
        let g: Tensor<1> = grad.flatten(0, 3);
        let state = &mut self.lbfgs;
        if let Some((previous, previous_loss, _, direction)) = &state.accepted
            && (!loss.is_finite() || loss > *previous_loss)
        {
            state.step *= 0.5;
            let retry = previous.clone() + direction.clone().mul_scalar(state.step).reshape(shape);
            return Ok(retry);
        }
        if let Some((_, _, previous_grad, direction)) = state.accepted.take() {
            let y = g.clone() - previous_grad;
            let s = direction.mul_scalar(state.step);
            let ys = dot(&y, &s)?;
            if ys > 1e-10 {
                state.h_diag = ys / dot(&y, &y)?;
                if state.history.len() == LBFGS_HISTORY {
                    state.history.remove(0);
                }
                state.history.push((s, y, 1.0 / ys));
            }
        }
        let direction = if state.history.is_empty() {
            let l1 = read_scalar(g.clone().abs().sum())?;
            state.step = (1.0 / l1.max(f64::MIN_POSITIVE)).min(1.0) * self.learning_rate;
            g.clone().neg()
        } else {
            state.step = self.learning_rate;
            let mut q = g.clone().neg();
            let mut alphas = Vec::with_capacity(state.history.len());
            for (s, y, rho) in state.history.iter().rev() {
                let alpha = rho * dot(s, &q)?;
                q = q - y.clone().mul_scalar(alpha);
                alphas.push(alpha);
            }
            let mut d = q.mul_scalar(state.h_diag);
            for ((s, y, rho), alpha) in state.history.iter().zip(alphas.into_iter().rev()) {
                let beta = rho * dot(y, &d)?;
                d = d + s.clone().mul_scalar(alpha - beta);
            }
            d
        };
        let next = x.clone() + direction.clone().mul_scalar(state.step).reshape(shape);
        state.accepted = Some((x, loss, g, direction));
        Ok(next)
    }
}

fn dot(a: &Tensor<1>, b: &Tensor<1>) -> Result<f64, JobError> {
    read_scalar((a.clone() * b.clone()).sum())
}
