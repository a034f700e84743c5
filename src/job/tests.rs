//! Behaviour of the job runtime: cancel, pause/resume, panics, throttling,
//! commands, wake-ups and the single terminal message.

#![allow(clippy::float_cmp, reason = "exact values sent through a channel")]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::*;

const STEP: Duration = Duration::from_millis(20);

/// Collects every message until the terminal one.
fn drain<E, C>(handle: &mut JobHandle<E, C>) -> Vec<JobMessage<E>> {
    let mut all = Vec::new();
    while let Some(message) = handle.recv_blocking() {
        let done = message.is_terminal();
        all.push(message);
        if done {
            break;
        }
    }
    all
}

/// A job that counts steps forever, one every `STEP`, reporting each step.
fn counting_job(ctx: &mut JobContext<u32, u32>) -> Result<(), JobError> {
    let mut step = 0;
    loop {
        ctx.checkpoint()?;
        std::thread::sleep(STEP);
        step += 1;
        ctx.send(step)?;
    }
}

#[test]
fn thread_is_named() {
    let mut handle = JobBuilder::new("named")
        .spawn(|ctx: &mut JobContext<String, ()>| {
            let name = std::thread::current().name().unwrap_or_default().to_owned();
            ctx.send(name)?;
            Ok(())
        })
        .unwrap();
    assert_eq!(handle.name(), "job-named");
    let messages = drain(&mut handle);
    assert_eq!(
        messages,
        vec![
            JobMessage::Event("job-named".to_owned()),
            JobMessage::Finished
        ]
    );
}

#[test]
fn cancel_stops_within_one_step() {
    let mut handle = JobBuilder::new("cancel").spawn(counting_job).unwrap();
    // Let it run a few steps.
    while !matches!(handle.recv_blocking(), Some(JobMessage::Event(3))) {}
    let asked = Instant::now();
    handle.cancel();
    let rest = drain(&mut handle);
    let waited = asked.elapsed();
    assert_eq!(rest.last(), Some(&JobMessage::Cancelled));
    // At most the step in flight finishes; everything after is the terminal message.
    let events_after = rest.iter().filter(|m| !m.is_terminal()).count();
    assert!(events_after <= 1, "{events_after} steps ran after cancel");
    assert!(waited < STEP * 3, "cancel took {waited:?}");
}

#[test]
fn dropping_the_handle_cancels_the_job() {
    let steps = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&steps);
    let handle = JobBuilder::new("drop")
        .spawn(move |ctx: &mut JobContext<(), ()>| {
            loop {
                ctx.checkpoint()?;
                seen.fetch_add(1, Ordering::SeqCst);
                std::thread::sleep(STEP);
            }
        })
        .unwrap();
    std::thread::sleep(STEP * 3);
    drop(handle);
    std::thread::sleep(STEP * 3);
    let after_drop = steps.load(Ordering::SeqCst);
    std::thread::sleep(STEP * 5);
    assert_eq!(steps.load(Ordering::SeqCst), after_drop, "job kept running");
}

#[test]
fn pause_holds_and_resume_continues() {
    let mut handle = JobBuilder::new("pause").spawn(counting_job).unwrap();
    while !matches!(handle.recv_blocking(), Some(JobMessage::Event(2))) {}
    handle.pause();
    assert!(handle.is_paused());
    // The step in flight may still report; after that, silence.
    std::thread::sleep(STEP * 3);
    let in_flight = handle.poll(100).len();
    assert!(in_flight <= 1, "{in_flight} events right after pause");
    std::thread::sleep(STEP * 5);
    assert!(handle.poll(100).is_empty(), "a paused job kept stepping");
    handle.resume();
    let next = handle.recv_blocking();
    assert!(
        matches!(next, Some(JobMessage::Event(n)) if n >= 3),
        "{next:?}"
    );
    handle.cancel();
    assert_eq!(drain(&mut handle).last(), Some(&JobMessage::Cancelled));
}

#[test]
fn cancel_while_paused_ends_the_job() {
    let mut handle = JobBuilder::new("pause-cancel").spawn(counting_job).unwrap();
    handle.pause();
    std::thread::sleep(STEP * 2);
    let asked = Instant::now();
    handle.cancel();
    assert_eq!(drain(&mut handle).last(), Some(&JobMessage::Cancelled));
    assert!(asked.elapsed() < Duration::from_millis(500));
}

#[test]
fn panic_becomes_failed_with_the_message() {
    let mut handle = JobBuilder::new("panic")
        .spawn(|ctx: &mut JobContext<u32, ()>| {
            ctx.send(1)?;
            panic!("tensor shapes do not match: [1, 3] vs [2, 3]");
        })
        .unwrap();
    let messages = drain(&mut handle);
    assert_eq!(messages[0], JobMessage::Event(1));
    match messages.last() {
        Some(JobMessage::Failed(text)) => assert!(text.contains("tensor shapes do not match")),
        other => panic!("expected Failed, got {other:?}"),
    }
    assert!(handle.is_finished());
}

#[test]
fn errors_become_failed() {
    let mut handle = JobBuilder::new("error")
        .spawn(|_: &mut JobContext<(), ()>| Err(anyhow::anyhow!("image is 0×0").into()))
        .unwrap();
    assert_eq!(
        drain(&mut handle),
        vec![JobMessage::Failed("image is 0×0".to_owned())]
    );
}

#[test]
fn exactly_one_terminal_message() {
    let mut handle = JobBuilder::new("terminal")
        .spawn(|ctx: &mut JobContext<u32, ()>| {
            for i in 0..10 {
                ctx.checkpoint()?;
                ctx.send(i)?;
            }
            Ok(())
        })
        .unwrap();
    let messages = drain(&mut handle);
    assert_eq!(messages.len(), 11);
    assert_eq!(messages.iter().filter(|m| m.is_terminal()).count(), 1);
    // Nothing follows the terminal message.
    std::thread::sleep(STEP);
    assert!(handle.poll(10).is_empty());
}

#[test]
fn previews_are_throttled_at_the_source() {
    let built = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&built);
    let throttle = Throttle {
        preview_interval: Duration::from_millis(50),
        progress_interval: Duration::from_millis(100),
    };
    let mut handle = JobBuilder::new("throttle")
        .throttle(throttle)
        .spawn(move |ctx: &mut JobContext<&'static str, ()>| {
            let start = Instant::now();
            while start.elapsed() < Duration::from_millis(260) {
                ctx.preview(|| {
                    counter.fetch_add(1, Ordering::SeqCst);
                    "preview"
                });
                ctx.progress(|| "progress");
            }
            Ok(())
        })
        .unwrap();
    let messages = drain(&mut handle);
    let previews = messages
        .iter()
        .filter(|m| **m == JobMessage::Event("preview"))
        .count();
    let progress = messages
        .iter()
        .filter(|m| **m == JobMessage::Event("progress"))
        .count();
    // 260 ms at one per 50 ms: 6 at most (the first goes at once); per 100 ms: 3.
    assert!((4..=6).contains(&previews), "{previews} previews");
    assert!((2..=3).contains(&progress), "{progress} progress events");
    // The image-building closure only ran for previews that were sent.
    assert_eq!(built.load(Ordering::SeqCst), previews);
}

#[test]
fn full_channel_drops_previews_but_not_results() {
    let mut handle = JobBuilder::new("lagging-ui")
        .throttle(Throttle {
            preview_interval: Duration::ZERO,
            progress_interval: Duration::ZERO,
        })
        .spawn(|ctx: &mut JobContext<u32, ()>| {
            for i in 0..1000 {
                ctx.preview(|| i);
            }
            ctx.send(u32::MAX)?;
            Ok(())
        })
        .unwrap();
    // The UI "lags": reads nothing until the job is surely done producing.
    std::thread::sleep(Duration::from_millis(200));
    let messages = drain(&mut handle);
    let previews = messages.len() - 2;
    assert!(previews <= EVENT_CAPACITY, "{previews} previews queued");
    assert_eq!(messages[messages.len() - 2], JobMessage::Event(u32::MAX));
    assert_eq!(messages.last(), Some(&JobMessage::Finished));
}

#[test]
fn commands_reach_the_running_job() {
    let mut handle = JobBuilder::new("commands")
        .spawn(|ctx: &mut JobContext<f32, f32>| {
            let mut weight = 1.0;
            loop {
                ctx.checkpoint()?;
                for new_weight in ctx.commands() {
                    weight = new_weight;
                }
                ctx.send(weight)?;
                if weight < 0.0 {
                    return Ok(());
                }
                std::thread::sleep(STEP);
            }
        })
        .unwrap();
    assert_eq!(handle.recv_blocking(), Some(JobMessage::Event(1.0)));
    assert!(handle.command(0.25));
    let mut seen = Vec::new();
    while let Some(JobMessage::Event(w)) = handle.recv_blocking() {
        seen.push(w);
        if w == 0.25 {
            break;
        }
    }
    // Applied at the next step: at most one stale value in between.
    assert!(seen.len() <= 2, "{seen:?}");
    assert!(handle.command(-1.0));
    assert_eq!(drain(&mut handle).last(), Some(&JobMessage::Finished));
}

#[test]
fn waker_is_called_for_every_event_sent() {
    let wakes = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&wakes);
    let mut handle = JobBuilder::new("waker")
        .waker(Arc::new(move || {
            count.fetch_add(1, Ordering::SeqCst);
        }))
        .spawn(|ctx: &mut JobContext<u32, ()>| {
            ctx.send(1)?;
            ctx.send(2)?;
            Ok(())
        })
        .unwrap();
    let messages = drain(&mut handle);
    assert_eq!(messages.len(), 3);
    // Two events and the terminal message each woke the UI once.
    assert_eq!(wakes.load(Ordering::SeqCst), 3);
}

#[test]
fn a_gpu_allocation_failure_is_said_as_such() {
    let text = "Error while reading data\nCaused by:\n  can't allocate buffer of size: 2415919104";
    let said = super::builder::crash_in_words(text);
    assert!(
        said.starts_with(
            "the GPU could not hold this run: it has no room for its memory (one buffer of 2.2 GB)"
        ),
        "{said}"
    );
    assert!(
        super::builder::crash_in_words("wgpu error: Out of Memory")
            .starts_with("the GPU ran out of memory")
    );
    assert_eq!(
        super::builder::crash_in_words("index out of bounds"),
        "the job crashed: index out of bounds"
    );
}
