//! Choosing the next token: the book's softmax-temperature reweighting and one
//! multinomial draw, plus top-k and nucleus (top-p) filters, and a measure of
//! how repetitive a text is. Plain numbers, no tensors.

/// `exp(ln p / T)`, normalised. T → 0 is the argmax (no NaN); T = 1 leaves the
/// distribution unchanged; a large T flattens it toward uniform.
pub fn reweight(probabilities: &[f32], temperature: f32) -> Vec<f32> {
    if probabilities.is_empty() {
        return Vec::new();
    }
    if temperature <= 1e-6 {
        let best = argmax(probabilities);
        return (0..probabilities.len())
            .map(|i| if i == best { 1.0 } else { 0.0 })
            .collect();
    }
    let logs: Vec<f64> = probabilities
        .iter()
        .map(|&p| f64::from(p.max(0.0)).ln() / f64::from(temperature))
        .collect();
    let top = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let weights: Vec<f64> = logs.iter().map(|l| (l - top).exp()).collect();
    let total: f64 = weights.iter().sum();
    #[expect(clippy::cast_possible_truncation, reason = "probabilities back to f32")]
    let out = weights.iter().map(|w| (w / total) as f32).collect();
    out
}

/// Keeps the `k` most likely tokens (0 = all), renormalised.
pub fn top_k(probabilities: &[f32], k: usize) -> Vec<f32> {
    if k == 0 || k >= probabilities.len() {
        return probabilities.to_vec();
    }
    let order = ranked(probabilities);
    let mut out = vec![0.0; probabilities.len()];
    for &i in &order[..k] {
        out[i] = probabilities[i];
    }
    normalised(out)
}

/// Keeps the smallest set of most likely tokens whose mass reaches `p` (1 = all).
pub fn top_p(probabilities: &[f32], p: f32) -> Vec<f32> {
    if p >= 1.0 {
        return probabilities.to_vec();
    }
    let mut out = vec![0.0; probabilities.len()];
    let mut mass = 0.0;
    for i in ranked(probabilities) {
        out[i] = probabilities[i];
        mass += probabilities[i];
        if mass >= p {
            break;
        }
    }
    normalised(out)
}

/// One multinomial draw with `uniform` in [0, 1).
pub fn draw(probabilities: &[f32], uniform: f32) -> usize {
    let mut cumulative = 0.0;
    for (i, p) in probabilities.iter().enumerate() {
        cumulative += p;
        if uniform < cumulative {
            return i;
        }
    }
    // Rounding left a sliver: the last token with any mass.
    probabilities.iter().rposition(|p| *p > 0.0).unwrap_or(0)
}

/// Share of the text's n-grams that already appeared earlier in it (0 = none
/// repeated; near 1 = the text loops).
pub fn repetition<T: PartialEq + std::hash::Hash + Eq + Clone>(tokens: &[T], n: usize) -> f32 {
    if n == 0 || tokens.len() < n + 1 {
        return 0.0;
    }
    let mut seen = std::collections::HashSet::new();
    let mut repeated = 0usize;
    let windows = tokens.windows(n);
    let count = windows.len();
    for gram in windows {
        if !seen.insert(gram.to_vec()) {
            repeated += 1;
        }
    }
    #[expect(clippy::cast_precision_loss, reason = "a share")]
    let share = repeated as f32 / count as f32;
    share
}

pub fn argmax(values: &[f32]) -> usize {
    values
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map_or(0, |(i, _)| i)
}

/// Indices from most to least likely.
pub fn ranked(probabilities: &[f32]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..probabilities.len()).collect();
    order.sort_by(|&a, &b| probabilities[b].total_cmp(&probabilities[a]));
    order
}

fn normalised(mut values: Vec<f32>) -> Vec<f32> {
    let total: f32 = values.iter().sum();
    if total > 0.0 {
        for v in &mut values {
            *v /= total;
        }
    }
    values
}

/// The seeded generator samples are drawn with.
pub use crate::rng::Rng;
