//! Inside the Bayesian oracle: one pass of the loop the note draws —
//! observe, update the surrogate, maximise the acquisition, propose — taken
//! a stage at a time (or all at once), along one parameter (the surrogate's
//! mean ± 2σ and the acquisition) or over a pair of them as a heat map.

use egui_plot::{Legend, Line, Plot, PlotImage, PlotPoint, PlotPoints, Points, VLine};
use tuner::insight::{PAIR_SAMPLES, Pair, Slice};

use super::TunerPanel;
use crate::techniques::tuner::job::Why;

/// The loop's stages; the view shows every stage up to the chosen one.
const STAGES: [&str; 4] = [
    "1 Observe",
    "2 Update the surrogate",
    "3 Maximise the acquisition",
    "4 Propose",
];

/// What the oracle view shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct OracleView {
    /// 0…3, an index into [`STAGES`].
    stage: usize,
    along: Along,
    layer: Layer,
}

impl Default for OracleView {
    fn default() -> Self {
        Self {
            stage: STAGES.len() - 1,
            along: Along::Slice(0),
            layer: Layer::Mean,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Along {
    Slice(usize),
    Pair(usize),
}

/// What a pair's heat map colours.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Layer {
    Mean,
    Uncertainty,
    Acquisition,
}

/// A heat map's texture, kept while (trial, pair, layer) stays.
pub(super) type HeatCache = Option<((usize, usize, Layer), egui::TextureHandle)>;

impl TunerPanel {
    /// Shows the first pair's heat map, the whole loop (screenshots).
    pub fn show_pair(&mut self) {
        self.oracle = OracleView {
            along: Along::Pair(0),
            ..OracleView::default()
        };
    }

    pub(super) fn oracle_ui(&mut self, ui: &mut egui::Ui) {
        // The selected trial's step, or the latest.
        let chosen = self
            .selected
            .and_then(|id| self.why.get(id).cloned().flatten().map(|w| (id, w)));
        let latest = self
            .why
            .iter()
            .enumerate()
            .rev()
            .find_map(|(id, w)| w.clone().map(|w| (id, w)));
        let Some((trial, why)) = chosen.or(latest) else {
            ui.label("Inside the Bayesian oracle: once its random start is over, each proposal shows the surrogate and the acquisition here.");
            return;
        };
        ui.strong(format!("Inside the Bayesian oracle · trial {trial}"));
        let view = &mut self.oracle;
        ui.horizontal(|ui| {
            if ui
                .small_button("Back")
                .on_hover_text("The stage before")
                .clicked()
            {
                view.stage = view.stage.saturating_sub(1);
            }
            for (i, name) in STAGES.iter().enumerate() {
                ui.selectable_value(&mut view.stage, i, *name);
            }
            if ui
                .small_button("Next")
                .on_hover_text("The next stage")
                .clicked()
            {
                view.stage = (view.stage + 1).min(STAGES.len() - 1);
            }
        });
        ui.label(stage_text(&why, view.stage));
        if why.slices.is_empty() {
            ui.label("No numeric parameter to slice along.");
            return;
        }
        ui.horizontal_wrapped(|ui| {
            ui.label("along");
            for (i, slice) in why.slices.iter().enumerate() {
                ui.selectable_value(&mut view.along, Along::Slice(i), &slice.param);
            }
            for (i, pair) in why.pairs.iter().enumerate() {
                let name = format!("{} × {}", pair.x.param, pair.y.param);
                ui.selectable_value(&mut view.along, Along::Pair(i), name);
            }
            ui.label("(the other parameters at the proposal)");
        });
        match view.along {
            Along::Pair(i) if i < why.pairs.len() => {
                ui.horizontal(|ui| {
                    ui.label("colour");
                    ui.selectable_value(&mut view.layer, Layer::Mean, "surrogate mean");
                    ui.selectable_value(&mut view.layer, Layer::Uncertainty, "σ");
                    ui.selectable_value(&mut view.layer, Layer::Acquisition, why.acquisition);
                });
                let (stage, layer) = (view.stage, view.layer);
                self.pair_ui(ui, trial, i, &why, stage, layer);
            }
            Along::Slice(i) => {
                let slice = &why.slices[i.min(why.slices.len() - 1)];
                slice_ui(ui, slice, why.acquisition, view.stage);
            }
            Along::Pair(_) => view.along = Along::Slice(0),
        }
    }

    fn pair_ui(
        &mut self,
        ui: &mut egui::Ui,
        trial: usize,
        index: usize,
        why: &Why,
        stage: usize,
        layer: Layer,
    ) {
        let pair = &why.pairs[index];
        if stage < 1 || (layer == Layer::Acquisition && stage < 2) {
            ui.label("The map appears once the surrogate is updated (stage 2; the acquisition at stage 3).");
        }
        let key = (trial, index, layer);
        let texture = match &self.heat {
            Some((cached, texture)) if *cached == key => texture.clone(),
            _ => {
                let texture = ui.ctx().load_texture(
                    "tuner-pair",
                    heat_image(pair, layer, self.maximise()),
                    egui::TextureOptions::NEAREST,
                );
                self.heat = Some((key, texture.clone()));
                texture
            }
        };
        let (x, y) = (pair.x.clone(), pair.y.clone());
        Plot::new("tuner-pair")
            .height(170.0)
            .data_aspect(1.0)
            .include_x(0.0)
            .include_x(1.0)
            .x_axis_label(x.param.clone())
            .y_axis_label(y.param.clone())
            .x_axis_formatter(move |mark, _| tick(&x, mark.value))
            .y_axis_formatter(move |mark, _| tick(&y, mark.value))
            .show(ui, |plot| {
                let shown = stage >= 1 && (layer != Layer::Acquisition || stage >= 2);
                if shown {
                    plot.image(PlotImage::new(
                        "map",
                        texture.id(),
                        PlotPoint::new(0.5, 0.5),
                        [1.0, 1.0],
                    ));
                }
                let observed: Vec<[f64; 2]> = pair.observed.iter().map(|(p, _)| *p).collect();
                plot.points(
                    Points::new("observed", PlotPoints::new(observed))
                        .radius(3.5)
                        .color(egui::Color32::WHITE),
                );
                if stage >= 3 {
                    plot.points(
                        Points::new("proposed", PlotPoints::new(vec![pair.proposed]))
                            .radius(6.0)
                            .shape(egui_plot::MarkerShape::Cross)
                            .color(egui::Color32::RED),
                    );
                }
            });
    }

    fn maximise(&self) -> bool {
        self.settings.space().direction == tuner::Direction::Maximize
    }
}

/// A tick of a pair's axis in the parameter's own units (none outside its range).
fn tick(axis: &tuner::insight::Axis, u: f64) -> String {
    if (-1e-9..=1.0 + 1e-9).contains(&u) {
        format!("{:.3}", axis.value_at(u))
    } else {
        String::new()
    }
}

/// What the chosen stage did, in this step's figures.
fn stage_text(why: &Why, stage: usize) -> String {
    match stage {
        0 => format!(
            "Observe: {} completed trials{}{}.",
            why.observed,
            why.best
                .map_or_else(String::new, |b| format!(", the best so far {b:.4}")),
            if why.pending > 0 {
                format!(
                    "; {} running, counted at the mean as constant liars",
                    why.pending
                )
            } else {
                String::new()
            }
        ),
        1 => format!(
            "Update the surrogate: a Gaussian process (Matérn 5/2) fitted by maximising the log marginal likelihood. Length scales {} (short: the objective changes fast along it); noise {:.1e} of the signal's variance.",
            why.lengths
                .iter()
                .map(|(name, l)| format!("{name} {l:.2}"))
                .collect::<Vec<_>>()
                .join(", "),
            why.noise
        ),
        2 => format!(
            "Maximise the acquisition: {} over random candidates and the best points' neighbours, refined by a pattern search; {:.4} at its maximum.",
            why.acquisition, why.acquisition_value
        ),
        _ => format!(
            "Propose: {}.",
            why.proposed
                .iter()
                .map(|(name, value)| format!("{name} = {value}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The slice along one parameter, each layer from its stage on.
fn slice_ui(ui: &mut egui::Ui, slice: &Slice, acquisition: &str, stage: usize) {
    let xs = &slice.values;
    let series = |ys: Vec<f64>| -> PlotPoints { xs.iter().zip(ys).map(|(x, y)| [*x, y]).collect() };
    let band = |sign: f64| -> Vec<f64> {
        slice
            .mean
            .iter()
            .zip(&slice.std)
            .map(|(m, s)| m + sign * 2.0 * s)
            .collect()
    };
    ui.columns(2, |columns| {
        Plot::new("tuner-surrogate")
            .legend(Legend::default())
            .height(120.0)
            .x_axis_label(&slice.param)
            .show(&mut columns[0], |plot| {
                if stage >= 1 {
                    plot.line(Line::new("mean", series(slice.mean.clone())).width(2.0));
                    for sign in [1.0, -1.0] {
                        plot.line(
                            Line::new("± 2σ", series(band(sign)))
                                .style(egui_plot::LineStyle::dashed_dense()),
                        );
                    }
                }
                let observed: Vec<[f64; 2]> =
                    slice.observed.iter().map(|(x, y)| [*x, *y]).collect();
                plot.points(Points::new("observed", PlotPoints::new(observed)).radius(4.0));
                if stage >= 3 {
                    plot.vline(VLine::new("proposed", slice.proposed));
                }
            });
        Plot::new("tuner-acquisition")
            .height(120.0)
            .x_axis_label(&slice.param)
            .show(&mut columns[1], |plot| {
                if stage >= 2 {
                    plot.line(Line::new(acquisition, series(slice.acquisition.clone())).width(2.0));
                    plot.vline(VLine::new("proposed", slice.proposed));
                }
            });
    });
}

/// The pair's layer as colours: dark = worse (or certain, or low
/// acquisition), bright = better (or uncertain, or high acquisition).
fn heat_image(pair: &Pair, layer: Layer, maximise: bool) -> egui::ColorImage {
    let values = match layer {
        Layer::Mean => &pair.mean,
        Layer::Uncertainty => &pair.std,
        Layer::Acquisition => &pair.acquisition,
    };
    let (lo, hi) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(*v), hi.max(*v))
        });
    let n = PAIR_SAMPLES;
    let mut image = egui::ColorImage::filled([n, n], egui::Color32::BLACK);
    for j in 0..n {
        for i in 0..n {
            let t = if hi > lo {
                (values[j * n + i] - lo) / (hi - lo)
            } else {
                0.5
            };
            let bright = if layer == Layer::Mean && !maximise {
                1.0 - t
            } else {
                t
            };
            // Row 0 of the image is drawn at the top: the grid's last row.
            image.pixels[(n - 1 - j) * n + i] = ramp(bright);
        }
    }
    image
}

/// Dark violet → teal → yellow.
fn ramp(t: f64) -> egui::Color32 {
    let t = t.clamp(0.0, 1.0);
    let stops = [
        (68.0, 1.0, 84.0),
        (33.0, 145.0, 140.0),
        (253.0, 231.0, 37.0),
    ];
    let (a, b, u) = if t < 0.5 {
        (stops[0], stops[1], t * 2.0)
    } else {
        (stops[1], stops[2], t * 2.0 - 1.0)
    };
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "colour channels of 0…255"
    )]
    let mix = |x: f64, y: f64| (x + (y - x) * u).round() as u8;
    egui::Color32::from_rgb(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}
