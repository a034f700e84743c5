//! The preview path end to end on the CPU backend: a burn job streams previews
//! through the job runtime, and dropping the handle stops it.

use std::time::{Duration, Instant};

use burn::tensor::Device;
use latent_studio::demo::{self, DEMO_SIZE, DemoEvent};
use latent_studio::job::{JobMessage, no_waker};

#[test]
fn pattern_is_an_image_in_the_unit_range() {
    let device = Device::flex();
    let frame = demo::pattern(&device, 16, 0.3);
    assert_eq!(frame.dims(), [3, 16, 16]);
    let data = frame.clone().into_data();
    let values = data.as_slice::<f32>().unwrap();
    assert!(values.iter().all(|v| (0.0..=1.0).contains(v)));
    // Not a constant image: the channels differ.
    assert!(values.iter().any(|&v| (v - values[0]).abs() > 0.1));
    let image = demo::to_color_image(frame).unwrap();
    assert_eq!(image.size, [16, 16]);
}

#[test]
fn demo_job_streams_previews_and_stops_on_drop() {
    let mut handle = demo::start(Device::flex(), no_waker()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut previews = 0;
    while previews < 3 && Instant::now() < deadline {
        match handle.recv_blocking() {
            Some(JobMessage::Event(DemoEvent::Preview { image, .. })) => {
                assert_eq!(image.size, [DEMO_SIZE, DEMO_SIZE]);
                previews += 1;
            }
            Some(JobMessage::Event(DemoEvent::Progress { .. })) => {}
            other => panic!("unexpected {:?}", other.map(|m| m.is_terminal())),
        }
    }
    assert_eq!(previews, 3);
    handle.cancel();
    loop {
        match handle.recv_blocking() {
            Some(JobMessage::Cancelled) => break,
            Some(JobMessage::Event(_)) => {}
            other => panic!(
                "expected Cancelled, got terminal={:?}",
                other.map(|m| m.is_terminal())
            ),
        }
    }
}
