//! `latent-studio tune …`: ask/tell, so anything a user can score can be
//! tuned — `tune ask` prints one proposal as a JSON line, the user evaluates
//! it, `tune tell` records the value — and the study's summary and CSV.

mod show;

use show::{finish, rerun, run_study};

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use burn::tensor::Device;
use clap::Subcommand;
use tuner::{Ask, OracleConfig, Outcome, Settings, Study};

use super::job::TuneSettings;
use super::studies::StudyKind;

#[derive(Subcommand, Debug)]
pub enum TuneCommandLine {
    /// Print the next configuration to evaluate as one JSON line
    /// `{"trial": N, "params": {...}}`. The first ask creates the study from
    /// the space file; later asks continue it (exit status 3 when the search
    /// is over, 4 when it waits for running trials to be told).
    Ask {
        /// The study's folder (its journal and checkpoints).
        #[arg(long)]
        dir: PathBuf,
        /// The space as TOML (needed by the first ask; later ones check it is the same).
        #[arg(long)]
        space: Option<PathBuf>,
        /// random, grid, bayesian (EI), bayesian-ucb, bayesian-pi or hyperband.
        #[arg(long, default_value = "bayesian")]
        oracle: String,
        /// With hyperband: the most epochs a trial trains.
        #[arg(long, default_value_t = 81)]
        max_epochs: usize,
        /// The study's seed: every proposal follows from it and the trial number.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// End the search after this many trials.
        #[arg(long)]
        max_trials: Option<usize>,
    },
    /// Record a trial's objective.
    Tell {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long)]
        trial: usize,
        /// The objective (NaN or infinite marks the trial failed).
        #[arg(long, allow_hyphen_values = true, required_unless_present = "failed")]
        value: Option<f64>,
        /// The evaluation failed (with this reason).
        #[arg(long, num_args = 0..=1, default_missing_value = "failed evaluation")]
        failed: Option<String>,
    },
    /// Run a study of one of the studio's models (one line per trial, then
    /// the results summary). With --dir the study is kept there and resumed
    /// by the next run.
    Run(RunArgs),
    /// The note's finish for a study's best configurations: best epoch
    /// (patience 10), retrain on all training digits for int(best · 1.2)
    /// epochs, test accuracy, models saved under DIR/finish.
    Finish {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long, default_value_t = 4)]
        top: usize,
        /// Training digits (validation and test a fifth of it), as the run used.
        #[arg(long)]
        limit: Option<usize>,
        #[arg(long, default_value_t = 100)]
        max_epochs: usize,
    },
    /// Train trial N again from its recorded seed and set its curve beside
    /// the journal's (exit status 1 when they differ).
    Rerun {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long)]
        trial: usize,
    },
    /// The best trials, like KerasTuner's results_summary.
    Best {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long, default_value_t = 4)]
        top: usize,
    },
    /// Every trial as CSV (to stdout, or to --out).
    Export {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    #[arg(long, value_enum, default_value = "mnist")]
    pub study: StudyKind,
    /// book (the note: Bayesian, 100 trials, 2 executions, 100 epochs,
    /// patience 5, all digits) or quick (one execution; mnist 12 trials of
    /// 20 epochs on 5 000 digits, vae 12 of 5, gan 10 of 10 on the 970 face
    /// emoji, text 12 of 3 on 500 snippets); the flags below override it.
    #[arg(long, default_value = "quick")]
    pub preset: String,
    /// random, grid, bayesian (EI), bayesian-ucb, bayesian-pi or hyperband.
    #[arg(long)]
    pub oracle: Option<String>,
    #[arg(long)]
    pub max_trials: Option<usize>,
    #[arg(long)]
    pub executions: Option<usize>,
    #[arg(long)]
    pub max_epochs: Option<usize>,
    /// EarlyStopping patience on val_loss (0 = none).
    #[arg(long)]
    pub patience: Option<usize>,
    /// Median pruning.
    #[arg(long)]
    pub prune: bool,
    /// Training digits (validation a fifth of it), face emoji (gan) or
    /// review snippets (text); 0 = all.
    #[arg(long)]
    pub limit: Option<usize>,
    #[arg(long)]
    pub seed: Option<u64>,
    /// Keep the study in this folder (resumed when it holds one).
    #[arg(long)]
    pub dir: Option<PathBuf>,
}

impl RunArgs {
    pub fn settings(&self) -> anyhow::Result<TuneSettings> {
        let preset = match self.preset.as_str() {
            "book" => TuneSettings::book(),
            "quick" => TuneSettings::quick_for(self.study),
            other => bail!("unknown preset \"{other}\": book or quick"),
        };
        let max_epochs = self.max_epochs.unwrap_or(preset.max_epochs);
        let oracle = match &self.oracle {
            Some(name) => OracleConfig::parse(name, max_epochs)
                .with_context(|| format!("unknown oracle \"{name}\": random, grid, bayesian, bayesian-ucb, bayesian-pi or hyperband"))?,
            None => preset.oracle.clone(),
        };
        Ok(TuneSettings {
            kind: self.study,
            oracle,
            max_trials: self.max_trials.unwrap_or(preset.max_trials),
            executions: self.executions.unwrap_or(preset.executions).max(1),
            max_epochs,
            patience: self.patience.unwrap_or(preset.patience),
            prune: self.prune,
            limit: match self.limit {
                Some(0) => None,
                Some(n) => Some(n),
                None => preset.limit,
            },
            seed: self.seed.unwrap_or(preset.seed),
            ..preset
        })
    }
}

/// Exit status of `tune ask` when the search is over.
pub const EXIT_DONE: u8 = 3;
/// Exit status of `tune ask` while every trial that can start has.
pub const EXIT_WAIT: u8 = 4;

pub fn run(command: &TuneCommandLine, device: impl FnOnce() -> Device) -> anyhow::Result<u8> {
    match command {
        TuneCommandLine::Run(args) => {
            run_study(args.settings()?, args.dir.clone(), device())?;
            Ok(0)
        }
        TuneCommandLine::Rerun { dir, trial } => rerun(dir, *trial, device()),
        TuneCommandLine::Finish {
            dir,
            top,
            limit,
            max_epochs,
        } => {
            let settings = TuneSettings {
                limit: *limit,
                max_epochs: *max_epochs,
                ..TuneSettings::book()
            };
            finish(dir, *top, &settings, device())?;
            Ok(0)
        }
        TuneCommandLine::Ask {
            dir,
            space,
            oracle,
            max_epochs,
            seed,
            max_trials,
        } => {
            let study = open_for_ask(
                dir,
                space.as_deref(),
                oracle,
                *max_epochs,
                *seed,
                *max_trials,
            )?;
            ask(study)
        }
        TuneCommandLine::Tell {
            dir,
            trial,
            value,
            failed,
        } => {
            let mut study = open_existing(dir)?;
            let outcome = match (failed, value) {
                (Some(reason), _) => Outcome::Failed(reason.clone()),
                (None, Some(value)) => Outcome::Value(*value),
                (None, None) => bail!("tell needs --value V or --failed"),
            };
            study.tell(*trial, outcome)?;
            let told = &study.trials[*trial];
            eprintln!("trial {trial}: {}", told.state.name());
            Ok(0)
        }
        TuneCommandLine::Best { dir, top } => {
            print!("{}", tuner::report::summary(&open_existing(dir)?, *top));
            Ok(0)
        }
        TuneCommandLine::Export { dir, out } => {
            let csv = tuner::report::csv(&open_existing(dir)?);
            match out {
                Some(path) => std::fs::write(path, csv)
                    .with_context(|| format!("could not write {}", path.display()))?,
                None => print!("{csv}"),
            }
            Ok(0)
        }
    }
}

/// `tune ask`: the proposal as one JSON line, or why there is none.
fn ask(mut study: Study) -> anyhow::Result<u8> {
    for notice in &study.notices {
        eprintln!("notice: {notice}");
    }
    match study.ask()? {
        Ask::Trial {
            trial,
            params,
            seed,
            epochs,
            from,
        } => {
            let mut line = serde_json::json!({ "trial": trial, "params": params, "seed": seed });
            if let Some(epochs) = epochs {
                line["epochs"] = epochs.into();
            }
            if let Some(from) = from {
                line["from"] = from.into();
            }
            println!("{line}");
            Ok(0)
        }
        Ask::Wait { running } => {
            eprintln!("waiting: {running} running trial(s) must be told before the next rung");
            Ok(EXIT_WAIT)
        }
        Ask::Done(reason) => {
            eprintln!("done: {reason}");
            Ok(EXIT_DONE)
        }
    }
}

fn open_existing(dir: &Path) -> anyhow::Result<Study> {
    if !tuner::journal::Journal::path_in(dir).exists() {
        bail!(
            "{} holds no study (no {}); `tune ask --space FILE` starts one",
            dir.display(),
            tuner::journal::FILE
        );
    }
    Ok(Study::open(dir)?)
}

fn open_for_ask(
    dir: &Path,
    space: Option<&Path>,
    oracle: &str,
    max_epochs: usize,
    seed: u64,
    max_trials: Option<usize>,
) -> anyhow::Result<Study> {
    let Some(space_path) = space else {
        return open_existing(dir);
    };
    let text = std::fs::read_to_string(space_path)
        .with_context(|| format!("could not read {}", space_path.display()))?;
    let space =
        tuner::parse_space(&text).map_err(|e| anyhow::anyhow!("{}: {e}", space_path.display()))?;
    let oracle = OracleConfig::parse(oracle, max_epochs).with_context(|| {
        format!("unknown oracle \"{oracle}\": random, grid, bayesian, bayesian-ucb, bayesian-pi or hyperband")
    })?;
    let settings = Settings {
        space,
        oracle: oracle.clone(),
        seed,
        max_trials,
        prune: false,
    };
    let study = Study::open_or_create(dir, settings)?;
    if study.settings.oracle != oracle && !study.trials.is_empty() {
        eprintln!(
            "notice: this study's oracle is {}; it continues with it",
            study.settings.oracle.name()
        );
    }
    Ok(study)
}
