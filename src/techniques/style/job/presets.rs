//! The style tab's two starting points: the book's run exactly, and a quick
//! run that shows a stylised picture within a minute on a 2-core CPU.

use super::{Init, OptimizerKind, StyleSettings};
use crate::nets::vgg19::{self, Pooling};
use crate::techniques::style::model::{
    BOOK_CONTENT_LAYER, BOOK_DECAY_RATE, BOOK_DECAY_STEPS, BOOK_HEIGHT, BOOK_ITERATIONS,
    BOOK_SGD_RATE, LossWeights,
};

/// The Quick preset's height: a quarter of the book's pixels.
const QUICK_HEIGHT: u32 = 200;
/// The Quick preset's iterations (L-BFGS).
const QUICK_ITERATIONS: usize = 100;

impl StyleSettings {
    /// The book's settings exactly.
    pub fn book() -> Self {
        Self {
            weights: LossWeights::default(),
            content_layer: vgg19::layer_index(BOOK_CONTENT_LAYER).unwrap_or(13),
            height: BOOK_HEIGHT,
            iterations: BOOK_ITERATIONS,
            optimizer: OptimizerKind::Sgd,
            learning_rate: None,
            init: Init::Content,
            pooling: Pooling::Max,
            preserve_colors: false,
            scales: 1,
            frame_every: 100,
            seed: 1,
        }
    }

    /// The book's losses and weights, optimised by L-BFGS at half the book's
    /// height for a hundred iterations: where the book's SGD needs thousands
    /// of iterations, L-BFGS paints the photo within tens (the CPU's default).
    pub fn quick() -> Self {
        Self {
            height: QUICK_HEIGHT,
            iterations: QUICK_ITERATIONS,
            optimizer: OptimizerKind::Lbfgs,
            frame_every: 10,
            ..Self::book()
        }
    }

    /// Whether these are the Quick preset's run settings.
    pub fn is_quick(&self) -> bool {
        self.optimizer == OptimizerKind::Lbfgs
            && self.height == QUICK_HEIGHT
            && self.iterations == QUICK_ITERATIONS
    }

    /// The book's settings in one line (the Book button's hover text).
    pub fn book_summary() -> String {
        let book = Self::book();
        let w = &book.weights;
        format!(
            "The book's settings: {} px, SGD lr {BOOK_SGD_RATE} ×{BOOK_DECAY_RATE}/{BOOK_DECAY_STEPS} steps, {} iterations, weights {:e} / {:e} / {:e}",
            book.height, book.iterations, w.content, w.style, w.total_variation
        )
    }

    /// The Quick preset in one line (its button's hover text).
    pub fn quick_summary() -> String {
        format!(
            "Quick: the book's losses and weights, L-BFGS at {QUICK_HEIGHT} px for {QUICK_ITERATIONS} iterations — a stylised picture within a minute on a CPU"
        )
    }

    /// Seconds the book's run would take, from a measured `secs_per_iteration`
    /// at `width`×`height`: an iteration's cost grows with the pixels.
    #[expect(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        reason = "an estimate"
    )]
    pub fn book_eta_secs(secs_per_iteration: f32, width: u32, height: u32) -> f32 {
        let (width, height) = (f64::from(width.max(1)), f64::from(height.max(1)));
        let book_pixels = f64::from(BOOK_HEIGHT).powi(2) * width / height;
        let per_book_iteration = f64::from(secs_per_iteration) * book_pixels / (width * height);
        (per_book_iteration * BOOK_ITERATIONS as f64) as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_book_eta_scales_with_the_pixels() {
        // 1 s an iteration at 200×200 is 4 s at the book's 400×400, 4000 times.
        let eta = StyleSettings::book_eta_secs(1.0, 200, 200);
        assert!((eta - 16_000.0).abs() < 1.0, "{eta}");
        // The aspect ratio is kept: 300×200 → 600×400.
        let wide = StyleSettings::book_eta_secs(1.0, 300, 200);
        assert!((wide - 16_000.0).abs() < 1.0, "{wide}");
        assert!(StyleSettings::quick().is_quick());
        assert!(!StyleSettings::book().is_quick());
    }
}
