//! What the command-line automation flags do to the window: `--exit-after`
//! closes it, `--screenshot` captures it once every automated panel has
//! settled (then closes it).

use super::{SCREENSHOT_AFTER_FRAMES, Screenshot, StudioApp};

impl StudioApp {
    /// True once every panel started by an automation flag shows what it should.
    fn panels_settled(&self) -> bool {
        self.panels.iter().all(|p| p.settled())
    }

    pub(super) fn automation(&mut self, ctx: &egui::Context) {
        if let Some(limit) = self.exit_after_secs {
            let left = limit - self.started.elapsed().as_secs_f32();
            if left <= 0.0 {
                ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            } else {
                ctx.request_repaint_after(std::time::Duration::from_secs_f32(left));
            }
        }
        if self.screenshot.is_some() {
            // Polls for the capture; under a software renderer no faster than
            // job news redraws, or the polling itself starves compute.
            ctx.request_repaint_after(self.redraw_every.max(std::time::Duration::from_millis(100)));
        }
        let settled = self.stats.total_frames() >= SCREENSHOT_AFTER_FRAMES
            && !self.assets.is_busy()
            && self.demo.as_ref().is_none_or(|d| d.previews() > 3)
            && self.panels_settled();
        if settled && let Some(Screenshot::Pending(path)) = self.screenshot.take() {
            let ctx_for_close = ctx.clone();
            ctx.request_screenshot(move |image| {
                save_screenshot(&image, &path);
                ctx_for_close.send_viewport_cmd(egui::ViewportCommand::Close);
                ctx_for_close.request_repaint();
            });
            self.screenshot = Some(Screenshot::Requested);
        }
    }
}

/// Writes a screenshot as PNG (the `--screenshot` tool only).
fn save_screenshot(image: &egui::ColorImage, path: &std::path::Path) {
    match crate::ui::write_png(image, path) {
        Ok(()) => println!("screenshot saved to {}", path.display()),
        Err(err) => eprintln!(
            "error: could not save the screenshot to {}: {err}",
            path.display()
        ),
    }
}
