//! The DeepDream job: loads InceptionV3, runs gradient ascent octave by
//! octave (whole image or tiles with jitter), reinjects lost detail, then
//! optionally zooms in and dreams again for an animation. The only dream code
//! that spawns a thread or reads tensors back.

use std::path::PathBuf;
use std::time::Instant;

use burn::tensor::{Device, Tensor};
use image::RgbImage;

use super::model::{
    AUTO_TILE, DreamSettings, auto_tile, lost_detail, normalise, octave_shapes, peak_bytes,
};
use crate::documented::documented;
use crate::job::{JobBuilder, JobContext, JobError, JobHandle, Throttle, Waker, images};
use crate::nets::inception_v3::{self, InceptionV3};
use crate::nets::resize;
use crate::picture::{Picture, rgb_to_color_image};
use crate::rng::Rng;

documented! {
    /// "Dream deeper": zoom into the centre and dream again, frame after frame.
    #[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    pub struct Zoom, docs ZoomDocs {
        /// Frames of the zoom animation after the dream itself.
        pub frames: usize,
        /// Magnification per frame (e.g. 1.05).
        pub factor: f32,
        /// Ascent steps per frame (on the full-size image only).
        pub iterations: usize,
    }
}

/// Loss after one ascent step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepLoss {
    /// Steps so far over all octaves (the plot's x).
    pub index: usize,
    pub octave: usize,
    pub loss: f32,
}

/// What the dream job tells its panel.
#[derive(Debug)]
pub enum DreamEvent {
    Status(String),
    /// The octave shapes, smallest first, and a note when some were clamped.
    Plan {
        shapes: Vec<[usize; 2]>,
        note: Option<String>,
    },
    Octave {
        index: usize,
        shape: [usize; 2],
    },
    Losses(Vec<StepLoss>),
    Progress {
        octave: usize,
        step: usize,
        of: usize,
        secs_per_step: f32,
    },
    /// The octave stopped early: the loss passed max_loss.
    StoppedEarly {
        octave: usize,
        step: usize,
        loss: f32,
    },
    Image {
        image: egui::ColorImage,
    },
    /// A zoom frame was made (and written, when a folder was given).
    ZoomFrame {
        index: usize,
        of: usize,
        path: Option<PathBuf>,
    },
    Saved(PathBuf),
    /// A save or export failed; the job and its picture stay.
    SaveFailed {
        path: PathBuf,
        reason: String,
    },
    Done {
        secs: f32,
    },
}

impl DreamEvent {
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

/// What the panel can change or ask while the job runs.
#[derive(Clone, Debug, PartialEq)]
pub enum DreamCommand {
    Layers([f32; 11]),
    Step(f32),
    /// Write the current image as PNG.
    Save(PathBuf),
    /// Write the zoom frames (or the octave results) as an animated GIF.
    SaveGif(PathBuf),
    /// Write the same frames as numbered PNGs into a folder.
    SaveFrames(PathBuf),
}

/// Starts a dream on `device`; with `zoom`, frames go to `frames` when given.
pub fn start(
    picture: Picture,
    settings: DreamSettings,
    zoom: Option<Zoom>,
    frames: Option<PathBuf>,
    device: Device,
    waker: Waker,
) -> std::io::Result<JobHandle<DreamEvent, DreamCommand>> {
    start_throttled(
        picture,
        settings,
        zoom,
        frames,
        device,
        waker,
        Throttle::default(),
    )
}

/// [`start`] with its previews and progress let through at `throttle`'s pace.
pub fn start_throttled(
    picture: Picture,
    settings: DreamSettings,
    zoom: Option<Zoom>,
    frames: Option<PathBuf>,
    device: Device,
    waker: Waker,
    throttle: Throttle,
) -> std::io::Result<JobHandle<DreamEvent, DreamCommand>> {
    JobBuilder::new("dream")
        .waker(waker)
        .throttle(throttle)
        .spawn(move |ctx| {
            let mut dream = DreamJob {
                settings,
                device,
                current: picture.rgb.clone(),
                animation: Vec::new(),
                steps: 0,
                rng: Rng(picture.rgb.width().into()),
            };
            dream.run(ctx, &picture, zoom, frames.as_deref())
        })
}

type Ctx = JobContext<DreamEvent, DreamCommand>;

struct DreamJob {
    settings: DreamSettings,
    device: Device,
    current: RgbImage,
    /// Octave results, then zoom frames: what an exported GIF shows.
    animation: Vec<RgbImage>,
    steps: usize,
    rng: Rng,
}

impl DreamJob {
    fn run(
        &mut self,
        ctx: &mut Ctx,
        picture: &Picture,
        zoom: Option<Zoom>,
        frames: Option<&std::path::Path>,
    ) -> Result<(), JobError> {
        let started = Instant::now();
        self.rng.0 ^= self.settings.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        ctx.send(DreamEvent::Status("loading InceptionV3".into()))?;
        let net = InceptionV3::load_cached(&self.device).map_err(anyhow::Error::from)?;
        let original = to_tensor(&picture.rgb, &self.device);
        let result = self.dream(ctx, &net, &original)?;
        if let Some(zoom) = zoom.filter(|z| z.frames > 0) {
            self.zoom(ctx, &net, result, &zoom, frames)?;
        }
        ctx.send(DreamEvent::Done {
            secs: started.elapsed().as_secs_f32(),
        })?;
        ctx.serve(|ctx, command| self.apply(ctx, command))
    }

    /// The book's octave loop.
    fn dream(
        &mut self,
        ctx: &mut Ctx,
        net: &InceptionV3,
        original: &Tensor<4>,
    ) -> Result<Tensor<4>, JobError> {
        let [_, _, h, w] = original.dims();
        let (shapes, mut note) =
            octave_shapes([h, w], self.settings.octaves, self.settings.octave_scale);
        let largest = shapes
            .iter()
            .copied()
            .max_by_key(|[h, w]| h * w)
            .unwrap_or([h, w]);
        let tile = auto_tile(largest, self.settings.tile);
        if tile != self.settings.tile {
            self.settings.tile = tile;
            let tiled = format!(
                "{}×{} px: dreamt in {AUTO_TILE} px tiles to fit in memory",
                largest[1], largest[0]
            );
            note = Some(note.map_or(tiled.clone(), |n| format!("{n}; {tiled}")));
        }
        crate::job::memory::check(
            &format!("DeepDream at {}×{} px", largest[1], largest[0]),
            peak_bytes(largest, tile),
            "Use a smaller picture, or smaller tiles.",
        )?;
        ctx.send(DreamEvent::Plan {
            shapes: shapes.clone(),
            note,
        })?;
        let mut image = original.clone();
        let mut previous = shapes[0];
        for (octave, &shape) in shapes.iter().enumerate() {
            ctx.send(DreamEvent::Octave {
                index: octave,
                shape,
            })?;
            image = resize(image, shape);
            image = self.ascend(ctx, net, image, octave, self.settings.iterations)?;
            image = image + lost_detail(original, previous, shape);
            previous = shape;
            self.show(ctx, image.clone(), true)?;
        }
        Ok(image)
    }

    /// Gradient ascent at one size: `iterations` steps or until max_loss.
    fn ascend(
        &mut self,
        ctx: &mut Ctx,
        net: &InceptionV3,
        mut image: Tensor<4>,
        octave: usize,
        iterations: usize,
    ) -> Result<Tensor<4>, JobError> {
        let mut pending = Vec::new();
        let started = Instant::now();
        for step in 0..iterations {
            ctx.checkpoint()?;
            self.drain(ctx)?;
            let (loss, gradient) = self.gradient(net, &image)?;
            image = image + normalise(gradient, self.settings.norm).mul_scalar(self.settings.step);
            self.steps += 1;
            pending.push(StepLoss {
                index: self.steps,
                octave,
                loss,
            });
            #[expect(clippy::cast_precision_loss, reason = "a rate")]
            let secs_per_step = started.elapsed().as_secs_f32() / (step + 1) as f32;
            if ctx.progress(|| DreamEvent::Progress {
                octave,
                step: step + 1,
                of: iterations,
                secs_per_step,
            }) {
                ctx.send(DreamEvent::Losses(std::mem::take(&mut pending)))?;
            }
            self.show(ctx, image.clone(), false)?;
            if self.settings.max_loss.is_some_and(|max| loss > max) {
                ctx.send(DreamEvent::Losses(std::mem::take(&mut pending)))?;
                ctx.send(DreamEvent::StoppedEarly {
                    octave,
                    step: step + 1,
                    loss,
                })?;
                break;
            }
        }
        ctx.send(DreamEvent::Losses(pending))?;
        Ok(image)
    }

    /// Zoom into the centre and dream again, frame after frame.
    fn zoom(
        &mut self,
        ctx: &mut Ctx,
        net: &InceptionV3,
        mut image: Tensor<4>,
        zoom: &Zoom,
        frames: Option<&std::path::Path>,
    ) -> Result<(), JobError> {
        let [_, _, h, w] = image.dims();
        if let Some(dir) = frames {
            std::fs::create_dir_all(dir).map_err(anyhow::Error::from)?;
        }
        self.animation.clear();
        self.animation.push(self.current.clone());
        for index in 0..zoom.frames {
            ctx.send(DreamEvent::Status(format!(
                "dreaming deeper: frame {}/{}",
                index + 1,
                zoom.frames
            )))?;
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                clippy::cast_precision_loss,
                reason = "pixel sizes"
            )]
            let crop = [
                ((h as f32 / zoom.factor.max(1.001)) as usize).max(2),
                ((w as f32 / zoom.factor.max(1.001)) as usize).max(2),
            ];
            let (top, left) = ((h - crop[0]) / 2, (w - crop[1]) / 2);
            image = resize(
                image.slice([0..1, 0..3, top..top + crop[0], left..left + crop[1]]),
                [h, w],
            );
            image = self.ascend(ctx, net, image, 0, zoom.iterations)?;
            self.show(ctx, image.clone(), true)?;
            let path = match frames {
                Some(dir) => {
                    let path = dir.join(format!("frame_{:04}.png", index + 1));
                    self.current.save(&path).map_err(anyhow::Error::from)?;
                    Some(path)
                }
                None => None,
            };
            ctx.send(DreamEvent::ZoomFrame {
                index: index + 1,
                of: zoom.frames,
                path,
            })?;
        }
        Ok(())
    }

    /// Reads the image back and sends it: always when `keep` (an octave's
    /// result or a zoom frame, which joins the animation), otherwise only as a
    /// preview the throttle lets through — a step no preview is due at reads
    /// nothing back.
    fn show(&mut self, ctx: &mut Ctx, image: Tensor<4>, keep: bool) -> Result<(), JobError> {
        if !keep && !ctx.preview_due() {
            return Ok(());
        }
        self.current = to_rgb(image)?;
        if keep {
            self.animation.push(self.current.clone());
            return ctx.send(DreamEvent::Image {
                image: rgb_to_color_image(&self.current),
            });
        }
        let current = &self.current;
        ctx.preview(|| DreamEvent::Image {
            image: rgb_to_color_image(current),
        });
        Ok(())
    }
}

/// An RGB image as a [1, 3, h, w] tensor in [−1, 1].
pub fn to_tensor(rgb: &RgbImage, device: &Device) -> Tensor<4> {
    images::to_tensor(rgb, inception_v3::to_input, device)
}

/// A [1, 3, h, w] tensor in [−1, 1] back to RGB (clipped).
pub fn to_rgb(image: Tensor<4>) -> Result<RgbImage, JobError> {
    images::to_rgb(
        image,
        inception_v3::from_input,
        "the dream diverged (NaN): lower the step",
    )
}

mod ascent;
mod commands;
pub use ascent::tiles;
