//! Settings persist: what one studio saves, the next one starts with, for the
//! open tab and every panel; a damaged or foreign record never stops the
//! studio from starting — it starts with the defaults and says so.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use latent_studio::app::StudioApp;
use latent_studio::backend::{self, BackendRequest};
use latent_studio::cli::GuiOptions;
use latent_studio::settings::{self, KEY, StudioSettings};
use latent_studio::techniques::Technique;
use latent_studio::ui::frame_stats::FrameReport;

/// eframe's storage, in memory.
#[derive(Default)]
struct Memory(HashMap<String, String>);

impl eframe::Storage for Memory {
    fn get_string(&self, key: &str) -> Option<String> {
        self.0.get(key).cloned()
    }

    fn set_string(&mut self, key: &str, value: String) {
        self.0.insert(key.to_owned(), value);
    }

    fn remove_string(&mut self, key: &str) {
        self.0.remove(key);
    }

    fn flush(&mut self) {}
}

fn studio(storage: &Memory, file: Option<&std::path::Path>) -> StudioApp {
    StudioApp::new(
        &egui::Context::default(),
        Some(storage),
        file,
        backend::choose(BackendRequest::Cpu, Vec::new()),
        GuiOptions::default(),
        Arc::new(Mutex::new(FrameReport::default())),
    )
}

fn saved(app: &mut StudioApp) -> Memory {
    let mut storage = Memory::default();
    eframe::App::save(app, &mut storage);
    storage
}

#[test]
fn settings_survive_a_restart() {
    let mut first = studio(&Memory::default(), None);
    assert!(
        first.settings_notice().is_none(),
        "a first start says nothing"
    );
    // Change something in every panel's record, and the tab, as a user would
    // have before closing the window.
    let mut changed: StudioSettings = {
        let storage = saved(&mut first);
        serde_json::from_str(&storage.0[KEY]).unwrap()
    };
    changed.tab = Technique::Gan;
    let edits = [
        ("Style", "/settings/height", serde_json::json!(256)),
        ("DeepDream", "/settings/octaves", serde_json::json!(5)),
        ("Vae", "/config/epochs", serde_json::json!(7)),
        ("Text", "/prompt", serde_json::json!("the best film")),
        ("Gan", "/settings/batch_size", serde_json::json!(16)),
    ];
    for (panel, pointer, value) in &edits {
        let record = changed.panels.get_mut(*panel).expect(panel);
        *record
            .pointer_mut(pointer)
            .unwrap_or_else(|| panic!("{panel}{pointer}")) = value.clone();
    }
    let mut storage = Memory::default();
    settings::store(&mut storage, &changed);

    let mut second = studio(&storage, None);
    assert!(second.settings_notice().is_none());
    assert_eq!(second.tab(), Technique::Gan);
    let again = saved(&mut second);
    let restored: StudioSettings = serde_json::from_str(&again.0[KEY]).unwrap();
    for (panel, pointer, value) in &edits {
        assert_eq!(
            restored.panels[*panel].pointer(pointer),
            Some(value),
            "{panel}{pointer}"
        );
    }
    assert_eq!(
        restored,
        StudioSettings {
            version: settings::VERSION,
            ..changed
        }
    );
}

#[test]
fn a_damaged_settings_record_starts_with_defaults_and_says_so() {
    let defaults = {
        let mut app = studio(&Memory::default(), None);
        saved(&mut app).0[KEY].clone()
    };
    for damaged in [
        "{\"version\": 1, \"tab\": ",
        "not a record",
        "{\"version\": 99}",
    ] {
        let mut storage = Memory::default();
        eframe::Storage::set_string(&mut storage, KEY, damaged.to_owned());
        let mut app = studio(&storage, None);
        let notice = app.settings_notice().expect("a notice");
        assert!(notice.contains("reset to the defaults"), "{notice}");
        assert_eq!(app.tab(), Technique::default());
        assert_eq!(saved(&mut app).0[KEY], defaults);
    }
    // eframe drops a file it cannot parse: our record is then missing from a
    // non-empty file, which is said too.
    let dir = std::env::temp_dir().join(format!("latent-studio-settings-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("app.ron");
    std::fs::write(&file, "(garbage").unwrap();
    let app = studio(&Memory::default(), Some(&file));
    assert!(app.settings_notice().is_some());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_panel_record_that_does_not_fit_resets_that_panel_only() {
    let mut app = studio(&Memory::default(), None);
    let mut record: StudioSettings = serde_json::from_str(&saved(&mut app).0[KEY]).unwrap();
    record.tab = Technique::Style;
    record
        .panels
        .insert("Vae".into(), serde_json::json!({"config": "not a config"}));
    let mut storage = Memory::default();
    settings::store(&mut storage, &record);
    let app = studio(&storage, None);
    assert!(app.settings_notice().unwrap().contains("VAE"));
    assert_eq!(app.tab(), Technique::Style);
}
