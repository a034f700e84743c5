//! File dialogs off the UI thread. A dialog blocks until the person answers
//! it, so it runs on a thread of its own; the panel asks for the answer every
//! frame and acts on it once it has come, and the window keeps drawing (and
//! the jobs' previews keep arriving) while the dialog is open.

use std::path::PathBuf;

use crossbeam_channel::{Receiver, TryRecvError};

use crate::job::Waker;

/// One panel's open dialog, if any, with what its answer is for.
pub struct Dialogs<P> {
    waiting: Option<(P, Receiver<Vec<PathBuf>>)>,
    waker: Waker,
}

impl<P> Dialogs<P> {
    /// `waker` repaints the window when an answer arrives.
    pub fn new(waker: Waker) -> Self {
        Self {
            waiting: None,
            waker,
        }
    }

    /// Runs `dialog` (which shows the dialog and returns the paths picked,
    /// none when cancelled) for `purpose`; ignored while another is open.
    pub fn open(&mut self, purpose: P, dialog: impl FnOnce() -> Vec<PathBuf> + Send + 'static) {
        if self.waiting.is_some() {
            return;
        }
        let (sender, answers) = crossbeam_channel::bounded(1);
        let waker = self.waker.clone();
        let spawned = std::thread::Builder::new()
            .name("file-dialog".into())
            .spawn(move || {
                let _ = sender.send(dialog());
                waker();
            });
        if spawned.is_ok() {
            self.waiting = Some((purpose, answers));
        }
    }

    /// True while a dialog is open.
    pub fn is_open(&self) -> bool {
        self.waiting.is_some()
    }

    /// The answer, once the person gave one: the purpose and the paths
    /// (never empty; a cancelled dialog answers nothing).
    pub fn answer(&mut self) -> Option<(P, Vec<PathBuf>)> {
        let (_, answers) = self.waiting.as_ref()?;
        let paths = match answers.try_recv() {
            Ok(paths) => paths,
            Err(TryRecvError::Empty) => return None,
            Err(TryRecvError::Disconnected) => Vec::new(),
        };
        let (purpose, _) = self.waiting.take()?;
        (!paths.is_empty()).then_some((purpose, paths))
    }
}

impl<P> Dialogs<P> {
    /// [`Dialogs::answer`] for dialogs that pick one path: the first.
    pub fn answer_one(&mut self) -> Option<(P, PathBuf)> {
        let (purpose, mut paths) = self.answer()?;
        Some((purpose, paths.swap_remove(0)))
    }
}

/// A single pick as the list [`Dialogs::open`] wants.
pub fn one(path: Option<PathBuf>) -> Vec<PathBuf> {
    path.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, Instant};

    use super::*;

    fn wait<P>(dialogs: &mut Dialogs<P>) -> Option<(P, Vec<PathBuf>)> {
        let started = Instant::now();
        while dialogs.is_open() {
            if let Some(answer) = dialogs.answer() {
                return Some(answer);
            }
            assert!(started.elapsed() < Duration::from_secs(5));
            std::thread::sleep(Duration::from_millis(1));
        }
        None
    }

    #[test]
    fn an_answer_arrives_later_and_wakes_the_window() {
        let woken = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&woken);
        let mut dialogs = Dialogs::new(Arc::new(move || {
            counter.fetch_add(1, Ordering::SeqCst);
        }));
        let (release, held) = crossbeam_channel::bounded::<()>(0);
        dialogs.open("save", move || {
            let _ = held.recv();
            one(Some(PathBuf::from("/out")))
        });
        // The person has not answered yet: nothing, and a second dialog is refused.
        assert!(dialogs.answer().is_none());
        dialogs.open("load", || unreachable!("one dialog at a time"));
        release.send(()).unwrap();
        assert_eq!(
            wait(&mut dialogs),
            Some(("save", vec![PathBuf::from("/out")]))
        );
        assert!(!dialogs.is_open());
        assert_eq!(woken.load(Ordering::SeqCst), 1);
        // Cancelled: no answer, and the next dialog may open.
        dialogs.open("load", || one(None));
        assert_eq!(wait(&mut dialogs), None);
        assert!(!dialogs.is_open());
    }
}
