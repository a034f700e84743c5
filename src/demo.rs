//! The runtime demo (`--demo`): a burn computation on the compute device that
//! renders an animated pattern as fast as it can and streams it as previews.
//! It exists to check, under load, that the UI never waits on compute
//! (`--frame-stats`), and it is the smallest example of the path every panel's
//! preview takes: tensor → `into_data` on the job thread → `ColorImage` →
//! channel → texture on the UI thread.

use std::time::Instant;

use burn::tensor::{Device, Int, Tensor};

use crate::job::{JobBuilder, JobContext, JobError, JobHandle, JobMessage, Waker};

/// Side of the square demo image.
pub const DEMO_SIZE: usize = 384;

/// What the demo job reports.
pub enum DemoEvent {
    Preview { step: u64, image: egui::ColorImage },
    Progress { step: u64, steps_per_sec: f32 },
}

/// One frame of the pattern at `time`, computed on `device`: [3, size, size] in 0..1.
pub fn pattern(device: &Device, size: usize, time: f32) -> Tensor<3> {
    let count = i64::try_from(size).unwrap_or(i64::MAX);
    #[expect(clippy::cast_precision_loss, reason = "image sizes are small")]
    let coords = Tensor::<1, Int>::arange(0..count, device).float() / size as f32;
    let columns = coords.clone().reshape([1, size]); // [1, size]
    let rows = coords.reshape([size, 1]); // [size, 1]
    let wave = |freq_x: f32, freq_y: f32, phase: f32| {
        let across = (columns.clone() * freq_x + time + phase).sin();
        let down = (rows.clone() * freq_y - time * 0.7 + phase).cos();
        ((across * down) + 1.0) * 0.5 // [size, size] by broadcasting
    };
    Tensor::stack::<3>(
        vec![
            wave(9.0, 5.0, 0.0),
            wave(6.0, 8.0, 2.1),
            wave(4.0, 11.0, 4.2),
        ],
        0,
    )
}

/// Reads a [3, h, w] tensor in 0..1 back and packs it as an egui image (job thread only).
pub fn to_color_image(tensor: Tensor<3>) -> Result<egui::ColorImage, JobError> {
    let [_, h, w] = tensor.dims();
    let data = tensor.into_data();
    let values = data
        .as_slice::<f32>()
        .map_err(|e| anyhow::anyhow!("preview read-back: {e:?}"))?;
    let plane = h * w;
    let pixels = (0..plane)
        .map(|i| {
            egui::Color32::from_rgb(
                crate::ui::unit_byte(values[i]),
                crate::ui::unit_byte(values[plane + i]),
                crate::ui::unit_byte(values[2 * plane + i]),
            )
        })
        .collect();
    Ok(egui::ColorImage::new([w, h], pixels))
}

/// Starts the demo on `device`.
pub fn start(device: Device, waker: Waker) -> std::io::Result<JobHandle<DemoEvent>> {
    JobBuilder::new("demo")
        .waker(waker)
        .spawn(move |ctx: &mut JobContext<DemoEvent, ()>| {
            let started = Instant::now();
            let mut step = 0u64;
            loop {
                ctx.checkpoint()?;
                step += 1;
                #[expect(clippy::cast_precision_loss, reason = "animation time")]
                let t = step as f32 * 0.05;
                let frame = pattern(&device, DEMO_SIZE, t);
                if ctx.preview_due() {
                    let image = to_color_image(frame)?;
                    ctx.preview(|| DemoEvent::Preview { step, image });
                } else {
                    // Still force the computation, as a real job would each step.
                    let _ = frame.sum().into_scalar::<f32>();
                }
                #[expect(clippy::cast_precision_loss, reason = "a rate")]
                let steps_per_sec = step as f32 / started.elapsed().as_secs_f32().max(1e-3);
                ctx.progress(|| DemoEvent::Progress {
                    step,
                    steps_per_sec,
                });
            }
        })
}

/// The demo's window: the live image and its counters.
#[derive(Default)]
pub struct DemoView {
    job: Option<JobHandle<DemoEvent>>,
    texture: Option<egui::TextureHandle>,
    step: u64,
    steps_per_sec: f32,
    previews: u64,
    error: Option<String>,
}

impl DemoView {
    /// A view driving a running demo job.
    pub fn new(job: JobHandle<DemoEvent>) -> Self {
        Self {
            job: Some(job),
            ..Self::default()
        }
    }

    /// Previews received so far.
    pub fn previews(&self) -> u64 {
        self.previews
    }

    /// Drains events; uploads the newest preview only.
    pub fn poll(&mut self, ctx: &egui::Context) {
        let Some(job) = &mut self.job else { return };
        let mut newest = None;
        for message in job.poll(64) {
            match message {
                JobMessage::Event(DemoEvent::Preview { step, image }) => {
                    self.previews += 1;
                    self.step = step;
                    newest = Some(image);
                }
                JobMessage::Event(DemoEvent::Progress {
                    step,
                    steps_per_sec,
                }) => {
                    self.step = step;
                    self.steps_per_sec = steps_per_sec;
                }
                JobMessage::Failed(text) => self.error = Some(text),
                JobMessage::Finished | JobMessage::Cancelled => {}
            }
        }
        if let Some(image) = newest {
            match &mut self.texture {
                Some(texture) => texture.set(image, egui::TextureOptions::LINEAR),
                None => {
                    self.texture =
                        Some(ctx.load_texture("demo-preview", image, egui::TextureOptions::LINEAR));
                }
            }
        }
    }

    /// The window.
    pub fn window_ui(&self, ctx: &egui::Context) {
        egui::Window::new("Runtime demo").default_pos([560.0, 80.0]).show(ctx, |ui| {
            ui.label("A burn job streaming previews at full speed (throttled to ~30/s at the source).");
            ui.monospace(format!(
                "step {} · {:.0} steps/s · {} previews shown",
                self.step, self.steps_per_sec, self.previews
            ));
            if let Some(error) = &self.error {
                ui.colored_label(ui.visuals().error_fg_color, error);
            }
            if let Some(texture) = &self.texture {
                ui.image((texture.id(), egui::vec2(256.0, 256.0)));
            }
        });
    }
}
