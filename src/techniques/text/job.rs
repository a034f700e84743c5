//! The text job: reads the corpus, builds the vocabulary and examples, trains
//! the chosen model with RMSprop, samples at the book's temperatures after
//! every epoch, then keeps serving generation and next-token requests until
//! dropped. The only text code that spawns a thread or reads tensors back.

use std::path::PathBuf;

use burn::optim::{ModuleOptimizer, RmsPropConfig};
use burn::tensor::Device;

use super::corpus::{self, CorpusSource, CorpusStats};
use super::model::{CharLstm, LstmConfig, TransformerConfig, TransformerLm};
use super::vectorize::{CharVocab, WordVocab};
use crate::documented::documented;
use crate::job::autosave::Autosaver;
use crate::job::{JobBuilder, JobContext, JobError, JobHandle, Waker, save_reported};

/// Which language model.
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
pub enum ModelKind {
    /// 2nd edition: word-level Transformer decoder.
    #[default]
    Transformer,
    /// 1st edition: character-level LSTM.
    Lstm,
}

/// One batch's loss.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BatchLoss {
    pub at_epoch: f32,
    pub loss: f32,
}

/// A generated text and how repetitive it is.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    pub temperature: f32,
    pub text: String,
    /// Share of repeated word trigrams.
    pub repetition: f32,
}

/// A candidate next token, before and after reweighting.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    pub token: String,
    pub before: f32,
    pub after: f32,
}

documented! {
    /// How to pick tokens.
    #[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    pub struct Sampling, docs SamplingDocs {
        /// Divides the log-probabilities before sampling: low = safe and repetitive,
        /// high = surprising and misspelt.
        pub temperature: f32,
        /// Sample among the k likeliest tokens only (0 = off).
        pub top_k: usize,
        /// Sample among the likeliest tokens that together reach this probability (1 = off).
        pub top_p: f32,
    }
}

/// What the text job tells its panel.
#[derive(Debug)]
pub enum TextEvent {
    Loaded {
        stats: CorpusStats,
        vocabulary: usize,
        examples: usize,
        notices: Vec<String>,
    },
    Started {
        epochs: usize,
        batches_per_epoch: usize,
    },
    Progress {
        epoch: usize,
        batch: usize,
    },
    Losses(Vec<BatchLoss>),
    EpochDone {
        epoch: usize,
        loss: f32,
        secs: f32,
        samples: Vec<Sample>,
    },
    /// After an epoch, when [`TextSettings::validation`] holds windows out:
    /// the mean loss on them.
    Validation {
        epoch: usize,
        loss: f32,
    },
    TrainingDone,
    /// One more token of request `id`.
    Token {
        id: u64,
        text: String,
    },
    Generated {
        id: u64,
        repetition: f32,
        tokens_per_sec: f32,
    },
    NextToken {
        id: u64,
        candidates: Vec<Candidate>,
    },
    /// A request could not be served (e.g. a prompt of unknown words); the job goes on.
    Refused {
        id: u64,
        reason: String,
    },
    Saved(PathBuf),
    /// A save failed; the job and its model stay.
    SaveFailed {
        path: PathBuf,
        reason: String,
    },
}

impl TextEvent {
    /// How a save or export went, if this event says (for the CLI's wait).
    pub fn save_outcome(self) -> Option<Result<PathBuf, String>> {
        match self {
            Self::Saved(path) => Some(Ok(path)),
            Self::SaveFailed { path, reason } => {
                Some(Err(format!("could not save {}: {reason}", path.display())))
            }
            _ => None,
        }
    }
}

crate::training_events!(TextEvent, batches_per_epoch, batch);

/// What the panel can ask of the job.
#[derive(Clone, Debug, PartialEq)]
pub enum TextCommand {
    Generate {
        id: u64,
        prompt: String,
        length: usize,
        sampling: Sampling,
        seed: u64,
    },
    NextToken {
        id: u64,
        prompt: String,
        sampling: Sampling,
    },
    /// Abandon the generation in progress.
    StopGenerating,
    LearningRate(f64),
    StopTraining,
    Save(PathBuf),
}

/// What to do: train, or serve a saved model.
#[derive(Clone, Debug)]
pub enum TextStart {
    Train {
        config: TextSettings,
        corpus: CorpusSource,
    },
    /// A saved (or autosaved) model trained on for the rest of its epochs
    /// (`epochs`: to this many in all instead).
    Resume {
        model: PathBuf,
        corpus: CorpusSource,
        epochs: Option<usize>,
    },
    Load(PathBuf),
}

/// The model and its vocabulary.
pub(super) enum Net {
    Words(Box<TransformerLm>, WordVocab),
    Chars(Box<CharLstm>, CharVocab),
}

/// Starts the job on `device`.
pub fn start(
    start: TextStart,
    device: Device,
    waker: Waker,
) -> std::io::Result<JobHandle<TextEvent, TextCommand>> {
    JobBuilder::new("text").waker(waker).spawn(
        move |ctx: &mut JobContext<TextEvent, TextCommand>| {
            let mut session = match start {
                TextStart::Train {
                    config,
                    corpus: source,
                } => {
                    let corpus = corpus::load(&source)?;
                    let session = TextJob::new(config, &corpus.documents, device);
                    session.train_on(ctx, &corpus, Autosaver::start("text", &source))?
                }
                TextStart::Resume {
                    model,
                    corpus: source,
                    epochs,
                } => {
                    let corpus = corpus::load(&source)?;
                    let mut session = TextJob::load(&model, device)?;
                    session.config.epochs = epochs.unwrap_or(session.config.epochs);
                    session.train_on(ctx, &corpus, Autosaver::start("text", &source))?
                }
                TextStart::Load(dir) => {
                    let session = TextJob::load(&dir, device)?;
                    ctx.send(TextEvent::Loaded {
                        stats: CorpusStats::default(),
                        vocabulary: session.vocabulary(),
                        examples: 0,
                        notices: Vec::new(),
                    })?;
                    session
                }
            };
            ctx.send(TextEvent::TrainingDone)?;
            ctx.serve(|ctx, command| session.handle(ctx, command))
        },
    )
}

/// A model with its vocabulary and settings.
pub(super) struct TextJob {
    pub(super) config: TextSettings,
    pub(super) device: Device,
    pub(super) net: Net,
    pub(super) learning_rate: f64,
    /// The prompt of the per-epoch samples.
    pub(super) sample_seed: String,
    /// The RMSprop state, kept (and saved) so training can resume.
    pub(super) optimizer: ModuleOptimizer,
    pub(super) epochs_done: usize,
}

/// The book's optimiser (Keras' RMSprop defaults).
pub(super) fn rmsprop() -> ModuleOptimizer {
    RmsPropConfig::new()
        .with_alpha(0.9)
        .with_momentum(0.0)
        .with_epsilon(1e-7)
        .init()
}

impl TextJob {
    fn new(config: TextSettings, documents: &[String], device: Device) -> Self {
        device.seed(config.seed);
        let autodiff = device.clone().autodiff();
        let net = match config.kind {
            ModelKind::Transformer => {
                let vocab = WordVocab::build(documents, config.transformer.vocab_size);
                let sizes = TransformerConfig {
                    vocab_size: vocab.len(),
                    ..config.transformer.clone()
                };
                Net::Words(Box::new(sizes.init(&autodiff)), vocab)
            }
            ModelKind::Lstm => {
                let vocab = CharVocab::build(&super::vectorize::char_text(documents));
                let sizes = LstmConfig {
                    vocab_size: vocab.len(),
                    hidden: config.lstm_hidden,
                    sequence_length: config.lstm_length,
                    step: config.lstm_step,
                };
                Net::Chars(Box::new(sizes.init(&autodiff)), vocab)
            }
        };
        Self {
            learning_rate: config.learning_rate,
            sample_seed: config.prompt.clone(),
            config,
            device,
            net,
            optimizer: rmsprop(),
            epochs_done: 0,
        }
    }

    /// Builds the examples with this model's vocabulary and trains on them.
    fn train_on(
        mut self,
        ctx: &mut JobContext<TextEvent, TextCommand>,
        corpus: &corpus::Corpus,
        autosave: Option<Autosaver>,
    ) -> Result<Self, JobError> {
        let mut examples = self.examples(&corpus.documents);
        let held_out = examples.split_tail(self.config.validation);
        if examples.is_empty() {
            return Err(anyhow::anyhow!(
                "the corpus is smaller than one training sequence; give it more text"
            )
            .into());
        }
        ctx.send(TextEvent::Loaded {
            stats: corpus.stats(),
            vocabulary: self.vocabulary(),
            examples: examples.len(),
            notices: corpus.notices.clone(),
        })?;
        self.sample_seed = self.pick_seed(&corpus.documents);
        if self.config.kind == ModelKind::Lstm {
            crate::priority::on_one_core(|| self.train(ctx, &examples, &held_out, autosave))?;
        } else {
            self.train(ctx, &examples, &held_out, autosave)?;
        }
        Ok(self)
    }

    fn vocabulary(&self) -> usize {
        match &self.net {
            Net::Words(_, v) => v.len(),
            Net::Chars(_, v) => v.len(),
        }
    }

    fn examples(&self, documents: &[String]) -> data::Examples {
        match &self.net {
            Net::Words(_, vocab) => {
                data::word_examples(documents, vocab, self.config.transformer.sequence_length)
            }
            Net::Chars(_, vocab) => data::char_examples(
                documents,
                vocab,
                self.config.lstm_length,
                self.config.lstm_step,
            ),
        }
    }

    /// The epoch samples' prompt: the configured one, or for the LSTM with none
    /// a random window of the text (1st edition).
    fn pick_seed(&self, documents: &[String]) -> String {
        if !self.config.prompt.is_empty() {
            return self.config.prompt.clone();
        }
        let text: Vec<char> = super::vectorize::char_text(documents).chars().collect();
        let length = self.config.lstm_length.min(text.len());
        let mut rng = crate::rng::Rng(self.config.seed);
        let start = usize::try_from(rng.next_u64() % (text.len() - length + 1) as u64).unwrap_or(0);
        text[start..start + length].iter().collect()
    }
}

mod commands;
mod data;
mod generate;
mod settings;
mod store;
mod train;
pub use data::{Examples, char_examples, word_examples};
pub use settings::TextSettings;
pub use store::KIND as SAVED_MODEL;
