//! Frame-time statistics, kept for the last few thousand frames and summarised
//! as p50 / p99: eframe's CPU time per frame (egui pass, tessellation and
//! painting, without waiting for vsync), and the interval between frames while
//! the UI is busy (what a user sees as smoothness).

use std::collections::VecDeque;

/// Frames kept for the percentiles.
const WINDOW: usize = 4096;

/// Frame times in milliseconds.
#[derive(Default)]
pub struct FrameStats {
    frames_ms: VecDeque<f32>,
    intervals_ms: VecDeque<f32>,
    total_frames: u64,
}

/// A summary of the recorded frames.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FrameSummary {
    pub frames: usize,
    pub p50_ms: f32,
    pub p99_ms: f32,
    pub max_ms: f32,
}

impl FrameStats {
    /// Records one frame.
    pub fn record(&mut self, frame_ms: f32) {
        push_bounded(&mut self.frames_ms, frame_ms);
        self.total_frames += 1;
    }

    /// Records the time since the previous frame (only when a repaint was due).
    pub fn record_interval(&mut self, interval_ms: f32) {
        push_bounded(&mut self.intervals_ms, interval_ms);
    }

    /// Frames recorded since start.
    pub fn total_frames(&self) -> u64 {
        self.total_frames
    }

    /// p50/p99/max of the CPU time per frame, `None` before the first frame.
    pub fn summary(&self) -> Option<FrameSummary> {
        summarise(&self.frames_ms)
    }

    /// p50/p99/max of the interval between busy frames.
    pub fn interval_summary(&self) -> Option<FrameSummary> {
        summarise(&self.intervals_ms)
    }

    /// The overlay line.
    pub fn ui(&self, ui: &mut egui::Ui) {
        if let Some(s) = self.summary() {
            ui.monospace(format!(
                "frame CPU p50 {:.1} ms · p99 {:.1} ms · {} frames",
                s.p50_ms, s.p99_ms, self.total_frames
            ));
        }
        if let Some(s) = self.interval_summary() {
            ui.monospace(format!(
                "interval p50 {:.1} ms · p99 {:.1} ms",
                s.p50_ms, s.p99_ms
            ));
        }
    }
}

/// What `--frame-stats` prints when the window closes.
#[derive(Clone, Copy, Debug, Default)]
pub struct FrameReport {
    /// CPU time per frame.
    pub cpu: Option<FrameSummary>,
    /// The interval between busy frames.
    pub interval: Option<FrameSummary>,
    /// CPU time per frame while a panel was writing an export.
    pub exporting: Option<FrameSummary>,
}

impl FrameReport {
    pub fn print(&self) {
        let line = |what: &str, s: &FrameSummary| {
            println!(
                "{what} ({} frames): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
                s.frames, s.p50_ms, s.p99_ms, s.max_ms
            );
        };
        match &self.cpu {
            Some(s) => line("frame CPU time", s),
            None => println!("no frames were recorded"),
        }
        if let Some(s) = &self.interval {
            line("interval between busy frames", s);
        }
        if let Some(s) = &self.exporting {
            line("frame CPU time while an export was written", s);
        }
    }
}

fn push_bounded(values: &mut VecDeque<f32>, value: f32) {
    if values.len() == WINDOW {
        values.pop_front();
    }
    values.push_back(value);
}

fn summarise(values: &VecDeque<f32>) -> Option<FrameSummary> {
    if values.is_empty() {
        return None;
    }
    let mut sorted: Vec<f32> = values.iter().copied().collect();
    sorted.sort_by(f32::total_cmp);
    let at = |q: f32| {
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss,
            reason = "an index into a short list"
        )]
        let index = ((sorted.len() - 1) as f32 * q).round() as usize;
        sorted[index]
    };
    Some(FrameSummary {
        frames: sorted.len(),
        p50_ms: at(0.50),
        p99_ms: at(0.99),
        max_ms: sorted[sorted.len() - 1],
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::float_cmp, reason = "exact maxima of exact inputs")]
    use super::*;

    #[test]
    fn percentiles() {
        let mut stats = FrameStats::default();
        assert_eq!(stats.summary(), None);
        for i in 1..=100 {
            #[expect(clippy::cast_precision_loss, reason = "small test numbers")]
            stats.record(i as f32);
        }
        let s = stats.summary().unwrap();
        assert_eq!(s.frames, 100);
        assert!((s.p50_ms - 50.0).abs() <= 1.0, "{s:?}");
        assert!((s.p99_ms - 99.0).abs() <= 1.0, "{s:?}");
        assert_eq!(s.max_ms, 100.0);
    }

    #[test]
    fn window_forgets_old_frames() {
        let mut stats = FrameStats::default();
        for _ in 0..WINDOW {
            stats.record(100.0);
        }
        for _ in 0..WINDOW {
            stats.record(1.0);
        }
        assert_eq!(stats.summary().unwrap().max_ms, 1.0);
        assert_eq!(stats.total_frames(), 2 * WINDOW as u64);
    }
}
