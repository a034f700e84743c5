//! What the studio remembers across restarts: the open tab, each panel's
//! settings and the recent files, kept through eframe's persistence (the
//! window's size and place eframe keeps itself). The record is versioned: one
//! written by another version, or one that does not parse, is set aside and
//! the studio starts with the defaults and says so — a settings file never
//! stops it from starting.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::techniques::Technique;

/// The version of [`StudioSettings`]' layout; a record with another is reset.
pub const VERSION: u32 = 1;
/// The key of the record in eframe's storage.
pub const KEY: &str = "latent-studio/settings";
/// Recent files kept, newest first.
const RECENT: usize = 10;

/// Everything persisted, as one record.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StudioSettings {
    pub version: u32,
    pub tab: Technique,
    /// Each panel's own record, by [`Technique`] name (see `Panel::save`).
    pub panels: BTreeMap<String, serde_json::Value>,
    /// Files the user opened, newest first.
    pub recent_files: Vec<PathBuf>,
    /// Minutes between two autosaves inside an epoch (unset: the default).
    #[serde(default)]
    pub autosave_minutes: Option<f32>,
}

impl StudioSettings {
    /// Puts `path` first among the recent files.
    pub fn remember(&mut self, path: PathBuf) {
        self.recent_files.retain(|p| p != &path);
        self.recent_files.insert(0, path);
        self.recent_files.truncate(RECENT);
    }
}

/// What [`load`] found.
#[derive(Debug, PartialEq)]
pub enum Loaded {
    /// Nothing saved yet.
    Fresh,
    Restored(StudioSettings),
    /// A record that could not be used; the sentence says why.
    Reset(String),
}

impl Loaded {
    /// The settings to start with, and a notice for the user when they were reset.
    pub fn into_parts(self) -> (StudioSettings, Option<String>) {
        match self {
            Self::Fresh => (StudioSettings::default(), None),
            Self::Restored(settings) => (settings, None),
            Self::Reset(why) => (
                StudioSettings::default(),
                Some(format!("Saved settings were reset to the defaults: {why}.")),
            ),
        }
    }
}

/// Reads the record from eframe's storage (`None`: persistence unavailable).
/// `file` is where eframe keeps that storage on disk, if it is a file: eframe
/// drops a file it cannot parse without a word, so a non-empty file without
/// our record means exactly that.
pub fn load(storage: Option<&dyn eframe::Storage>, file: Option<&Path>) -> Loaded {
    let Some(text) = storage.and_then(|s| s.get_string(KEY)) else {
        let damaged = file
            .and_then(|f| std::fs::metadata(f).ok())
            .is_some_and(|meta| meta.len() > 0);
        return if damaged {
            Loaded::Reset("the settings file could not be read".into())
        } else {
            Loaded::Fresh
        };
    };
    parse(&text)
}

/// Parses a stored record.
pub fn parse(text: &str) -> Loaded {
    #[derive(serde::Deserialize)]
    struct Versioned {
        version: u32,
    }
    match serde_json::from_str::<Versioned>(text) {
        Err(err) => Loaded::Reset(format!("the saved record is damaged ({err})")),
        Ok(v) if v.version != VERSION => Loaded::Reset(format!(
            "they were written by settings version {}, this studio reads version {VERSION}",
            v.version
        )),
        Ok(_) => match serde_json::from_str(text) {
            Ok(settings) => Loaded::Restored(settings),
            Err(err) => Loaded::Reset(format!("the saved record is damaged ({err})")),
        },
    }
}

/// Writes the record into eframe's storage (eframe flushes it to disk).
pub fn store(storage: &mut dyn eframe::Storage, settings: &StudioSettings) {
    let record = StudioSettings {
        version: VERSION,
        ..settings.clone()
    };
    match serde_json::to_string(&record) {
        Ok(text) => storage.set_string(KEY, text),
        Err(err) => eprintln!("warning: the settings were not saved: {err}"),
    }
}

/// The file eframe keeps the studio's storage in.
pub fn eframe_file() -> Option<PathBuf> {
    eframe::storage_dir(crate::app::APP_ID).map(|dir| dir.join("app.ron"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_parses_back_and_other_versions_or_damage_reset() {
        let mut settings = StudioSettings {
            version: VERSION,
            tab: Technique::Gan,
            ..Default::default()
        };
        settings.remember("a.png".into());
        settings.remember("b.png".into());
        settings.remember("a.png".into());
        assert_eq!(
            settings.recent_files,
            [PathBuf::from("a.png"), "b.png".into()]
        );
        let text = serde_json::to_string(&settings).unwrap();
        assert_eq!(parse(&text), Loaded::Restored(settings));
        let old = text.replace(&format!("\"version\":{VERSION}"), "\"version\":0");
        assert!(matches!(parse(&old), Loaded::Reset(why) if why.contains("version 0")));
        assert!(matches!(
            parse("{\"version\": 1, \"tab\": 7"),
            Loaded::Reset(_)
        ));
        let (defaults, notice) = parse("not json").into_parts();
        assert_eq!(defaults, StudioSettings::default());
        assert!(notice.unwrap().contains("reset to the defaults"));
    }
}
