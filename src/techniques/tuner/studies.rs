//! The studies the tab and `tune run` offer, each a space and an objective
//! over one of the studio's models. `mnist` is the source note's example.

use tuner::{Direction, Param, Space};

use super::train::Optimizer;
use crate::job::JobError;
use crate::techniques::vae::data::Digits;

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
pub enum StudyKind {
    /// Dense(units, relu) → Dense(10, softmax) on MNIST, `units` and the
    /// optimiser searched, val_accuracy maximised (the source note's example).
    #[default]
    Mnist,
    /// The book's VAE (chapter 12.4) on MNIST, its learning rate (log scale)
    /// and batch size searched, the loss on held-out test digits minimised.
    Vae,
    /// The DCGAN (chapter 12.5), its Quick (CPU) model on the face emoji:
    /// both learning rates (log), dropout and label noise searched, the FID
    /// after the trial's epochs minimised.
    Gan,
    /// The char LSTM (chapter 12.1, 1st edition) on the review snippets: its
    /// learning rate (log), units and window length searched, the loss on
    /// the corpus' held-out last 10 % minimised.
    Text,
}

impl StudyKind {
    pub fn title(self) -> &'static str {
        match self {
            Self::Mnist => "mnist: Dense(units), Dense(10); val_accuracy",
            Self::Vae => "vae: the book's VAE, learning rate and batch; val_loss on test digits",
            Self::Gan => "gan: the Quick DCGAN, learning rates, dropout, label noise; FID",
            Self::Text => {
                "text: the char LSTM, learning rate, units, window; val_loss on 10 % held out"
            }
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
            Self::Gan => Space::new(
                Direction::Minimize,
                vec![
                    Param::float("d_learning_rate", 1e-5, 1e-3, true),
                    Param::float("g_learning_rate", 1e-5, 1e-3, true),
                    Param::float("dropout", 0.0, 0.5, false),
                    Param::float("label_noise", 0.0, 0.2, false),
                ],
            )
            .expect("the GAN's space is valid"),
            Self::Text => Space::new(
                Direction::Minimize,
                vec![
                    Param::float("learning_rate", 1e-3, 1e-1, true),
                    Param::int("lstm_units", 32, 256, 32),
                    Param::int("sequence_length", 20, 80, 20),
                ],
            )
            .expect("the text space is valid"),
        }
    }

    pub fn objective(self) -> &'static str {
        match self {
            Self::Mnist => "val_accuracy",
            Self::Vae | Self::Text => "val_loss",
            Self::Gan => "fid",
        }
    }

    /// The study's name, as `--study` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Mnist => "mnist",
            Self::Vae => "vae",
            Self::Gan => "gan",
            Self::Text => "text",
        }
    }

    /// What the study trains and measures on, in words.
    pub fn data_text(self, train: usize, measured: usize) -> String {
        match self {
            Self::Mnist => format!("{train} training digits, {measured} validation digits"),
            Self::Vae => format!("{train} training digits, {measured} test digits held out"),
            Self::Gan => format!("{train} face emoji; FID against {measured} of them"),
            Self::Text => {
                format!("{train} review snippets, the last tenth of their windows held out")
            }
        }
    }
}

/// What a study trains on, loaded once for all its trials.
pub enum StudyData {
    /// MNIST for `mnist` and `vae`.
    Digits(MnistData),
    /// The face emoji at 64×64 for `gan`.
    Faces(Vec<image::RgbImage>),
    /// The review snippets for `text`.
    Snippets(Vec<String>),
}

/// Face emoji a `gan` study trains on by default.
pub const GAN_IMAGES: usize = 970;
/// Review snippets a `text` study trains on by default (about 7 s an epoch
/// of the book's LSTM here).
pub const TEXT_SNIPPETS: usize = 500;

impl StudyData {
    /// The study's data; `limit` cuts it (digits, images or snippets).
    pub fn load(kind: StudyKind, limit: Option<usize>) -> Result<Self, JobError> {
        Ok(match kind {
            StudyKind::Mnist | StudyKind::Vae => Self::Digits(MnistData::load(limit)?),
            StudyKind::Gan => {
                use crate::techniques::gan::data::{self, ImageSource, SIDE};
                let images = data::load(&ImageSource::Faces {
                    limit: Some(limit.unwrap_or(GAN_IMAGES)),
                })?;
                Self::Faces(
                    (0..images.count)
                        .filter_map(|i| {
                            image::RgbImage::from_raw(SIDE, SIDE, images.image(i).to_vec())
                        })
                        .collect(),
                )
            }
            StudyKind::Text => {
                use crate::techniques::text::corpus::{self, CorpusSource};
                let corpus = corpus::load(&CorpusSource::Reviews {
                    plots: false,
                    limit: Some(limit.unwrap_or(TEXT_SNIPPETS)),
                })?;
                Self::Snippets(corpus.documents)
            }
        })
    }

    /// (examples trained on, examples measured on), for the tab.
    pub fn sizes(&self) -> (usize, usize) {
        match self {
            Self::Digits(data) => (data.train.len(), data.val.len()),
            Self::Faces(images) => (images.len(), images.len().min(64)),
            Self::Snippets(documents) => (documents.len(), documents.len() / 10),
        }
    }

    pub fn digits(&self) -> Result<&MnistData, JobError> {
        match self {
            Self::Digits(data) => Ok(data),
            _ => Err(anyhow::anyhow!("this study does not train on digits").into()),
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
    Ok((
        number(params, "learning_rate")?,
        count(params, "batch_size")?,
    ))
}

/// A number of the configuration.
pub fn number(params: &tuner::Params, name: &str) -> Result<f64, JobError> {
    params
        .get(name)
        .and_then(tuner::Value::as_f64)
        .ok_or_else(|| anyhow::anyhow!("the configuration has no {name}").into())
}

/// A whole number of the configuration (a count).
pub fn count(params: &tuner::Params, name: &str) -> Result<usize, JobError> {
    let value = number(params, name)?;
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "counts of a search space"
    )]
    Ok(value.max(0.0).round() as usize)
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
