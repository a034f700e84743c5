//! The style-transfer job: loads VGG19, computes the content features and the
//! style Grams once, then moves the combination image downhill, streaming
//! losses and the image. The only style code that spawns a thread or reads
//! tensors back.

use std::path::PathBuf;
use std::time::Instant;

use burn::tensor::{Device, Tensor};
use image::RgbImage;

use super::model::{LossWeights, Targets, objective};
use crate::documented::documented;
use crate::job::{JobBuilder, JobContext, JobError, JobHandle, Waker, read_f32};
use crate::nets::vgg19::{Pooling, Vgg19};
use crate::picture::{Picture, scaled_width};

/// Where the combination image starts.
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
pub enum Init {
    /// The content photo (book).
    #[default]
    Content,
    Style,
    Noise,
}

documented! {
    /// Everything that shapes a run; [`StyleSettings::book`] gives the book's.
    #[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    pub struct StyleSettings, docs StyleSettingsDocs {
        /// How much each loss term counts (act on the running job).
        pub weights: LossWeights,
        /// The VGG19 layer whose activations the content loss compares (the book:
        /// block5_conv2).
        pub content_layer: usize,
        /// Output height in px; the width follows the content's aspect ratio (the book:
        /// 400). A new height restarts the run.
        pub height: u32,
        /// Iterations at each scale (the book: 4000).
        pub iterations: usize,
        /// How the combination image is optimised: SGD with the book's decay, Adam, or
        /// L-BFGS (Gatys et al.'s choice).
        pub optimizer: OptimizerKind,
        /// The optimiser's learning rate; unset, its default for the height.
        pub learning_rate: Option<f64>,
        /// What the combination image starts as: the photo (the book), the painting, or
        /// noise.
        pub init: Init,
        /// VGG19's pooling: max (the book) or average (smoother, as Gatys et al. suggest).
        pub pooling: Pooling,
        /// Keep the content photo's colours in what is shown and saved (luminance
        /// transfer).
        pub preserve_colors: bool,
        /// Coarse-to-fine: 1 runs at the height only; 2 first at half, then at full size; …
        pub scales: usize,
        /// Send the image (and write a frame) every this many iterations (the book: 100).
        pub frame_every: usize,
        /// Seed of the noise start.
        pub seed: u64,
    }
}

impl StyleSettings {
    /// Heights of the scales, coarse to fine (never below 32 px).
    pub fn scale_heights(&self) -> Vec<u32> {
        let count = u32::try_from(self.scales.clamp(1, 4)).unwrap_or(1);
        (0..count)
            .rev()
            .map(|s| (self.height >> s).max(32))
            .collect::<Vec<_>>()
    }
}

/// The pictures of a run.
#[derive(Clone, Debug)]
pub struct StyleInputs {
    pub content: Picture,
    /// Style images with their blend weights.
    pub styles: Vec<(Picture, f32)>,
}

/// Losses after one iteration (already weighted, as the book prints them).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepLoss {
    pub iteration: usize,
    pub total: f32,
    pub content: f32,
    pub style: f32,
    pub total_variation: f32,
}

/// What the style job tells its panel.
#[derive(Debug)]
pub enum StyleEvent {
    /// A phase that takes a while: fetching or loading weights, computing targets.
    Status(String),
    /// A new scale begins.
    Scale {
        index: usize,
        count: usize,
        width: u32,
        height: u32,
        learning_rate: f64,
        note: Option<String>,
    },
    Losses(Vec<StepLoss>),
    Progress {
        iteration: usize,
        of: usize,
        secs_per_iteration: f32,
    },
    Image {
        iteration: usize,
        image: egui::ColorImage,
    },
    Frame(PathBuf),
    Saved(PathBuf),
    /// A save or export failed; the job and its image stay.
    SaveFailed {
        path: PathBuf,
        reason: String,
    },
    Done {
        secs: f32,
    },
}

impl StyleEvent {
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

/// What the panel can change while the job runs.
#[derive(Clone, Debug, PartialEq)]
pub enum StyleCommand {
    Weights(LossWeights),
    PreserveColors(bool),
    /// Write the current image as PNG.
    Save(PathBuf),
    /// Write the evolution so far (a frame every `frame_every` iterations) as a GIF.
    SaveGif(PathBuf),
    /// Write the same frames as numbered PNGs into a folder.
    SaveFrames(PathBuf),
}

/// Starts a run on `device`. `frames` gets numbered PNGs every `frame_every` iterations.
pub fn start(
    inputs: StyleInputs,
    settings: StyleSettings,
    frames: Option<PathBuf>,
    device: Device,
    waker: Waker,
) -> std::io::Result<JobHandle<StyleEvent, StyleCommand>> {
    JobBuilder::new("style").waker(waker).spawn(move |ctx| {
        let mut run = StyleJob {
            settings,
            inputs,
            frames,
            device,
            current: None,
            last_iteration: 0,
            evolution: Vec::new(),
        };
        run.run(ctx)
    })
}

struct StyleJob {
    settings: StyleSettings,
    inputs: StyleInputs,
    frames: Option<PathBuf>,
    device: Device,
    /// The latest image and the content at its size (for colour preservation).
    current: Option<(RgbImage, RgbImage)>,
    last_iteration: usize,
    /// The shown image every `frame_every` iterations, for an exported evolution.
    evolution: Vec<RgbImage>,
}

type Ctx = JobContext<StyleEvent, StyleCommand>;

impl StyleJob {
    fn run(&mut self, ctx: &mut Ctx) -> Result<(), JobError> {
        let started = Instant::now();
        let height = self.settings.height;
        let (w, h) = (self.inputs.content.width(), self.inputs.content.height());
        let width = scaled_width(w, h, height);
        crate::job::memory::check(
            &format!("Style transfer at {width}×{height} px"),
            super::model::peak_bytes(width, height),
            "Lower the output height.",
        )?;
        ctx.send(StyleEvent::Status("loading VGG19".into()))?;
        let mut net = Vgg19::load_cached(&self.device).map_err(anyhow::Error::from)?;
        net.pooling = self.settings.pooling;
        if let Some(dir) = &self.frames {
            std::fs::create_dir_all(dir).map_err(anyhow::Error::from)?;
        }
        let heights = self.settings.scale_heights();
        let mut previous: Option<RgbImage> = None;
        for (index, &height) in heights.iter().enumerate() {
            let first_iteration = index * self.settings.iterations;
            let image =
                self.run_scale(ctx, &net, index, height, previous.as_ref(), first_iteration)?;
            previous = Some(image);
        }
        self.drain_commands(ctx)?;
        ctx.send(StyleEvent::Done {
            secs: started.elapsed().as_secs_f32(),
        })?;
        // Stay to answer Save and colour toggles until the panel lets go.
        ctx.serve(|ctx, command| self.apply(ctx, command))
    }

    fn run_scale(
        &mut self,
        ctx: &mut Ctx,
        net: &Vgg19,
        index: usize,
        height: u32,
        previous: Option<&RgbImage>,
        first_iteration: usize,
    ) -> Result<RgbImage, JobError> {
        let settings = self.settings.clone();
        let width = scaled_width(
            self.inputs.content.width(),
            self.inputs.content.height(),
            height,
        );
        let (learning_rate, note) = match settings.learning_rate {
            Some(lr) => (lr, None),
            None => settings.optimizer.default_learning_rate(height),
        };
        ctx.send(StyleEvent::Scale {
            index,
            count: settings.scales.clamp(1, 4),
            width,
            height,
            learning_rate,
            note,
        })?;
        ctx.send(StyleEvent::Status(format!(
            "computing targets at {width}×{height}"
        )))?;
        let content_rgb = images::resize_exact(&self.inputs.content.rgb, width, height);
        let styles: Vec<(Tensor<4>, f32)> = self
            .inputs
            .styles
            .iter()
            .map(|(picture, weight)| {
                let rgb = images::resize_exact(&picture.rgb, width, height);
                (images::to_tensor(&rgb, &self.device), *weight)
            })
            .collect();
        let content = images::to_tensor(&content_rgb, &self.device);
        let targets = Targets::compute(net, content.clone(), settings.content_layer, &styles);
        let mut x = match (previous, settings.init) {
            (Some(coarse), _) => {
                images::to_tensor(&images::resize_exact(coarse, width, height), &self.device)
            }
            (None, Init::Content) => content,
            (None, Init::Style) => styles[0].0.clone(),
            (None, Init::Noise) => {
                images::to_tensor(&images::noise(width, height, settings.seed), &self.device)
            }
        };
        self.current = Some((images::to_rgb(x.clone())?, content_rgb));
        let mut optimizer = ImageOptimizer::new(settings.optimizer, learning_rate);
        let mut pending = Vec::new();
        let step_started = Instant::now();
        let every = settings.frame_every.max(1);
        for step in 0..settings.iterations {
            ctx.checkpoint()?;
            self.drain_commands(ctx)?;
            let tracked = x.clone().autodiff().require_grad();
            let terms = objective(net, &targets, tracked.clone(), &self.settings.weights);
            let losses = Tensor::cat(
                vec![
                    terms.total.clone().detach().inner(),
                    terms.content.detach().inner(),
                    terms.style.detach().inner(),
                    terms.total_variation.detach().inner(),
                ],
                0,
            );
            let grads = terms.total.backward();
            let grad = tracked
                .grad(&grads)
                .ok_or_else(|| anyhow::anyhow!("no gradient reached the image"))?;
            let values = read_f32(losses)?;
            let iteration = first_iteration + step + 1;
            pending.push(StepLoss {
                iteration,
                total: values[0],
                content: values[1],
                style: values[2],
                total_variation: values[3],
            });
            x = optimizer.step(step, x, f64::from(values[0]), grad)?;
            #[expect(clippy::cast_precision_loss, reason = "a rate")]
            let secs_per_iteration = step_started.elapsed().as_secs_f32() / (step + 1) as f32;
            let of = settings.iterations * settings.scale_heights().len();
            if ctx.progress(|| StyleEvent::Progress {
                iteration,
                of,
                secs_per_iteration,
            }) {
                ctx.send(StyleEvent::Losses(std::mem::take(&mut pending)))?;
            }
            let frame_due = (step + 1) % every == 0 || step + 1 == settings.iterations;
            if frame_due || ctx.preview_due() {
                self.refresh(ctx, x.clone(), iteration, frame_due)?;
            }
        }
        ctx.send(StyleEvent::Losses(pending))?;
        self.refresh(ctx, x.clone(), first_iteration + settings.iterations, false)?;
        images::to_rgb(x)
    }
}

mod commands;
mod images;
mod optim;
mod presets;
pub use images::noise;
pub use optim::{ImageOptimizer, OptimizerKind};
