//! `latent-studio text …` and `latent-studio bench text`: the panel's job,
//! headless, printing the loss and the per-temperature samples each epoch.

use std::path::PathBuf;

use burn::tensor::Device;

use super::corpus::CorpusSource;
use super::job::{self, ModelKind, Sampling, TextCommand, TextEvent, TextSettings, TextStart};
use crate::bench::Measurement;
use crate::job::{EpochTiming, JobHandle, no_waker, time_first_epoch, wait_for, wait_saved};

/// The text subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum TextCommandLine {
    /// Train a language model, printing the loss and samples per epoch.
    Train(TrainArgs),
    /// Generate text from a saved model.
    Generate {
        #[arg(long)]
        model: PathBuf,
        #[arg(long, default_value = "this movie")]
        prompt: String,
        #[arg(long, default_value_t = 0.7)]
        temperature: f32,
        /// Tokens to generate (words or characters).
        #[arg(long, default_value_t = 50)]
        length: usize,
        /// Keep only the k most likely tokens (0 = off).
        #[arg(long, default_value_t = 0)]
        top_k: usize,
        /// Keep the most likely tokens up to this probability mass (1 = off).
        #[arg(long, default_value_t = 1.0)]
        top_p: f32,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

/// Options of `text train`.
#[derive(clap::Args, Debug)]
pub struct TrainArgs {
    #[arg(long, value_enum, default_value = "transformer")]
    pub model: ModelKind,
    /// `reviews` (the fetched snippets), a .txt file or a folder of them.
    #[arg(long, default_value = "reviews")]
    pub corpus: String,
    /// Use only the first N documents.
    #[arg(long)]
    pub limit: Option<usize>,
    #[arg(long)]
    pub epochs: Option<usize>,
    #[arg(long)]
    pub batch: Option<usize>,
    #[arg(long)]
    pub lr: Option<f64>,
    /// The book's settings (the defaults; flags given override them).
    #[arg(long, value_parser = ["book"])]
    pub preset: Option<String>,
    /// Transformer sizes, to train a reduced model on a CPU.
    #[arg(long)]
    pub vocab: Option<usize>,
    #[arg(long)]
    pub embed: Option<usize>,
    #[arg(long)]
    pub dense: Option<usize>,
    #[arg(long)]
    pub sequence: Option<usize>,
    /// Tokens per epoch sample.
    #[arg(long)]
    pub sample_length: Option<usize>,
    #[arg(long)]
    pub out: PathBuf,
    /// Continue the run that was interrupted (killed, crashed) from its
    /// autosave, to the epochs it was asked for.
    #[arg(long)]
    pub resume_last: bool,
}

impl TrainArgs {
    pub fn config(&self) -> TextSettings {
        let mut c = TextSettings::book(self.model);
        c.epochs = self.epochs.unwrap_or(c.epochs);
        c.batch_size = self.batch.unwrap_or(c.batch_size);
        c.learning_rate = self.lr.unwrap_or(c.learning_rate);
        c.transformer.vocab_size = self.vocab.unwrap_or(c.transformer.vocab_size);
        c.transformer.embed_dim = self.embed.unwrap_or(c.transformer.embed_dim);
        c.transformer.dense_dim = self.dense.unwrap_or(c.transformer.dense_dim);
        c.transformer.sequence_length = self.sequence.unwrap_or(c.transformer.sequence_length);
        c.sample_length = self.sample_length.unwrap_or(c.sample_length);
        c
    }

    fn corpus(&self) -> CorpusSource {
        match self.corpus.as_str() {
            "reviews" => CorpusSource::Reviews {
                plots: false,
                limit: self.limit,
            },
            path if std::path::Path::new(path).is_dir() => CorpusSource::Folder(path.into()),
            path => CorpusSource::File(path.into()),
        }
    }
}

/// Runs a `text` subcommand.
pub fn run(command: &TextCommandLine, device: Device) -> anyhow::Result<()> {
    match command {
        TextCommandLine::Train(args) => train(args, device),
        TextCommandLine::Generate {
            model,
            prompt,
            temperature,
            length,
            top_k,
            top_p,
            seed,
        } => {
            let mut handle = job::start(TextStart::Load(model.clone()), device, no_waker())?;
            wait_for(&mut handle, |e| {
                matches!(e, TextEvent::TrainingDone).then_some(())
            })?;
            let sampling = Sampling {
                temperature: *temperature,
                top_k: *top_k,
                top_p: *top_p,
            };
            print!("{prompt}");
            generate(&mut handle, prompt, *length, sampling, *seed)?;
            Ok(())
        }
    }
}

/// Streams one generation to stdout; returns tokens per second.
fn generate(
    handle: &mut JobHandle<TextEvent, TextCommand>,
    prompt: &str,
    length: usize,
    sampling: Sampling,
    seed: u64,
) -> anyhow::Result<f32> {
    use std::io::Write;
    handle.command(TextCommand::Generate {
        id: 1,
        prompt: prompt.to_owned(),
        length,
        sampling,
        seed,
    });
    let outcome = wait_for(handle, |event| match event {
        TextEvent::Token { text, .. } => {
            print!("{text}");
            let _ = std::io::stdout().flush();
            None
        }
        TextEvent::Generated {
            repetition,
            tokens_per_sec,
            ..
        } => Some(Ok((repetition, tokens_per_sec))),
        TextEvent::Refused { reason, .. } => Some(Err(reason)),
        _ => None,
    })?;
    println!();
    let (repetition, rate) = outcome.map_err(anyhow::Error::msg)?;
    println!(
        "({rate:.1} tokens/s, {:.0}% of word trigrams repeated)",
        repetition * 100.0
    );
    Ok(rate)
}

fn train(args: &TrainArgs, device: Device) -> anyhow::Result<()> {
    let start = if args.resume_last {
        let (run, corpus) = crate::job::autosave::resume_last("text")?;
        TextStart::Resume {
            model: run.model,
            corpus,
            epochs: None,
        }
    } else {
        let config = args.config();
        println!(
            "{:?}: batch {}, {} epochs, RMSprop lr {}",
            config.kind, config.batch_size, config.epochs, config.learning_rate
        );
        TextStart::Train {
            config,
            corpus: args.corpus(),
        }
    };
    let mut handle = job::start(start, device, no_waker())?;
    wait_for(&mut handle, |event| match event {
        TextEvent::Loaded {
            stats,
            vocabulary,
            examples,
            notices,
        } => {
            for notice in notices {
                println!("note: {notice}");
            }
            println!(
                "corpus: {} documents, {} words ({} distinct), {} characters; vocabulary {vocabulary}; {examples} training sequences",
                stats.documents, stats.words, stats.distinct_words, stats.characters
            );
            None
        }
        TextEvent::EpochDone {
            epoch,
            loss,
            secs,
            samples,
        } => {
            println!("Epoch {epoch}: loss {loss:.4} ({secs:.1} s)");
            for sample in samples {
                println!(
                    "== temperature {} ({:.0}% trigrams repeated)\n{}",
                    sample.temperature,
                    sample.repetition * 100.0,
                    sample.text
                );
            }
            None
        }
        TextEvent::TrainingDone => Some(()),
        _ => None,
    })?;
    handle.command(TextCommand::Save(args.out.clone()));
    wait_saved(&mut handle, TextEvent::save_outcome)?;
    println!("model saved to {}", args.out.display());
    Ok(())
}

/// `latent-studio bench text`: ms per training step at the book's sizes and
/// generated tokens per second, for both models.
pub fn bench(device: &Device, batches: Option<usize>) -> anyhow::Result<Vec<Measurement>> {
    let mut figures = Vec::new();
    for (kind, full_windows) in [
        (ModelKind::Lstm, false),
        (ModelKind::Transformer, false),
        (ModelKind::Transformer, true),
    ] {
        let mut config = TextSettings::book(kind);
        let wanted = batches.unwrap_or(match kind {
            ModelKind::Lstm => 40,
            ModelKind::Transformer => 3,
        });
        config.epochs = 1;
        config.temperatures.clear();
        // Enough documents for about `wanted` batches (LSTM: ~130 characters and
        // ~43 windows per snippet; Transformer: one sequence per snippet).
        let limit = match kind {
            ModelKind::Lstm => wanted * config.batch_size / 40,
            ModelKind::Transformer => wanted * config.batch_size,
        };
        // The snippets are short (about 19 words): most of each 100-word window
        // is padding, which training skips. Full windows (the snippets run
        // together, cut every 101 words) are the same work as Keras does.
        let corpus = if full_windows {
            let reviews = super::corpus::load(&CorpusSource::Reviews {
                plots: false,
                limit: Some(limit * 6),
            })?;
            CorpusSource::Documents(vec![reviews.documents.join(" ")])
        } else {
            CorpusSource::Reviews {
                plots: false,
                limit: Some(limit),
            }
        };
        let label = match (kind, full_windows) {
            (ModelKind::Lstm, _) => "char LSTM",
            (ModelKind::Transformer, false) => "Transformer, review snippets",
            (ModelKind::Transformer, true) => "Transformer, full 100-word windows",
        };
        let start = TextStart::Train {
            config: config.clone(),
            corpus,
        };
        let mut handle = job::start(start, device.clone(), no_waker())?;
        let EpochTiming {
            secs,
            steps: count,
            clock,
        } = time_first_epoch(&mut handle)?;
        wait_for(&mut handle, |e| {
            matches!(e, TextEvent::TrainingDone).then_some(())
        })?;
        #[expect(clippy::cast_precision_loss, reason = "a rate")]
        let per_batch = secs * 1000.0 / count as f32;
        println!(
            "{label}: {count} batches of {} in {secs:.1} s = {per_batch:.1} ms per batch{}",
            config.batch_size,
            clock.describe("batch")
        );
        let prompt = match kind {
            ModelKind::Lstm => "this movie is a mess of a film, and the actors seem to know it",
            ModelKind::Transformer => "this movie",
        };
        let sampling = Sampling {
            temperature: 1.0,
            top_k: 0,
            top_p: 1.0,
        };
        print!("  generating: {prompt}");
        let rate = generate(&mut handle, prompt, 100, sampling, 1)?;
        println!("{label}: {rate:.1} generated tokens per second");
        let steady_ms = clock
            .steady_secs()
            .map_or(f64::from(per_batch), |s| s * 1000.0);
        figures.extend([
            Measurement::cost(
                format!("text {label} batch {} (steady)", config.batch_size),
                steady_ms,
                "ms",
            ),
            Measurement::rate(
                format!("text {label} generation"),
                f64::from(rate),
                "tokens/s",
            ),
        ]);
    }
    Ok(figures)
}
