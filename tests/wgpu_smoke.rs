//! One smoke test on the wgpu backend (lavapipe here): a tiny computation
//! round-trips through the GPU runtime. Numeric tests run on flex instead,
//! because burn's kernels compile for minutes on a software driver.

use burn::tensor::Tensor;

#[test]
fn wgpu_adds_and_reads_back() {
    let adapters = latent_studio::backend::enumerate_adapters();
    // CI installs mesa-vulkan-drivers; say loudly if it is missing rather than pass silently.
    assert!(
        !adapters.is_empty(),
        "no wgpu adapter at all: install mesa-vulkan-drivers (lavapipe) to run this test"
    );
    let device = latent_studio::backend::wgpu_device();
    let x = Tensor::<1>::from_floats([1.0, 2.0, 3.0], &device);
    let y = (x.clone() + x).into_data();
    assert_eq!(y.as_slice::<f32>().unwrap(), &[2.0, 4.0, 6.0]);
}

/// A run the GPU cannot hold (here one tensor past the adapter's largest
/// buffer) fails its job with a sentence that says so, and the device goes
/// on computing for the next job.
#[test]
fn a_job_too_big_for_the_gpu_fails_and_the_device_lives_on() {
    use latent_studio::job::{JobBuilder, JobHandle, JobMessage};
    let adapters = latent_studio::backend::enumerate_adapters();
    let Some(largest) = adapters.iter().map(|a| a.max_buffer_bytes).max() else {
        panic!("no wgpu adapter at all: install mesa-vulkan-drivers (lavapipe)");
    };
    let floats = usize::try_from(largest / 4 + (64 << 20)).unwrap();
    let mut handle: JobHandle<(), ()> = JobBuilder::new("too-big")
        .spawn(move |_| {
            let device = latent_studio::backend::wgpu_device();
            let big = Tensor::<1>::ones([floats], &device);
            let _ = big.sum().into_data();
            Ok(())
        })
        .unwrap();
    let terminal = std::iter::from_fn(|| handle.recv_blocking())
        .find(JobMessage::is_terminal)
        .unwrap();
    let JobMessage::Failed(reason) = terminal else {
        panic!("{terminal:?}");
    };
    assert!(reason.contains("GPU"), "{reason}");
    let device = latent_studio::backend::wgpu_device();
    let x = Tensor::<1>::from_floats([1.0, 2.0], &device);
    assert_eq!(
        (x * 3.0).into_data().as_slice::<f32>().unwrap(),
        &[3.0, 6.0]
    );
}
