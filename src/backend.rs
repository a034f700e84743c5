//! Chooses the compute backend once at start: burn on wgpu when a real GPU is
//! there, burn-flex on the CPU otherwise (or when asked). A software wgpu adapter
//! (Mesa llvmpipe/lavapipe) counts as no GPU for compute: burn's kernels compile
//! and autotune for minutes on it, while flex runs the same work in milliseconds.
//! The UI may still render through such an adapter.

use std::fmt;

use burn::tensor::{Device, DeviceKind};

/// Environment variable that picks the backend like `--backend`.
pub const BACKEND_ENV: &str = "LATENT_STUDIO_BACKEND";

/// What the user asked for.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    clap::ValueEnum,
    serde::Serialize,
    serde::Deserialize,
)]
pub enum BackendRequest {
    /// wgpu on a hardware GPU, the CPU when there is none (or only a
    /// software adapter).
    #[default]
    Auto,
    /// wgpu on whatever adapter there is, a software one such as lavapipe
    /// included (slow there, but the GPU path runs anywhere).
    Wgpu,
    /// burn-flex on the CPU.
    Cpu,
}

impl BackendRequest {
    /// `--backend` if given, else `LATENT_STUDIO_BACKEND`, else automatic.
    pub fn resolve(flag: Option<Self>) -> Result<Self, String> {
        if let Some(flag) = flag {
            return Ok(flag);
        }
        match std::env::var(BACKEND_ENV) {
            Ok(value) => match value.trim().to_ascii_lowercase().as_str() {
                "auto" | "" => Ok(Self::Auto),
                "wgpu" | "gpu" => Ok(Self::Wgpu),
                "cpu" | "flex" => Ok(Self::Cpu),
                other => Err(format!(
                    "{BACKEND_ENV}={other} is not a backend (use auto, wgpu or cpu)"
                )),
            },
            Err(_) => Ok(Self::Auto),
        }
    }
}

/// The kind of a wgpu adapter, as far as compute is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdapterKind {
    Discrete,
    Integrated,
    Virtual,
    /// A software rasteriser such as llvmpipe.
    Software,
    Other,
}

/// One adapter wgpu found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdapterSummary {
    pub name: String,
    pub kind: AdapterKind,
    /// Graphics API, e.g. `Vulkan`.
    pub api: String,
    pub driver: String,
    /// The limits that bound what compute and display can hold.
    pub max_buffer_bytes: u64,
    pub max_storage_binding_bytes: u64,
    pub max_texture_side: u32,
}

impl AdapterSummary {
    fn is_hardware(&self) -> bool {
        matches!(
            self.kind,
            AdapterKind::Discrete | AdapterKind::Integrated | AdapterKind::Virtual
        )
    }
}

impl fmt::Display for AdapterSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({:?}, {}", self.name, self.kind, self.api)?;
        if !self.driver.is_empty() {
            write!(f, ", {}", self.driver)?;
        }
        write!(f, ")")
    }
}

/// The backend in use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendKind {
    Wgpu,
    Flex,
}

/// The decision, with what it rests on; shown by `latent-studio info` and the status bar.
#[derive(Clone, Debug)]
pub struct ComputeBackend {
    pub kind: BackendKind,
    /// The adapter compute runs on (`None` for flex).
    pub adapter: Option<AdapterSummary>,
    /// Every adapter wgpu reported.
    pub adapters: Vec<AdapterSummary>,
    /// Why this backend: one sentence for the user.
    pub reason: String,
    /// True when the user asked for wgpu but got the CPU: the UI shows a notice.
    pub fell_back: bool,
    /// True when compute runs on wgpu over a software adapter (forced with
    /// `--backend wgpu`): correct, and slow; the status bar says so.
    pub software_compute: bool,
}

impl ComputeBackend {
    /// Short label for the status bar, e.g. `wgpu · NVIDIA H100` or `CPU (flex)`.
    pub fn label(&self) -> String {
        match (&self.kind, &self.adapter) {
            (BackendKind::Wgpu, Some(adapter)) => format!("wgpu · {}", adapter.name),
            _ => "CPU (burn-flex)".to_owned(),
        }
    }

    /// The burn device for compute (without autodiff; jobs add it where they train).
    pub fn device(&self) -> Device {
        match self.kind {
            BackendKind::Wgpu => wgpu_device(),
            BackendKind::Flex => Device::flex(),
        }
    }

    /// The same device as the panels hold it.
    pub fn compute_device(&self) -> ComputeDevice {
        ComputeDevice(self.device())
    }
}

/// Where jobs compute, as the panels hold it: opaque (no panel imports burn),
/// cheap to clone, turned back into burn's device by the job it is handed to.
#[derive(Clone, Debug, PartialEq)]
pub struct ComputeDevice(Device);

impl ComputeDevice {
    /// burn-flex on the CPU.
    pub fn cpu() -> Self {
        Self(Device::flex())
    }

    /// Whether jobs compute on the CPU (the panels open on lighter presets).
    pub fn is_cpu(&self) -> bool {
        self.0 == Device::flex()
    }
}

impl From<Device> for ComputeDevice {
    fn from(device: Device) -> Self {
        Self(device)
    }
}

impl From<ComputeDevice> for Device {
    fn from(device: ComputeDevice) -> Self {
        device.0
    }
}

/// Decides from the request and the adapters found. Pure, so it can be tested.
pub fn choose(request: BackendRequest, adapters: Vec<AdapterSummary>) -> ComputeBackend {
    if request == BackendRequest::Cpu {
        return ComputeBackend {
            kind: BackendKind::Flex,
            adapter: None,
            adapters,
            reason: "the CPU backend was requested (--backend cpu or LATENT_STUDIO_BACKEND=cpu)"
                .into(),
            fell_back: false,
            software_compute: false,
        };
    }
    let best = adapters
        .iter()
        .filter(|a| a.is_hardware())
        .min_by_key(|a| match a.kind {
            AdapterKind::Discrete => 0,
            AdapterKind::Integrated => 1,
            _ => 2,
        })
        .cloned();
    if let Some(adapter) = best {
        let reason = format!("a hardware GPU is available: {adapter}");
        return ComputeBackend {
            kind: BackendKind::Wgpu,
            adapter: Some(adapter),
            adapters,
            reason,
            fell_back: false,
            software_compute: false,
        };
    }
    let forced = (request == BackendRequest::Wgpu)
        .then(|| adapters.first().cloned())
        .flatten();
    if let Some(adapter) = forced {
        let reason = format!(
            "wgpu was requested (--backend wgpu) and only {adapter} is there: compute runs on it, \
             correct but slow (burn's kernels compile for minutes at first)"
        );
        return ComputeBackend {
            kind: BackendKind::Wgpu,
            adapter: Some(adapter),
            adapters,
            reason,
            fell_back: false,
            software_compute: true,
        };
    }
    let reason = match adapters.iter().find(|a| a.kind == AdapterKind::Software) {
        Some(software) => format!(
            "only a software adapter was found ({software}); burn kernels compile for minutes on it, \
             so compute runs on the CPU (burn-flex) while the window may still render through it"
        ),
        None => "no GPU adapter was found, so compute runs on the CPU (burn-flex)".to_owned(),
    };
    ComputeBackend {
        kind: BackendKind::Flex,
        adapter: None,
        adapters,
        reason,
        fell_back: true,
        software_compute: false,
    }
}

/// The shader language burn compiles its compute kernels to here: burn's
/// `wgpu` feature (WGSL on every graphics API); its `vulkan` feature would
/// compile to SPIR-V instead.
pub const COMPUTE_COMPILER: &str = "WGSL";

/// Asks wgpu for every adapter on every graphics API it was built with.
pub fn enumerate_adapters() -> Vec<AdapterSummary> {
    let instance =
        wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
    let adapters = pollster::block_on(instance.enumerate_adapters(wgpu::Backends::all()));
    adapters
        .iter()
        .map(|adapter| {
            let info = adapter.get_info();
            let limits = adapter.limits();
            AdapterSummary {
                max_buffer_bytes: limits.max_buffer_size,
                max_storage_binding_bytes: limits.max_storage_buffer_binding_size,
                max_texture_side: limits.max_texture_dimension_2d,
                kind: match info.device_type {
                    wgpu::DeviceType::DiscreteGpu => AdapterKind::Discrete,
                    wgpu::DeviceType::IntegratedGpu => AdapterKind::Integrated,
                    wgpu::DeviceType::VirtualGpu => AdapterKind::Virtual,
                    wgpu::DeviceType::Cpu => AdapterKind::Software,
                    wgpu::DeviceType::Other => AdapterKind::Other,
                },
                name: info.name,
                api: format!("{:?}", info.backend),
                driver: [info.driver, info.driver_info].join(" ").trim().to_owned(),
            }
        })
        .collect()
}

/// burn's wgpu device on the default adapter, its kernels' autotune results
/// and compiled forms kept in the user cache (see [`keep_kernels_in_cache`]).
pub fn wgpu_device() -> Device {
    keep_kernels_in_cache();
    Device::wgpu(DeviceKind::DefaultDevice)
}

/// Keeps burn's wgpu autotune results and compiled kernels in
/// `<cache>/latent-studio/kernels` (cubecl's own default is the `target/` of
/// the nearest Cargo project, or nowhere useful for an installed binary), so
/// a machine tunes and compiles each kernel once. Takes effect only before
/// the first wgpu device is made; later calls change nothing. A `cubecl.toml`
/// and cubecl's environment variables still apply, except for the folder.
pub fn keep_kernels_in_cache() {
    use cubecl_runtime::config::{CubeClRuntimeConfig, RuntimeConfig, cache::CacheConfig};
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let mut config = CubeClRuntimeConfig::from_current_dir();
        config.environment.path = CacheConfig::Directory(kernel_cache_folder());
        CubeClRuntimeConfig::try_set(config.override_from_env());
    });
}

/// Where [`keep_kernels_in_cache`] keeps them.
pub fn kernel_cache_folder() -> std::path::PathBuf {
    crate::assets::Cache::user().root().join("kernels")
}

/// Enumerates adapters and decides.
pub fn detect(request: BackendRequest) -> ComputeBackend {
    choose(request, enumerate_adapters())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn adapter(name: &str, kind: AdapterKind) -> AdapterSummary {
        AdapterSummary {
            name: name.into(),
            kind,
            api: "Vulkan".into(),
            driver: String::new(),
            max_buffer_bytes: 1 << 30,
            max_storage_binding_bytes: 1 << 27,
            max_texture_side: 8192,
        }
    }

    #[test]
    fn no_adapter_falls_back_to_cpu_with_a_notice() {
        let chosen = choose(BackendRequest::Auto, Vec::new());
        assert_eq!(chosen.kind, BackendKind::Flex);
        assert!(chosen.fell_back);
        assert!(chosen.reason.contains("no GPU adapter"));
    }

    #[test]
    fn software_adapter_counts_as_no_gpu() {
        let chosen = choose(
            BackendRequest::Auto,
            vec![adapter(
                "llvmpipe (LLVM 15.0.6, 256 bits)",
                AdapterKind::Software,
            )],
        );
        assert_eq!(chosen.kind, BackendKind::Flex);
        assert!(chosen.fell_back);
        assert!(chosen.reason.contains("llvmpipe"));
    }

    #[test]
    fn hardware_gpu_is_used_and_discrete_preferred() {
        let chosen = choose(
            BackendRequest::Auto,
            vec![
                adapter("llvmpipe", AdapterKind::Software),
                adapter("Intel UHD", AdapterKind::Integrated),
                adapter("NVIDIA H100", AdapterKind::Discrete),
            ],
        );
        assert_eq!(chosen.kind, BackendKind::Wgpu);
        assert!(!chosen.fell_back);
        assert_eq!(chosen.label(), "wgpu · NVIDIA H100");
    }

    #[test]
    fn cpu_request_wins_over_a_gpu() {
        let chosen = choose(
            BackendRequest::Cpu,
            vec![adapter("NVIDIA H100", AdapterKind::Discrete)],
        );
        assert_eq!(chosen.kind, BackendKind::Flex);
        assert!(!chosen.fell_back);
    }

    #[test]
    fn forced_wgpu_takes_a_software_adapter_and_says_it_is_slow() {
        let lavapipe = adapter("llvmpipe (LLVM 15.0.6, 256 bits)", AdapterKind::Software);
        let chosen = choose(BackendRequest::Wgpu, vec![lavapipe.clone()]);
        assert_eq!(chosen.kind, BackendKind::Wgpu);
        assert!(chosen.software_compute && !chosen.fell_back);
        assert!(chosen.reason.contains("slow"), "{}", chosen.reason);
        // The automatic choice is as it was: the CPU, with the notice.
        let auto = choose(BackendRequest::Auto, vec![lavapipe]);
        assert_eq!(auto.kind, BackendKind::Flex);
        assert!(auto.fell_back && !auto.software_compute);
        // Nothing to force onto: the CPU.
        let none = choose(BackendRequest::Wgpu, Vec::new());
        assert_eq!(none.kind, BackendKind::Flex);
    }

    #[test]
    fn flag_beats_environment() {
        assert_eq!(
            BackendRequest::resolve(Some(BackendRequest::Cpu)),
            Ok(BackendRequest::Cpu)
        );
    }
}
