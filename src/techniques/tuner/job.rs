//! The tuner's job: a study run trial after trial on its own thread — ask
//! the oracle, train the trial (each execution, every epoch reported, median
//! pruning and EarlyStopping), tell the result — with every step streamed to
//! the tab or the CLI. The journal on disk makes a stopped or crashed study
//! resumable by opening its folder again.

mod follow;
mod technique;
mod trial;

pub(crate) use follow::Observer;
pub(crate) use technique::train_again;
pub(crate) use trial::Bench;

use trial::{importance, run_trial};

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::tensor::Device;
use tuner::insight::{self, Slice};
use tuner::{Ask, OracleConfig, Outcome, Settings, Study, TrialState};

use super::studies::{StudyData, StudyKind};
use super::train::{EpochFigures, Run};
use crate::job::{JobBuilder, JobContext, JobError, JobHandle, Waker};

/// What a run does; [`TuneSettings::book`] is the source note's.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TuneSettings {
    pub kind: StudyKind,
    pub oracle: OracleConfig,
    pub max_trials: usize,
    /// Each trial trained this many times from different seeds; its objective is the mean.
    pub executions: usize,
    /// Epochs at most (Hyperband: its R).
    pub max_epochs: usize,
    /// EarlyStopping(val_loss) patience; 0 = none.
    pub patience: usize,
    /// Median pruning of trials behind the finished ones at the same epoch.
    pub prune: bool,
    /// Training digits (validation and test a fifth of it); None = all.
    pub limit: Option<usize>,
    pub seed: u64,
    pub batch: usize,
    /// The study's space as edited in the tab (None: the study's own).
    #[serde(default)]
    pub space: Option<tuner::Space>,
}

impl TuneSettings {
    /// The space searched: the tab's edit, or the study's own.
    pub fn space(&self) -> tuner::Space {
        self.space.clone().unwrap_or_else(|| self.kind.space())
    }

    /// The note: BayesianOptimization(max_trials=100, executions_per_trial=2),
    /// 100 epochs with EarlyStopping(val_loss, patience 5), batch 128.
    pub fn book() -> Self {
        Self {
            kind: StudyKind::Mnist,
            oracle: OracleConfig::bayesian(),
            max_trials: 100,
            executions: 2,
            max_epochs: 100,
            patience: 5,
            prune: false,
            limit: None,
            seed: 1,
            batch: 128,
            space: None,
        }
    }

    /// A few minutes on a CPU: 12 trials, one execution each, 5 000 digits, 20 epochs.
    pub fn quick() -> Self {
        Self {
            max_trials: 12,
            executions: 1,
            max_epochs: 20,
            limit: Some(5_000),
            ..Self::book()
        }
    }

    /// Each study's Quick (CPU) preset: `mnist` as [`Self::quick`]; `vae` 12
    /// trials of 5 epochs on 5 000 digits (about ten seconds each here), the
    /// loss on 1 000 test digits; `gan` 10 trials of 10 epochs of the Quick
    /// model on the 970 face emoji (about a minute and a half each), FID at
    /// epochs 5 and 10; `text` 12 trials of 3 epochs on 500 snippets.
    pub fn quick_for(kind: StudyKind) -> Self {
        let quick = Self::quick();
        match kind {
            StudyKind::Mnist => quick,
            StudyKind::Vae => Self {
                kind,
                max_epochs: 5,
                patience: 0,
                ..quick
            },
            StudyKind::Gan => Self {
                kind,
                max_trials: 10,
                max_epochs: 10,
                patience: 0,
                limit: None,
                ..quick
            },
            StudyKind::Text => Self {
                kind,
                max_epochs: 3,
                patience: 0,
                limit: Some(super::studies::TEXT_SNIPPETS),
                ..quick
            },
        }
    }
}

/// One trial as the table shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct TrialRow {
    pub id: usize,
    pub params: tuner::Params,
    pub state: TrialState,
    pub value: Option<f64>,
    pub executions: Vec<f64>,
    pub epochs: usize,
    pub seconds: f64,
    pub from: Option<usize>,
}

impl TrialRow {
    fn of(trial: &tuner::Trial) -> Self {
        Self {
            id: trial.id,
            params: trial.params.clone(),
            state: trial.state,
            value: trial.value,
            executions: trial.executions.clone(),
            epochs: trial
                .intermediate
                .iter()
                .map(|(e, _)| *e)
                .max()
                .unwrap_or(0),
            seconds: trial.seconds().unwrap_or(0.0),
            from: trial.from,
        }
    }
}

#[derive(Clone, Debug)]
pub enum TunerEvent {
    Loaded {
        train: usize,
        val: usize,
        notices: Vec<String>,
        trials: Vec<TrialRow>,
        curves: Vec<Vec<(usize, f64)>>,
    },
    /// A trial starts; `why` is the Bayesian oracle's look inside, when it chose.
    Proposed { row: TrialRow, why: Option<Why> },
    /// An epoch of a trial; `value` is the study's objective at it.
    Epoch {
        trial: usize,
        execution: usize,
        figures: EpochFigures,
        value: f64,
    },
    /// A trial is over; `importance` is each parameter's share of the
    /// surrogate's main-effect variance once 5 trials have completed.
    Ended {
        row: TrialRow,
        importance: Vec<(String, f64)>,
    },
    /// The search is over (or was stopped); the text is the results summary.
    Done { reason: String, summary: String },
}

/// Why the Bayesian oracle proposed what it did: one pass of the loop the
/// note draws (observe → update the surrogate → maximise the acquisition →
/// propose), each stage's figures.
#[derive(Clone, Debug)]
pub struct Why {
    pub acquisition: &'static str,
    /// Completed trials the surrogate was fitted to, and the best objective among them.
    pub observed: usize,
    pub best: Option<f64>,
    pub pending: usize,
    /// The fitted Matérn-5/2 length scale of each numeric parameter (in the
    /// unit cube: short = the objective changes quickly along it), and the
    /// noise variance as a share of the signal's.
    pub lengths: Vec<(String, f64)>,
    pub noise: f64,
    /// The acquisition's value at the proposal, and the proposal.
    pub acquisition_value: f64,
    pub proposed: tuner::Params,
    pub slices: Vec<Slice>,
    pub pairs: Vec<insight::Pair>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TunerCommand {
    /// Finish the running trial, then stop.
    Stop,
}

pub fn start(
    settings: TuneSettings,
    dir: Option<PathBuf>,
    device: Device,
    waker: Waker,
) -> std::io::Result<JobHandle<TunerEvent, TunerCommand>> {
    JobBuilder::new("tuner").waker(waker).spawn(
        move |ctx: &mut JobContext<TunerEvent, TunerCommand>| {
            run(ctx, &settings, dir.as_deref(), &device)
        },
    )
}

fn run(
    ctx: &mut JobContext<TunerEvent, TunerCommand>,
    settings: &TuneSettings,
    dir: Option<&Path>,
    device: &Device,
) -> Result<(), JobError> {
    let data = StudyData::load(settings.kind, settings.limit)?;
    let mut study = open_study(settings, dir)?;
    let (train, val) = data.sizes();
    ctx.send(TunerEvent::Loaded {
        train,
        val,
        notices: study.notices.clone(),
        trials: study.trials.iter().map(TrialRow::of).collect(),
        curves: study
            .trials
            .iter()
            .map(|t| t.intermediate.clone())
            .collect(),
    })?;
    // Hyperband promotions continue their parent's training.
    let mut runs: HashMap<usize, Run> = HashMap::new();
    let mut stop = false;
    // Trials a stopped or killed session left running go on first, each
    // from its last epoch's checkpoint.
    let mut left_running: Vec<usize> = study
        .trials
        .iter()
        .filter(|t| t.state == TrialState::Running)
        .map(|t| t.id)
        .rev()
        .collect();
    let reason = loop {
        stop |= ctx.commands().any(|c| c == TunerCommand::Stop);
        if stop {
            break "stopped".to_owned();
        }
        let next = match left_running.pop() {
            Some(id) => {
                let t = &study.trials[id];
                (id, t.params.clone(), t.seed, t.epochs, t.from)
            }
            None => match study.ask().map_err(anyhow::Error::from)? {
                Ask::Trial {
                    trial,
                    params,
                    seed,
                    epochs,
                    from,
                } => (trial, params, seed, epochs, from),
                Ask::Wait { .. } => break "waiting for trials no one is running".to_owned(),
                Ask::Done(reason) => break reason,
            },
        };
        let (trial, params, seed, epochs, from) = next;
        let why = study
            .last_step
            .take()
            .filter(|_| study.trials.len() == trial + 1)
            .map(|step| why_of(&study, &step));
        ctx.send(TunerEvent::Proposed {
            row: TrialRow::of(&study.trials[trial]),
            why,
        })?;
        let started = Instant::now();
        let bench = Bench {
            settings,
            data: &data,
            device,
            dir,
        };
        let outcome = match settings.kind {
            StudyKind::Mnist => run_trial(
                ctx,
                &bench,
                &mut study,
                &mut runs,
                (trial, &params, seed, epochs, from),
            ),
            StudyKind::Vae | StudyKind::Gan | StudyKind::Text => technique::run_technique_trial(
                ctx,
                &bench,
                &mut study,
                (trial, &params, seed, epochs, from),
            ),
        };
        let outcome = match outcome {
            Ok(outcome) => outcome,
            Err(JobError::Cancelled) => return Err(JobError::Cancelled),
            Err(JobError::Failed(error)) => Outcome::Failed(format!("{error:#}")),
        };
        study.tell(trial, outcome).map_err(anyhow::Error::from)?;
        let mut row = TrialRow::of(&study.trials[trial]);
        row.seconds = started.elapsed().as_secs_f64();
        let importance = importance(&study);
        ctx.send(TunerEvent::Ended { row, importance })?;
    };
    ctx.send(TunerEvent::Done {
        reason,
        summary: tuner::report::summary(&study, 4),
    })
}

/// The study in `dir` (resumed when there is one) or in memory. The run's
/// settings are kept beside the journal (`settings.json`), so `tune rerun`
/// trains a trial again on the same digits with the same epochs.
fn open_study(settings: &TuneSettings, dir: Option<&Path>) -> Result<Study, JobError> {
    let study_settings = Settings {
        space: settings.space(),
        oracle: settings.oracle.clone(),
        seed: settings.seed,
        max_trials: Some(settings.max_trials),
        prune: settings.prune,
    };
    let Some(dir) = dir else {
        return Ok(Study::in_memory(study_settings));
    };
    let study = Study::open_or_create(dir, study_settings).map_err(anyhow::Error::from)?;
    let path = dir.join(SETTINGS_FILE);
    std::fs::write(
        &path,
        serde_json::to_string_pretty(settings).map_err(anyhow::Error::from)?,
    )
    .map_err(|e| anyhow::anyhow!("could not write {}: {e}", path.display()))?;
    Ok(study)
}

/// The run's settings, beside the journal.
pub const SETTINGS_FILE: &str = "settings.json";

/// The settings a study in `dir` was last run with.
pub fn stored_settings(dir: &Path) -> anyhow::Result<TuneSettings> {
    let path = dir.join(SETTINGS_FILE);
    let text =
        std::fs::read_to_string(&path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    Ok(serde_json::from_str(&text)?)
}

/// The look inside one Bayesian step, against the completed trials.
fn why_of(study: &Study, step: &tuner::bayesian::Step) -> Why {
    let observed: Vec<(Vec<f64>, f64)> = study
        .trials
        .iter()
        .filter(|t| t.state == TrialState::Completed)
        .filter_map(|t| Some((study.settings.space.encode(&t.params), t.value?)))
        .collect();
    let space = &study.settings.space;
    let best = observed
        .iter()
        .map(|(_, v)| *v)
        .reduce(|a, b| if study.loss(b) < study.loss(a) { b } else { a });
    let hyper = step.gp.hyper();
    let pending = study
        .trials
        .iter()
        .filter(|t| t.state == TrialState::Running)
        .count()
        .saturating_sub(1);
    Why {
        acquisition: step.acquisition.name(),
        observed: observed.len(),
        best,
        pending,
        lengths: insight::axes(space)
            .into_iter()
            .filter_map(|a| Some((a.param, hyper.log_lengths.get(a.coordinate)?.exp())))
            .collect(),
        noise: (hyper.log_noise - hyper.log_signal).exp(),
        acquisition_value: step.acquisition_value,
        proposed: step.params.clone(),
        slices: insight::slices(space, step, &observed),
        pairs: insight::pairs(space, step, &observed),
    }
}
