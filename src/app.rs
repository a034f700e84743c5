//! The studio window: one tab per technique (a list of [`Panel`]s), a status
//! bar with the compute backend and the assets, the optional runtime demo and
//! frame-time overlay, and the settings kept across restarts. The UI thread
//! only drains job channels (`poll`) and draws.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::assets::{Cache, Manifest};
use crate::backend::{BackendRequest, ComputeBackend};
use crate::cli::GuiOptions;
use crate::demo::{self, DemoView};
use crate::settings::{self, StudioSettings};
use crate::techniques::Technique;
use crate::ui::assets::AssetBoard;
use crate::ui::frame_stats::{FrameReport, FrameStats};
use crate::ui::panel::{Panel, reset_button_ui};

mod automation;
mod panels;
mod recovery;
mod status;
use panels::{automated, build_panels};
use recovery::{Choice, Recovery};

/// The name eframe keeps the settings (and the window's size) under.
pub const APP_ID: &str = "latent-studio";

/// Frames to draw before a `--screenshot` is taken, so the layout has settled.
const SCREENSHOT_AFTER_FRAMES: u64 = 30;
/// Under a software renderer, the shortest time between two redraws that
/// job events ask for (input still redraws at once). Measured on 2 cores
/// under Xvfb: the Quick GAN trained ≈ 20× slower with a redraw per event.
const SOFTWARE_RENDERER_REDRAW: std::time::Duration = std::time::Duration::from_millis(500);

/// Opens the window and runs until it is closed.
pub fn run(request: BackendRequest, options: GuiOptions) -> anyhow::Result<()> {
    crate::priority::init_compute_pool();
    let backend = crate::backend::detect(request);
    let report_stats = options.frame_stats;
    let summary: Arc<Mutex<FrameReport>> = Arc::default();
    let summary_out = Arc::clone(&summary);
    let native = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_app_id(APP_ID)
            .with_title("latent-studio")
            .with_inner_size([1280.0, 800.0])
            .with_min_inner_size([720.0, 480.0]),
        ..Default::default()
    };

    eframe::run_native(
        APP_ID,
        native,
        Box::new(move |cc| {
            let mut options = options;
            options.software_renderer = cc
                .wgpu_render_state
                .as_ref()
                .is_some_and(|state| state.adapter.get_info().device_type == wgpu::DeviceType::Cpu);
            Ok(Box::new(StudioApp::new(
                &cc.egui_ctx,
                cc.storage,
                settings::eframe_file().as_deref(),
                backend,
                options,
                summary_out,
            )))
        }),
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    if report_stats {
        summary
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .print();
    }
    Ok(())
}

/// A screenshot request in flight.
enum Screenshot {
    Pending(PathBuf),
    Requested,
}

/// The application state.
pub struct StudioApp {
    backend: ComputeBackend,
    /// The shortest time between redraws job news asks for: zero, or
    /// [`SOFTWARE_RENDERER_REDRAW`] when a software rasteriser draws the window.
    redraw_every: std::time::Duration,
    tab: Technique,
    /// One per technique, in tab order.
    panels: Vec<Box<dyn Panel>>,
    /// Kept across restarts (the panels' parts are gathered when saving).
    settings: StudioSettings,
    /// Said once when the saved settings could not be used.
    settings_notice: Option<String>,
    assets: AssetBoard,
    demo: Option<DemoView>,
    stats: FrameStats,
    /// The frames drawn while a panel was writing an export.
    export_stats: FrameStats,
    show_stats: bool,
    started: Instant,
    exit_after_secs: Option<f32>,
    screenshot: Option<Screenshot>,
    summary_out: Arc<Mutex<FrameReport>>,
    backend_notice_open: bool,
    last_frame: Option<Instant>,
    /// How many tabs' jobs were computing at the last frame.
    busy_tabs: usize,
    continuous: bool,
    /// Interrupted training runs offered for resuming.
    recovery: Recovery,
}

impl StudioApp {
    /// Builds the app from the saved settings in `storage` (if any; eframe
    /// keeps them in `settings_file`); starts the asset
    /// check, the demo and the runs the command line asked for.
    pub fn new(
        ctx: &egui::Context,
        storage: Option<&dyn eframe::Storage>,
        settings_file: Option<&std::path::Path>,
        backend: ComputeBackend,
        options: GuiOptions,
        summary_out: Arc<Mutex<FrameReport>>,
    ) -> Self {
        // A software renderer draws on the cores compute runs on: there,
        // news from jobs redraws at most a few times a second.
        let redraw_every = if options.software_renderer {
            SOFTWARE_RENDERER_REDRAW
        } else {
            std::time::Duration::ZERO
        };
        let waker = crate::ui::repaint_waker(ctx, redraw_every);
        let demo = options
            .demo
            .then(|| {
                demo::start(backend.device(), Arc::clone(&waker))
                    .ok()
                    .map(DemoView::new)
            })
            .flatten();
        let (settings, mut settings_notice) = settings::load(storage, settings_file).into_parts();
        let mut panels = build_panels(&backend, &waker, &options);
        for panel in &mut panels {
            // A run started from the command line starts from the book's settings.
            if automated(panel.technique(), &options) {
                continue;
            }
            let name = format!("{:?}", panel.technique());
            if let Some(saved) = settings.panels.get(&name)
                && let Err(err) = panel.restore(saved.clone())
            {
                settings_notice = Some(format!(
                    "The saved {} settings did not fit this version and were reset ({err}).",
                    panel.technique().title()
                ));
            }
        }
        let mut app = Self {
            backend_notice_open: backend.fell_back,
            backend,
            tab: options.tab.unwrap_or(settings.tab),
            panels,
            settings,
            settings_notice,
            assets: AssetBoard::new(Cache::user(), Manifest::bundled(), waker),
            demo,
            stats: FrameStats::default(),
            export_stats: FrameStats::default(),
            show_stats: options.frame_stats,
            started: Instant::now(),
            exit_after_secs: options.exit_after,
            screenshot: None,
            summary_out,
            last_frame: None,
            busy_tabs: 0,
            continuous: options.continuous,
            redraw_every,
            recovery: Recovery::default(),
        };
        if let Some(minutes) = app.settings.autosave_minutes {
            crate::job::autosave::set_minutes(minutes);
        }
        // Only where autosave is on (the studio's own start; not tests).
        if let Some(root) = crate::job::autosave::root() {
            app.recovery.runs = crate::job::autosave::interrupted_in(&root);
        }
        app.assets.window_open = options.assets_window;
        app.screenshot = options.screenshot.map(Screenshot::Pending);
        app
    }

    fn index(&self, technique: Technique) -> usize {
        self.panels
            .iter()
            .position(|p| p.technique() == technique)
            .unwrap_or(0)
    }

    /// The tabs, and the open tab's "Reset to Book" at the right (applied
    /// after the layout).
    fn tabs_ui(&mut self, ui: &mut egui::Ui) {
        let reset = ui
            .horizontal(|ui| {
                ui.heading("latent-studio");
                ui.separator();
                for technique in Technique::ALL {
                    ui.selectable_value(&mut self.tab, technique, technique.title());
                }
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    reset_button_ui(ui)
                })
                .inner
            })
            .inner;
        if reset {
            let index = self.index(self.tab);
            self.panels[index].reset_to_book();
        }
    }

    fn recovery_ui(&mut self, ctx: &egui::Context) {
        match self.recovery.window_ui(ctx) {
            Some(Choice::Resume(technique, run)) => {
                let index = self.index(technique);
                match self.panels[index].resume(&run) {
                    Ok(()) => self.tab = technique,
                    Err(reason) => {
                        self.recovery.error = Some(reason);
                        self.recovery.runs.push(run);
                    }
                }
            }
            Some(Choice::Discard(run)) => run.discard(),
            None => {}
        }
    }

    fn technique_ui(&mut self, ui: &mut egui::Ui) {
        let index = self.index(self.tab);
        self.panels[index].ui(ui);
    }

    fn settings_notice_ui(&mut self, ctx: &egui::Context) {
        let Some(notice) = &self.settings_notice else {
            return;
        };
        let mut open = true;
        egui::Window::new("Settings")
            .open(&mut open)
            .collapsible(false)
            .default_pos([420.0, 200.0])
            .show(ctx, |ui| ui.label(notice));
        if !open {
            self.settings_notice = None;
        }
    }

    /// The record [`eframe::App::save`] writes: the open tab, every panel's
    /// settings, and the files the panels work on put first among the recent.
    pub fn settings(&self) -> StudioSettings {
        let mut settings = self.settings.clone();
        settings.tab = self.tab;
        for panel in &self.panels {
            settings
                .panels
                .insert(format!("{:?}", panel.technique()), panel.save());
            for file in panel.files() {
                settings.remember(file);
            }
        }
        settings
    }

    /// The notice shown because the saved settings were reset, if any.
    pub fn settings_notice(&self) -> Option<&str> {
        self.settings_notice.as_deref()
    }

    /// The open tab.
    pub fn tab(&self) -> Technique {
        self.tab
    }

    fn backend_notice_ui(&mut self, ctx: &egui::Context) {
        let mut open = self.backend_notice_open;
        egui::Window::new("Compute runs on the CPU")
            .open(&mut open)
            .collapsible(false)
            .default_pos([420.0, 300.0])
            .show(ctx, |ui| {
                ui.label(&self.backend.reason);
                ui.label("Everything works; long jobs are slower. Start with --backend cpu to skip this check.");
            });
        self.backend_notice_open = open;
    }
}

impl eframe::App for StudioApp {
    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        let exporting = self.panels.iter().any(|p| p.exporting());
        if let Some(cpu_secs) = frame.info().cpu_usage {
            self.stats.record(cpu_secs * 1000.0);
            if exporting {
                self.export_stats.record(cpu_secs * 1000.0);
            }
        }
        // Measuring: keep drawing while an export runs, as if the person moved the mouse.
        if exporting && self.show_stats {
            ui.ctx().request_repaint();
        }
        let now = Instant::now();
        // While the demo streams (or --continuous), every frame is one the user waits for.
        if let (Some(last), true) = (self.last_frame, self.demo.is_some() || self.continuous) {
            self.stats
                .record_interval((now - last).as_secs_f32() * 1000.0);
        }
        self.last_frame = Some(now);
        let ctx = ui.ctx().clone();
        self.assets.poll();
        if let Some(demo) = &mut self.demo {
            demo.poll(&ctx);
        }
        for panel in &mut self.panels {
            panel.poll(&ctx);
        }
        // A run just ended: what this thread freed with it (its last images,
        // the events drained) goes back now, not after the purge delay.
        let busy = self.panels.iter().filter(|p| p.busy()).count();
        if std::mem::replace(&mut self.busy_tabs, busy) > 0 && busy == 0 {
            crate::job::memory::give_back();
        }
        egui::Panel::top("tabs").show(ui, |ui| self.tabs_ui(ui));
        egui::Panel::bottom("status").show(ui, |ui| self.status_ui(ui));
        egui::CentralPanel::default().show(ui, |ui| self.technique_ui(ui));
        if self.assets.window_open {
            self.assets.window_ui(&ctx);
        }
        if let Some(demo) = &self.demo {
            demo.window_ui(&ctx);
        }
        self.backend_notice_ui(&ctx);
        self.settings_notice_ui(&ctx);
        self.recovery_ui(&ctx);
        self.automation(&ctx);
        if self.continuous {
            ctx.request_repaint();
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        self.settings = self.settings();
        settings::store(storage, &self.settings);
    }

    fn on_exit(&mut self) {
        if let Ok(mut out) = self.summary_out.lock() {
            *out = FrameReport {
                cpu: self.stats.summary(),
                interval: self.stats.interval_summary(),
                exporting: self.export_stats.summary(),
            };
        }
    }
}
