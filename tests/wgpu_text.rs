//! The text models on wgpu (lavapipe here and in CI) against burn-flex from
//! the same weights: the char LSTM (its layer composed from burn's
//! operations off the CPU) and a reduced word Transformer, one RMSprop batch
//! each, next-token probabilities and five greedy tokens.

use burn::module::Module;
use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor};
use latent_studio::job::read_f32;

/// Relative tolerance between the two backends (f32, different summation orders).
const TOLERANCE: f32 = 1e-3;

/// A little text and its characters.
fn lstm_text() -> (
    Vec<String>,
    latent_studio::techniques::text::vectorize::CharVocab,
) {
    use latent_studio::techniques::text::vectorize::{CharVocab, char_text};
    let documents =
        vec!["this movie is a delight from start to finish and the cast is great".to_owned(); 4];
    let vocab = CharVocab::build(&char_text(&documents));
    (documents, vocab)
}

/// One RMSprop batch of the char LSTM on `device` (its layer composed from
/// burn's operations off the CPU), then the next-character probabilities
/// after five prompts: the loss before and after, and those probabilities.
fn lstm_batch(
    model: latent_studio::techniques::text::model::CharLstm,
    device: &Device,
) -> Vec<f32> {
    use burn::optim::RmsPropConfig;
    use latent_studio::techniques::text::job::char_examples;
    use latent_studio::techniques::text::model::masked_cross_entropy;
    let (documents, vocab) = lstm_text();
    let examples = char_examples(&documents, &vocab, 20, 3);
    let indices: Vec<usize> = (0..16).collect();
    let autodiff = device.clone().autodiff();
    let (inputs, targets, mask) = examples.batch(&indices, &autodiff);
    let loss = masked_cross_entropy(model.forward(&inputs), targets.clone(), mask.clone());
    let mut figures = read_f32(loss.clone().detach()).unwrap();
    let grads = GradientsParams::from_grads(loss.backward(), &model);
    let model = RmsPropConfig::new().init().step(0.01, model, grads);
    figures.extend(
        read_f32(masked_cross_entropy(model.forward(&inputs), targets, mask).detach()).unwrap(),
    );
    let (prompts, _, _) = examples.batch(&(16..21).collect::<Vec<_>>(), device);
    let probabilities = burn::tensor::activation::softmax(model.valid().forward(&prompts), 1);
    figures.extend(read_f32(probabilities).unwrap());
    figures
}

#[test]
fn the_char_lstm_trains_and_predicts_alike_on_wgpu_and_flex() {
    use latent_studio::techniques::text::model::LstmConfig;
    let (flex, gpu) = (Device::flex(), latent_studio::backend::wgpu_device());
    let config = LstmConfig {
        vocab_size: lstm_text().1.len(),
        hidden: 32,
        sequence_length: 20,
        step: 3,
    };
    let model = config.init(&flex.clone().autodiff());
    let file = std::env::temp_dir().join(format!("ls-wgpu-lstm-{}", std::process::id()));
    model.clone().save_file(&file).unwrap();
    let moved = config
        .init(&gpu.clone().autodiff())
        .try_load_file(&file)
        .unwrap();
    let on_flex = lstm_batch(model, &flex);
    let on_wgpu = lstm_batch(moved, &gpu);
    eprintln!(
        "lstm losses flex {:?} wgpu {:?}",
        &on_flex[..2],
        &on_wgpu[..2]
    );
    assert!(on_flex[1] < on_flex[0], "the batch trained");
    let largest = on_flex
        .iter()
        .zip(&on_wgpu)
        .map(|(a, b)| (a - b).abs() / a.abs().max(1.0))
        .fold(0.0f32, f32::max);
    eprintln!("largest relative difference {largest:e}");
    assert!(largest <= TOLERANCE, "{on_flex:?}\n{on_wgpu:?}");
}

/// One RMSprop batch of a reduced word Transformer on `device`, then five
/// tokens generated greedily from a prompt: the losses, the last
/// next-token probabilities, and the five token ids.
fn transformer_batch(
    model: latent_studio::techniques::text::model::TransformerLm,
    vocab: &latent_studio::techniques::text::vectorize::WordVocab,
    device: &Device,
) -> (Vec<f32>, Vec<i64>) {
    use burn::optim::RmsPropConfig;
    use burn::tensor::{Int, TensorData};
    use latent_studio::techniques::text::job::word_examples;
    let documents = word_documents();
    let examples = word_examples(&documents, vocab, 12);
    let autodiff = device.clone().autodiff();
    let indices: Vec<usize> = (0..examples.len().min(8)).collect();
    let (inputs, rows, targets) = examples.word_batch(&indices, &autodiff);
    let ones = |n: usize| Tensor::<1>::ones([n], &autodiff);
    let count = targets.dims()[0];
    let loss = model.loss_rows(inputs.clone(), rows.clone(), targets.clone(), ones(count));
    let mut figures = read_f32(loss.clone().detach()).unwrap();
    let grads = GradientsParams::from_grads(loss.backward(), &model);
    let model = RmsPropConfig::new().init().step(0.01, model, grads);
    let after = model.loss_rows(inputs, rows, targets, ones(count));
    figures.extend(read_f32(after.detach()).unwrap());
    let model = model.valid();
    let mut tokens: Vec<i64> = examples.inputs[0][..3]
        .iter()
        .map(|&t| i64::from(t))
        .collect();
    let mut probabilities = Vec::new();
    for _ in 0..5 {
        let prompt =
            Tensor::<2, Int>::from_data(TensorData::new(tokens.clone(), [1, tokens.len()]), device);
        probabilities = read_f32(burn::tensor::activation::softmax(
            model.next_logits(prompt),
            0,
        ))
        .unwrap();
        let best = (0..probabilities.len())
            .max_by(|&a, &b| probabilities[a].total_cmp(&probabilities[b]))
            .unwrap();
        tokens.push(i64::try_from(best).unwrap());
    }
    figures.extend(probabilities);
    (figures, tokens[3..].to_vec())
}

fn word_documents() -> Vec<String> {
    [
        "this movie is a delight from start to finish",
        "this movie is a mess and the actors know it",
        "a delight of a film with a great cast",
    ]
    .iter()
    .cycle()
    .take(12)
    .map(|s| (*s).to_owned())
    .collect()
}

#[test]
fn a_reduced_transformer_trains_and_generates_alike_on_wgpu_and_flex() {
    use latent_studio::techniques::text::model::TransformerConfig;
    use latent_studio::techniques::text::vectorize::WordVocab;
    let (flex, gpu) = (Device::flex(), latent_studio::backend::wgpu_device());
    let vocab = WordVocab::build(&word_documents(), 100);
    let config = TransformerConfig {
        vocab_size: vocab.len(),
        sequence_length: 12,
        embed_dim: 16,
        dense_dim: 32,
        num_heads: 2,
    };
    let model = config.init(&flex.clone().autodiff());
    let file = std::env::temp_dir().join(format!("ls-wgpu-words-{}", std::process::id()));
    model.clone().save_file(&file).unwrap();
    let moved = config
        .init(&gpu.clone().autodiff())
        .try_load_file(&file)
        .unwrap();
    let (on_flex, flex_tokens) = transformer_batch(model, &vocab, &flex);
    let (on_wgpu, gpu_tokens) = transformer_batch(moved, &vocab, &gpu);
    eprintln!(
        "transformer losses flex {:?} wgpu {:?}; tokens {flex_tokens:?} / {gpu_tokens:?}",
        &on_flex[..2],
        &on_wgpu[..2]
    );
    assert!(on_flex[1] < on_flex[0], "the batch trained");
    assert_eq!(flex_tokens, gpu_tokens, "five greedy tokens");
    let largest = on_flex
        .iter()
        .zip(&on_wgpu)
        .map(|(a, b)| (a - b).abs() / a.abs().max(1.0))
        .fold(0.0f32, f32::max);
    eprintln!("largest relative difference {largest:e}");
    assert!(largest <= TOLERANCE, "{on_flex:?}\n{on_wgpu:?}");
}
