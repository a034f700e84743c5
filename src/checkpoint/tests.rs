use super::*;

const KIND: Kind = Kind {
    id: "test-model",
    version: 2,
    name: "test model",
};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ls-checkpoint-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write_text(dir: &Path, text: &str) -> Result<(), CheckpointError> {
    write_folder(dir, KIND, |tmp| {
        std::fs::write(tmp.join("weights"), text)?;
        Ok(())
    })
}

fn names(parent: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(parent)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn an_overwrite_replaces_the_folder_and_leaves_nothing_beside_it() {
    let parent = scratch("overwrite");
    let dir = parent.join("model");
    write_text(&dir, "one").unwrap();
    write_text(&dir, "two").unwrap();
    let opened = open_folder(&dir, KIND).unwrap();
    assert_eq!(
        std::fs::read_to_string(opened.join("weights")).unwrap(),
        "two"
    );
    assert_eq!(names(&parent), ["model"]);
    std::fs::remove_dir_all(parent).unwrap();
}

#[test]
fn a_failed_fill_keeps_the_old_folder() {
    let parent = scratch("failed");
    let dir = parent.join("model");
    write_text(&dir, "one").unwrap();
    let err = write_folder(&dir, KIND, |tmp| {
        std::fs::write(tmp.join("weights"), "half")?;
        anyhow::bail!("disk full")
    })
    .unwrap_err();
    assert!(err.to_string().contains("disk full"), "{err}");
    assert_eq!(std::fs::read_to_string(dir.join("weights")).unwrap(), "one");
    assert_eq!(names(&parent), ["model"]);
    std::fs::remove_dir_all(parent).unwrap();
}

#[test]
fn another_version_or_kind_is_named_when_opening() {
    let parent = scratch("versions");
    let dir = parent.join("model");
    write_folder(&dir, Kind { version: 1, ..KIND }, |_| Ok(())).unwrap();
    let err = open_folder(&dir, KIND).unwrap_err().to_string();
    assert!(
        err.contains("format 1") && err.contains("reads format 2"),
        "{err}"
    );
    let other = Kind {
        id: "gan-checkpoint",
        ..KIND
    };
    write_folder(&dir, other, |_| Ok(())).unwrap();
    let err = open_folder(&dir, KIND).unwrap_err().to_string();
    assert!(err.contains("gan checkpoint, not a test model"), "{err}");
    std::fs::remove_file(dir.join(FORMAT_FILE)).unwrap();
    let err = open_folder(&dir, KIND).unwrap_err().to_string();
    assert!(err.contains("not a test model"), "{err}");
    std::fs::remove_dir_all(parent).unwrap();
}

#[test]
fn a_swap_cut_between_its_renames_is_read_from_the_previous_copy() {
    let parent = scratch("cut");
    let dir = parent.join("model");
    write_text(&dir, "one").unwrap();
    // What a writer killed after moving the old folder aside leaves: the old
    // copy under its previous name, the new one still scratch.
    std::fs::rename(&dir, parent.join(".model.previous-1-0")).unwrap();
    std::fs::create_dir(parent.join(".model.writing-1-1")).unwrap();
    let opened = open_folder(&dir, KIND).unwrap();
    assert_eq!(
        std::fs::read_to_string(opened.join("weights")).unwrap(),
        "one"
    );
    // The next write sweeps the scratch folder and, once the folder exists
    // again, the previous copy.
    write_text(&dir, "two").unwrap();
    write_text(&dir, "three").unwrap();
    assert_eq!(names(&parent), ["model"]);
    std::fs::remove_dir_all(parent).unwrap();
}

#[test]
fn a_file_in_the_way_is_refused() {
    let parent = scratch("file");
    let dir = parent.join("model");
    std::fs::write(&dir, "a file").unwrap();
    let err = write_text(&dir, "one").unwrap_err().to_string();
    assert!(err.contains("is a file"), "{err}");
    std::fs::remove_dir_all(parent).unwrap();
}
