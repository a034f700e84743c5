//! The GAN's Quick preset and what came with it: 32-px batches (averaged) and
//! mirroring, the generator's moving average, the FID reference set across
//! the data, exports of the grid and an animated walk, and the collapse
//! warning of a discriminator that learns 100 times faster.

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::{Device, Distribution, Tensor};
use image::{Rgb, RgbImage};
use latent_studio::job::no_waker;
use latent_studio::techniques::gan::data::{self, ImageSource};
use latent_studio::techniques::gan::fid::reference_indices;
use latent_studio::techniques::gan::job::{
    self, GanCommand, GanEvent, GanSettings, GanStart, batch_tensor,
};
use latent_studio::techniques::gan::model::GanConfig;
use latent_studio::techniques::gan::step::ema_update;

#[path = "common/events.rs"]
mod events;
use events::next;

/// Tests that seed burn-flex's one generator take turns (see tests/gan.rs).
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());
    TURN.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[test]
fn smaller_sides_average_the_pixels_and_flips_mirror_them() {
    // Left half black, right half 200, and one bright pixel in the top-left 2×2 block.
    let mut picture = RgbImage::from_fn(64, 64, |x, _| {
        if x < 32 {
            Rgb([0, 0, 0])
        } else {
            Rgb([200, 200, 200])
        }
    });
    picture.put_pixel(0, 0, Rgb([100, 0, 0]));
    let images = data::load(&ImageSource::Images(vec![picture])).unwrap();
    let device = Device::flex();
    let at = |flip: bool| {
        let values = batch_tensor(&images, &[0], 32, Some(&[flip]), &device)
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        move |c: usize, y: usize, x: usize| values[(c * 32 + y) * 32 + x]
    };
    let plain = at(false);
    assert!((plain(0, 0, 0) - 25.0 / 255.0).abs() < 1e-6);
    assert!(plain(1, 0, 0).abs() < 1e-6);
    assert!((plain(0, 5, 20) - 200.0 / 255.0).abs() < 1e-6);
    assert!(plain(0, 5, 10).abs() < 1e-6);
    let mirrored = at(true);
    assert!((mirrored(0, 0, 31) - 25.0 / 255.0).abs() < 1e-6);
    assert!((mirrored(0, 5, 10) - 200.0 / 255.0).abs() < 1e-6);
    assert!(mirrored(0, 5, 20).abs() < 1e-6);
}

/// Every float weight of a module, flattened in visiting order.
struct Weights(Vec<f32>);

impl ModuleVisitor for Weights {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        self.0
            .extend(param.val().into_data().try_to_vec::<f32>().unwrap());
    }
}

fn weights(module: &impl Module) -> Vec<f32> {
    let mut found = Weights(Vec::new());
    module.visit(&mut found);
    found.0
}

#[test]
fn the_moving_average_blends_every_weight() {
    let _turn = serial();
    let device = Device::flex();
    let config = GanConfig::quick();
    device.seed(1);
    let average = config.generator(&device);
    device.seed(2);
    let live = config.generator(&device);
    let (a, b) = (weights(&average), weights(&live));
    assert_eq!(a.len(), b.len());
    assert!(a.iter().zip(&b).any(|(x, y)| (x - y).abs() > 1e-3));
    let blended = weights(&ema_update(average.clone(), &live, 0.25));
    for ((x, y), z) in a.iter().zip(&b).zip(&blended) {
        assert!((0.25 * x + 0.75 * y - z).abs() < 1e-6);
    }
    assert_eq!(weights(&ema_update(average.clone(), &live, 1.0)), a);
    // The images follow the weights: decay 0 draws what the live generator draws.
    let latent = Tensor::<2>::random([2, config.latent_dim], Distribution::Default, &device);
    let image = |g: &latent_studio::techniques::gan::model::Generator| {
        g.forward(latent.clone())
            .into_data()
            .try_to_vec::<f32>()
            .unwrap()
    };
    assert_eq!(image(&ema_update(average, &live, 0.0)), image(&live));
}

#[test]
fn the_fid_reference_set_spans_the_data() {
    let picked = reference_indices(970, 64);
    assert_eq!(picked.len(), 64);
    assert_eq!(picked[0], 0);
    assert!(*picked.last().unwrap() >= 970 - 970 / 64 - 1);
    assert!(
        picked
            .windows(2)
            .all(|w| w[1] > w[0] && w[1] - w[0] <= 970 / 64 + 1)
    );
    assert_eq!(reference_indices(10, 64), (0..10).collect::<Vec<_>>());
    // Over the face emoji it reaches the people at the end, not only the smileys first.
    let faces = data::load(&ImageSource::Faces { limit: None }).unwrap();
    assert!(faces.count > 900, "{} face emoji", faces.count);
}

/// The small model at 32 px, a few face emoji, no FID.
fn small_quick(epochs: usize, d_learning_rate: f64, limit: usize) -> GanStart {
    let settings = GanSettings {
        epochs,
        batch_size: 8,
        d_learning_rate,
        sample_every: 1,
        fid_samples: 0,
        ..GanSettings::quick()
    };
    GanStart::Train {
        config: GanConfig {
            side: 32,
            ..GanConfig::small()
        },
        settings,
        data: ImageSource::Faces { limit: Some(limit) },
    }
}

/// Sends an export or save and waits for how it went.
fn saved(
    handle: &mut latent_studio::job::JobHandle<GanEvent, GanCommand>,
    command: GanCommand,
) -> Result<std::path::PathBuf, String> {
    handle.command(command);
    next(handle, GanEvent::save_outcome)
}

#[test]
fn the_grid_and_an_animated_walk_export_and_a_failed_export_keeps_the_job() {
    let _turn = serial();
    let mut handle = job::start(small_quick(1, 2e-4, 16), Device::flex(), no_waker()).unwrap();
    let grid = next(&mut handle, |e| match e {
        GanEvent::EpochDone { image, .. } => Some(image),
        _ => None,
    });
    assert_eq!(grid.size, [128, 128], "a 4×4 grid of 32-px samples");
    next(&mut handle, |e| {
        matches!(e, GanEvent::TrainingDone).then_some(())
    });
    let dir = std::env::temp_dir().join(format!("ls-gan-export-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let png = dir.join("grid.png");
    assert_eq!(
        saved(&mut handle, GanCommand::ExportGrid(png.clone())),
        Ok(png.clone())
    );
    assert_eq!(image::image_dimensions(&png).unwrap(), (128, 128));
    let gif = dir.join("walk.gif");
    let walk = GanCommand::ExportWalk {
        from: 0,
        to: 5,
        frames: 6,
        path: gif.clone(),
    };
    assert_eq!(saved(&mut handle, walk), Ok(gif.clone()));
    let decoder = image::codecs::gif::GifDecoder::new(std::io::BufReader::new(
        std::fs::File::open(&gif).unwrap(),
    ))
    .unwrap();
    let frames = image::AnimationDecoder::into_frames(decoder)
        .collect_frames()
        .unwrap();
    assert_eq!(frames.len(), 10, "6 frames there, 4 back");
    assert_eq!(frames[0].buffer().dimensions(), (128, 128));
    // Into a folder that does not exist: said, and the job goes on serving.
    let missing = dir.join("no such folder").join("grid.png");
    let failed = saved(&mut handle, GanCommand::ExportGrid(missing));
    assert!(failed.is_err(), "{failed:?}");
    assert_eq!(
        saved(&mut handle, GanCommand::ExportGrid(png.clone())),
        Ok(png)
    );
}

#[test]
fn spectral_normalisation_trains_and_changes_the_discriminator() {
    let _turn = serial();
    let device = Device::flex();
    device.seed(3);
    let plain = GanConfig::quick();
    let normalised = GanConfig {
        spectral_norm: true,
        ..GanConfig::quick()
    };
    let d_plain = plain.discriminator(&device);
    device.seed(3);
    let d_normalised = normalised.discriminator(&device);
    let images = Tensor::<4>::random([2, 3, 32, 32], Distribution::Default, &device);
    let logits = |d: &latent_studio::techniques::gan::model::Discriminator| {
        d.forward(images.clone())
            .into_data()
            .try_to_vec::<f32>()
            .unwrap()
    };
    let (a, b) = (logits(&d_plain), logits(&d_normalised));
    assert!(b.iter().all(|v| v.is_finite()));
    assert!(
        a.iter().zip(&b).any(|(x, y)| (x - y).abs() > 1e-4),
        "{a:?} {b:?}"
    );
    // And it trains: an epoch of the 32-px small model with it on.
    let start = match small_quick(1, 2e-4, 16) {
        GanStart::Train {
            config,
            settings,
            data,
        } => GanStart::Train {
            config: GanConfig {
                spectral_norm: true,
                ..config
            },
            settings,
            data,
        },
        other => other,
    };
    let mut handle = job::start(start, Device::flex(), no_waker()).unwrap();
    let (d_loss, g_loss) = next(&mut handle, |e| match e {
        GanEvent::EpochDone { d_loss, g_loss, .. } => Some((d_loss, g_loss)),
        _ => None,
    });
    assert!(
        d_loss.is_finite() && g_loss.is_finite(),
        "{d_loss} {g_loss}"
    );
}

/// Trains the small 32-px model with the book's settings and the
/// discriminator's rate `d_rate`; the collapse warning, if one came.
fn collapse_warning(d_rate: f64) -> Option<String> {
    let start = match small_quick(40, d_rate, 96) {
        GanStart::Train {
            config,
            settings,
            data,
        } => GanStart::Train {
            config,
            settings: GanSettings {
                beta_1: 0.9,
                flip: false,
                ema: 0.0,
                g_learning_rate: 1e-4,
                ..settings
            },
            data,
        },
        other => other,
    };
    let mut handle = job::start(start, Device::flex(), no_waker()).unwrap();
    next(&mut handle, |e| match e {
        GanEvent::Collapse(warning) => Some(Some(warning)),
        GanEvent::TrainingDone => Some(None),
        _ => None,
    })
}

#[test]
fn a_discriminator_a_hundred_times_faster_raises_the_collapse_warning() {
    let _turn = serial();
    let warned = collapse_warning(1e-2);
    assert!(
        warned.is_some_and(|w| w.contains("lower the discriminator's learning rate")),
        "no warning at 100 × the book's rate"
    );
    // The book's rate: the same run, no warning.
    let calm = collapse_warning(1e-4);
    assert!(calm.is_none(), "{calm:?}");
}

#[test]
fn the_minibatch_spread_is_zero_for_repeated_images_and_kept_per_group() {
    use latent_studio::techniques::gan::model::{STD_GROUP, with_group_spread};
    let device = Device::flex();
    let one = Tensor::<4>::random([1, 4, 4, 3], Distribution::Default, &device);
    let repeated = one.repeat_dim(0, STD_GROUP);
    let varied = Tensor::<4>::random([STD_GROUP, 4, 4, 3], Distribution::Default, &device);
    // The book's discriminator batch: generated images first, then real ones.
    let out = with_group_spread(Tensor::cat(vec![repeated, varied], 0));
    assert_eq!(out.dims(), [2 * STD_GROUP, 4, 4, 4]);
    let spread = out.narrow(3, 3, 1).into_data().try_to_vec::<f32>().unwrap();
    let (first, second) = spread.split_at(STD_GROUP * 16);
    assert!(
        first.iter().all(|v| *v < 1e-3),
        "repeated images: {:?}",
        &first[..4]
    );
    assert!(
        second
            .iter()
            .all(|v| (*v - second[0]).abs() < 1e-6 && *v > 0.1),
        "varied: {:?}",
        &second[..4]
    );
    // In the model: the discriminator's dense layer takes the extra channel.
    let config = GanConfig {
        minibatch_std: true,
        ..GanConfig::quick()
    };
    let logits = config.discriminator(&device).forward(Tensor::<4>::random(
        [8, 3, 32, 32],
        Distribution::Default,
        &device,
    ));
    assert_eq!(logits.dims(), [8, 1]);
}
