//! `latent-studio dream …`: the panel's job, headless, printing each octave's
//! shape and the loss at each step like the book.

use std::path::PathBuf;
use std::time::Instant;

use burn::tensor::Device;
use image::imageops::FilterType;

use super::job::{self, DreamCommand, DreamEvent, Zoom};
use super::model::{DreamSettings, Preset};
use crate::bench::{Measurement, mib};
use crate::job::{StepClock, memory, no_waker, wait_for, wait_saved};
use crate::nets::inception_v3;
use crate::picture::{self, Picture};

/// Options of `dream`.
#[derive(clap::Args, Debug)]
pub struct DreamArgs {
    /// The picture (default: the cat from the fetched gallery).
    #[arg(long)]
    pub image: Option<PathBuf>,
    /// Where to write the dream (PNG).
    #[arg(long)]
    pub out: PathBuf,
    #[arg(long, value_enum, default_value = "book")]
    pub preset: Preset,
    /// Layer weights replacing the preset's, e.g. `mixed4=1,mixed5=1.5`.
    #[arg(long, value_delimiter = ',')]
    pub layers: Vec<String>,
    #[arg(long)]
    pub octaves: Option<usize>,
    #[arg(long)]
    pub octave_scale: Option<f32>,
    /// Ascent steps per octave.
    #[arg(long)]
    pub iterations: Option<usize>,
    #[arg(long)]
    pub step: Option<f32>,
    /// Stop an octave once the loss passes this.
    #[arg(long, conflicts_with = "no_max_loss")]
    pub max_loss: Option<f32>,
    /// Never stop an octave early.
    #[arg(long)]
    pub no_max_loss: bool,
    /// Dream in tiles of this side with random jitter (large images).
    #[arg(long)]
    pub tile: Option<usize>,
    /// After the dream, zoom in and dream again this many times.
    #[arg(long, default_value_t = 0)]
    pub zoom_frames: usize,
    /// Magnification per zoom frame.
    #[arg(long, default_value_t = 1.05)]
    pub zoom: f32,
    /// Ascent steps per zoom frame.
    #[arg(long, default_value_t = 10)]
    pub zoom_iterations: usize,
    /// Write zoom frames as numbered PNGs here.
    #[arg(long)]
    pub frames: Option<PathBuf>,
    /// Write the octaves (and zoom frames) as an animated GIF here.
    #[arg(long)]
    pub gif: Option<PathBuf>,
}

impl DreamArgs {
    /// The preset with the flags given applied.
    pub fn settings(&self) -> anyhow::Result<DreamSettings> {
        let mut s = DreamSettings::preset(self.preset);
        if !self.layers.is_empty() {
            s.layers = [0.0; 11];
            for item in &self.layers {
                let (name, weight) = item.split_once('=').ok_or_else(|| {
                    anyhow::anyhow!("--layers takes name=weight pairs, e.g. mixed4=1")
                })?;
                let index = inception_v3::tap_index(name.trim())
                    .ok_or_else(|| anyhow::anyhow!("no layer `{name}` (mixed0 … mixed10)"))?;
                s.layers[index] = weight.trim().parse()?;
            }
        }
        s.octaves = self.octaves.unwrap_or(s.octaves).clamp(1, 8);
        s.octave_scale = self.octave_scale.unwrap_or(s.octave_scale).max(1.01);
        s.iterations = self.iterations.unwrap_or(s.iterations);
        s.step = self.step.unwrap_or(s.step);
        if self.no_max_loss {
            s.max_loss = None;
        } else if let Some(max) = self.max_loss {
            s.max_loss = Some(max);
        }
        s.tile = self.tile;
        Ok(s)
    }
}

/// Runs `dream`.
pub fn run(args: &DreamArgs, device: Device) -> anyhow::Result<()> {
    let settings = args.settings()?;
    let picture = match &args.image {
        Some(path) => Picture::open(path)?,
        None => picture::open_default("cat")?,
    };
    for note in &picture.notes {
        println!("{}: {note}", picture.name);
    }
    let layers: Vec<String> = settings
        .layers
        .iter()
        .enumerate()
        .filter(|(_, w)| **w != 0.0)
        .map(|(i, w)| format!("{}={w}", inception_v3::TAPS[i]))
        .collect();
    println!(
        "DeepDream: {} ({}×{}), {} preset, layers {}",
        picture.name,
        picture.width(),
        picture.height(),
        args.preset.label(),
        layers.join(",")
    );
    let zoom = (args.zoom_frames > 0).then_some(Zoom {
        frames: args.zoom_frames,
        factor: args.zoom,
        iterations: args.zoom_iterations,
    });
    let mut handle = job::start(
        picture,
        settings,
        zoom,
        args.frames.clone(),
        device,
        no_waker(),
    )?;
    let secs = wait_for(&mut handle, |event| match event {
        DreamEvent::Status(text) => {
            println!("{text}");
            None
        }
        DreamEvent::Plan { shapes, note } => {
            if let Some(note) = note {
                println!("note: {note}");
            }
            println!("octave shapes: {shapes:?}");
            None
        }
        DreamEvent::Octave { index, shape } => {
            println!(
                "Processing octave {index} with shape ({}, {})",
                shape[0], shape[1]
            );
            None
        }
        DreamEvent::Losses(losses) => {
            for l in losses {
                println!("... Loss value at step {}: {:.2}", l.index, l.loss);
            }
            None
        }
        DreamEvent::StoppedEarly { octave, step, loss } => {
            println!(
                "octave {octave} stopped early at step {step}: loss {loss:.2} passed max_loss"
            );
            None
        }
        DreamEvent::ZoomFrame { index, of, path } => {
            match path {
                Some(path) => println!("zoom frame {index}/{of}: {}", path.display()),
                None => println!("zoom frame {index}/{of}"),
            }
            None
        }
        DreamEvent::Done { secs } => Some(secs),
        DreamEvent::Image { .. }
        | DreamEvent::Progress { .. }
        | DreamEvent::Saved(_)
        | DreamEvent::SaveFailed { .. } => None,
    })?;
    handle.command(DreamCommand::Save(args.out.clone()));
    wait_saved(&mut handle, DreamEvent::save_outcome)?;
    println!("wrote {} ({secs:.1} s)", args.out.display());
    if let Some(gif) = &args.gif {
        handle.command(DreamCommand::SaveGif(gif.clone()));
        wait_saved(&mut handle, DreamEvent::save_outcome)?;
        println!("wrote {}", gif.display());
    }
    Ok(())
}

/// `latent-studio bench dream`: steady ms per ascent step of the book's layers
/// on the cat at 200×300 and 400×600 — one octave, no max-loss stop — with
/// loading InceptionV3 and the peak memory reported apart.
pub fn bench(device: &Device, steps: Option<usize>) -> anyhow::Result<Vec<Measurement>> {
    let cat = picture::open_default("cat")?;
    let mut figures = Vec::new();
    for (height, width, default_steps) in [(200, 300, 10), (400, 600, 6)] {
        let rgb = image::imageops::resize(&cat.rgb, width, height, FilterType::Triangle);
        let mut settings = DreamSettings::preset(Preset::Book);
        settings.octaves = 1;
        settings.iterations = steps.unwrap_or(default_steps).max(2);
        settings.max_loss = None;
        memory::start_peak();
        let started = Instant::now();
        let picture = Picture::from_rgb(rgb, "cat")?;
        let mut handle = job::start(picture, settings, None, None, device.clone(), no_waker())?;
        let (mut loaded, mut clock) = (None, StepClock::default());
        wait_for(&mut handle, |event| match event {
            DreamEvent::Plan { .. } => {
                loaded = Some(started.elapsed().as_secs_f64());
                None
            }
            DreamEvent::Progress { step, .. } => {
                clock.step_done(step);
                None
            }
            DreamEvent::Done { .. } => Some(()),
            _ => None,
        })?;
        let peak = memory::peak().map_or(0.0, mib);
        drop(handle);
        let workload = format!("dream {height}×{width}");
        let (Some(steady), Some(load)) = (clock.steady_secs(), loaded) else {
            anyhow::bail!("{workload}: too few steps reported to time");
        };
        println!(
            "{workload}: {:.0} ms per step (steady, after the first); loading InceptionV3 {load:.1} s, \
             peak memory {peak:.0} MiB",
            steady * 1000.0
        );
        figures.extend([
            Measurement::cost(format!("{workload} step (steady)"), steady * 1000.0, "ms"),
            Measurement::cost(format!("{workload} loading InceptionV3"), load, "s"),
            Measurement::cost(format!("{workload} peak memory"), peak, "MiB"),
        ]);
    }
    Ok(figures)
}
