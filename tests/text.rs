//! Text generation on the CPU backend: sampling's known answers and
//! frequencies, the causal mask, and both models trained by the job on tiny
//! corpora (the loss falls; save → load gives identical predictions; bad
//! inputs are refused with a reason).

use burn::tensor::{Device, Int, Tensor, TensorData};
use latent_studio::job::{JobHandle, JobMessage, no_waker};
use latent_studio::techniques::text::corpus::CorpusSource;
use latent_studio::techniques::text::job::{
    self, Candidate, ModelKind, Sampling, TextCommand, TextEvent, TextSettings, TextStart,
};
use latent_studio::techniques::text::model::TransformerConfig;
use latent_studio::techniques::text::sampling::{Rng, draw, repetition, reweight, top_k, top_p};

#[path = "common/events.rs"]
mod events;
use events::next as expect;

#[test]
fn temperature_known_answers() {
    let p = [0.1f32, 0.2, 0.7];
    for (a, b) in reweight(&p, 1.0).iter().zip(p) {
        assert!((a - b).abs() < 1e-6);
    }
    assert_eq!(reweight(&p, 0.0), [0.0, 0.0, 1.0]);
    assert_eq!(reweight(&p, 1e-9), [0.0, 0.0, 1.0]);
    let flat = reweight(&p, 1000.0);
    assert!(
        flat.iter().all(|v| (v - 1.0 / 3.0).abs() < 0.01),
        "{flat:?}"
    );
    // T = 0.5 squares: 0.04 / (0.04 + 0.64).
    let sharp = reweight(&[0.2, 0.8], 0.5);
    assert!((sharp[0] - 0.04 / 0.68).abs() < 1e-6);
    // Zero probabilities stay zero and never give NaN.
    let with_zero = reweight(&[0.0, 1.0], 0.3);
    assert_eq!(with_zero, [0.0, 1.0]);
}

#[test]
fn draws_follow_the_probabilities() {
    let p = [0.5f32, 0.3, 0.15, 0.05];
    let mut rng = Rng(42);
    let mut counts = [0usize; 4];
    let n = 200_000;
    for _ in 0..n {
        counts[draw(&p, rng.uniform())] += 1;
    }
    for (count, want) in counts.iter().zip(p) {
        #[expect(clippy::cast_precision_loss, reason = "frequencies")]
        let got = *count as f32 / n as f32;
        assert!((got - want).abs() < 0.005, "{got} vs {want}");
    }
}

#[test]
fn top_k_top_p_and_repetition() {
    let p = [0.1f32, 0.4, 0.3, 0.2];
    let k = top_k(&p, 2);
    assert!((k[1] - 4.0 / 7.0).abs() < 1e-6 && k[0] == 0.0 && k[3] == 0.0);
    let nucleus = top_p(&p, 0.6);
    assert!((nucleus[1] - 4.0 / 7.0).abs() < 1e-6 && (nucleus[2] - 3.0 / 7.0).abs() < 1e-6);
    assert_eq!(top_p(&p, 1.0), p);
    assert!(repetition(&["a", "b", "c", "d", "e"], 2).abs() < 1e-6);
    let looping = [
        "the", "film", "is", "the", "film", "is", "the", "film", "is",
    ];
    assert!(repetition(&looping, 3) > 0.5);
}

#[test]
fn a_later_token_never_changes_an_earlier_output() {
    let device = Device::flex();
    device.seed(3);
    let model = TransformerConfig {
        vocab_size: 50,
        sequence_length: 8,
        embed_dim: 16,
        dense_dim: 32,
        num_heads: 2,
    }
    .init(&device);
    let tokens = |last: i64| -> Tensor<2, Int> {
        Tensor::from_data(
            TensorData::new(vec![5i64, 9, 17, 3, 22, last], [1, 6]),
            &device,
        )
    };
    let values = |t: Tensor<2, Int>| -> Vec<f32> {
        model
            .forward(t)
            .into_data()
            .as_slice::<f32>()
            .unwrap()
            .to_vec()
    };
    let (a, b) = (values(tokens(4)), values(tokens(40)));
    let per_position = 50;
    let earlier = 5 * per_position;
    assert_eq!(
        a[..earlier],
        b[..earlier],
        "positions 0..5 must not see position 5"
    );
    assert_ne!(a[earlier..], b[earlier..], "position 5 itself does change");
}

#[test]
fn cached_generation_gives_the_uncached_probabilities() {
    use burn::tensor::activation::softmax;
    use latent_studio::techniques::text::model::KvCache;
    let device = Device::flex();
    device.seed(11);
    let model = TransformerConfig {
        vocab_size: 60,
        sequence_length: 12,
        embed_dim: 16,
        dense_dim: 32,
        num_heads: 2,
    }
    .init(&device);
    let ids: Vec<u32> = vec![5, 9, 17, 3, 22, 40, 1, 59, 8, 8, 30, 2];
    let probabilities = |logits: Tensor<1>| -> Vec<f32> {
        softmax(logits, 0)
            .into_data()
            .as_slice::<f32>()
            .unwrap()
            .to_vec()
    };
    let mut cache = KvCache::default();
    // A prompt of three, then one token at a time up to the window.
    for &id in &ids[..2] {
        assert!(model.step(id, &mut cache, false).is_none());
    }
    for end in 3..=ids.len() {
        let cached = probabilities(model.step(ids[end - 1], &mut cache, true).unwrap());
        let window: Vec<i64> = ids[..end].iter().map(|&i| i64::from(i)).collect();
        let uncached = probabilities(model.next_logits(Tensor::from_data(
            TensorData::new(window, [1, end]),
            &device,
        )));
        let worst = cached
            .iter()
            .zip(&uncached)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 1e-6, "after {end} tokens: off by {worst}");
        assert_eq!(cache.len(), end);
    }
}

fn tiny_corpus() -> CorpusSource {
    let lines = [
        "this movie is a delight from start to finish",
        "this movie is a mess and the actors know it",
        "a delight of a film with a great cast",
        "the film is a mess from start to finish",
    ];
    CorpusSource::Documents((0..30).map(|i| lines[i % 4].to_owned()).collect())
}

fn tiny_config(kind: ModelKind) -> TextSettings {
    let mut config = TextSettings::book(kind);
    config.epochs = 4;
    config.batch_size = 16;
    config.sample_length = 8;
    config.temperatures = vec![0.2, 1.0];
    config.lstm_hidden = 32;
    config.lstm_length = 20;
    config.transformer = TransformerConfig {
        vocab_size: 100,
        sequence_length: 12,
        embed_dim: 16,
        dense_dim: 32,
        num_heads: 2,
    };
    if kind == ModelKind::Transformer {
        config.learning_rate = 0.01;
    }
    config
}

fn epoch_losses(handle: &mut JobHandle<TextEvent, TextCommand>) -> Vec<f32> {
    let mut losses = Vec::new();
    expect(handle, |event| match event {
        TextEvent::EpochDone { loss, samples, .. } => {
            assert_eq!(samples.len(), 2);
            losses.push(loss);
            None
        }
        TextEvent::TrainingDone => Some(()),
        _ => None,
    });
    losses
}

fn candidates(
    handle: &mut JobHandle<TextEvent, TextCommand>,
    prompt: &str,
) -> Result<Vec<Candidate>, String> {
    handle.command(TextCommand::NextToken {
        id: 9,
        prompt: prompt.into(),
        sampling: Sampling {
            temperature: 0.5,
            top_k: 0,
            top_p: 1.0,
        },
    });
    expect(handle, |event| match event {
        TextEvent::NextToken { candidates, .. } => Some(Ok(candidates)),
        TextEvent::Refused { reason, .. } => Some(Err(reason)),
        _ => None,
    })
}

#[test]
fn both_models_learn_and_reload_identically() {
    for kind in [ModelKind::Lstm, ModelKind::Transformer] {
        let start = TextStart::Train {
            config: tiny_config(kind),
            corpus: tiny_corpus(),
        };
        let mut handle = job::start(start, Device::flex(), no_waker()).unwrap();
        let losses = epoch_losses(&mut handle);
        assert_eq!(losses.len(), 4);
        assert!(losses[3] < losses[0] * 0.8, "{kind:?}: {losses:?}");
        let before = candidates(&mut handle, "this movie is").unwrap();
        let dir = std::env::temp_dir().join(format!("ls-text-{kind:?}-{}", std::process::id()));
        handle.command(TextCommand::Save(dir.clone()));
        expect(&mut handle, |e| {
            matches!(e, TextEvent::Saved(_)).then_some(())
        });
        let mut loaded =
            job::start(TextStart::Load(dir.clone()), Device::flex(), no_waker()).unwrap();
        expect(&mut loaded, |e| {
            matches!(e, TextEvent::TrainingDone).then_some(())
        });
        assert_eq!(
            candidates(&mut loaded, "this movie is").unwrap(),
            before,
            "{kind:?}"
        );
        // Streaming: tokens arrive one by one and then a summary.
        loaded.command(TextCommand::Generate {
            id: 5,
            prompt: "this movie".into(),
            length: 6,
            sampling: Sampling {
                temperature: 0.7,
                top_k: 0,
                top_p: 1.0,
            },
            seed: 1,
        });
        let mut tokens = 0;
        expect(&mut loaded, |event| match event {
            TextEvent::Token { .. } => {
                tokens += 1;
                None
            }
            TextEvent::Generated { .. } => Some(()),
            _ => None,
        });
        assert_eq!(tokens, 6);
        std::fs::remove_dir_all(&dir).ok();
    }
}

#[test]
fn bad_prompts_and_tiny_corpora_are_refused_with_a_reason() {
    let start = TextStart::Train {
        config: tiny_config(ModelKind::Transformer),
        corpus: tiny_corpus(),
    };
    let mut handle = job::start(start, Device::flex(), no_waker()).unwrap();
    epoch_losses(&mut handle);
    let reason = candidates(&mut handle, "zebra quokka").unwrap_err();
    assert!(reason.contains("vocabulary"), "{reason}");
    let reason = candidates(&mut handle, "?!").unwrap_err();
    assert!(reason.contains("prompt"), "{reason}");

    let mut config = tiny_config(ModelKind::Lstm);
    config.lstm_length = 60;
    let start = TextStart::Train {
        config,
        corpus: CorpusSource::Documents(vec!["far too short".into()]),
    };
    let mut handle = job::start(start, Device::flex(), no_waker()).unwrap();
    match handle.recv_blocking() {
        Some(JobMessage::Failed(reason)) => {
            assert!(reason.contains("smaller than one"), "{reason}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn a_held_out_tenth_is_not_trained_on_and_its_loss_follows_each_epoch() {
    for kind in [ModelKind::Lstm, ModelKind::Transformer] {
        let count = |validation: f64| {
            let mut config = tiny_config(kind);
            config.epochs = 3;
            config.validation = validation;
            let start = TextStart::Train {
                config,
                corpus: tiny_corpus(),
            };
            let mut handle = job::start(start, Device::flex(), no_waker()).unwrap();
            let (mut examples, mut held_out) = (0, Vec::new());
            expect(&mut handle, |event| match event {
                TextEvent::Loaded { examples: n, .. } => {
                    examples = n;
                    None
                }
                TextEvent::Validation { epoch, loss } => {
                    held_out.push((epoch, loss));
                    None
                }
                TextEvent::TrainingDone => Some(()),
                _ => None,
            });
            (examples, held_out)
        };
        let (all, none) = count(0.0);
        assert!(none.is_empty(), "{kind:?}: nothing held out, no validation");
        let (kept, held_out) = count(0.1);
        let tenth = (all + 5) / 10;
        assert_eq!(kept, all - tenth, "{kind:?}");
        assert_eq!(
            held_out.iter().map(|(e, _)| *e).collect::<Vec<_>>(),
            [1, 2, 3],
            "{kind:?}"
        );
        // The held-out lines repeat the training ones: their loss falls too.
        assert!(
            held_out[2].1 < held_out[0].1 && held_out[2].1.is_finite(),
            "{kind:?}: {held_out:?}"
        );
    }
}
