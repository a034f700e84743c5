//! The images a GAN learns from: the fetched emoji (64×64 PNG, composited on
//! white, filtered by category) or any folder of pictures (centre-cropped and
//! resized to 64×64). Everything is decoded once, in parallel, before
//! training, so training never waits on the disk.

use std::path::{Path, PathBuf};

use image::RgbImage;
use rayon::prelude::*;

use crate::assets::{self, Cache, Manifest};
use crate::picture::Picture;

/// Side of the GAN's images.
pub const SIDE: u32 = 64;
/// Most images read from a folder (a CelebA-sized folder would not fit in memory).
pub const MAX_IMAGES: usize = 30_000;
/// The two emoji categories the tab used to call faces; 94 % of their 2 430
/// images are whole people, families and hands.
pub const FACE_CATEGORIES: [&str; 2] = ["Smileys & Emotion", "People & Body"];
/// The emoji that are round faces or heads (970 images with their skin
/// tones): the smileys' `face-…` subcategories, cat and monkey faces, and the
/// people shown as a head and shoulders (person, roles, gestures).
pub const FACE_SUBCATEGORIES: [&str; 5] = [
    "cat-face",
    "monkey-face",
    "person",
    "person-role",
    "person-gesture",
];

/// Whether an emoji of this category and subcategory is a face.
fn is_face(category: &str, subcategory: &str) -> bool {
    (category == "Smileys & Emotion" && subcategory.starts_with("face-"))
        || FACE_SUBCATEGORIES.contains(&subcategory)
}

/// Where the images come from (kept with an autosave, except images in memory).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum ImageSource {
    /// The fetched emoji of these categories (empty = all).
    Emoji {
        categories: Vec<String>,
        limit: Option<usize>,
    },
    /// The fetched emoji that are faces (see [`FACE_SUBCATEGORIES`]).
    Faces {
        limit: Option<usize>,
    },
    Folder(PathBuf),
    /// Images in memory (tests).
    #[serde(skip)]
    Images(Vec<RgbImage>),
    /// Images in memory for a tuner trial, which saves itself into `folder`
    /// at each epoch end.
    #[serde(skip)]
    Trial {
        images: Vec<RgbImage>,
        folder: PathBuf,
    },
}

impl crate::job::autosave::Source for ImageSource {
    fn own_folder(&self) -> Option<&Path> {
        match self {
            Self::Trial { folder, .. } => Some(folder),
            _ => None,
        }
    }
}

/// Decoded 64×64 RGB images, and what was skipped or changed.
#[derive(Clone, Debug, Default)]
pub struct Images {
    /// Interleaved RGB bytes, image after image.
    pub pixels: Vec<u8>,
    pub count: usize,
    /// Files that were not images, or damaged, with why.
    pub skipped: Vec<String>,
    /// Images smaller than 64 px that were upscaled.
    pub upscaled: usize,
    pub notices: Vec<String>,
}

impl Images {
    /// Image `i` as RGB bytes.
    pub fn image(&self, i: usize) -> &[u8] {
        let size = (SIDE * SIDE * 3) as usize;
        &self.pixels[i * size..(i + 1) * size]
    }
}

/// Reads the images; a source with none usable is an error saying why.
pub fn load(source: &ImageSource) -> anyhow::Result<Images> {
    let mut notices = Vec::new();
    let (files, skipped_names): (Vec<PathBuf>, Vec<String>) = match source {
        ImageSource::Emoji { categories, limit } => {
            let wanted = |category: &str, _: &str| {
                categories.is_empty() || categories.iter().any(|c| c == category)
            };
            (fetched_emoji(&wanted, *limit)?, Vec::new())
        }
        ImageSource::Faces { limit } => (fetched_emoji(&is_face, *limit)?, Vec::new()),
        ImageSource::Folder(dir) => {
            let mut files = crate::files::walk(dir, |_| true)
                .map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?;
            if files.is_empty() {
                anyhow::bail!("{}: the folder is empty", dir.display());
            }
            if files.len() > MAX_IMAGES {
                notices.push(format!(
                    "{} files: using the first {MAX_IMAGES}",
                    files.len()
                ));
                files.truncate(MAX_IMAGES);
            }
            (files, Vec::new())
        }
        ImageSource::Images(images) | ImageSource::Trial { images, .. } => {
            let mut out = Images {
                notices,
                ..Images::default()
            };
            for image in images {
                let (square, small) = square_64(image);
                out.upscaled += usize::from(small);
                out.pixels.extend_from_slice(square.as_raw());
                out.count += 1;
            }
            return finish(out, "no images given");
        }
    };
    let decoded: Vec<Result<(RgbImage, bool), String>> = files
        .par_iter()
        .map(|path| {
            Picture::open_any_size(path)
                .map(|p| square_64(&p.rgb))
                .map_err(|e| e.to_string())
        })
        .collect();
    let mut out = Images {
        skipped: skipped_names,
        notices,
        ..Images::default()
    };
    for result in decoded {
        match result {
            Ok((square, small)) => {
                out.upscaled += usize::from(small);
                out.pixels.extend_from_slice(square.as_raw());
                out.count += 1;
            }
            Err(reason) => out.skipped.push(reason),
        }
    }
    finish(out, "no usable images in this folder")
}

fn finish(out: Images, empty: &str) -> anyhow::Result<Images> {
    if out.count == 0 {
        anyhow::bail!(
            "{empty}{}",
            if out.skipped.is_empty() {
                String::new()
            } else {
                format!(" ({} files skipped)", out.skipped.len())
            }
        );
    }
    Ok(out)
}

/// Centre-cropped to a square and resized to 64×64; true when it was smaller.
pub fn square_64(image: &RgbImage) -> (RgbImage, bool) {
    let (w, h) = image.dimensions();
    let side = w.min(h).max(1);
    let cropped =
        image::imageops::crop_imm(image, (w - side) / 2, (h - side) / 2, side, side).to_image();
    let small = side < SIDE;
    if side == SIDE {
        return (cropped, false);
    }
    (
        image::imageops::resize(&cropped, SIDE, SIDE, image::imageops::FilterType::Triangle),
        small,
    )
}

/// The fetched emoji PNGs that are `wanted`, the first `limit` of them.
fn fetched_emoji(
    wanted: &dyn Fn(&str, &str) -> bool,
    limit: Option<usize>,
) -> anyhow::Result<Vec<PathBuf>> {
    let dir = assets::ensure(&Cache::user(), &Manifest::bundled(), "emoji")?;
    let mut files = emoji_files(&dir.join("package"), wanted)?;
    if let Some(limit) = limit {
        files.truncate(limit);
    }
    Ok(files)
}

/// The emoji PNGs whose category and subcategory (or their base emoji's) are
/// wanted, with their skin-tone variations.
fn emoji_files(
    package: &Path,
    wanted: &dyn Fn(&str, &str) -> bool,
) -> anyhow::Result<Vec<PathBuf>> {
    let text = std::fs::read_to_string(package.join("emoji.json"))?;
    let entries: Vec<serde_json::Value> = serde_json::from_str(&text)?;
    let images = package.join("img/google/64");
    let mut files = Vec::new();
    for entry in &entries {
        let category = entry["category"].as_str().unwrap_or_default();
        let subcategory = entry["subcategory"].as_str().unwrap_or_default();
        if !wanted(category, subcategory) {
            continue;
        }
        let mut names: Vec<&str> = entry["image"].as_str().into_iter().collect();
        if let Some(variations) = entry["skin_variations"].as_object() {
            names.extend(variations.values().filter_map(|v| v["image"].as_str()));
        }
        for name in names {
            let path = images.join(name);
            if path.is_file() {
                files.push(path);
            }
        }
    }
    if files.is_empty() {
        anyhow::bail!("no emoji of the chosen kind in {}", package.display());
    }
    Ok(files)
}
