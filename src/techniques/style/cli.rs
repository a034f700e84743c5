//! `latent-studio style …`: the panel's job, headless, printing the loss every
//! 100 iterations like the book.

use std::path::PathBuf;
use std::time::Instant;

use burn::tensor::Device;
use image::RgbImage;
use image::imageops::FilterType;

use super::job::{self, Init, OptimizerKind, StyleEvent, StyleInputs, StyleSettings};
use crate::bench::{Measurement, mib};
use crate::job::{StepClock, memory, no_waker, wait_for, wait_saved};
use crate::nets::vgg19::{self, Pooling};
use crate::picture::{self, Picture, color_image_to_rgb};

/// Options of `style`.
#[derive(clap::Args, Debug)]
pub struct StyleArgs {
    /// The photo (default: the astronaut from the fetched gallery).
    #[arg(long)]
    pub content: Option<PathBuf>,
    /// A painting; give it several times to blend styles (default: Starry Night).
    #[arg(long)]
    pub style: Vec<PathBuf>,
    /// Blend weight of each --style, in order (default: equal).
    #[arg(long, value_delimiter = ',')]
    pub style_blend: Vec<f32>,
    /// Where to write the result (PNG).
    #[arg(long)]
    pub out: PathBuf,
    /// Output height in px (book: 400).
    #[arg(long)]
    pub height: Option<u32>,
    /// Iterations per scale (book: 4000).
    #[arg(long)]
    pub iterations: Option<usize>,
    #[arg(long, value_enum)]
    pub optimizer: Option<OptimizerKind>,
    /// Learning rate (default: the optimiser's, scaled for SGD below 400 px).
    #[arg(long)]
    pub lr: Option<f64>,
    #[arg(long, value_enum)]
    pub init: Option<Init>,
    /// Start from the book's settings (the defaults; flags given override them).
    #[arg(long, value_parser = ["book"])]
    pub preset: Option<String>,
    /// Keep the photo's colours (luminance-only transfer).
    #[arg(long)]
    pub preserve_colors: bool,
    /// Coarse-to-fine scales (1 = the book).
    #[arg(long)]
    pub scales: Option<usize>,
    /// Average instead of max pooling.
    #[arg(long)]
    pub avg_pool: bool,
    /// Content layer (book: block5_conv2).
    #[arg(long)]
    pub content_layer: Option<String>,
    /// Content weight (book: 2.5e-8).
    #[arg(long)]
    pub content_weight: Option<f64>,
    /// Style weight (book: 1e-6).
    #[arg(long)]
    pub style_weight: Option<f64>,
    /// Total-variation weight (book: 1e-6).
    #[arg(long)]
    pub tv_weight: Option<f64>,
    /// Print and keep a frame every N iterations (book: 100).
    #[arg(long)]
    pub every: Option<usize>,
    /// Write numbered frames here.
    #[arg(long)]
    pub frames: Option<PathBuf>,
    /// Write the evolution as an animated GIF here.
    #[arg(long)]
    pub gif: Option<PathBuf>,
}

impl StyleArgs {
    /// The book's settings with the flags given applied.
    pub fn settings(&self) -> anyhow::Result<StyleSettings> {
        let mut s = StyleSettings::book();
        if let Some(name) = &self.content_layer {
            s.content_layer = vgg19::layer_index(name).ok_or_else(|| {
                anyhow::anyhow!("no VGG19 layer `{name}` (block1_conv1 … block5_conv4)")
            })?;
        }
        s.height = self.height.unwrap_or(s.height).clamp(32, 4096);
        s.iterations = self.iterations.unwrap_or(s.iterations);
        s.optimizer = self.optimizer.unwrap_or(s.optimizer);
        s.learning_rate = self.lr;
        s.init = self.init.unwrap_or(s.init);
        s.preserve_colors = self.preserve_colors;
        s.scales = self.scales.unwrap_or(s.scales);
        if self.avg_pool {
            s.pooling = Pooling::Average;
        }
        s.weights.content = self.content_weight.unwrap_or(s.weights.content);
        s.weights.style = self.style_weight.unwrap_or(s.weights.style);
        s.weights.total_variation = self.tv_weight.unwrap_or(s.weights.total_variation);
        s.frame_every = self.every.unwrap_or(s.frame_every).max(1);
        Ok(s)
    }

    fn inputs(&self) -> anyhow::Result<StyleInputs> {
        let content = match &self.content {
            Some(path) => Picture::open(path)?,
            None => picture::open_default("astronaut")?,
        };
        let styles = if self.style.is_empty() {
            vec![picture::open_default("starry night")?]
        } else {
            self.style
                .iter()
                .map(|p| Picture::open(p))
                .collect::<Result<_, _>>()?
        };
        if !self.style_blend.is_empty() && self.style_blend.len() != styles.len() {
            anyhow::bail!(
                "--style-blend needs one weight per --style ({} given)",
                styles.len()
            );
        }
        let styles = styles
            .into_iter()
            .enumerate()
            .map(|(i, p)| (p, self.style_blend.get(i).copied().unwrap_or(1.0)))
            .collect();
        Ok(StyleInputs { content, styles })
    }
}

/// Runs `style`.
pub fn run(args: &StyleArgs, device: Device) -> anyhow::Result<()> {
    let settings = args.settings()?;
    let inputs = args.inputs()?;
    for picture in std::iter::once(&inputs.content).chain(inputs.styles.iter().map(|(p, _)| p)) {
        for note in &picture.notes {
            println!("{}: {note}", picture.name);
        }
    }
    println!(
        "style transfer: {} ← {}, height {}, {} iterations × {} scale(s), {}",
        inputs.content.name,
        inputs
            .styles
            .iter()
            .map(|(p, _)| p.name.as_str())
            .collect::<Vec<_>>()
            .join(" + "),
        settings.height,
        settings.iterations,
        settings.scale_heights().len(),
        settings.optimizer.label(),
    );
    let every = settings.frame_every;
    let mut handle = job::start(inputs, settings, args.frames.clone(), device, no_waker())?;
    let mut frames: Vec<RgbImage> = Vec::new();
    let mut last_frame = None;
    let secs = wait_for(&mut handle, |event| match event {
        StyleEvent::Status(text) => {
            println!("{text}");
            None
        }
        StyleEvent::Scale {
            width,
            height,
            learning_rate,
            note,
            ..
        } => {
            println!("scale {width}×{height}, learning rate {learning_rate}");
            if let Some(note) = note {
                println!("note: {note}");
            }
            None
        }
        StyleEvent::Losses(losses) => {
            for l in losses
                .iter()
                .filter(|l| l.iteration == 1 || l.iteration % every == 0)
            {
                println!(
                    "Iteration {}: loss={:.2} (content {:.2}, style {:.2}, variation {:.2})",
                    l.iteration, l.total, l.content, l.style, l.total_variation
                );
            }
            None
        }
        StyleEvent::Image { iteration, image } => {
            if args.gif.is_some()
                && (iteration % every == 0 || iteration == 0)
                && last_frame != Some(iteration)
            {
                last_frame = Some(iteration);
                frames.push(color_image_to_rgb(&image));
            }
            None
        }
        StyleEvent::Done { secs } => Some(secs),
        StyleEvent::Frame(_)
        | StyleEvent::Progress { .. }
        | StyleEvent::Saved(_)
        | StyleEvent::SaveFailed { .. } => None,
    })?;
    handle.command(job::StyleCommand::Save(args.out.clone()));
    wait_saved(&mut handle, StyleEvent::save_outcome)?;
    println!("wrote {} ({secs:.1} s)", args.out.display());
    if let Some(gif) = &args.gif {
        crate::animation::write_gif(&frames, gif, 200)?;
        println!("wrote {} ({} frames)", gif.display(), frames.len());
    }
    Ok(())
}

/// `latent-studio bench style`: steady ms per iteration of the book's SGD run
/// (the cat painted as Starry Night) at 128×192 and 400×600, with loading
/// VGG19, computing the targets and the peak memory reported apart.
pub fn bench(device: &Device, iterations: Option<usize>) -> anyhow::Result<Vec<Measurement>> {
    let cat = picture::open_default("cat")?;
    let painting = picture::open_default("starry night")?;
    let mut figures = Vec::new();
    for (height, width, default_iterations) in [(128, 192, 12), (400, 600, 5)] {
        let rgb = image::imageops::resize(&cat.rgb, width, height, FilterType::Triangle);
        let inputs = StyleInputs {
            content: Picture::from_rgb(rgb, "cat")?,
            styles: vec![(painting.clone(), 1.0)],
        };
        let mut settings = StyleSettings::book();
        settings.height = height;
        settings.iterations = iterations.unwrap_or(default_iterations).max(2);
        settings.frame_every = usize::MAX;
        memory::start_peak();
        let started = Instant::now();
        let mut handle = job::start(inputs, settings, None, device.clone(), no_waker())?;
        let (mut targets_from, mut first, mut clock) = (None, None, StepClock::default());
        wait_for(&mut handle, |event| match event {
            StyleEvent::Status(text) if text.starts_with("computing targets") => {
                targets_from = Some(started.elapsed().as_secs_f64());
                None
            }
            StyleEvent::Progress { iteration, .. } => {
                first.get_or_insert((iteration, started.elapsed().as_secs_f64()));
                clock.step_done(iteration);
                None
            }
            StyleEvent::Done { .. } => Some(()),
            _ => None,
        })?;
        let peak = memory::peak().map_or(0.0, mib);
        drop(handle);
        let workload = format!("style {height}×{width}");
        let (Some(steady), Some(load), Some((first, first_at))) =
            (clock.steady_secs(), targets_from, first)
        else {
            anyhow::bail!("{workload}: too few iterations reported to time");
        };
        #[expect(clippy::cast_precision_loss, reason = "a step count")]
        let targets = (first_at - load - first as f64 * steady).max(0.0);
        println!(
            "{workload}: {:.0} ms per iteration (steady, after the first); loading VGG19 {load:.1} s, \
             targets {:.0} ms (with the first iteration's warm-up), peak memory {peak:.0} MiB",
            steady * 1000.0,
            targets * 1000.0
        );
        figures.extend([
            Measurement::cost(
                format!("{workload} iteration (steady)"),
                steady * 1000.0,
                "ms",
            ),
            Measurement::cost(
                format!("{workload} targets (with the first iteration's warm-up)"),
                targets * 1000.0,
                "ms",
            ),
            Measurement::cost(format!("{workload} loading VGG19"), load, "s"),
            Measurement::cost(format!("{workload} peak memory"), peak, "MiB"),
        ]);
    }
    Ok(figures)
}
