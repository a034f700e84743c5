//! Widgets and views shared by the panels.

pub mod assets;
pub mod frame_stats;

use std::sync::Arc;

use crate::job::Waker;

/// A job waker that asks egui to repaint, so the UI wakes only when there is news.
pub fn repaint_waker(ctx: &egui::Context) -> Waker {
    let ctx = ctx.clone();
    Arc::new(move || ctx.request_repaint())
}
