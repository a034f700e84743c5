//! A panel's job as one piece of state that draws its own status row: idle,
//! running (with its handle and progress), done (the handle kept: a finished
//! run still serves decodes, samples and saves) or failed with the message.

use crate::job::{JobHandle, JobMessage};

/// Where a panel's job is.
pub enum JobState<E, C> {
    /// Nothing started yet, or the last run was cancelled.
    Idle,
    Running {
        handle: JobHandle<E, C>,
        progress: Progress,
    },
    /// The run is over; the job may still answer commands.
    Done {
        handle: JobHandle<E, C>,
    },
    Failed(String),
}

/// What the status row of a running job shows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Progress {
    /// Still loading its data, weights or model (a spinner instead of a bar).
    pub loading: bool,
    /// Where it is, in words ("epoch 2/30 · batch 100/469").
    pub text: String,
    /// 0 to 1.
    pub fraction: f32,
    /// Its speed, in words ("3.2 steps/s"), once known.
    pub rate: Option<String>,
}

impl<E, C> JobState<E, C> {
    /// A job just started (loading until its first progress).
    pub fn started(handle: JobHandle<E, C>) -> Self {
        Self::Running {
            handle,
            progress: Progress {
                loading: true,
                ..Progress::default()
            },
        }
    }

    /// The job, while there is one (running or done).
    pub fn handle(&self) -> Option<&JobHandle<E, C>> {
        match self {
            Self::Running { handle, .. } | Self::Done { handle } => Some(handle),
            Self::Idle | Self::Failed(_) => None,
        }
    }

    pub fn is_running(&self) -> bool {
        matches!(self, Self::Running { .. })
    }

    /// Still loading (running, no step taken yet).
    pub fn is_loading(&self) -> bool {
        matches!(self, Self::Running { progress, .. } if progress.loading)
    }

    pub fn is_done(&self) -> bool {
        matches!(self, Self::Done { .. })
    }

    pub fn failure(&self) -> Option<&str> {
        match self {
            Self::Failed(text) => Some(text),
            _ => None,
        }
    }

    /// Sends a command to the job, if there is one.
    pub fn command(&self, command: C) {
        if let Some(handle) = self.handle() {
            handle.command(command);
        }
    }

    /// The progress a running job shows; `None` otherwise.
    pub fn progress_mut(&mut self) -> Option<&mut Progress> {
        match self {
            Self::Running { progress, .. } => Some(progress),
            _ => None,
        }
    }

    /// Running → done, keeping the handle.
    pub fn finish(&mut self) {
        if let Self::Running { .. } = self
            && let Self::Running { handle, .. } = std::mem::replace(self, Self::Idle)
        {
            *self = Self::Done { handle };
        }
    }

    /// Drains up to `max` messages and returns the events; a failure becomes
    /// [`JobState::Failed`] (its text through `describe`), a cancel [`JobState::Idle`].
    pub fn poll(&mut self, max: usize, describe: impl Fn(&str) -> String) -> Vec<E> {
        let handle = match self {
            Self::Running { handle, .. } | Self::Done { handle } => handle,
            Self::Idle | Self::Failed(_) => return Vec::new(),
        };
        let mut events = Vec::new();
        for message in handle.poll(max) {
            match message {
                JobMessage::Event(event) => events.push(event),
                JobMessage::Failed(text) => *self = Self::Failed(describe(&text)),
                JobMessage::Cancelled => *self = Self::Idle,
                JobMessage::Finished => {}
            }
            if !matches!(self, Self::Running { .. } | Self::Done { .. }) {
                break;
            }
        }
        events
    }

    /// The status row: `idle` as a hint before the first run, a spinner while
    /// loading, the progress bar with its speed (and "paused"), or the failure.
    pub fn status_ui(&self, ui: &mut egui::Ui, idle: &str) {
        match self {
            Self::Idle => {
                ui.label(idle);
            }
            Self::Failed(text) => {
                ui.colored_label(ui.visuals().error_fg_color, text);
            }
            Self::Running { handle, progress } if progress.loading => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label(&progress.text);
                    if handle.is_paused() {
                        ui.strong("paused");
                    }
                });
            }
            Self::Running { handle, progress } => {
                ui.horizontal(|ui| {
                    progress_bar_ui(ui, progress, progress.fraction);
                    if handle.is_paused() {
                        ui.strong("paused");
                    }
                });
            }
            Self::Done { .. } => {}
        }
    }
}

/// How far a run of `units` units (epochs, octaves) of `steps` steps each
/// is, `done` units and `step` steps into the next one.
pub fn fraction(done: usize, step: usize, steps: usize, units: usize) -> f32 {
    #[expect(clippy::cast_precision_loss, reason = "a progress fraction")]
    let fraction = (done as f32 + step as f32 / steps.max(1) as f32) / units.max(1) as f32;
    fraction
}

/// The bar with its words and the speed beside it.
pub fn progress_bar_ui(ui: &mut egui::Ui, progress: &Progress, fraction: f32) {
    ui.add(
        egui::ProgressBar::new(fraction.clamp(0.0, 1.0))
            .desired_width(320.0)
            .text(progress.text.as_str()),
    );
    if let Some(rate) = &progress.rate {
        ui.label(rate);
    }
}

#[cfg(test)]
mod tests {
    use super::JobState;
    use crate::job::{JobBuilder, JobHandle, no_waker};

    fn job(outcome: Result<(), &'static str>) -> JobState<u32, ()> {
        let handle = JobBuilder::new("state-test")
            .waker(no_waker())
            .spawn(move |ctx| {
                ctx.send(7)?;
                outcome.map_err(|text| anyhow::anyhow!(text).into())
            })
            .unwrap();
        JobState::started(handle)
    }

    /// Polls until the job has said its last word.
    fn drain(state: &mut JobState<u32, ()>, describe: fn(&str) -> String) -> Vec<u32> {
        let mut events = Vec::new();
        for _ in 0..1000 {
            events.extend(state.poll(16, describe));
            if state.handle().is_none_or(JobHandle::is_finished) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        events
    }

    #[test]
    fn events_come_through_and_a_failure_ends_in_failed_with_its_text() {
        let mut ok = job(Ok(()));
        assert!(ok.is_loading());
        assert_eq!(drain(&mut ok, str::to_owned), [7]);
        ok.finish();
        assert!(ok.is_done() && ok.handle().is_some());
        let mut failed = job(Err("no data"));
        assert_eq!(drain(&mut failed, |t| format!("{t}!")), [7]);
        assert_eq!(failed.failure(), Some("no data!"));
        assert!(failed.handle().is_none());
    }
}
