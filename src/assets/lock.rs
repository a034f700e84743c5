//! One fetch (or rebuild) of an asset at a time: a mutex per asset in this
//! process, and an exclusive file lock against other processes.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use super::Cache;
use super::manifest::AssetSpec;

/// One fetch of an asset at a time in this process, whichever path asked
/// (the status bar's Fetch, a panel's lazy fetch, the CLI): two at once would
/// share and delete each other's files.
fn asset_lock(cache: &Cache, asset: &AssetSpec) -> Arc<Mutex<()>> {
    static LOCKS: Mutex<BTreeMap<PathBuf, Arc<Mutex<()>>>> = Mutex::new(BTreeMap::new());
    let mut locks = LOCKS.lock().unwrap_or_else(PoisonError::into_inner);
    Arc::clone(locks.entry(cache.asset_dir(&asset.id)).or_default())
}

/// Runs `work` while no other caller fetches or rebuilds `asset`: in this
/// process (a mutex) nor in another (an exclusive lock on
/// `<cache>/locks/<id>.lock`, released when the file closes, also when the
/// holder is killed) — a studio open while `latent-studio fetch` runs, or
/// two tests' processes, would otherwise unpack into one folder at once.
pub(crate) fn in_turn<T>(cache: &Cache, asset: &AssetSpec, work: impl FnOnce() -> T) -> T {
    let lock = asset_lock(cache, asset);
    let _turn = lock.lock().unwrap_or_else(PoisonError::into_inner);
    let _other_processes = process_lock(cache, asset);
    work()
}

/// The cross-process lock, or `None` (and no waiting) where the cache folder
/// cannot hold one; the in-process mutex still holds.
pub(super) fn process_lock(cache: &Cache, asset: &AssetSpec) -> Option<std::fs::File> {
    let dir = cache.root().join("locks");
    std::fs::create_dir_all(&dir).ok()?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(format!("{}.lock", asset.id)))
        .ok()?;
    file.lock().ok()?;
    Some(file)
}
