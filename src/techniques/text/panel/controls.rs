//! The text tab's controls: model and corpus choice, sizes, Train / Pause /
//! Resume / Stop / Cancel, Book preset, Save / Load.

use super::TextPanel;
use crate::techniques::text::corpus::CorpusSource;
use crate::techniques::text::job::{ModelKind, TextCommand, TextSettings};
use crate::techniques::text::model::TransformerConfig;
use crate::ui::Notice;
use crate::ui::dialog::one;
use crate::ui::{RunButton, run_buttons_ui};

/// What a button asked for; applied after the frame's layout.
#[derive(Clone, Copy)]
pub(super) enum PanelAction {
    None,
    Train,
    Stop,
    Cancel,
    Save,
    Load,
    PickFile,
    PickFolder,
    Generate,
    StopGenerating,
}

impl TextPanel {
    pub(super) fn controls_ui(&mut self, ui: &mut egui::Ui) -> PanelAction {
        let mut action = PanelAction::None;
        ui.horizontal(|ui| {
            let busy = self.job.is_running();
            ui.label("Model:");
            for kind in [ModelKind::Transformer, ModelKind::Lstm] {
                let label = match kind {
                    ModelKind::Transformer => "word Transformer (2nd ed.)",
                    ModelKind::Lstm => "char LSTM (1st ed.)",
                };
                if ui
                    .selectable_label(self.config.kind == kind, label)
                    .clicked()
                    && !busy
                {
                    self.config = TextSettings::book(kind);
                }
            }
            ui.separator();
            if ui.add_enabled(!busy, egui::Button::new("Train")).clicked() {
                action = PanelAction::Train;
            }
            if let Some(job) = self.job.handle()
                && busy
            {
                match run_buttons_ui(ui, job, Some("Stop training and keep the model")) {
                    RunButton::Stop => action = PanelAction::Stop,
                    RunButton::Cancel => action = PanelAction::Cancel,
                    RunButton::None => {}
                }
            }
            if ui
                .button("Book")
                .on_hover_text("The book's settings for this model")
                .clicked()
                && !busy
            {
                self.config = TextSettings::book(self.config.kind);
                self.notice = Some(Notice::Said("Book settings.".into()));
            }
            if ui
                .add_enabled(self.job.is_done(), egui::Button::new("Save…"))
                .clicked()
            {
                action = PanelAction::Save;
            }
            if ui.add_enabled(!busy, egui::Button::new("Load…")).clicked() {
                action = PanelAction::Load;
            }
            if let Some(notice) = &self.notice {
                notice.ui(ui);
            }
        });
        self.corpus_ui(ui, &mut action);
        self.sizes_ui(ui);
        action
    }

    fn corpus_ui(&mut self, ui: &mut egui::Ui, action: &mut PanelAction) {
        ui.horizontal(|ui| {
            ui.label("Corpus:");
            let label = match &self.corpus {
                CorpusSource::Reviews { limit: Some(n), .. } => format!("movie-review snippets (first {n})"),
                CorpusSource::Reviews { .. } => "movie-review snippets (Rotten Tomatoes)".to_owned(),
                CorpusSource::File(p) | CorpusSource::Folder(p) => p.display().to_string(),
                CorpusSource::Documents(d) | CorpusSource::Trial { documents: d, .. } => {
                    format!("{} documents", d.len())
                }
            };
            ui.strong(label);
            if ui.small_button("reviews").clicked() {
                self.corpus = CorpusSource::Reviews {
                    plots: false,
                    limit: None,
                };
            }
            if ui.small_button(".txt file…").clicked() {
                *action = PanelAction::PickFile;
            }
            if ui.small_button("folder…").clicked() {
                *action = PanelAction::PickFolder;
            }
            if let Some((stats, vocabulary, examples)) = &self.stats {
                ui.weak(format!(
                    "{} documents · {} words ({} distinct) · vocabulary {vocabulary} · {examples} sequences",
                    stats.documents, stats.words, stats.distinct_words
                ));
            }
            for notice in &self.notices {
                ui.colored_label(ui.visuals().warn_fg_color, notice);
            }
        });
    }

    fn sizes_ui(&mut self, ui: &mut egui::Ui) {
        let (docs, sizes) = (TextSettings::DOCS, TransformerConfig::DOCS);
        ui.horizontal(|ui| {
            let c = &mut self.config;
            ui.add(
                egui::DragValue::new(&mut c.epochs)
                    .range(1..=1000)
                    .prefix("epochs "),
            )
            .on_hover_text(docs.epochs);
            ui.add(
                egui::DragValue::new(&mut c.batch_size)
                    .range(1..=1024)
                    .prefix("batch "),
            )
            .on_hover_text(docs.batch_size);
            let lr = ui
                .add(
                    egui::DragValue::new(&mut c.learning_rate)
                        .range(1e-5..=1.0)
                        .speed(0.0001)
                        .prefix("RMSprop lr "),
                )
                .on_hover_text(docs.learning_rate);
            if lr.changed()
                && let Some(job) = self.job.handle()
            {
                job.command(TextCommand::LearningRate(c.learning_rate));
            }
            if c.kind == ModelKind::Transformer {
                let t = &mut c.transformer;
                ui.add(
                    egui::DragValue::new(&mut t.vocab_size)
                        .range(100..=50_000)
                        .prefix("vocab "),
                )
                .on_hover_text(sizes.vocab_size);
                ui.add(
                    egui::DragValue::new(&mut t.sequence_length)
                        .range(4..=400)
                        .prefix("sequence "),
                )
                .on_hover_text(sizes.sequence_length);
                ui.add(
                    egui::DragValue::new(&mut t.embed_dim)
                        .range(8..=1024)
                        .prefix("embed "),
                )
                .on_hover_text(sizes.embed_dim);
                ui.add(
                    egui::DragValue::new(&mut t.dense_dim)
                        .range(8..=8192)
                        .prefix("dense "),
                )
                .on_hover_text(sizes.dense_dim);
                ui.weak(format!(
                    "({}; a CPU epoch at full size takes hours)",
                    TransformerConfig::book_summary()
                ));
            } else {
                ui.add(
                    egui::DragValue::new(&mut c.lstm_hidden)
                        .range(8..=1024)
                        .prefix("LSTM units "),
                )
                .on_hover_text(docs.lstm_hidden);
                ui.add(
                    egui::DragValue::new(&mut c.sample_length)
                        .range(10..=2000)
                        .prefix("sample chars "),
                )
                .on_hover_text(docs.sample_length);
            }
        });
    }

    pub(super) fn apply_action(&mut self, action: PanelAction) {
        match action {
            PanelAction::None => {}
            PanelAction::Train => self.start(None),
            PanelAction::Stop => {
                if let Some(job) = self.job.handle() {
                    job.command(TextCommand::StopTraining);
                }
            }
            PanelAction::Cancel => {
                if let Some(job) = self.job.handle() {
                    job.cancel();
                }
            }
            PanelAction::Save => self.dialogs.open(action, || {
                one(rfd::FileDialog::new()
                    .set_title("Folder to save the model in")
                    .pick_folder())
            }),
            PanelAction::Load => self.dialogs.open(action, || {
                one(rfd::FileDialog::new()
                    .set_title("A saved text model folder")
                    .pick_folder())
            }),
            PanelAction::PickFile => self.dialogs.open(action, || {
                one(rfd::FileDialog::new()
                    .add_filter("Text", &["txt"])
                    .pick_file())
            }),
            PanelAction::PickFolder => self.dialogs.open(action, || {
                one(rfd::FileDialog::new()
                    .set_title("A folder of .txt files")
                    .pick_folder())
            }),
            PanelAction::Generate => self.generate(),
            PanelAction::StopGenerating => {
                if let Some(job) = self.job.handle() {
                    job.command(TextCommand::StopGenerating);
                }
                self.playground.generating = None;
            }
        }
    }
}

impl TextPanel {
    /// Acts on a file dialog's answer, once the person gave it.
    pub(super) fn poll_dialogs(&mut self) {
        let Some((asked, path)) = self.dialogs.answer_one() else {
            return;
        };
        match asked {
            PanelAction::Save => {
                if let Some(job) = self.job.handle() {
                    job.command(TextCommand::Save(path));
                }
            }
            PanelAction::Load => self.start(Some(path)),
            PanelAction::PickFile => self.corpus = CorpusSource::File(path),
            PanelAction::PickFolder => self.corpus = CorpusSource::Folder(path),
            _ => {}
        }
    }
}
