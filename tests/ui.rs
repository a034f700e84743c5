//! The panels driven through egui_kittest, by their accessible labels: preset
//! buttons and model choices change what the panels show. No job is started
//! (the panels only load their default pictures in the background).

use burn::tensor::Device;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use latent_studio::job::no_waker;
use latent_studio::techniques::dream::panel::DreamPanel;
use latent_studio::techniques::gan::panel::GanPanel;
use latent_studio::techniques::style::panel::StylePanel;
use latent_studio::techniques::text::panel::TextPanel;
use latent_studio::ui::panel::Panel as _;

fn harness<'a, P: 'a>(panel: P, ui: impl FnMut(&mut egui::Ui, &mut P) + 'a) -> Harness<'a, P> {
    Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .with_max_steps(32)
        .build_ui_state(ui, panel)
}

#[test]
fn text_panel_switches_to_the_lstm_and_back() {
    let mut h = harness(TextPanel::new(Device::flex(), no_waker()), |ui, p| p.ui(ui));
    h.run_steps(2);
    let sizes_hint = "book: 15000 · 100 · 256 · 2048";
    assert!(h.query_by_label_contains(sizes_hint).is_some());
    h.get_by_label("char LSTM (1st ed.)").click();
    h.run_steps(2);
    assert!(h.query_by_label_contains(sizes_hint).is_none());
    h.get_by_label("word Transformer (2nd ed.)").click();
    h.run_steps(2);
    assert!(h.query_by_label_contains(sizes_hint).is_some());
}

#[test]
fn dream_panel_presets_set_the_layers_and_step() {
    let mut h = harness(DreamPanel::new(Device::flex(), no_waker()), |ui, p| {
        p.ui(ui);
    });
    h.run_steps(2);
    h.get_by_label("Seed notebook").click();
    h.run_steps(2);
    assert!(
        h.query_by_label_contains("Seed notebook settings")
            .is_some()
    );
    h.get_by_label("Book").click();
    h.run_steps(2);
    assert!(h.query_by_label_contains("Book settings").is_some());
}

#[test]
fn style_panel_opens_quick_on_the_cpu_and_book_is_one_click_away() {
    let mut h = harness(StylePanel::new(Device::flex(), no_waker()), |ui, p| {
        p.ui(ui);
    });
    h.run_steps(2);
    assert!(h.query_by_label_contains("Press Start").is_some());
    let optimizer = |p: &StylePanel| p.save()["settings"]["optimizer"].clone();
    let height = |p: &StylePanel| p.save()["settings"]["height"].clone();
    assert_eq!(optimizer(h.state()), "Lbfgs", "the CPU opens on Quick");
    assert_eq!(height(h.state()), 200);
    h.get_by_label("Book").click();
    h.run_steps(2);
    assert!(
        h.query_by_label_contains("400 px, SGD, 4000 iterations")
            .is_some()
    );
    assert_eq!(optimizer(h.state()), "Sgd");
    assert_eq!(height(h.state()), 400);
    h.get_by_label("Quick").click();
    h.run_steps(2);
    assert!(h.query_by_label_contains("Quick settings").is_some());
    assert_eq!(optimizer(h.state()), "Lbfgs");
}

#[test]
fn gan_panel_opens_quick_on_the_cpu_and_presets_change_the_sizes_shown() {
    let mut h = harness(GanPanel::new(Device::flex(), no_waker()), |ui, p| p.ui(ui));
    h.run_steps(2);
    // On the CPU the tab opens on Quick (32×32, 64 channels).
    assert!(h.query_by_label_contains("D [32, 64, 64]").is_some());
    assert_eq!(h.state().save()["settings"]["flip"], true);
    h.get_by_label("Book").click();
    h.run_steps(2);
    assert!(h.query_by_label_contains("D [64, 128, 128]").is_some());
    assert_eq!(h.state().save()["settings"]["flip"], false);
    h.get_by_label("Small model").click();
    h.run_steps(2);
    assert!(h.query_by_label_contains("D [8, 16, 16]").is_some());
    h.get_by_label("Quick (CPU)").click();
    h.run_steps(2);
    assert!(h.query_by_label_contains("D [32, 64, 64]").is_some());
}

#[test]
fn vae_panel_opens_on_mnist_with_its_guidance() {
    let mut h = harness(
        latent_studio::techniques::vae::panel::VaePanel::new(Device::flex(), no_waker()),
        |ui, p| p.ui(ui),
    );
    h.run_steps(2);
    assert!(
        h.query_by_label_contains("Data: MNIST (70 000 digits)")
            .is_some()
    );
    assert!(h.query_by_label_contains("Press Train").is_some());
    // Away from the book: 3 epochs, batch 16, a latent of 4, 500 digits.
    let mut saved = h.state().save();
    saved["config"]["epochs"] = 3.into();
    saved["config"]["batch_size"] = 16.into();
    saved["config"]["latent_dim"] = 4.into();
    saved["limit"] = 500.into();
    h.state_mut().restore(saved).unwrap();
    h.run_steps(2);
    assert_eq!(h.state().save()["config"]["epochs"], 3);
    // "Book" puts back the book's 30 epochs, batch 128, 2-D latent, all of MNIST.
    h.get_by_label("Book").click();
    h.run_steps(2);
    let book = h.state().save();
    assert_eq!(book["config"]["epochs"], 30, "{book}");
    assert_eq!(book["config"]["batch_size"], 128, "{book}");
    assert_eq!(book["config"]["latent_dim"], 2, "{book}");
    assert!(book["limit"].is_null(), "{book}");
}

#[test]
fn tuner_panel_opens_quick_on_the_cpu_and_its_space_edit_is_checked() {
    use latent_studio::techniques::tuner::panel::TunerPanel;
    let mut h = harness(TunerPanel::new(Device::flex(), no_waker()), |ui, p| {
        p.ui(ui);
    });
    h.run_steps(2);
    // On the CPU: 12 trials of one execution on 5 000 digits; the note's book is 100 × 2.
    assert_eq!(h.state().save()["max_trials"], 12);
    assert_eq!(h.state().save()["limit"], 5_000);
    h.get_by_label("Reset to Book").click();
    h.run_steps(2);
    assert_eq!(h.state().save()["max_trials"], 100);
    assert_eq!(h.state().save()["executions"], 2);
    assert!(h.state().save()["limit"].is_null());
    // The space, edited to min 80 > max 64, is refused in words.
    h.get_by_label("Search space").click();
    h.run_steps(2);
    assert!(h.query_by_label_contains("8 configurations").is_some());
    let mut saved = h.state().save();
    saved["space"] = serde_json::json!({
        "direction": "maximize",
        "params": [
            {"name": "units", "kind": "int", "min": 80, "max": 64, "step": 16, "log": false},
            {"name": "optimizer", "kind": "choice", "values": ["adam"]}
        ]
    });
    h.state_mut().restore(saved).unwrap();
    h.run_steps(2);
    assert!(
        h.query_by_label_contains("\"units\": min 80 is above max 64")
            .is_some()
    );
}
