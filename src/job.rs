//! The job runtime: every long computation in the studio runs here, on a named
//! background thread, and talks to its panel only through bounded channels.
//!
//! A job is a closure that receives a [`JobContext`]. It calls
//! [`JobContext::checkpoint`] once per step (that is where pause and cancel take
//! effect), drains live setting changes with [`JobContext::commands`], and reports
//! with [`JobContext::send`] (never dropped), [`JobContext::progress`] and
//! [`JobContext::preview`] (throttled, dropped when the UI lags).
//!
//! The panel holds a [`JobHandle`]: it drains [`JobMessage`]s each frame with
//! [`JobHandle::poll`], never blocks, and cancels the job by dropping the handle.
//! Every job ends with exactly one terminal message: `Finished`, `Failed` or
//! `Cancelled`; a panic inside the job becomes `Failed` with the panic text.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::Thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, TrySendError};

/// Capacity of the event channel from a job to its panel.
const EVENT_CAPACITY: usize = 64;
/// Capacity of the command channel from a panel to its job.
const COMMAND_CAPACITY: usize = 64;
/// Longest a paused job sleeps before looking at its flags again.
const PAUSE_POLL: Duration = Duration::from_millis(50);
/// How long a serving job waits for a request before it hands freed memory
/// back (and how often it looks at its cancel flag).
const IDLE_BEFORE_GIVING_BACK: Duration = Duration::from_millis(100);

/// Wakes whoever shows the job's events (the GUI's `request_repaint`, nothing for the CLI).
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// A waker that does nothing, for headless runs and tests.
pub fn no_waker() -> Waker {
    Arc::new(|| {})
}

/// How often throttled events may pass.
#[derive(Clone, Copy, Debug)]
pub struct Throttle {
    /// Minimum time between two preview events.
    pub preview_interval: Duration,
    /// Minimum time between two progress (metric) events.
    pub progress_interval: Duration,
}

impl Default for Throttle {
    /// At most ~30 previews and ~10 metric messages per second (DESIGN.md §1).
    fn default() -> Self {
        Self {
            preview_interval: Duration::from_millis(33),
            progress_interval: Duration::from_millis(100),
        }
    }
}

/// What a job tells its panel.
#[derive(Debug, Clone, PartialEq)]
pub enum JobMessage<E> {
    /// A technique-specific event (progress, preview, result).
    Event(E),
    /// The job ran to its end.
    Finished,
    /// The job stopped on an error (or a panic); the text says why.
    Failed(String),
    /// The job stopped because it was cancelled.
    Cancelled,
}

impl<E> JobMessage<E> {
    /// True for `Finished`, `Failed` and `Cancelled`.
    pub fn is_terminal(&self) -> bool {
        !matches!(self, Self::Event(_))
    }
}

/// Why a job stopped early. Jobs return it through `?` on [`JobContext::checkpoint`].
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Cancelled by the user or by dropping the handle.
    #[error("cancelled")]
    Cancelled,
    /// Anything else; shown to the user.
    #[error("{0:#}")]
    Failed(#[from] anyhow::Error),
}

/// Flags shared by a job and its handle.
struct Control {
    cancelled: AtomicBool,
    paused: AtomicBool,
    thread: std::sync::OnceLock<Thread>,
}

impl Control {
    fn wake_thread(&self) {
        if let Some(thread) = self.thread.get() {
            thread.unpark();
        }
    }
}

/// The job's side: checkpoints, commands and event sending.
pub struct JobContext<E, C> {
    events: Sender<JobMessage<E>>,
    commands: Receiver<C>,
    control: Arc<Control>,
    waker: Waker,
    throttle: Throttle,
    last_preview: Option<Instant>,
    last_progress: Option<Instant>,
}

impl<E, C> JobContext<E, C> {
    /// Call once per step: returns `Err(Cancelled)` when the job should stop, and
    /// blocks here (without spinning) while the job is paused.
    pub fn checkpoint(&self) -> Result<(), JobError> {
        loop {
            if self.is_cancelled() {
                return Err(JobError::Cancelled);
            }
            if !self.control.paused.load(Ordering::Acquire) {
                return Ok(());
            }
            std::thread::park_timeout(PAUSE_POLL);
        }
    }

    /// True while the handle holds the job (a job that follows another one
    /// holds that one too).
    pub fn is_paused(&self) -> bool {
        self.control.paused.load(Ordering::Acquire)
    }

    /// True once the handle asked the job to stop.
    pub fn is_cancelled(&self) -> bool {
        self.control.cancelled.load(Ordering::Acquire)
    }

    /// Live setting changes sent by the panel since the last call, oldest first.
    pub fn commands(&self) -> impl Iterator<Item = C> + '_ {
        self.commands.try_iter()
    }

    /// Waits up to `timeout` for the next command (for jobs that serve requests
    /// between runs). Returns `None` on timeout or when the panel is gone.
    pub fn wait_command(&self, timeout: Duration) -> Option<C> {
        self.commands.recv_timeout(timeout).ok()
    }

    /// Answers commands with `handle` until the job is cancelled (for jobs that
    /// keep serving requests after their run). Once no request has come for
    /// a moment, the memory the run freed goes back to the OS.
    pub fn serve(
        &mut self,
        mut handle: impl FnMut(&mut Self, C) -> Result<(), JobError>,
    ) -> Result<(), JobError> {
        let mut given_back = false;
        loop {
            if self.is_cancelled() {
                return Err(JobError::Cancelled);
            }
            if let Some(command) = self.wait_command(IDLE_BEFORE_GIVING_BACK) {
                handle(self, command)?;
                given_back = false;
            } else if !given_back {
                memory::give_back();
                given_back = true;
            }
        }
    }

    /// Sends an event that must arrive (a result, a change of phase). Waits while the
    /// channel is full, but gives up with `Cancelled` if the job is cancelled meanwhile.
    pub fn send(&self, event: E) -> Result<(), JobError> {
        let mut message = JobMessage::Event(event);
        loop {
            match self.events.send_timeout(message, PAUSE_POLL) {
                Ok(()) => {
                    (self.waker)();
                    return Ok(());
                }
                Err(crossbeam_channel::SendTimeoutError::Timeout(back)) => {
                    if self.is_cancelled() {
                        return Err(JobError::Cancelled);
                    }
                    message = back;
                }
                Err(crossbeam_channel::SendTimeoutError::Disconnected(_)) => {
                    return Err(JobError::Cancelled);
                }
            }
        }
    }

    /// True when a preview sent now would pass the throttle. Lets a job skip the
    /// cost of building an image nobody would see.
    pub fn preview_due(&self) -> bool {
        is_due(self.last_preview, self.throttle.preview_interval)
    }

    /// Sends a preview if the throttle allows and the channel has room; returns
    /// whether it was sent. `make` runs only when it will be sent.
    pub fn preview(&mut self, make: impl FnOnce() -> E) -> bool {
        if !self.preview_due() {
            return false;
        }
        let sent = self.try_send(make());
        if sent {
            self.last_preview = Some(Instant::now());
        }
        sent
    }

    /// Sends a progress/metric event if the throttle allows and the channel has room.
    pub fn progress(&mut self, make: impl FnOnce() -> E) -> bool {
        if !is_due(self.last_progress, self.throttle.progress_interval) {
            return false;
        }
        let sent = self.try_send(make());
        if sent {
            self.last_progress = Some(Instant::now());
        }
        sent
    }

    fn try_send(&self, event: E) -> bool {
        match self.events.try_send(JobMessage::Event(event)) {
            Ok(()) => {
                (self.waker)();
                true
            }
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => false,
        }
    }
}

fn is_due(last: Option<Instant>, interval: Duration) -> bool {
    last.is_none_or(|at| at.elapsed() >= interval)
}

/// The panel's side of a running job. Dropping it cancels the job.
pub struct JobHandle<E, C = ()> {
    name: String,
    events: Receiver<JobMessage<E>>,
    commands: Sender<C>,
    control: Arc<Control>,
    finished: bool,
}

impl<E, C> JobHandle<E, C> {
    /// The thread's name, e.g. `job-style`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Takes at most `max` waiting messages without blocking.
    pub fn poll(&mut self, max: usize) -> Vec<JobMessage<E>> {
        let mut out = Vec::new();
        while out.len() < max {
            match self.events.try_recv() {
                Ok(message) => {
                    self.finished |= message.is_terminal();
                    out.push(message);
                }
                Err(_) => break,
            }
        }
        out
    }

    /// Blocks until the next message (CLI and tests only; never on the UI thread).
    pub fn recv_blocking(&mut self) -> Option<JobMessage<E>> {
        let message = self.events.recv().ok()?;
        self.finished |= message.is_terminal();
        Some(message)
    }

    /// Waits up to `timeout` for the next message (a job following another
    /// one). A job gone without its terminal message counts as finished.
    pub fn recv_timeout(&mut self, timeout: Duration) -> Option<JobMessage<E>> {
        match self.events.recv_timeout(timeout) {
            Ok(message) => {
                self.finished |= message.is_terminal();
                Some(message)
            }
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => None,
            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => {
                self.finished = true;
                None
            }
        }
    }

    /// True once the terminal message has been received.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// Asks the job to stop at its next checkpoint.
    pub fn cancel(&self) {
        self.control.cancelled.store(true, Ordering::Release);
        self.control.wake_thread();
    }

    /// Holds the job at its next checkpoint.
    pub fn pause(&self) {
        self.control.paused.store(true, Ordering::Release);
    }

    /// Lets a paused job go on.
    pub fn resume(&self) {
        self.control.paused.store(false, Ordering::Release);
        self.control.wake_thread();
    }

    /// True while paused.
    pub fn is_paused(&self) -> bool {
        self.control.paused.load(Ordering::Acquire)
    }

    /// Sends a live setting change; returns false if the job is gone or too far behind.
    pub fn command(&self, command: C) -> bool {
        let sent = self.commands.try_send(command).is_ok();
        self.control.wake_thread();
        sent
    }
}

impl<E, C> Drop for JobHandle<E, C> {
    fn drop(&mut self) {
        self.cancel();
    }
}

/// Runs a save or export the user asked for and tells the panel how it went:
/// `saved(path)` or `failed(path, reason)`. Its failure (a read-only or missing
/// folder, a full disk, an extension no encoder knows) is an event, never the
/// end of the job and its model; only a cancel stops the job.
pub fn save_reported<E, C>(
    ctx: &JobContext<E, C>,
    path: std::path::PathBuf,
    save: impl FnOnce(&std::path::Path) -> Result<(), JobError>,
    saved: fn(std::path::PathBuf) -> E,
    failed: fn(std::path::PathBuf, String) -> E,
) -> Result<(), JobError> {
    match save(&path) {
        Ok(()) => ctx.send(saved(path)),
        Err(JobError::Cancelled) => Err(JobError::Cancelled),
        Err(JobError::Failed(err)) => ctx.send(failed(path, format!("{err:#}"))),
    }
}

pub mod autosave;
mod builder;
pub mod images;
pub mod memory;
mod readback;
pub use builder::JobBuilder;
pub use readback::{
    EpochTiming, StepClock, TrainingEvents, read_f32, read_scalar, time_first_epoch, wait_for,
    wait_saved,
};

#[cfg(test)]
mod tests;
