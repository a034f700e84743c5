//! Model folders (GAN checkpoints, saved VAE and text models, autosaves)
//! written as a unit: every file goes into a scratch sibling folder, is
//! flushed to disk, and the folder is then swapped in by renames. A process
//! killed at any moment leaves either the old folder or the new one — never a
//! half-written mix. Each folder names its kind and format version in
//! `format.json`, and opening one of another kind or version says so.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The file that names a folder's kind and format version.
pub const FORMAT_FILE: &str = "format.json";

#[derive(Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Format {
    kind: String,
    version: u32,
}

/// What a model folder is: its kind ("gan-checkpoint"), the format version
/// this build writes and reads, and the words a person reads ("GAN checkpoint").
#[derive(Clone, Copy, Debug)]
pub struct Kind {
    pub id: &'static str,
    pub version: u32,
    pub name: &'static str,
}

/// Why a model folder could not be written or opened.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("{}: not a {name} (it has no {FORMAT_FILE})", path.display())]
    Unmarked { path: PathBuf, name: &'static str },
    #[error("{}: this is a {found}, not a {name}", path.display())]
    OtherKind {
        path: PathBuf,
        found: String,
        name: &'static str,
    },
    #[error(
        "{}: written in {name} format {found}; this latent-studio reads format {wanted}",
        path.display()
    )]
    OtherVersion {
        path: PathBuf,
        name: &'static str,
        found: u32,
        wanted: u32,
    },
    #[error("{}: {what}", path.display())]
    Contents { path: PathBuf, what: String },
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> CheckpointError + '_ {
    move |source| CheckpointError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes the folder `dir` as a unit: `fill` writes the files into a scratch
/// folder beside it; when it succeeds, `format.json` is added, everything is
/// flushed, and the scratch folder replaces `dir`. When `fill` fails, `dir`
/// is left as it was.
pub fn write_folder(
    dir: &Path,
    kind: Kind,
    fill: impl FnOnce(&Path) -> anyhow::Result<()>,
) -> Result<(), CheckpointError> {
    let (parent, name) = split(dir)?;
    std::fs::create_dir_all(&parent).map_err(io_error(&parent))?;
    if dir.exists() && !dir.is_dir() {
        return Err(CheckpointError::Contents {
            path: dir.to_path_buf(),
            what: "is a file, not a folder".into(),
        });
    }
    sweep(&parent, &name);
    let scratch = sibling(&parent, &name, "writing");
    std::fs::create_dir(&scratch).map_err(io_error(&scratch))?;
    let written = fill(&scratch)
        .map_err(|err| CheckpointError::Contents {
            path: dir.to_path_buf(),
            what: format!("{err:#}"),
        })
        .and_then(|()| {
            let format = Format {
                kind: kind.id.into(),
                version: kind.version,
            };
            let text = serde_json::to_string(&format).expect("a plain record");
            let marker = scratch.join(FORMAT_FILE);
            std::fs::write(&marker, text).map_err(io_error(&marker))?;
            flush_folder(&scratch)
        });
    if let Err(err) = written {
        let _ = std::fs::remove_dir_all(&scratch);
        return Err(err);
    }
    swap_in(&scratch, dir, &parent, &name)
}

/// Checks that `dir` is a folder of `kind` in this build's version, and
/// returns the folder to read. A folder missing because its writer was killed
/// between the two renames of a swap is found in the previous copy it left.
pub fn open_folder(dir: &Path, kind: Kind) -> Result<PathBuf, CheckpointError> {
    let dir = if dir.is_dir() {
        dir.to_path_buf()
    } else {
        previous_copy(dir).ok_or_else(|| CheckpointError::Io {
            path: dir.to_path_buf(),
            source: io::Error::new(io::ErrorKind::NotFound, "no such folder"),
        })?
    };
    let marker = dir.join(FORMAT_FILE);
    let text = match std::fs::read_to_string(&marker) {
        Ok(text) => text,
        Err(err) if err.kind() == io::ErrorKind::NotFound => {
            return Err(CheckpointError::Unmarked {
                path: dir,
                name: kind.name,
            });
        }
        Err(err) => return Err(io_error(&marker)(err)),
    };
    let format: Format = serde_json::from_str(&text).map_err(|e| CheckpointError::Contents {
        path: marker.clone(),
        what: format!("damaged: {e}"),
    })?;
    if format.kind != kind.id {
        return Err(CheckpointError::OtherKind {
            path: dir,
            found: format.kind.replace('-', " "),
            name: kind.name,
        });
    }
    if format.version != kind.version {
        return Err(CheckpointError::OtherVersion {
            path: dir,
            name: kind.name,
            found: format.version,
            wanted: kind.version,
        });
    }
    Ok(dir)
}

fn split(dir: &Path) -> Result<(PathBuf, String), CheckpointError> {
    let name =
        dir.file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| CheckpointError::Contents {
                path: dir.to_path_buf(),
                what: "needs a folder name".into(),
            })?;
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok((parent, name.to_owned()))
}

/// `.name.<what>-<pid>-<n>` beside the folder.
fn sibling(parent: &Path, name: &str, what: &str) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    parent.join(format!(".{name}.{what}-{}-{n}", std::process::id()))
}

/// Siblings of `name` left by a writer that was killed: scratch folders, and
/// previous copies when the folder itself exists.
fn sweep(parent: &Path, name: &str) {
    let exists = parent.join(name).is_dir();
    for path in leftovers(parent, name) {
        let file = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let previous = file.starts_with(&format!(".{name}.previous-"));
        if !previous || exists {
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}

fn leftovers(parent: &Path, name: &str) -> Vec<PathBuf> {
    let prefix = format!(".{name}.");
    let Ok(entries) = std::fs::read_dir(parent) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_str()
                .is_some_and(|n| n.starts_with(&prefix))
        })
        .map(|e| e.path())
        .collect()
}

/// The newest complete previous copy of `dir` a killed swap left.
fn previous_copy(dir: &Path) -> Option<PathBuf> {
    let (parent, name) = split(dir).ok()?;
    let prefix = format!(".{name}.previous-");
    leftovers(&parent, &name)
        .into_iter()
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&prefix))
                && p.join(FORMAT_FILE).is_file()
        })
        .max_by_key(|p| p.metadata().and_then(|m| m.modified()).ok())
}

/// Moves the old folder aside, the new one in, then drops the old one.
fn swap_in(scratch: &Path, dir: &Path, parent: &Path, name: &str) -> Result<(), CheckpointError> {
    let previous = dir.is_dir().then(|| sibling(parent, name, "previous"));
    if let Some(previous) = &previous {
        std::fs::rename(dir, previous).map_err(io_error(dir))?;
    }
    if let Err(err) = std::fs::rename(scratch, dir) {
        if let Some(previous) = &previous {
            let _ = std::fs::rename(previous, dir);
        }
        let _ = std::fs::remove_dir_all(scratch);
        return Err(io_error(dir)(err));
    }
    sync_dir(parent);
    if let Some(previous) = previous {
        let _ = std::fs::remove_dir_all(previous);
    }
    Ok(())
}

/// Flushes every file in `dir` and the folder itself.
fn flush_folder(dir: &Path) -> Result<(), CheckpointError> {
    for entry in std::fs::read_dir(dir).map_err(io_error(dir))? {
        let path = entry.map_err(io_error(dir))?.path();
        if path.is_file() {
            std::fs::File::open(&path)
                .and_then(|f| f.sync_all())
                .map_err(io_error(&path))?;
        }
    }
    sync_dir(dir);
    Ok(())
}

/// A folder's entries flushed where the platform allows opening a folder
/// (Unix); elsewhere the renames are what the file system gives.
fn sync_dir(dir: &Path) {
    if let Ok(folder) = std::fs::File::open(dir) {
        let _ = folder.sync_all();
    }
}

#[cfg(test)]
mod tests;
