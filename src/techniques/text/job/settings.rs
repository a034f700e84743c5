//! What a text run is made of: the model, its sizes and training, the epoch
//! samples; `book` gives the book's values for either model.

use super::ModelKind;
use crate::documented::documented;
use crate::techniques::text::model::TransformerConfig;

documented! {
    /// Everything about a training run; `book` gives the book's values.
    #[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    pub struct TextSettings, docs TextSettingsDocs {
        /// Which model: the 2nd edition's word Transformer or the 1st edition's char LSTM.
        pub kind: ModelKind,
        /// The word model's sizes.
        pub transformer: TransformerConfig,
        /// Units of the char LSTM (the book: 128).
        pub lstm_hidden: usize,
        /// Characters per training window of the char LSTM (the book: 60).
        pub lstm_length: usize,
        /// Characters between the starts of successive windows (the book: 3).
        pub lstm_step: usize,
        /// Windows per batch (the book: 256 for the Transformer, 128 for the LSTM).
        pub batch_size: usize,
        /// Passes over the corpus (the book: 200 for the Transformer, 60 for the LSTM).
        pub epochs: usize,
        /// RMSprop's learning rate (Transformer: Keras' default 1e-3; LSTM: 0.01). Acts on
        /// the running job.
        pub learning_rate: f64,
        /// Sample prompt after each epoch (LSTM: empty = a random 60-character window of the text).
        pub prompt: String,
        /// Tokens per epoch sample (words or characters).
        pub sample_length: usize,
        /// The temperatures each epoch's samples are drawn at (the book: 0.2 … 1.5).
        pub temperatures: Vec<f32>,
        /// Seed for initialisation, shuffling and the epoch samples.
        pub seed: u64,
        /// Share of the training windows (the corpus' last) held out: after
        /// each epoch the loss on them is sent (the tuner's objective; 0 = none).
        [serde(default)]
        pub validation: f64,
    }
}

impl TextSettings {
    pub fn book(kind: ModelKind) -> Self {
        match kind {
            ModelKind::Transformer => Self {
                kind,
                transformer: TransformerConfig::book(),
                lstm_hidden: 128,
                lstm_length: 60,
                lstm_step: 3,
                batch_size: 256,
                epochs: 200,
                learning_rate: 1e-3,
                prompt: "this movie".into(),
                sample_length: 50,
                temperatures: vec![0.2, 0.5, 0.7, 1.0, 1.5],
                seed: 7,
                validation: 0.0,
            },
            ModelKind::Lstm => Self {
                kind,
                batch_size: 128,
                epochs: 60,
                learning_rate: 0.01,
                prompt: String::new(),
                sample_length: 400,
                temperatures: vec![0.2, 0.5, 1.0, 1.2],
                ..Self::book(ModelKind::Transformer)
            },
        }
    }
}
