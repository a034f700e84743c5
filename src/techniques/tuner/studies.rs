//! The studies the tab and `tune run` offer, each a space and an objective
//! over one of the studio's models. `mnist` is the source note's example.

use tuner::{Direction, Param, Space};

use super::train::Optimizer;
use crate::job::JobError;
use crate::techniques::vae::data::Digits;

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
pub enum StudyKind {
    /// Dense(units, relu) → Dense(10, softmax) on MNIST, `units` and the
    /// optimiser searched, val_accuracy maximised (the source note's example).
    Mnist,
    /// The book's VAE (chapter 12.4) on MNIST, its learning rate (log scale)
    /// and batch size searched, the loss on held-out test digits minimised.
    Vae,
}

impl StudyKind {
    pub fn title(self) -> &'static str {
        match self {
            Self::Mnist => "mnist: Dense(units), Dense(10); val_accuracy",
            Self::Vae => "vae: the book's VAE, learning rate and batch; val_loss on test digits",
        }
    }

    /// The note's space: `hp.Int("units", 16, 64, step=16)`,
    /// `hp.Choice("optimizer", ["rmsprop", "adam"])`.
    pub fn space(self) -> Space {
        match self {
            Self::Mnist => Space::new(
                Direction::Maximize,
                vec![
                    Param::int("units", 16, 64, 16),
                    Param::choice("optimizer", &["rmsprop", "adam"]),
                ],
            )
            .expect("the note's space is valid"),
            Self::Vae => Space::new(
                Direction::Minimize,
                vec![
                    Param::float("learning_rate", 1e-4, 1e-2, true),
                    Param {
                        name: "batch_size".to_owned(),
                        kind: tuner::Kind::Choice {
                            values: [32, 64, 128, 256].map(tuner::Value::Int).to_vec(),
                        },
                    },
                ],
            )
            .expect("the VAE's space is valid"),
        }
    }

    pub fn objective(self) -> &'static str {
        match self {
            Self::Mnist => "val_accuracy",
            Self::Vae => "val_loss",
        }
    }
}

/// The `mnist` study's data: the first 50 000 training digits to train on,
/// the last 10 000 to validate on (the note's split), the 10 000 test digits
/// for the finish; `limit` cuts each (training to `limit`, the others to a
/// fifth of it) for quick runs.
pub struct MnistData {
    pub train: Digits,
    pub val: Digits,
    pub test: Digits,
}

pub const VALIDATION: usize = 10_000;

impl MnistData {
    pub fn load(limit: Option<usize>) -> Result<Self, JobError> {
        use crate::assets::{self, Cache, Manifest};
        let dir = assets::ensure(&Cache::user(), &Manifest::bundled(), "mnist")
            .map_err(anyhow::Error::from)?;
        let (all, test) =
            crate::techniques::vae::data::load_mnist(&dir).map_err(anyhow::Error::from)?;
        let split = all.len().saturating_sub(VALIDATION);
        let (train, val) = (all.range(0, split), all.range(split, all.len()));
        Ok(match limit {
            None => Self { train, val, test },
            Some(limit) => {
                let small = (limit / 5).max(1);
                Self {
                    train: train.take(limit),
                    val: val.take(small),
                    test: test.take(small),
                }
            }
        })
    }

    /// Training and validation digits together (the finish's retraining set).
    pub fn train_and_val(&self) -> Digits {
        let mut all = self.train.clone();
        all.extend(self.val.clone());
        all
    }
}

/// A configuration of the `vae` space as (learning rate, batch size).
pub fn vae_params(params: &tuner::Params) -> Result<(f64, usize), JobError> {
    let number = |name: &str| {
        params
            .get(name)
            .and_then(tuner::Value::as_f64)
            .ok_or_else(|| anyhow::anyhow!("the configuration has no {name}"))
    };
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "32…256"
    )]
    Ok((number("learning_rate")?, number("batch_size")? as usize))
}

/// A configuration of the `mnist` space as (units, optimiser).
pub fn mnist_params(params: &tuner::Params) -> Result<(usize, Optimizer), JobError> {
    let units = params
        .get("units")
        .and_then(tuner::Value::as_f64)
        .ok_or_else(|| anyhow::anyhow!("the configuration has no units"))?;
    let optimizer = match params.get("optimizer") {
        Some(tuner::Value::Text(name)) => Optimizer::parse(name),
        _ => None,
    }
    .ok_or_else(|| anyhow::anyhow!("the configuration has no known optimizer"))?;
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "16…64"
    )]
    Ok((units as usize, optimizer))
}
