//! The studio's panels, one per technique in tab order, and the runs the
//! command line starts on them.

use std::sync::Arc;

use crate::backend::ComputeBackend;
use crate::cli::GuiOptions;
use crate::techniques::Technique;
use crate::techniques::dream::panel::DreamPanel;
use crate::techniques::gan::panel::GanPanel;
use crate::techniques::style::panel::StylePanel;
use crate::techniques::text::panel::TextPanel;
use crate::techniques::tuner::panel::TunerPanel;
use crate::techniques::vae::panel::VaePanel;
use crate::ui::panel::Panel;

/// One panel per technique, in tab order, on the backend's device, with the
/// runs the command line asked for started (`--vae-train`, `--style-run`, …).
pub(super) fn build_panels(
    backend: &ComputeBackend,
    waker: &crate::job::Waker,
    options: &GuiOptions,
) -> Vec<Box<dyn Panel>> {
    let device = || backend.compute_device();
    let waker = || Arc::clone(waker);
    let mut vae = VaePanel::new(device(), waker());
    if let Some(epochs) = options.train_vae {
        vae.train_now(epochs, options.train_limit);
    }
    if let Some(dir) = options.load_vae.clone() {
        vae.load_now(dir);
    }
    let mut style = StylePanel::new(device(), waker());
    if let Some(iterations) = options.style_run {
        style.run_when_ready(options.style_height, iterations, options.picture.clone());
    }
    let mut dream = DreamPanel::new(device(), waker());
    if let Some(steps) = options.dream_run {
        dream.run_when_ready(steps, options.picture.clone());
        if let Some(path) = options.export_gif.clone() {
            dream.export_gif_when_done(path);
        }
    }
    let mut text = TextPanel::new(device(), waker());
    if let Some(epochs) = options.text_train {
        text.train_now(options.text_model, epochs, options.train_limit);
    }
    let mut gan = GanPanel::new(device(), waker());
    if let Some(epochs) = options.gan_train {
        gan.train_now(epochs, options.train_limit, options.gan_minutes);
        if let Some(path) = options.export_gif.clone() {
            gan.export_gif_when_done(path);
        }
    }
    let mut tuner = TunerPanel::new(device(), waker());
    if let Some(trials) = options.tune_trials {
        tuner.settings = crate::techniques::tuner::job::TuneSettings::quick_for(options.tune_study);
        tuner.settings.max_trials = trials;
        if options.tune_pair {
            tuner.show_pair();
        }
        if let Some(limit) = options.train_limit {
            tuner.settings.limit = Some(limit);
        }
        tuner.start_now();
    }
    let panels: Vec<Box<dyn Panel>> = vec![
        Box::new(text),
        Box::new(dream),
        Box::new(style),
        Box::new(vae),
        Box::new(gan),
        Box::new(tuner),
    ];
    debug_assert!(panels.iter().map(|p| p.technique()).eq(Technique::ALL));
    panels
}

/// Whether a command-line flag started `technique`'s panel on a run.
pub(super) fn automated(technique: Technique, options: &GuiOptions) -> bool {
    match technique {
        Technique::Text => options.text_train.is_some(),
        Technique::DeepDream => options.dream_run.is_some(),
        Technique::Style => options.style_run.is_some(),
        Technique::Vae => options.train_vae.is_some() || options.load_vae.is_some(),
        Technique::Gan => options.gan_train.is_some(),
        Technique::Tuner => options.tune_trials.is_some(),
    }
}
