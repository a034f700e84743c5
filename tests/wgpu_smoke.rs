//! One smoke test on the wgpu backend (lavapipe here): a tiny computation
//! round-trips through the GPU runtime. Numeric tests run on flex instead,
//! because burn's kernels compile for minutes on a software driver.

use burn::tensor::{Device, DeviceKind, Tensor};

#[test]
fn wgpu_adds_and_reads_back() {
    let adapters = latent_studio::backend::enumerate_adapters();
    // CI installs mesa-vulkan-drivers; say loudly if it is missing rather than pass silently.
    assert!(
        !adapters.is_empty(),
        "no wgpu adapter at all: install mesa-vulkan-drivers (lavapipe) to run this test"
    );
    let device = Device::wgpu(DeviceKind::DefaultDevice);
    let x = Tensor::<1>::from_floats([1.0, 2.0, 3.0], &device);
    let y = (x.clone() + x).into_data();
    assert_eq!(y.as_slice::<f32>().unwrap(), &[2.0, 4.0, 6.0]);
}
