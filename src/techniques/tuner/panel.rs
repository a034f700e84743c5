//! The Tuner tab: a study's settings, Start / Pause / Resume / Stop /
//! Cancel, and — live — the trials table, the objective per trial with the
//! best so far, every trial's curve, and inside the Bayesian oracle the
//! surrogate and acquisition along a parameter. egui only.

#![expect(
    clippy::cast_precision_loss,
    reason = "trial numbers and epochs as plot coordinates"
)]

mod charts;
mod oracle;
mod saved;
mod settings;
mod table;
mod views;

use std::path::PathBuf;

use tuner::TrialState;

use super::job::{self, TrialRow, TuneSettings, TunerCommand, TunerEvent, Why};
use crate::backend::ComputeDevice;
use crate::job::Waker;
use crate::ui::job_state::{JobState, Progress};

pub struct TunerPanel {
    device: ComputeDevice,
    waker: Waker,
    pub(crate) settings: TuneSettings,
    job: JobState<TunerEvent, TunerCommand>,
    /// The folder of the study now shown (a new one per Start).
    dir: Option<PathBuf>,
    trials: Vec<TrialRow>,
    /// val_accuracy per epoch of each trial (its first execution).
    curves: Vec<Vec<[f64; 2]>>,
    /// The oracle's reason for each Bayesian proposal, by trial.
    why: Vec<Option<Why>>,
    selected: Option<usize>,
    /// What the look inside the oracle shows, and its heat map's texture.
    oracle: oracle::OracleView,
    heat: oracle::HeatCache,
    /// The trials table's order.
    sort: table::Sort,
    summary: Option<String>,
    notice: Option<String>,
    running_epoch: usize,
    exported: Option<Result<PathBuf, String>>,
    importance: Vec<(String, f64)>,
    /// "Re-run trial N": the job, then its curve beside the journal's.
    rerun: Option<crate::job::JobHandle<super::rerun::Rerun, ()>>,
    rerun_result: Option<Result<super::rerun::Rerun, String>>,
}

impl TunerPanel {
    pub fn new(device: impl Into<ComputeDevice>, waker: Waker) -> Self {
        let device: ComputeDevice = device.into();
        // On a CPU the note's 100 trials × 2 executions take hours: open on Quick.
        let settings = if device.is_cpu() {
            TuneSettings::quick()
        } else {
            TuneSettings::book()
        };
        Self {
            device,
            waker,
            settings,
            job: JobState::Idle,
            dir: None,
            trials: Vec::new(),
            curves: Vec::new(),
            why: Vec::new(),
            selected: None,
            oracle: oracle::OracleView::default(),
            heat: None,
            sort: table::Sort::default(),
            summary: None,
            notice: None,
            running_epoch: 0,
            exported: None,
            importance: Vec::new(),
            rerun: None,
            rerun_result: None,
        }
    }

    /// Starts a new study in a fresh folder of the user cache.
    pub fn start_now(&mut self) {
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let dir = crate::assets::Cache::user()
            .root()
            .join("studies")
            .join(format!("{}-{stamp}", self.settings.kind.name()));
        self.open_study(dir);
    }

    /// Runs (or resumes) the study in `dir`.
    pub fn open_study(&mut self, dir: PathBuf) {
        (self.trials, self.curves, self.why) = (Vec::new(), Vec::new(), Vec::new());
        (self.selected, self.summary, self.notice, self.exported) = (None, None, None, None);
        self.importance.clear();
        match job::start(
            self.settings.clone(),
            Some(dir.clone()),
            self.device.clone().into(),
            self.waker.clone(),
        ) {
            Ok(handle) => self.job = JobState::started(handle),
            Err(error) => {
                self.job = JobState::Failed(format!("could not start the study: {error}"));
            }
        }
        self.dir = Some(dir);
    }

    /// Trains trial `id` again from its seed (the study's folder and settings).
    fn rerun_now(&mut self, id: usize) {
        let Some(dir) = self.dir.clone() else { return };
        self.rerun_result = None;
        match super::rerun::start(dir, id, self.device.clone().into(), self.waker.clone()) {
            Ok(handle) => self.rerun = Some(handle),
            Err(error) => {
                self.rerun_result = Some(Err(format!("could not start the re-run: {error}")));
            }
        }
    }

    fn poll_rerun(&mut self) {
        let Some(handle) = &mut self.rerun else {
            return;
        };
        for message in handle.poll(4) {
            match message {
                crate::job::JobMessage::Event(rerun) => self.rerun_result = Some(Ok(rerun)),
                crate::job::JobMessage::Failed(text) => self.rerun_result = Some(Err(text)),
                crate::job::JobMessage::Cancelled | crate::job::JobMessage::Finished => {}
            }
        }
        if handle.is_finished() {
            self.rerun = None;
        }
    }

    pub fn poll(&mut self) {
        self.poll_rerun();
        for event in self
            .job
            .poll(256, |text| format!("The study stopped: {text}"))
        {
            self.apply(event);
        }
        let progress = self.progress();
        if let Some(shown) = self.job.progress_mut() {
            *shown = progress;
        }
    }

    fn apply(&mut self, event: TunerEvent) {
        match event {
            TunerEvent::Loaded {
                train,
                val,
                notices,
                trials,
                curves,
            } => {
                let mut notice = self.settings.kind.data_text(train, val);
                for said in notices {
                    notice.push_str(" · ");
                    notice.push_str(&said);
                }
                self.notice = Some(notice);
                self.curves = curves
                    .iter()
                    .map(|c| c.iter().map(|&(e, v)| [e as f64, v]).collect())
                    .collect();
                self.why = vec![None; trials.len()];
                self.trials = trials;
            }
            TunerEvent::Proposed { row, why } => {
                let id = row.id;
                self.ensure(id);
                self.trials[id] = row;
                self.why[id] = why;
                self.running_epoch = 0;
            }
            TunerEvent::Epoch {
                trial,
                execution,
                figures,
                value,
            } => {
                self.ensure(trial);
                self.running_epoch = figures.epoch;
                if execution == 0 {
                    self.curves[trial].push([figures.epoch as f64, value]);
                }
            }
            TunerEvent::Ended { row, importance } => {
                if !importance.is_empty() {
                    self.importance = importance;
                }
                let id = row.id;
                self.ensure(id);
                self.trials[id] = row;
            }
            TunerEvent::Done { reason, summary } => {
                self.summary = Some(format!("Search done: {reason}\n\n{summary}"));
                self.job.finish();
            }
        }
    }

    fn ensure(&mut self, id: usize) {
        while self.trials.len() <= id {
            let pending = TrialRow {
                id: self.trials.len(),
                params: tuner::Params::new(),
                state: TrialState::Running,
                value: None,
                executions: Vec::new(),
                epochs: 0,
                seconds: 0.0,
                from: None,
            };
            self.trials.push(pending);
        }
        self.curves.resize(self.trials.len(), Vec::new());
        self.why.resize(self.trials.len(), None);
    }

    fn progress(&self) -> Progress {
        let done = self
            .trials
            .iter()
            .filter(|t| t.state != TrialState::Running)
            .count();
        let total = self.settings.max_trials.max(1);
        #[expect(clippy::cast_precision_loss, reason = "a progress fraction")]
        let fraction = (done as f32
            + self.running_epoch as f32 / self.settings.max_epochs.max(1) as f32)
            / total as f32;
        Progress {
            loading: self.trials.is_empty() && self.notice.is_none(),
            text: if self.notice.is_none() {
                "loading MNIST…".to_owned()
            } else {
                format!(
                    "trial {}/{total} · epoch {}",
                    (done + 1).min(total),
                    self.running_epoch
                )
            },
            fraction,
            rate: None,
        }
    }

    /// The best completed value so far after each trial.
    fn best_so_far(&self) -> Vec<[f64; 2]> {
        let mut best: Option<f64> = None;
        let maximise = self.settings.space().direction == tuner::Direction::Maximize;
        let mut line = Vec::new();
        for row in &self.trials {
            if row.state == TrialState::Completed
                && let Some(v) = row.value
            {
                best = Some(best.map_or(v, |b| if maximise { b.max(v) } else { b.min(v) }));
            }
            if let Some(b) = best {
                line.push([row.id as f64, b]);
            }
        }
        line
    }

    fn export_csv(&mut self) {
        let Some(dir) = &self.dir else { return };
        let path = dir.join("trials.csv");
        self.exported = Some(
            tuner::Study::open(dir)
                .map_err(|e| e.to_string())
                .and_then(|study| {
                    std::fs::write(&path, tuner::report::csv(&study))
                        .map_err(|e| format!("could not write {}: {e}", path.display()))
                })
                .map(|()| path),
        );
    }

    fn stop(&self) {
        self.job.command(TunerCommand::Stop);
    }

    /// True once a study started from the command line has ended.
    pub fn is_done(&self) -> bool {
        self.summary.is_some() || self.job.failure().is_some()
    }
}
