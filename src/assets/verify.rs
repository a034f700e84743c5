//! sha256 of files and of folders (a sorted `sha256sum`-style listing).

use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

/// Lower-case hex sha256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(digest: &[u8]) -> String {
    use std::fmt::Write;
    digest.iter().fold(String::with_capacity(64), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

/// sha256 of a file, streamed.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 1 << 20];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

/// sha256 of the listing `"<sha256>  <name>\n"` of the files directly in `dir`,
/// sorted by name: the same as `sha256sum * | sha256sum` run inside it.
pub fn sha256_tree(dir: &Path) -> std::io::Result<String> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    names.sort();
    let mut listing = String::new();
    for name in names {
        listing.push_str(&sha256_file(&dir.join(&name))?);
        listing.push_str("  ");
        listing.push_str(&name);
        listing.push('\n');
    }
    Ok(sha256_hex(listing.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answers() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn tree_hash_is_the_sorted_listing() {
        let dir = std::env::temp_dir().join(format!("ls-tree-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("b.png"), b"b").unwrap();
        std::fs::write(dir.join("a.png"), b"a").unwrap();
        let listing = format!("{}  a.png\n{}  b.png\n", sha256_hex(b"a"), sha256_hex(b"b"));
        assert_eq!(sha256_tree(&dir).unwrap(), sha256_hex(listing.as_bytes()));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
