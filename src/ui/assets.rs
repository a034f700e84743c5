//! The asset board: what is in the cache, fetching what is missing (on a job
//! thread), and the status-bar and window views of it.

use std::sync::Arc;

use crate::assets::{Cache, FetchProgress, Manifest, fetch_if_missing};
use crate::job::{JobBuilder, JobContext, JobError, JobHandle, JobMessage, Waker};

/// What the asset job tells the board.
#[derive(Debug, Clone)]
pub enum AssetEvent {
    /// The cache was looked at.
    Checked { id: String, ready: bool },
    /// A fetch moved on.
    Progress(FetchProgress),
    /// One asset's fetch ended.
    Done { id: String, error: Option<String> },
}

/// The state of one asset as shown.
#[derive(Clone, Debug, PartialEq)]
pub enum AssetState {
    Unknown,
    Missing,
    Fetching(FetchProgress),
    Ready,
    Failed(String),
}

/// All assets, their states and the job that checks or fetches them.
pub struct AssetBoard {
    cache: Cache,
    manifest: Manifest,
    states: Vec<AssetState>,
    job: Option<JobHandle<AssetEvent>>,
    waker: Waker,
    pub window_open: bool,
}

impl AssetBoard {
    /// A board that starts by checking the cache in the background.
    pub fn new(cache: Cache, manifest: Manifest, waker: Waker) -> Self {
        let states = vec![AssetState::Unknown; manifest.assets.len()];
        let mut board = Self {
            cache,
            manifest,
            states,
            job: None,
            waker,
            window_open: false,
        };
        board.start_check();
        board
    }

    fn index(&self, id: &str) -> Option<usize> {
        self.manifest.assets.iter().position(|a| a.id == id)
    }

    /// The state of an asset by id.
    pub fn state(&self, id: &str) -> AssetState {
        self.index(id)
            .map_or(AssetState::Unknown, |i| self.states[i].clone())
    }

    /// Number of ready assets and the total.
    pub fn ready_count(&self) -> (usize, usize) {
        (
            self.states
                .iter()
                .filter(|s| **s == AssetState::Ready)
                .count(),
            self.states.len(),
        )
    }

    fn start_check(&mut self) {
        let (cache, manifest) = (self.cache.clone(), self.manifest.clone());
        let spawned = JobBuilder::new("assets")
            .waker(Arc::clone(&self.waker))
            .spawn(move |ctx: &mut JobContext<AssetEvent, ()>| {
                crate::assets::remove_abandoned_scratch(&cache.downloads());
                for asset in &manifest.assets {
                    ctx.send(AssetEvent::Checked {
                        id: asset.id.clone(),
                        ready: cache.is_ready(asset),
                    })?;
                }
                Ok(())
            });
        self.job = spawned.ok();
    }

    /// Starts fetching every asset that is not ready.
    pub fn fetch_missing(&mut self) {
        let ids: Vec<String> = self
            .manifest
            .assets
            .iter()
            .zip(&self.states)
            .filter(|(_, s)| !matches!(s, AssetState::Ready))
            .map(|(a, _)| a.id.clone())
            .collect();
        let (cache, manifest) = (self.cache.clone(), self.manifest.clone());
        let spawned = JobBuilder::new("fetch")
            .waker(Arc::clone(&self.waker))
            .spawn(move |ctx: &mut JobContext<AssetEvent, ()>| {
                for id in ids {
                    ctx.checkpoint()?;
                    let Some(asset) = manifest.get(&id) else {
                        continue;
                    };
                    let result = fetch_if_missing(&cache, asset, &mut |p| {
                        ctx.progress(|| AssetEvent::Progress(p));
                        !ctx.is_cancelled()
                    });
                    if ctx.is_cancelled() {
                        return Err(JobError::Cancelled);
                    }
                    ctx.send(AssetEvent::Done {
                        id,
                        error: result.err().map(|e| e.to_string()),
                    })?;
                }
                Ok(())
            });
        match spawned {
            Ok(handle) => self.job = Some(handle),
            Err(err) => self.states.fill(AssetState::Failed(format!(
                "could not start the fetch: {err}"
            ))),
        }
    }

    /// True while checking or fetching.
    pub fn is_busy(&self) -> bool {
        self.job.as_ref().is_some_and(|j| !j.is_finished())
    }

    /// Drains the job's events; call once per frame.
    pub fn poll(&mut self) {
        let Some(job) = &mut self.job else { return };
        for message in job.poll(64) {
            match message {
                JobMessage::Event(event) => self.apply(event),
                JobMessage::Failed(text) => {
                    for state in &mut self.states {
                        if matches!(state, AssetState::Fetching(_) | AssetState::Unknown) {
                            *state = AssetState::Failed(text.clone());
                        }
                    }
                }
                JobMessage::Finished | JobMessage::Cancelled => {}
            }
        }
    }

    fn apply(&mut self, event: AssetEvent) {
        let (id, state) = match event {
            AssetEvent::Checked { id, ready } => (
                id,
                if ready {
                    AssetState::Ready
                } else {
                    AssetState::Missing
                },
            ),
            AssetEvent::Progress(p) => (p.asset.clone(), AssetState::Fetching(p)),
            AssetEvent::Done { id, error: None } => (id, AssetState::Ready),
            AssetEvent::Done { id, error: Some(e) } => (id, AssetState::Failed(e)),
        };
        if let Some(i) = self.index(&id) {
            self.states[i] = state;
        }
    }

    /// The status-bar part: counts, the fetch in progress, the buttons.
    pub fn status_ui(&mut self, ui: &mut egui::Ui) {
        let (ready, total) = self.ready_count();
        let fetching = self.states.iter().find_map(|s| match s {
            AssetState::Fetching(p) => Some(p.clone()),
            _ => None,
        });
        let failed = self
            .states
            .iter()
            .filter(|s| matches!(s, AssetState::Failed(_)))
            .count();
        ui.label(format!("Assets {ready}/{total} ready"));
        if let Some(p) = fetching {
            ui.add(
                egui::ProgressBar::new(p.fraction)
                    .desired_width(160.0)
                    .animate(p.stage == crate::assets::FetchStage::Download)
                    .text(format!("{} {}", p.stage.label(), p.asset)),
            );
        } else if failed > 0 {
            ui.colored_label(ui.visuals().error_fg_color, format!("{failed} failed"));
        }
        if ready < total && !self.is_busy() && ui.button("Fetch missing").clicked() {
            self.fetch_missing();
        }
        if ui.selectable_label(self.window_open, "Assets…").clicked() {
            self.window_open = !self.window_open;
        }
    }

    /// The window listing every asset, its source, licence and state.
    pub fn window_ui(&mut self, ctx: &egui::Context) {
        let mut open = self.window_open;
        egui::Window::new("Assets")
            .default_pos([300.0, 200.0])
            .open(&mut open)
            .default_width(720.0)
            .show(ctx, |ui| {
                ui.label(format!("Cache: {}", self.cache.root().display()));
                egui::Grid::new("assets")
                    .striped(true)
                    .num_columns(4)
                    .show(ui, |ui| {
                        for (asset, state) in self.manifest.assets.iter().zip(&self.states) {
                            ui.strong(&asset.id).on_hover_text(asset.command_line());
                            ui.label(&asset.title).on_hover_text(&asset.licence);
                            ui.label(&asset.used_by);
                            state_ui(ui, state);
                            ui.end_row();
                        }
                    });
            });
        self.window_open = open;
    }
}

fn state_ui(ui: &mut egui::Ui, state: &AssetState) {
    match state {
        AssetState::Unknown => {
            ui.weak("checking…");
        }
        AssetState::Missing => {
            ui.label("not fetched");
        }
        AssetState::Ready => {
            ui.label("verified");
        }
        AssetState::Fetching(p) => {
            ui.add(
                egui::ProgressBar::new(p.fraction)
                    .desired_width(140.0)
                    .text(p.stage.label()),
            );
        }
        AssetState::Failed(text) => {
            let short: String = text
                .lines()
                .next()
                .unwrap_or_default()
                .chars()
                .take(60)
                .collect();
            ui.colored_label(ui.visuals().error_fg_color, format!("failed: {short}"))
                .on_hover_text(text);
        }
    }
}
