//! The five techniques of chapter 12, one tab each. Each technique has its own
//! folder: `model.rs` burn only, `job.rs` threads and tensor read-backs,
//! `panel.rs` egui only (with `panel/saved.rs`, its persisted settings and its
//! [`Panel`](crate::ui::panel::Panel) impl), `cli.rs` the command-line twin.
//! No technique imports another: what they share lives in `nets`, `layers`,
//! `job`, `picture`, `rng` and `ui`.

pub mod dream;
pub mod gan;
pub mod style;
pub mod text;
pub mod tuner;
pub mod vae;

/// A tab of the studio.
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
pub enum Technique {
    #[default]
    Text,
    #[value(name = "dream")]
    DeepDream,
    Style,
    Vae,
    Gan,
    Tuner,
}

impl Technique {
    /// Every technique, in tab order.
    pub const ALL: [Self; 6] = [
        Self::Text,
        Self::DeepDream,
        Self::Style,
        Self::Vae,
        Self::Gan,
        Self::Tuner,
    ];

    /// The tab's title.
    pub fn title(self) -> &'static str {
        match self {
            Self::Text => "Text",
            Self::DeepDream => "DeepDream",
            Self::Style => "Style transfer",
            Self::Vae => "VAE",
            Self::Gan => "GAN",
            Self::Tuner => "Tuner",
        }
    }

    /// The section of the book it comes from.
    pub fn book_section(self) -> &'static str {
        match self {
            Self::Text => "12.1 Text generation (char-LSTM, Transformer)",
            Self::DeepDream => "12.2 DeepDream (InceptionV3)",
            Self::Style => "12.3 Neural style transfer (VGG19)",
            Self::Vae => "12.4 Variational autoencoder (MNIST)",
            Self::Gan => "12.5 DCGAN",
            Self::Tuner => "Hyper-parameter search (KerasTuner's flow)",
        }
    }

    /// Assets (manifest ids) the technique needs.
    pub fn assets(self) -> &'static [&'static str] {
        match self {
            Self::Text => &["reviews"],
            Self::DeepDream => &["inception_v3", "photos"],
            Self::Style => &["vgg19", "photos", "starry_night"],
            Self::Vae | Self::Tuner => &["mnist"],
            Self::Gan => &["emoji", "inception_v3"],
        }
    }
}
