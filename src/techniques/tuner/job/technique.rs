//! One trial of the `vae`, `gan` or `text` study: the technique's own job
//! trains its model with the trial's parameters (no second training loop),
//! followed epoch by epoch (see [`follow`]). `vae` and `text` count the best
//! held-out loss, `gan` the FID after the trial's epochs. With a study
//! folder each execution saves itself at every epoch end into its trial
//! folder (the technique's own checkpoint, beside the values measured so
//! far), so a study stopped or killed mid-trial resumes it from its last
//! epoch.

use std::path::{Path, PathBuf};

use tuner::{Direction, Outcome, Study};

use super::super::store;
use super::follow::{Followed, Following, Observer, Seen, TrialObserver, follow};
use super::trial::Bench;
use super::{TunerCommand, TunerEvent};
use crate::job::{JobContext, JobError, no_waker};
use crate::techniques::tuner::studies::{StudyData, StudyKind, count, number, vae_params};

/// Epochs between two FID measurements of a `gan` trial (and its last epoch).
pub const GAN_FID_EVERY: usize = 5;
/// Share of the corpus a `text` trial holds out.
pub const TEXT_HELD_OUT: f64 = 0.1;

pub(super) fn run_technique_trial(
    ctx: &mut JobContext<TunerEvent, TunerCommand>,
    bench: &Bench<'_>,
    study: &mut Study,
    (trial, params, seed, epochs, from): (usize, &tuner::Params, u64, Option<usize>, Option<usize>),
) -> Result<Outcome, JobError> {
    let settings = bench.settings;
    let epochs = epochs.unwrap_or(settings.max_epochs);
    let direction = study.settings.space.direction;
    let mut values = Vec::with_capacity(settings.executions);
    for execution in 0..settings.executions.max(1) {
        let folder = bench.dir.map(|d| store::trial_dir(d, trial, execution));
        // A Hyperband promotion continues its parent's training (with a
        // study folder; in memory it starts again).
        if let (Some(dir), Some(own), Some(parent), 0) = (bench.dir, &folder, from, execution)
            && !own.exists()
        {
            copy_folder(&store::trial_dir(dir, parent, 0), own)?;
        }
        let resume = folder.as_deref().and_then(Resume::of);
        let following = Following {
            direction,
            patience: settings.patience,
            earlier: resume
                .as_ref()
                .map(|r| r.values.clone())
                .unwrap_or_default(),
            values_file: folder.as_deref().map(values_file),
        };
        let run = Run {
            params,
            seed: seed + execution as u64,
            epochs,
            folder,
            resume,
        };
        let mut observer = TrialObserver {
            ctx: &mut *ctx,
            study: &mut *study,
            trial,
            execution,
        };
        let followed = train(&mut observer, settings.kind, bench, following, run)?;
        if let Some(epoch) = followed.pruned {
            return Ok(Outcome::Pruned { epoch });
        }
        values.push(objective(settings.kind, &followed, direction));
    }
    Ok(if values.len() == 1 {
        Outcome::Value(values[0])
    } else {
        Outcome::Executions(values)
    })
}

/// An execution's objective: the FID after its epochs (`gan`), the best
/// held-out loss (`vae`, `text`).
pub(crate) fn objective(kind: StudyKind, followed: &Followed, direction: Direction) -> f64 {
    match kind {
        StudyKind::Gan => followed.last(),
        _ => followed.best(direction),
    }
}

/// Trains one execution with the study's technique, followed by `observer`.
fn train(
    observer: &mut dyn Observer,
    kind: StudyKind,
    bench: &Bench<'_>,
    following: Following,
    run: Run<'_>,
) -> Result<Followed, JobError> {
    match kind {
        StudyKind::Vae => follow_vae(observer, bench, following, run),
        StudyKind::Gan => follow_gan(observer, bench, following, run),
        StudyKind::Text => follow_text(observer, bench, following, run),
        StudyKind::Mnist => Err(anyhow::anyhow!("the mnist study trains its own model").into()),
    }
}

/// Trains `params` again from `seed` for `epochs`, in memory, as a trial of
/// the study did (a re-run), each epoch told to `observer`.
pub(crate) fn train_again(
    observer: &mut dyn Observer,
    bench: &Bench<'_>,
    direction: Direction,
    (params, seed, epochs): (&tuner::Params, u64, usize),
) -> Result<Followed, JobError> {
    let following = Following {
        direction,
        patience: bench.settings.patience,
        earlier: Vec::new(),
        values_file: None,
    };
    let run = Run {
        params,
        seed,
        epochs,
        folder: None,
        resume: None,
    };
    train(observer, bench.settings.kind, bench, following, run)
}

/// One execution to train: from its seed, or from where it stopped.
struct Run<'a> {
    params: &'a tuner::Params,
    seed: u64,
    epochs: usize,
    /// Its own folder, where it saves itself (with a study folder).
    folder: Option<PathBuf>,
    resume: Option<Resume>,
}

/// Where a stopped or killed execution left its training.
struct Resume {
    model: PathBuf,
    epochs_done: usize,
    /// The values it measured up to then.
    values: Vec<(usize, f64)>,
}

impl Resume {
    fn of(folder: &Path) -> Option<Self> {
        use crate::job::autosave;
        let record = autosave::read_record(folder)?;
        let model = autosave::model_dir_in(folder);
        let mut values: Vec<(usize, f64)> = std::fs::read_to_string(values_file(folder))
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default();
        values.retain(|&(epoch, _)| epoch <= record.epochs_done);
        model.is_dir().then_some(Self {
            model,
            epochs_done: record.epochs_done,
            values,
        })
    }
}

/// Copies a trial's folder (its checkpoint and values) for a promotion;
/// nothing when the parent left none.
fn copy_folder(from: &Path, to: &Path) -> Result<(), JobError> {
    if !from.is_dir() {
        return Ok(());
    }
    let failed = |e: std::io::Error| anyhow::anyhow!("{} → {}: {e}", from.display(), to.display());
    for file in crate::files::walk(from, |_| true).map_err(failed)? {
        let Ok(relative) = file.strip_prefix(from) else {
            continue;
        };
        let target = to.join(relative);
        if let Some(folder) = target.parent() {
            std::fs::create_dir_all(folder).map_err(failed)?;
        }
        std::fs::copy(&file, &target).map_err(failed)?;
    }
    Ok(())
}

/// The values an execution measured, beside its checkpoint.
fn values_file(folder: &Path) -> PathBuf {
    folder.join("values.json")
}

/// The book's VAE with the trial's learning rate and batch size, the test
/// digits held out.
fn follow_vae(
    observer: &mut dyn Observer,
    bench: &Bench<'_>,
    following: Following,
    run: Run<'_>,
) -> Result<Followed, JobError> {
    use crate::techniques::vae::job::{self as vae, DataSource, VaeCommand, VaeEvent, VaeStart};
    use crate::techniques::vae::model::VaeSettings;
    let (learning_rate, batch_size) = vae_params(run.params)?;
    let digits = bench.data.digits()?;
    let data = DataSource::Split {
        train: digits.train.clone(),
        validation: digits.test.clone(),
        folder: run.folder,
    };
    let start = match run.resume {
        Some(resume) => VaeStart::Resume {
            model: resume.model,
            data,
            epochs: Some(run.epochs),
        },
        None => VaeStart::Train {
            config: VaeSettings {
                learning_rate,
                batch_size,
                epochs: run.epochs,
                seed: run.seed,
                ..VaeSettings::new()
            },
            data,
        },
    };
    let handle =
        vae::start(start, bench.device.clone(), no_waker()).map_err(anyhow::Error::from)?;
    follow(
        observer,
        following,
        handle,
        &VaeCommand::StopTraining,
        |event| match event {
            VaeEvent::EpochDone { mean, .. } => Seen::TrainLoss(f64::from(mean.total)),
            VaeEvent::Validation { epoch, loss } => Seen::Value {
                epoch,
                value: f64::from(loss.total),
            },
            VaeEvent::TrainingDone => Seen::Done,
            _ => Seen::Other,
        },
    )
}

/// The Quick (CPU) DCGAN with the trial's learning rates, dropout and label
/// noise; FID every [`GAN_FID_EVERY`] epochs.
fn follow_gan(
    observer: &mut dyn Observer,
    bench: &Bench<'_>,
    following: Following,
    run: Run<'_>,
) -> Result<Followed, JobError> {
    use crate::techniques::gan::data::ImageSource;
    use crate::techniques::gan::job::{self as gan, GanCommand, GanEvent, GanSettings, GanStart};
    use crate::techniques::gan::model::GanConfig;
    let StudyData::Faces(faces) = bench.data else {
        return Err(anyhow::anyhow!("the gan study trains on images").into());
    };
    let params = run.params;
    let config = GanConfig {
        dropout: number(params, "dropout")?,
        ..GanConfig::quick()
    };
    #[expect(clippy::cast_possible_truncation, reason = "a label noise of 0…1")]
    let label_noise = number(params, "label_noise")? as f32;
    let settings = GanSettings {
        epochs: run.epochs,
        d_learning_rate: number(params, "d_learning_rate")?,
        g_learning_rate: number(params, "g_learning_rate")?,
        label_noise,
        seed: run.seed,
        fid_every: GAN_FID_EVERY,
        ..GanSettings::quick()
    };
    // Images in memory: the trial is never autosaved over the GAN tab's run.
    let data = match run.folder {
        Some(folder) => ImageSource::Trial {
            images: faces.clone(),
            folder,
        },
        None => ImageSource::Images(faces.clone()),
    };
    let start = match run.resume {
        Some(resume) => GanStart::Resume {
            checkpoint: resume.model,
            data,
            more_epochs: run.epochs.saturating_sub(resume.epochs_done),
        },
        None => GanStart::Train {
            config,
            settings,
            data,
        },
    };
    let handle =
        gan::start(start, bench.device.clone(), no_waker()).map_err(anyhow::Error::from)?;
    follow(
        observer,
        following,
        handle,
        &GanCommand::StopTraining,
        |event| match event {
            GanEvent::EpochDone { d_loss, .. } => Seen::TrainLoss(f64::from(d_loss)),
            GanEvent::Fid { epoch, fid, .. } => Seen::Value {
                epoch,
                value: f64::from(fid),
            },
            GanEvent::TrainingDone => Seen::Done,
            _ => Seen::Other,
        },
    )
}

/// The book's char LSTM with the trial's learning rate, units and window
/// length, the corpus' last [`TEXT_HELD_OUT`] held out; no epoch samples.
fn follow_text(
    observer: &mut dyn Observer,
    bench: &Bench<'_>,
    following: Following,
    run: Run<'_>,
) -> Result<Followed, JobError> {
    use crate::techniques::text::corpus::CorpusSource;
    use crate::techniques::text::job::{
        self as text, ModelKind, TextCommand, TextEvent, TextSettings, TextStart,
    };
    let StudyData::Snippets(documents) = bench.data else {
        return Err(anyhow::anyhow!("the text study trains on text").into());
    };
    let params = run.params;
    let config = TextSettings {
        learning_rate: number(params, "learning_rate")?,
        lstm_hidden: count(params, "lstm_units")?,
        lstm_length: count(params, "sequence_length")?,
        epochs: run.epochs,
        seed: run.seed,
        temperatures: Vec::new(),
        validation: TEXT_HELD_OUT,
        ..TextSettings::book(ModelKind::Lstm)
    };
    // Documents in memory: the trial is never autosaved over the text tab's run.
    let corpus = match run.folder {
        Some(folder) => CorpusSource::Trial {
            documents: documents.clone(),
            folder,
        },
        None => CorpusSource::Documents(documents.clone()),
    };
    let start = match run.resume {
        Some(resume) => TextStart::Resume {
            model: resume.model,
            corpus,
            epochs: Some(run.epochs),
        },
        None => TextStart::Train { config, corpus },
    };
    let handle =
        text::start(start, bench.device.clone(), no_waker()).map_err(anyhow::Error::from)?;
    follow(
        observer,
        following,
        handle,
        &TextCommand::StopTraining,
        |event| match event {
            TextEvent::EpochDone { loss, .. } => Seen::TrainLoss(f64::from(loss)),
            TextEvent::Validation { epoch, loss } => Seen::Value {
                epoch,
                value: f64::from(loss),
            },
            TextEvent::TrainingDone => Seen::Done,
            _ => Seen::Other,
        },
    )
}
