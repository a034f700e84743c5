//! Starting a job: the builder, the thread, and the one terminal message.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use crossbeam_channel::bounded;

use super::{
    COMMAND_CAPACITY, Control, EVENT_CAPACITY, JobContext, JobError, JobHandle, JobMessage,
    Throttle, Waker, no_waker,
};

/// Builder for a job: name, waker and throttle.
pub struct JobBuilder {
    name: String,
    waker: Waker,
    throttle: Throttle,
    background: bool,
}

impl JobBuilder {
    /// A job whose thread is called `job-<name>`.
    pub fn new(name: &str) -> Self {
        Self {
            name: format!("job-{name}"),
            waker: no_waker(),
            throttle: Throttle::default(),
            background: true,
        }
    }

    /// Whether the thread runs at low priority so the UI stays smooth (the default).
    #[must_use]
    pub fn background(mut self, background: bool) -> Self {
        self.background = background;
        self
    }

    /// Called after every event sent, e.g. `move || ctx.request_repaint()`.
    #[must_use]
    pub fn waker(mut self, waker: Waker) -> Self {
        self.waker = waker;
        self
    }

    /// Overrides the default throttle.
    #[must_use]
    pub fn throttle(mut self, throttle: Throttle) -> Self {
        self.throttle = throttle;
        self
    }

    /// Starts the job on its own thread.
    pub fn spawn<E, C, F>(self, job: F) -> std::io::Result<JobHandle<E, C>>
    where
        E: Send + 'static,
        C: Send + 'static,
        F: FnOnce(&mut JobContext<E, C>) -> Result<(), JobError> + Send + 'static,
    {
        let (event_tx, event_rx) = bounded(EVENT_CAPACITY);
        let (command_tx, command_rx) = bounded(COMMAND_CAPACITY);
        let control = Arc::new(Control {
            cancelled: AtomicBool::new(false),
            paused: AtomicBool::new(false),
            thread: std::sync::OnceLock::new(),
        });
        let mut context = JobContext {
            events: event_tx,
            commands: command_rx,
            control: Arc::clone(&control),
            waker: self.waker,
            throttle: self.throttle,
            last_preview: None,
            last_progress: None,
        };
        let background = self.background;
        let thread = std::thread::Builder::new()
            .name(self.name.clone())
            .spawn(move || {
                if background {
                    crate::priority::lower_current_thread();
                }
                run_job(&mut context, job);
            })?;
        // The thread may already be parked in a checkpoint; unparking before it
        // parks is harmless (park returns at once), so order does not matter.
        let _ = control.thread.set(thread.thread().clone());
        Ok(JobHandle {
            name: self.name,
            events: event_rx,
            commands: command_tx,
            control,
            finished: false,
        })
    }
}

/// Runs the job, turns its outcome (or panic) into exactly one terminal message.
fn run_job<E, C, F>(context: &mut JobContext<E, C>, job: F)
where
    F: FnOnce(&mut JobContext<E, C>) -> Result<(), JobError>,
{
    let outcome = catch_unwind(AssertUnwindSafe(|| job(context)));
    let terminal = match outcome {
        Ok(Ok(())) => JobMessage::Finished,
        Ok(Err(JobError::Cancelled)) => JobMessage::Cancelled,
        Ok(Err(JobError::Failed(err))) => JobMessage::Failed(format!("{err:#}")),
        Err(panic) => JobMessage::Failed(crash_in_words(&panic_text(&*panic))),
    };
    // Blocking send: the terminal message must not be dropped. It fails only when
    // the handle is gone, and then nobody is listening anyway.
    if context.events.send(terminal).is_ok() {
        (context.waker)();
    }
    super::memory::give_back();
}

/// A crash as the panel shows it. The GPU's refusal to allocate reaches a
/// job as a panic of the read-back that needed the memory (cubecl reports it
/// through the failed read, wgpu as an out-of-memory error): it is said as
/// such, with what to do, before the technical text.
pub(super) fn crash_in_words(text: &str) -> String {
    const ALLOCATION: &str = "can't allocate buffer of size: ";
    let lower = text.to_ascii_lowercase();
    let out_of_memory = lower.contains("out of memory") || lower.contains("outofmemory");
    if let Some(at) = text.find(ALLOCATION) {
        let digits: String = text[at + ALLOCATION.len()..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        let size = digits
            .parse()
            .map(|bytes| format!(" (one buffer of {})", super::memory::gigabytes(bytes)))
            .unwrap_or_default();
        format!(
            "the GPU could not hold this run: it has no room for its memory{size}. Lower the \
             size (height, batch, tiles), or run on the CPU (--backend cpu). Details: {text}"
        )
    } else if out_of_memory {
        format!(
            "the GPU ran out of memory. Lower the size (height, batch, tiles), or run on the \
             CPU (--backend cpu). Details: {text}"
        )
    } else {
        format!("the job crashed: {text}")
    }
}

fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = panic.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = panic.downcast_ref::<String>() {
        text.clone()
    } else {
        "unknown panic".to_owned()
    }
}
