//! What the panels share: the [`panel::Panel`] trait the studio iterates, the
//! run buttons, the picture drop zone, the asset board and the frame-time view.

pub mod assets;
pub mod dialog;
pub mod frame_stats;
pub mod job_state;
pub mod panel;
pub mod picture_slot;

use std::sync::Arc;

use crate::job::Waker;

/// Shows `image` in `slot` (made on first use), shrunk to fit when it is
/// larger than the renderer takes (`max_texture_side`, 8192 px for wgpu's
/// defaults): a 12 000 px panorama is shown smaller, never takes the window
/// down; what is saved is the job's full-size picture.
pub fn set_texture(
    ctx: &egui::Context,
    slot: &mut Option<egui::TextureHandle>,
    name: &str,
    image: egui::ColorImage,
    options: egui::TextureOptions,
) {
    let image = fit_side(image, ctx.input(|i| i.max_texture_side));
    match slot {
        Some(texture) => texture.set(image, options),
        None => *slot = Some(ctx.load_texture(name, image, options)),
    }
}

/// `image` scaled down (keeping its shape) so that neither side exceeds `max_side`.
pub fn fit_side(image: egui::ColorImage, max_side: usize) -> egui::ColorImage {
    let [w, h] = image.size;
    if w.max(h) <= max_side || max_side == 0 {
        return image;
    }
    // Sides fit u32 (the picture loader refuses anything near that).
    let to_u32 = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
    let (width, height, limit) = (to_u32(w), to_u32(h), to_u32(max_side));
    let shrink = |v: u32| {
        let scaled = u64::from(v) * u64::from(limit) / u64::from(width.max(height));
        u32::try_from(scaled).unwrap_or(limit).clamp(1, limit)
    };
    let rgba: Vec<u8> = image
        .pixels
        .iter()
        .flat_map(egui::Color32::to_array)
        .collect();
    let Some(full) = image::RgbaImage::from_raw(width, height, rgba) else {
        return image;
    };
    let small = image::imageops::resize(
        &full,
        shrink(width),
        shrink(height),
        image::imageops::FilterType::Triangle,
    );
    let size = [small.width() as usize, small.height() as usize];
    egui::ColorImage::from_rgba_unmultiplied(size, small.as_raw())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_picture_too_large_for_the_renderer_is_shown_smaller() {
        let wide = egui::ColorImage::new([12_000, 300], vec![egui::Color32::RED; 12_000 * 300]);
        let shown = super::fit_side(wide, 8192);
        assert_eq!(shown.size, [8192, 204]);
        assert_eq!(shown.pixels[0], egui::Color32::RED);
        let small = egui::ColorImage::new([64, 48], vec![egui::Color32::BLUE; 64 * 48]);
        assert_eq!(super::fit_side(small, 8192).size, [64, 48]);
    }
}

/// What a panel says beside its buttons: how the last action went.
#[derive(Clone, Debug, PartialEq)]
pub enum Notice {
    Said(String),
    /// An action that failed (a save to a read-only folder, …); the job goes on.
    Failed(String),
}

impl Notice {
    pub fn ui(&self, ui: &mut egui::Ui) {
        match self {
            Self::Said(text) => {
                ui.label(text);
            }
            Self::Failed(text) => {
                ui.colored_label(ui.visuals().error_fg_color, text);
            }
        }
    }
}

/// What the run buttons asked for (Pause and Resume act at once).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunButton {
    None,
    /// Stop training and keep what was learned.
    Stop,
    Cancel,
}

/// Pause / Resume, an optional Stop (with its hover text) and Cancel for a
/// running job: the same row in every panel.
pub fn run_buttons_ui<E, C>(
    ui: &mut egui::Ui,
    job: &crate::job::JobHandle<E, C>,
    stop: Option<&str>,
) -> RunButton {
    let mut pressed = RunButton::None;
    if job.is_paused() {
        if ui.button("Resume").clicked() {
            job.resume();
        }
    } else if ui.button("Pause").clicked() {
        job.pause();
    }
    if let Some(hint) = stop
        && ui.button("Stop").on_hover_text(hint).clicked()
    {
        pressed = RunButton::Stop;
    }
    if ui.button("Cancel").clicked() {
        pressed = RunButton::Cancel;
    }
    pressed
}

/// A job waker that asks egui to repaint, so the UI wakes only when there is
/// news; with a non-zero `at_most_every`, news waits for the next redraw that
/// far away (egui keeps the soonest request), capping the rate jobs cause.
pub fn repaint_waker(ctx: &egui::Context, at_most_every: std::time::Duration) -> Waker {
    let ctx = ctx.clone();
    if at_most_every.is_zero() {
        Arc::new(move || ctx.request_repaint())
    } else {
        Arc::new(move || ctx.request_repaint_after(at_most_every))
    }
}

/// Writes an egui image as an RGBA PNG (call it off the UI thread, except for
/// the `--screenshot` tool).
pub fn write_png(
    image: &egui::ColorImage,
    path: &std::path::Path,
) -> Result<(), image::ImageError> {
    let [w, h] = image.size;
    let bytes: Vec<u8> = image
        .pixels
        .iter()
        .flat_map(egui::Color32::to_array)
        .collect();
    let (w, h) = (u32::try_from(w).unwrap_or(0), u32::try_from(h).unwrap_or(0));
    image::save_buffer(path, &bytes, w, h, image::ExtendedColorType::Rgba8)
}

/// A job's failure as a panel shows it: when memory ran out (a GPU's or the
/// machine's), the panel's `hint` follows on its own line.
pub fn with_memory_hint(text: &str, hint: &str) -> String {
    let lower = text.to_lowercase();
    if lower.contains("out of memory") || lower.contains("allocat") {
        format!("{text}\nHint: the image does not fit in memory; {hint}.")
    } else {
        text.to_owned()
    }
}

/// A value in 0..=1 (clamped) as a byte: a grey level or a colour channel.
pub fn unit_byte(v: f32) -> u8 {
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "clamped to 0..=255"
    )]
    let byte = (v.clamp(0.0, 1.0) * 255.0).round() as u8;
    byte
}
