//! Shared by the job tests: waiting for the event a test expects.

use latent_studio::job::{JobHandle, JobMessage};

/// Waits for the next event `pick` accepts; the job ending first fails the
/// test, with its failure's text when it failed.
pub fn next<E, C, T>(handle: &mut JobHandle<E, C>, mut pick: impl FnMut(E) -> Option<T>) -> T {
    loop {
        match handle.recv_blocking() {
            Some(JobMessage::Event(event)) => {
                if let Some(found) = pick(event) {
                    return found;
                }
            }
            Some(JobMessage::Failed(reason)) => panic!("the job failed: {reason}"),
            Some(JobMessage::Cancelled) => panic!("the job was cancelled"),
            Some(JobMessage::Finished) | None => panic!("the job ended first"),
        }
    }
}
