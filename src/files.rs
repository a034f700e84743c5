//! Walking the folders a user points a technique at (a text folder, an image
//! folder): every file below, each directory visited once — a symbolic link
//! back up the tree is not followed round and round.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Every file below `dir` that `keep` accepts, sorted; each directory (by its
/// canonical path) is read once, so link loops end. Only `dir` itself being
/// unreadable is an error; an unreadable folder below it is passed over.
pub fn walk(dir: &Path, keep: impl Fn(&Path) -> bool) -> std::io::Result<Vec<PathBuf>> {
    let mut seen = HashSet::new();
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    let mut first = true;
    while let Some(folder) = pending.pop() {
        let canonical = std::fs::canonicalize(&folder).unwrap_or_else(|_| folder.clone());
        if !seen.insert(canonical) {
            continue;
        }
        let entries = match std::fs::read_dir(&folder) {
            Ok(entries) => entries,
            Err(err) if first => return Err(err),
            Err(_) => continue,
        };
        first = false;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if keep(&path) {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::walk;

    #[test]
    fn a_link_loop_is_walked_once() {
        let dir = std::env::temp_dir().join(format!("ls-walk-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("inner")).unwrap();
        std::fs::write(dir.join("a.txt"), "a").unwrap();
        std::fs::write(dir.join("inner/b.txt"), "b").unwrap();
        std::fs::write(dir.join("inner/c.png"), "c").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(&dir, dir.join("inner/up")).unwrap();
        let files = walk(&dir, |p| p.extension().is_some_and(|e| e == "txt")).unwrap();
        assert_eq!(files, [dir.join("a.txt"), dir.join("inner/b.txt")]);
        assert!(walk(&dir.join("missing"), |_| true).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
