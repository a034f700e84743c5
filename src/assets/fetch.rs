//! The fetch pipeline of one asset: download with the registry's client →
//! unpack the members → verify their sha256 → convert → mark ready.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub(super) use super::lock::in_turn;
use super::manifest::{AssetSpec, glob_matches};
use super::{AssetError, Cache, convert, extract, io_at, verify};

/// Where a fetch is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FetchStage {
    Download,
    Unpack,
    Verify,
    Convert,
    Ready,
}

impl FetchStage {
    /// A verb for the status bar.
    pub fn label(self) -> &'static str {
        match self {
            Self::Download => "downloading",
            Self::Unpack => "unpacking",
            Self::Verify => "verifying",
            Self::Convert => "converting",
            Self::Ready => "ready",
        }
    }
}

/// A progress report for one asset.
#[derive(Clone, Debug, PartialEq)]
pub struct FetchProgress {
    pub asset: String,
    pub stage: FetchStage,
    /// 0..=1 of the whole fetch of this asset (download: bytes so far / expected).
    pub fraction: f32,
    pub detail: String,
}

/// Called with each report; returning `false` cancels the fetch.
pub type ProgressFn<'a> = dyn FnMut(FetchProgress) -> bool + 'a;

/// Reports `fraction` of `stage` as a fraction of the whole asset's fetch.
fn report(
    progress: &mut ProgressFn<'_>,
    asset: &AssetSpec,
    stage: FetchStage,
    fraction: f32,
    detail: String,
) -> Result<(), AssetError> {
    let (start, span) = match stage {
        FetchStage::Download => (0.0, 0.6),
        FetchStage::Unpack => (0.6, 0.15),
        FetchStage::Verify => (0.75, 0.15),
        FetchStage::Convert => (0.9, 0.1),
        FetchStage::Ready => (1.0, 0.0),
    };
    let fraction = start + span * fraction.clamp(0.0, 1.0);
    let go_on = progress(FetchProgress {
        asset: asset.id.clone(),
        stage,
        fraction,
        detail,
    });
    if go_on {
        Ok(())
    } else {
        Err(AssetError::Cancelled)
    }
}

/// Runs the whole pipeline for one asset (again, if it is there already). A
/// file already in `downloads/` that matches the manifest's archive name is
/// used without running the client.
pub fn fetch_asset(
    cache: &Cache,
    asset: &AssetSpec,
    progress: &mut ProgressFn<'_>,
) -> Result<(), AssetError> {
    in_turn(cache, asset, || fetch_locked(cache, asset, progress))
}

/// Fetches the asset unless it is ready — also when another caller finished
/// fetching it while this one waited for its turn.
pub fn fetch_if_missing(
    cache: &Cache,
    asset: &AssetSpec,
    progress: &mut ProgressFn<'_>,
) -> Result<(), AssetError> {
    in_turn(cache, asset, || {
        if cache.is_ready(asset) {
            return Ok(());
        }
        fetch_locked(cache, asset, progress)
    })
}

pub(super) fn fetch_locked(
    cache: &Cache,
    asset: &AssetSpec,
    progress: &mut ProgressFn<'_>,
) -> Result<(), AssetError> {
    let downloads = cache.downloads();
    std::fs::create_dir_all(&downloads).map_err(io_at(&downloads))?;
    let archive = match find_archive(&downloads, &asset.archive) {
        Some(path) => path,
        None => download(&downloads, asset, progress)?,
    };
    let asset_dir = cache.asset_dir(&asset.id);
    let _ = std::fs::remove_file(asset_dir.join("READY"));
    report(
        progress,
        asset,
        FetchStage::Unpack,
        0.0,
        file_name(&archive),
    )?;
    extract::unpack_members(asset, &archive, &asset_dir).map_err(|source| AssetError::Unpack {
        asset: asset.id.clone(),
        source,
    })?;
    for (i, member) in asset.members.iter().enumerate() {
        #[expect(clippy::cast_precision_loss, reason = "a handful of members")]
        let fraction = i as f32 / asset.members.len() as f32;
        report(
            progress,
            asset,
            FetchStage::Verify,
            fraction,
            member.path.clone(),
        )?;
        let path = asset_dir.join(&member.path);
        let actual = if member.tree {
            verify::sha256_tree(&path)
        } else {
            verify::sha256_file(&path)
        }
        .map_err(io_at(&path))?;
        if actual != member.sha256 {
            // Never leave an unverified file where it could be loaded.
            if member.tree {
                let _ = std::fs::remove_dir_all(&path);
            } else {
                let _ = std::fs::remove_file(&path);
            }
            let _ = std::fs::remove_file(&archive);
            return Err(AssetError::HashMismatch {
                asset: asset.id.clone(),
                member: member.path.clone(),
                expected: member.sha256.clone(),
                actual,
            });
        }
    }
    if let Some(conversion) = asset.convert {
        report(
            progress,
            asset,
            FetchStage::Convert,
            0.0,
            format!("{conversion:?}"),
        )?;
        convert::run(conversion, asset, &asset_dir).map_err(|source| AssetError::Unpack {
            asset: asset.id.clone(),
            source,
        })?;
    }
    let marker = asset_dir.join("READY");
    std::fs::write(&marker, asset.fingerprint()).map_err(io_at(&marker))?;
    report(progress, asset, FetchStage::Ready, 1.0, String::new())?;
    Ok(())
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn find_archive(dir: &Path, pattern: &str) -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter(|e| glob_matches(pattern, &e.file_name().to_string_lossy()))
        .map(|e| e.path())
        .collect();
    found.sort();
    found.pop()
}

/// The programs to try for a command's first word (pip goes by several names).
fn program_candidates(program: &str) -> Vec<Vec<String>> {
    match program {
        "pip" => vec![
            vec!["pip".into()],
            vec!["pip3".into()],
            vec!["python3".into(), "-m".into(), "pip".into()],
        ],
        other => vec![vec![other.to_owned()]],
    }
}

/// Runs the client in a scratch folder, reporting the bytes it has written so far.
fn download(
    downloads: &Path,
    asset: &AssetSpec,
    progress: &mut ProgressFn<'_>,
) -> Result<PathBuf, AssetError> {
    // One scratch folder per fetch: two processes (or two fetches of one
    // process, one after the other) never share one.
    static FETCHES: AtomicU64 = AtomicU64::new(0);
    let fetch = FETCHES.fetch_add(1, Ordering::Relaxed);
    remove_abandoned_scratch(downloads);
    let scratch = downloads.join(format!(
        ".partial-{}-{}-{fetch}",
        asset.id,
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).map_err(io_at(&scratch))?;
    let log_path = scratch.join(".client.log");
    let package = asset.command.last().cloned().unwrap_or_default();
    let mut child = None;
    for program in program_candidates(&asset.command[0]) {
        let log = std::fs::File::create(&log_path).map_err(io_at(&log_path))?;
        let log_err = log.try_clone().map_err(io_at(&log_path))?;
        let spawned = Command::new(&program[0])
            .args(&program[1..])
            .args(&asset.command[1..])
            .current_dir(&scratch)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .spawn();
        match spawned {
            Ok(c) => {
                child = Some(c);
                break;
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(AssetError::Io {
                    path: PathBuf::from(&program[0]),
                    source: e,
                });
            }
        }
    }
    let Some(mut child) = child else {
        return Err(AssetError::ClientMissing {
            client: asset.command[0].clone(),
            package,
            command: asset.command_line(),
            dir: downloads.to_owned(),
        });
    };
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().map_err(io_at(&scratch))? {
            break status;
        }
        let bytes = folder_bytes(&scratch);
        #[expect(clippy::cast_precision_loss, reason = "a progress fraction")]
        let fraction = if asset.archive_bytes > 0 {
            (bytes as f32 / asset.archive_bytes as f32).min(1.0)
        } else {
            0.0
        };
        // pip and npm often write the archive only at the end: show the time instead.
        #[expect(clippy::cast_precision_loss, reason = "megabytes for display")]
        let detail = if bytes > 0 {
            format!("{:.1} MB · {}", bytes as f64 / 1e6, asset.command_line())
        } else {
            format!(
                "{} s · {}",
                started.elapsed().as_secs(),
                asset.command_line()
            )
        };
        if let Err(cancelled) = report(progress, asset, FetchStage::Download, fraction, detail) {
            let _ = child.kill();
            let _ = child.wait();
            let _ = std::fs::remove_dir_all(&scratch);
            return Err(cancelled);
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let output = std::fs::read_to_string(&log_path).unwrap_or_default();
    if !status.success() {
        let _ = std::fs::remove_dir_all(&scratch);
        return Err(AssetError::ClientFailed {
            command: asset.command_line(),
            status: status.to_string(),
            output: tail(&output, 600),
            dir: downloads.to_owned(),
        });
    }
    let Some(fetched) = find_archive(&scratch, &asset.archive) else {
        let _ = std::fs::remove_dir_all(&scratch);
        return Err(AssetError::ArchiveMissing {
            command: asset.command_line(),
            pattern: asset.archive.clone(),
            dir: downloads.to_owned(),
        });
    };
    let target = downloads.join(fetched.file_name().unwrap_or_default());
    std::fs::rename(&fetched, &target).map_err(io_at(&target))?;
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(target)
}

/// Removes the scratch folders of fetches whose process is gone (killed, or
/// ended while a background fetch ran), where that can be told (`/proc`).
pub fn remove_abandoned_scratch(downloads: &Path) {
    let proc = Path::new("/proc");
    if !proc.join("self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(downloads) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(".partial-") else {
            continue;
        };
        // `<id>-<pid>-<fetch>`, or `<id>-<pid>` as earlier versions named them.
        let mut parts = rest.rsplit('-').map(|p| p.parse::<u32>().ok());
        let pid = match (parts.next().flatten(), parts.next().flatten()) {
            (Some(_), Some(pid)) | (Some(pid), None) => Some(pid),
            _ => None,
        };
        if let Some(pid) = pid
            && pid != std::process::id()
            && !proc.join(pid.to_string()).exists()
        {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

fn folder_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries
            .filter_map(Result::ok)
            .filter_map(|e| e.metadata().ok())
            .map(|m| m.len())
            .sum()
    })
}

/// The last `max` characters of a client's output, on a char boundary.
fn tail(text: &str, max: usize) -> String {
    let text = text.trim();
    let start = text.char_indices().rev().nth(max).map_or(0, |(i, _)| i);
    text[start..].to_owned()
}
