//! The text tab: corpus and model choice, training progress and loss, the
//! book's per-temperature samples kept per epoch, a prompt box that streams
//! generated tokens, and the next-token bars before and after reweighting.
//! egui only: the model lives in the job.

use std::path::PathBuf;

mod controls;
use controls::PanelAction;
mod saved;
mod views;

use super::corpus::{CorpusSource, CorpusStats};
use super::job::{
    self, BatchLoss, Candidate, ModelKind, Sample, Sampling, TextCommand, TextEvent, TextSettings,
    TextStart,
};
use crate::backend::ComputeDevice;
use crate::job::Waker;
use crate::job::autosave::Interrupted;
use crate::ui::Notice;
use crate::ui::dialog::Dialogs;
use crate::ui::job_state::{JobState, Progress, fraction};

/// The samples the book's callback printed after one epoch.
struct EpochSamples {
    epoch: usize,
    loss: f32,
    samples: Vec<Sample>,
}

/// The interactive box: prompt, sampling and the streamed text.
struct Playground {
    prompt: String,
    sampling: Sampling,
    length: usize,
    seed: u64,
    output: String,
    generating: Option<u64>,
    repetition: Option<f32>,
    rate: Option<f32>,
    refusal: Option<String>,
    /// Next-token candidates, and what they were asked for.
    candidates: Vec<Candidate>,
    asked: Option<(String, Sampling)>,
    in_flight: bool,
}

/// The prompt box's sampling to start with (the book samples at 0.7 among others).
const BOOK_SAMPLING: Sampling = Sampling {
    temperature: 0.7,
    top_k: 0,
    top_p: 1.0,
};

/// The text tab.
pub struct TextPanel {
    device: ComputeDevice,
    waker: Waker,
    config: TextSettings,
    corpus: CorpusSource,
    job: JobState<TextEvent, TextCommand>,
    /// The corpus (or model) has loaded: the job trains or serves.
    loaded: bool,
    stats: Option<(CorpusStats, usize, usize)>,
    notices: Vec<String>,
    epoch: usize,
    batch: usize,
    batches: usize,
    losses: Vec<BatchLoss>,
    history: Vec<EpochSamples>,
    /// Index into `history` shown (the newest unless the user scrolls back).
    shown_epoch: Option<usize>,
    playground: Playground,
    next_id: u64,
    notice: Option<Notice>,
    /// Started by `--text-train`: settled once sampled.
    automation: bool,
    /// The open file dialog, and what its answer is for.
    dialogs: Dialogs<PanelAction>,
}

impl TextPanel {
    pub fn new(device: impl Into<ComputeDevice>, waker: Waker) -> Self {
        let device = device.into();
        Self {
            device,
            dialogs: Dialogs::new(waker.clone()),
            waker,
            config: TextSettings::book(ModelKind::Transformer),
            corpus: CorpusSource::Reviews {
                plots: false,
                limit: None,
            },
            job: JobState::Idle,
            loaded: false,
            stats: None,
            notices: Vec::new(),
            epoch: 0,
            batch: 0,
            batches: 0,
            losses: Vec::new(),
            history: Vec::new(),
            shown_epoch: None,
            playground: Playground {
                prompt: "this movie".into(),
                sampling: BOOK_SAMPLING,
                length: 50,
                seed: 1,
                output: String::new(),
                generating: None,
                repetition: None,
                rate: None,
                refusal: None,
                candidates: Vec::new(),
                asked: None,
                in_flight: false,
            },
            next_id: 1,
            notice: None,
            automation: false,
        }
    }

    /// Trains at once (automation: `--text-train EPOCHS`): the given model on the
    /// first `limit` snippets, sized for a CPU when it is the Transformer.
    pub fn train_now(&mut self, kind: ModelKind, epochs: usize, limit: Option<usize>) {
        self.automation = true;
        self.config = TextSettings::book(kind);
        self.config.epochs = epochs;
        match kind {
            ModelKind::Lstm => self.config.sample_length = 160,
            ModelKind::Transformer => {
                let t = &mut self.config.transformer;
                (t.vocab_size, t.embed_dim, t.dense_dim) = (4000, 64, 256);
            }
        }
        self.corpus = CorpusSource::Reviews {
            plots: false,
            limit,
        };
        self.start(None);
    }

    /// True once training finished and the boxes have an answer (automation).
    pub fn is_settled(&self) -> bool {
        self.job.failure().is_some()
            || (self.job.is_done()
                && !self.history.is_empty()
                && !self.playground.candidates.is_empty()
                && self.playground.generating.is_none()
                && !self.playground.output.is_empty())
    }

    fn start(&mut self, load: Option<PathBuf>) {
        let start = match load {
            Some(dir) => TextStart::Load(dir),
            None => TextStart::Train {
                config: self.config.clone(),
                corpus: self.corpus.clone(),
            },
        };
        self.launch(start);
    }

    /// Continues an interrupted run from its autosave.
    pub fn resume(&mut self, run: &Interrupted) -> Result<(), String> {
        let corpus = run
            .source()
            .ok_or("the interrupted run's corpus cannot be read")?;
        self.launch(TextStart::Resume {
            model: run.model.clone(),
            corpus,
            epochs: None,
        });
        Ok(())
    }

    fn launch(&mut self, start: TextStart) {
        match job::start(start, self.device.clone().into(), self.waker.clone()) {
            Ok(handle) => {
                self.job = JobState::started(handle);
                self.loaded = false;
                self.losses.clear();
                self.history.clear();
                self.shown_epoch = None;
                (self.epoch, self.batch, self.batches) = (0, 0, 0);
                self.playground.output.clear();
                self.playground.candidates.clear();
                self.playground.asked = None;
                self.playground.in_flight = false;
                self.playground.generating = None;
                self.notice = None;
            }
            Err(err) => self.job = JobState::Failed(format!("could not start the job: {err}")),
        }
    }

    /// Drains the job's events; call once per frame.
    pub fn poll(&mut self) {
        self.poll_dialogs();
        for event in self.job.poll(512, str::to_owned) {
            self.apply(event);
        }
        let progress = self.progress();
        if let Some(shown) = self.job.progress_mut() {
            *shown = progress;
        }
        self.ask_next_token();
    }

    fn apply(&mut self, event: TextEvent) {
        let play = &mut self.playground;
        match event {
            TextEvent::Loaded {
                stats,
                vocabulary,
                examples,
                notices,
            } => {
                self.stats = Some((stats, vocabulary, examples));
                self.notices = notices;
                self.loaded = true;
            }
            TextEvent::Started {
                epochs,
                batches_per_epoch,
            } => {
                self.config.epochs = epochs;
                self.batches = batches_per_epoch;
            }
            TextEvent::Progress { epoch, batch } => (self.epoch, self.batch) = (epoch, batch),
            TextEvent::Losses(points) => self.losses.extend(points),
            TextEvent::EpochDone {
                epoch,
                loss,
                samples,
                ..
            } => {
                self.epoch = epoch;
                self.history.push(EpochSamples {
                    epoch,
                    loss,
                    samples,
                });
                play.asked = None;
            }
            // The tab holds nothing out; the tuner's trials do.
            TextEvent::Validation { .. } => {}
            TextEvent::TrainingDone => {
                self.job.finish();
                play.asked = None;
                if play.output.is_empty() {
                    self.generate();
                }
            }
            TextEvent::Token { id, text } => {
                if play.generating == Some(id) {
                    play.output.push_str(&text);
                }
            }
            TextEvent::Generated {
                id,
                repetition,
                tokens_per_sec,
            } => {
                if play.generating == Some(id) {
                    play.generating = None;
                    play.repetition = Some(repetition);
                    play.rate = Some(tokens_per_sec);
                }
            }
            TextEvent::NextToken { candidates, .. } => {
                play.candidates = candidates;
                play.in_flight = false;
                play.refusal = None;
            }
            TextEvent::Refused { id, reason } => {
                if play.generating == Some(id) {
                    play.generating = None;
                }
                play.in_flight = false;
                play.refusal = Some(reason);
            }
            TextEvent::Saved(path) => {
                self.notice = Some(Notice::Said(format!("saved to {}", path.display())));
            }
            TextEvent::SaveFailed { path, reason } => {
                self.notice = Some(Notice::Failed(format!(
                    "could not save {}: {reason}",
                    path.display()
                )));
            }
        }
    }

    /// Asks for the next-token bars when the prompt or sampling changed and no
    /// request is out (so the slider never queues work).
    fn ask_next_token(&mut self) {
        let play = &mut self.playground;
        let wanted = (play.prompt.clone(), play.sampling);
        let training = self.job.is_running() && self.loaded;
        if play.in_flight
            || play.asked.as_ref() == Some(&wanted)
            || !self.job.is_done() && !training
        {
            return;
        }
        if self.history.is_empty() && training {
            return;
        }
        let Some(job) = self.job.handle() else {
            return;
        };
        let id = self.next_id;
        self.next_id += 1;
        job.command(TextCommand::NextToken {
            id,
            prompt: wanted.0.clone(),
            sampling: wanted.1,
        });
        play.asked = Some(wanted);
        play.in_flight = true;
    }

    fn generate(&mut self) {
        let Some(job) = self.job.handle() else {
            return;
        };
        let id = self.next_id;
        self.next_id += 1;
        let play = &mut self.playground;
        play.output = play.prompt.clone();
        play.generating = Some(id);
        play.repetition = None;
        play.refusal = None;
        job.command(TextCommand::Generate {
            id,
            prompt: play.prompt.clone(),
            length: play.length,
            sampling: play.sampling,
            seed: play.seed,
        });
    }

    /// The status row: epoch and batch while training.
    fn progress(&self) -> Progress {
        let fraction = fraction(self.epoch, self.batch, self.batches, self.config.epochs);
        Progress {
            loading: !self.loaded,
            text: if self.loaded {
                format!(
                    "epoch {}/{} · batch {}/{}",
                    self.epoch, self.config.epochs, self.batch, self.batches
                )
            } else {
                "reading the corpus and building the vocabulary…".to_owned()
            },
            fraction,
            rate: None,
        }
    }

    /// The tab.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        ui.heading("12.1 Text generation (Transformer, char-LSTM)");
        let mut action = self.controls_ui(ui);
        self.progress_ui(ui);
        ui.separator();
        let mut asked = None;
        ui.columns(2, |columns| {
            self.loss_plot_ui(&mut columns[0]);
            self.samples_ui(&mut columns[0]);
            asked = self.playground_ui(&mut columns[1]);
        });
        if let Some(asked) = asked {
            action = asked;
        }
        self.apply_action(action);
    }
}
