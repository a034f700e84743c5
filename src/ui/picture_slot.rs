//! A picture input shared by the panels: a thumbnail, the picture's notes, a
//! spinner while it loads off the UI thread, and the reason when a file is
//! refused — the previous picture stays.

use crate::job::{JobHandle, JobMessage, Waker};
use crate::picture::{self, Loaded, Picture, PictureSource};

/// Thumbnail side in the zones.
const THUMB: f32 = 120.0;

/// One picture input: what is loaded, what is loading, and the last refusal.
pub struct PictureSlot {
    pub picture: Option<Picture>,
    thumbnail: Option<egui::TextureHandle>,
    loading: Option<JobHandle<Loaded, ()>>,
    waker: Waker,
    pub error: Option<String>,
    /// Blend weight (style images only).
    pub blend: f32,
    /// Where the shown picture came from, and where the one loading comes from.
    source: Option<PictureSource>,
    requested: Option<PictureSource>,
}

impl PictureSlot {
    /// An empty slot.
    pub fn empty(waker: &Waker) -> Self {
        Self {
            picture: None,
            thumbnail: None,
            loading: None,
            waker: waker.clone(),
            error: None,
            blend: 1.0,
            source: None,
            requested: None,
        }
    }

    /// Starts loading; the current picture stays until the new one is good.
    pub fn load(&mut self, source: PictureSource) {
        self.requested = Some(source.clone());
        match picture::load_in_background(source, self.waker.clone()) {
            Ok(handle) => self.loading = Some(handle),
            Err(err) => self.error = Some(format!("could not start loading: {err}")),
        }
    }

    /// Where the shown picture came from (what the settings remember).
    pub fn source(&self) -> Option<&PictureSource> {
        self.source.as_ref()
    }

    pub fn thumbnail_texture(&self) -> Option<&egui::TextureHandle> {
        self.thumbnail.as_ref()
    }

    pub fn is_loading(&self) -> bool {
        self.loading.is_some()
    }

    /// Takes a finished load.
    pub fn poll(&mut self, ctx: &egui::Context) {
        let Some(loading) = &mut self.loading else {
            return;
        };
        for message in loading.poll(4) {
            match message {
                JobMessage::Event(Loaded { picture, thumbnail }) => {
                    self.thumbnail = Some(ctx.load_texture(
                        "style-thumb",
                        thumbnail,
                        egui::TextureOptions::LINEAR,
                    ));
                    self.picture = Some(picture);
                    self.source = self.requested.take();
                    self.error = None;
                }
                JobMessage::Failed(text) => self.error = Some(text),
                JobMessage::Cancelled | JobMessage::Finished => {}
            }
        }
        if self.loading.as_ref().is_some_and(JobHandle::is_finished) {
            self.loading = None;
        }
    }

    /// The zone: thumbnail (or a hint), name, notes, error. Returns its rect
    /// (drops over it land here) and whether "Open…" was pressed.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        title: &str,
        hovered_files: bool,
    ) -> (egui::Rect, bool) {
        let mut open = false;
        let frame = egui::Frame::group(ui.style()).stroke(if hovered_files {
            ui.visuals().selection.stroke
        } else {
            ui.visuals().widgets.noninteractive.bg_stroke
        });
        let response = frame.show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.horizontal(|ui| {
                ui.strong(title);
                if ui.button("Open…").clicked() {
                    open = true;
                }
                if self.is_loading() {
                    ui.spinner();
                }
            });
            ui.horizontal(|ui| {
                match &self.thumbnail {
                    Some(texture) => {
                        ui.add(egui::Image::new(texture).max_size(egui::vec2(THUMB, THUMB)));
                    }
                    None => {
                        ui.add_sized([THUMB, THUMB / 2.0], egui::Label::new("drop an image here"));
                    }
                }
                ui.vertical(|ui| {
                    if let Some(p) = &self.picture {
                        ui.label(&p.name);
                        ui.weak(format!("{}×{}", p.width(), p.height()));
                        for note in &p.notes {
                            ui.weak(note);
                        }
                    }
                });
            });
            if let Some(error) = &self.error {
                ui.colored_label(ui.visuals().error_fg_color, error);
            }
        });
        (response.response.rect, open)
    }
}

/// The file dialog for one image, to open with [`super::dialog::Dialogs::open`].
pub fn pick_image(title: &'static str) -> impl FnOnce() -> Vec<std::path::PathBuf> + Send {
    move || {
        super::dialog::one(
            rfd::FileDialog::new()
                .set_title(title)
                .add_filter("Images", &["png", "jpg", "jpeg"])
                .pick_file(),
        )
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    fn settle(slot: &mut PictureSlot, ctx: &egui::Context) {
        let started = Instant::now();
        while slot.is_loading() {
            assert!(started.elapsed() < Duration::from_secs(20), "load hangs");
            std::thread::sleep(Duration::from_millis(5));
            slot.poll(ctx);
        }
    }

    #[test]
    fn a_refused_file_leaves_the_previous_picture_and_says_why() {
        let dir = std::env::temp_dir().join(format!("ls-slot-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good.png");
        image::RgbImage::from_pixel(32, 24, image::Rgb([10, 20, 30]))
            .save(&good)
            .unwrap();
        let bad = dir.join("notes.txt");
        std::fs::write(&bad, "not a picture").unwrap();
        let ctx = egui::Context::default();
        let mut slot = PictureSlot::empty(&crate::job::no_waker());
        slot.load(PictureSource::File(good));
        settle(&mut slot, &ctx);
        assert_eq!(
            slot.picture.as_ref().map(|p| p.name.as_str()),
            Some("good.png")
        );
        assert!(slot.thumbnail_texture().is_some());
        for source in [bad, dir.join("missing.png")] {
            slot.load(PictureSource::File(source));
            settle(&mut slot, &ctx);
            assert_eq!(
                slot.picture.as_ref().map(|p| p.name.as_str()),
                Some("good.png")
            );
            assert!(slot.error.is_some());
        }
        assert!(slot.error.as_deref().unwrap().contains("missing.png"));
        std::fs::remove_dir_all(&dir).ok();
    }
}
