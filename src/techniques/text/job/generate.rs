//! Generation on the job thread: next-token probabilities read back from the
//! model, sampled with temperature (and top-k / top-p), streamed token by
//! token; the per-epoch samples; the next-token candidates.

use std::time::Instant;

use burn::module::Module;
use burn::tensor::activation::softmax;
use burn::tensor::{Int, Tensor, TensorData};

use super::super::model::{KvCache, TransformerLm};
use super::super::sampling::{self, Rng};
use super::{Candidate, JobError, Net, Sample, Sampling, TextCommand, TextEvent, TextJob};
use crate::job::{JobContext, read_f32};

type Ctx = JobContext<TextEvent, TextCommand>;

impl TextJob {
    /// The prompt as ids, or why it cannot start a text.
    fn prompt_ids(&self, prompt: &str) -> Result<Vec<u32>, String> {
        match &self.net {
            Net::Words(_, vocab) => {
                let ids = vocab.encode(prompt);
                if ids.is_empty() {
                    return Err("type a prompt of at least one word".into());
                }
                if ids.iter().all(|&i| i == super::super::vectorize::UNKNOWN) {
                    return Err("none of the prompt's words are in the vocabulary; try words from the corpus".into());
                }
                Ok(ids)
            }
            Net::Chars(_, vocab) => {
                let ids = vocab.encode(&prompt.to_lowercase());
                if ids.is_empty() {
                    return Err("the prompt has no character the model knows".into());
                }
                Ok(ids)
            }
        }
    }

    /// Tokens the model sees at once.
    fn window(&self) -> usize {
        match &self.net {
            Net::Words(..) => self.config.transformer.sequence_length,
            Net::Chars(..) => self.config.lstm_length,
        }
    }

    /// Logits of the token after `ids`: from the word model's key/value cache
    /// while `ids` fit its window (the cache takes the ids it has not seen
    /// yet), else computed on the last window of them.
    fn next_logits(
        &self,
        ids: &[u32],
        cache: &mut Option<(TransformerLm, KvCache)>,
    ) -> Result<Tensor<1>, JobError> {
        match cache {
            Some((model, cache)) if ids.len() <= self.window() => {
                let (last, earlier) = ids[cache.len()..]
                    .split_last()
                    .ok_or_else(|| anyhow::anyhow!("nothing new to generate from"))?;
                for &id in earlier {
                    model.step(id, cache, false);
                }
                Ok(model
                    .step(*last, cache, true)
                    .ok_or_else(|| anyhow::anyhow!("the cached step projected nothing"))?)
            }
            _ => Ok(self.window_logits(ids)),
        }
    }

    /// The book's reweighted distribution of the token after `ids`:
    /// `exp(ln p / T)` normalised is `softmax(logits / T)`, computed where the
    /// logits are (T → 0 is the argmax, as [`sampling::reweight`] gives it).
    fn next_distribution(
        &self,
        ids: &[u32],
        cache: &mut Option<(TransformerLm, KvCache)>,
        temperature: f32,
    ) -> Result<Vec<f32>, JobError> {
        let logits = self.next_logits(ids, cache)?;
        if temperature <= 1e-6 {
            return Ok(sampling::reweight(&read_f32(softmax(logits, 0))?, 0.0));
        }
        read_f32(softmax(logits.div_scalar(temperature), 0))
    }

    /// Softmax probabilities of the token after `ids` (the last window of them).
    fn next_probabilities(&self, ids: &[u32]) -> Result<Vec<f32>, JobError> {
        read_f32(softmax(self.window_logits(ids), 0))
    }

    /// Logits of the token after the last window of `ids`, computed whole.
    fn window_logits(&self, ids: &[u32]) -> Tensor<1> {
        let window = self.window();
        let context = &ids[ids.len().saturating_sub(window)..];
        let time = context.len();
        let tokens: Tensor<2, Int> = Tensor::from_data(
            TensorData::new(
                context.iter().map(|&t| i64::from(t)).collect::<Vec<_>>(),
                [1, time],
            ),
            &self.device,
        );
        match &self.net {
            Net::Words(model, _) => model.valid().next_logits(tokens),
            Net::Chars(model, _) => {
                let all = model.valid().forward(&tokens);
                let [_, vocab] = all.dims();
                all.reshape([vocab])
            }
        }
    }

    fn token_text(&self, id: u32) -> String {
        match &self.net {
            Net::Words(_, vocab) => match vocab.word(id) {
                "" => String::new(),
                word => format!(" {word}"),
            },
            Net::Chars(_, vocab) => vocab.char(id).to_string(),
        }
    }

    /// Generates `length` tokens after `prompt`; `each` sees every token's text
    /// and returns false to stop. Returns the text and the word trigram repetition.
    fn generate(
        &self,
        prompt: &str,
        length: usize,
        sampling: Sampling,
        rng: &mut Rng,
        mut each: impl FnMut(&str) -> Result<bool, JobError>,
    ) -> Result<Result<(String, f32), String>, JobError> {
        let mut ids = match self.prompt_ids(prompt) {
            Ok(ids) => ids,
            Err(reason) => return Ok(Err(reason)),
        };
        let mut text = String::new();
        let mut cache = match &self.net {
            Net::Words(model, _) => Some((model.valid(), KvCache::default())),
            Net::Chars(..) => None,
        };
        for _ in 0..length {
            let reweighted = self.next_distribution(&ids, &mut cache, sampling.temperature)?;
            let shaped = sampling::top_p(
                &sampling::top_k(&reweighted, sampling.top_k),
                sampling.top_p,
            );
            let next = u32::try_from(sampling::draw(&shaped, rng.uniform())).unwrap_or(0);
            ids.push(next);
            let piece = self.token_text(next);
            text.push_str(&piece);
            if !each(&piece)? {
                break;
            }
        }
        let words: Vec<&str> = text.split_whitespace().collect();
        let repetition = sampling::repetition(&words, 3);
        Ok(Ok((text, repetition)))
    }

    /// Streams request `id` to the panel, token by token. A new Generate or a
    /// Stop abandons it; other requests are answered in between.
    pub(super) fn stream(
        &mut self,
        ctx: &mut Ctx,
        id: u64,
        prompt: &str,
        length: usize,
        sampling: Sampling,
        seed: u64,
    ) -> Result<(), JobError> {
        let started = Instant::now();
        let mut rng = Rng(seed);
        let mut count = 0usize;
        let mut interrupted: Option<TextCommand> = None;
        let mut others = Vec::new();
        let result = self.generate(prompt, length, sampling, &mut rng, |piece| {
            if ctx.is_cancelled() {
                return Err(JobError::Cancelled);
            }
            count += 1;
            ctx.send(TextEvent::Token {
                id,
                text: piece.to_owned(),
            })?;
            for command in ctx.commands() {
                match command {
                    TextCommand::Generate { .. } | TextCommand::StopGenerating => {
                        interrupted = Some(command);
                    }
                    other => others.push(other),
                }
            }
            Ok(interrupted.is_none())
        })?;
        for other in others {
            self.handle(ctx, other)?;
        }
        match result {
            Ok((_, repetition)) => {
                #[expect(clippy::cast_precision_loss, reason = "a rate")]
                let tokens_per_sec = count as f32 / started.elapsed().as_secs_f32().max(1e-6);
                ctx.send(TextEvent::Generated {
                    id,
                    repetition,
                    tokens_per_sec,
                })?;
            }
            Err(reason) => ctx.send(TextEvent::Refused { id, reason })?,
        }
        match interrupted {
            Some(next @ TextCommand::Generate { .. }) => self.handle(ctx, next),
            _ => Ok(()),
        }
    }

    /// The book's callback: one text per temperature from the sample prompt.
    pub(super) fn epoch_samples(&self) -> Result<Vec<Sample>, JobError> {
        let mut rng = Rng(self.config.seed);
        let mut samples = Vec::new();
        for &temperature in &self.config.temperatures {
            let sampling = Sampling {
                temperature,
                top_k: 0,
                top_p: 1.0,
            };
            let generated = self.generate(
                &self.sample_seed,
                self.config.sample_length,
                sampling,
                &mut rng,
                |_| Ok(true),
            )?;
            let (text, repetition) =
                generated.unwrap_or_else(|reason| (format!("({reason})"), 0.0));
            samples.push(Sample {
                temperature,
                text: format!("{}{text}", self.sample_seed),
                repetition,
            });
        }
        Ok(samples)
    }

    /// The `n` most likely next tokens, before and after reweighting.
    pub(super) fn candidates(
        &self,
        prompt: &str,
        sampling: Sampling,
        n: usize,
    ) -> Result<Vec<Candidate>, String> {
        let ids = self.prompt_ids(prompt)?;
        let before = self.next_probabilities(&ids).map_err(|e| e.to_string())?;
        let after = sampling::top_p(
            &sampling::top_k(
                &sampling::reweight(&before, sampling.temperature),
                sampling.top_k,
            ),
            sampling.top_p,
        );
        Ok(sampling::ranked(&before)
            .into_iter()
            .take(n)
            .map(|i| {
                let token = self.token_text(u32::try_from(i).unwrap_or(0));
                Candidate {
                    token: if token.trim().is_empty() {
                        format!("{token:?}")
                    } else {
                        token.trim().to_owned()
                    },
                    before: before[i],
                    after: after[i],
                }
            })
            .collect())
    }
}
