//! Loading the user's pictures (content, style, dream images) with every bad
//! case turned into one plain sentence: not an image, corrupt, empty, tiny,
//! huge. Odd formats (16-bit, greyscale, alpha) are converted and noted.

use std::path::Path;

use image::{DynamicImage, ImageReader, RgbImage};

/// Longest side accepted, in pixels.
pub const MAX_SIDE: u32 = 12_000;
/// Most pixels accepted (a 9000×9000 photo is fine — DeepDream works on it in
/// tiles — 20000×20000 is not). Decoded, it is 3 bytes a pixel.
pub const MAX_PIXELS: u64 = 100_000_000;
/// Shortest side accepted, in pixels.
pub const MIN_SIDE: u32 = 16;

/// The default photos (fetched `photos` asset): label and member path.
pub const GALLERY: [(&str, &str); 4] = [
    ("astronaut", "skimage/data/astronaut.png"),
    ("coffee", "skimage/data/coffee.png"),
    ("rocket", "skimage/data/rocket.jpg"),
    ("cat", "skimage/data/chelsea.png"),
];
/// Van Gogh's Starry Night (fetched `starry_night` asset).
pub const STARRY_NIGHT: &str = "usr/share/doc/opencv-doc/examples/data/starry_night.jpg";

/// Fetches (if needed) and opens a gallery photo by label, or the painting
/// with label `starry night`.
pub fn open_default(label: &str) -> anyhow::Result<Picture> {
    let cache = crate::assets::Cache::user();
    let manifest = crate::assets::Manifest::bundled();
    let (id, member) = if label == "starry night" {
        ("starry_night", STARRY_NIGHT)
    } else {
        let (_, member) = GALLERY
            .iter()
            .find(|(name, _)| *name == label)
            .ok_or_else(|| anyhow::anyhow!("no default picture named `{label}`"))?;
        ("photos", *member)
    };
    crate::assets::ensure(&cache, &manifest, id)?;
    let mut picture = Picture::open(&cache.member(id, member))?;
    label.clone_into(&mut picture.name);
    Ok(picture)
}

/// An RGB picture ready for a network, with what was done to get it there.
#[derive(Clone, Debug)]
pub struct Picture {
    pub rgb: RgbImage,
    /// File name or gallery name, for labels.
    pub name: String,
    /// Conversions made (e.g. "16-bit, reduced to 8-bit"); shown beside the thumbnail.
    pub notes: Vec<String>,
}

/// Why a picture was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PictureError {
    #[error("{name}: cannot read the file ({reason})")]
    Unreadable { name: String, reason: String },
    #[error("{name}: not an image this studio reads (PNG or JPEG)")]
    NotAnImage { name: String },
    #[error("{name}: the image is damaged or cut short ({reason})")]
    Corrupt { name: String, reason: String },
    #[error("{name}: the image is empty (0×0)")]
    Empty { name: String },
    #[error("{name}: {width}×{height} is too small; at least {MIN_SIDE} px per side")]
    TooSmall {
        name: String,
        width: u32,
        height: u32,
    },
    #[error(
        "{name}: {width}×{height} is too large; at most {MAX_SIDE} px per side and {} megapixels",
        MAX_PIXELS / 1_000_000
    )]
    TooLarge {
        name: String,
        width: u32,
        height: u32,
    },
}

impl Picture {
    /// Reads and checks an image file.
    pub fn open(path: &Path) -> Result<Self, PictureError> {
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let bytes = std::fs::read(path).map_err(|e| PictureError::Unreadable {
            name: name.clone(),
            reason: e.to_string(),
        })?;
        Self::from_bytes(&bytes, &name)
    }

    /// Like [`Picture::open`] but accepting any size from 1 px (the GAN upscales small images).
    pub fn open_any_size(path: &Path) -> Result<Self, PictureError> {
        match Self::open(path) {
            Err(PictureError::TooSmall { name, .. }) => {
                let bytes = std::fs::read(path).map_err(|e| PictureError::Unreadable {
                    name: name.clone(),
                    reason: e.to_string(),
                })?;
                Self::decode(&bytes, &name, 1)
            }
            other => other,
        }
    }

    /// Checks and decodes an image held in memory.
    pub fn from_bytes(bytes: &[u8], name: &str) -> Result<Self, PictureError> {
        Self::decode(bytes, name, MIN_SIDE)
    }

    fn decode(bytes: &[u8], name: &str, min_side: u32) -> Result<Self, PictureError> {
        let name = name.to_owned();
        let reader = ImageReader::new(std::io::Cursor::new(bytes))
            .with_guessed_format()
            .map_err(|e| PictureError::Unreadable {
                name: name.clone(),
                reason: e.to_string(),
            })?;
        if reader.format().is_none() {
            return Err(PictureError::NotAnImage { name });
        }
        // Check the size from the header before decoding a single pixel.
        let (width, height) = reader
            .into_dimensions()
            .map_err(|e| corrupt_or_foreign(&name, &e))?;
        check_size(&name, width, height, min_side)?;
        let mut reader = ImageReader::new(std::io::Cursor::new(bytes))
            .with_guessed_format()
            .map_err(|e| PictureError::Unreadable {
                name: name.clone(),
                reason: e.to_string(),
            })?;
        reader.no_limits();
        let decoded = reader.decode().map_err(|e| corrupt_or_foreign(&name, &e))?;
        let (rgb, notes) = to_rgb8(&decoded);
        Ok(Self { rgb, name, notes })
    }

    /// A picture made in memory (tests, generated content).
    pub fn from_rgb(rgb: RgbImage, name: &str) -> Result<Self, PictureError> {
        check_size(name, rgb.width(), rgb.height(), MIN_SIDE)?;
        Ok(Self {
            rgb,
            name: name.to_owned(),
            notes: Vec::new(),
        })
    }

    pub fn width(&self) -> u32 {
        self.rgb.width()
    }

    pub fn height(&self) -> u32 {
        self.rgb.height()
    }

    /// Resized (Lanczos) to `height` rows, the width following the aspect ratio.
    pub fn resized_to_height(&self, height: u32) -> RgbImage {
        let width = scaled_width(self.width(), self.height(), height);
        image::imageops::resize(
            &self.rgb,
            width,
            height,
            image::imageops::FilterType::Lanczos3,
        )
    }

    /// The picture as an egui texture source, at most `max_side` px per side.
    pub fn thumbnail(&self, max_side: u32) -> egui::ColorImage {
        let thumb = image::DynamicImage::ImageRgb8(self.rgb.clone()).thumbnail(max_side, max_side);
        rgb_to_color_image(&thumb.to_rgb8())
    }
}

/// Where a picture to load comes from.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum PictureSource {
    File(std::path::PathBuf),
    /// A gallery photo or `starry night`, fetched if needed.
    Default(String),
}

/// A picture loaded off the UI thread, with its thumbnail for the drop zone.
#[derive(Debug)]
pub struct Loaded {
    pub picture: Picture,
    pub thumbnail: egui::ColorImage,
}

/// Loads a picture off the UI thread; the handle delivers one [`Loaded`] or fails
/// with the reason as one sentence.
pub fn load_in_background(
    source: PictureSource,
    waker: crate::job::Waker,
) -> std::io::Result<crate::job::JobHandle<Loaded, ()>> {
    crate::job::JobBuilder::new("picture").waker(waker).spawn(
        move |ctx: &mut crate::job::JobContext<Loaded, ()>| {
            let picture = match source {
                PictureSource::File(path) => Picture::open(&path).map_err(anyhow::Error::from)?,
                PictureSource::Default(label) => open_default(&label)?,
            };
            // The thumbnail is scaled here too: no resizing on the UI thread.
            let thumbnail = picture.thumbnail(240);
            ctx.send(Loaded { picture, thumbnail })
        },
    )
}

/// Width for `height` rows keeping the aspect ratio of `w`×`h` (at least 1).
pub fn scaled_width(w: u32, h: u32, height: u32) -> u32 {
    let width = (u64::from(w) * u64::from(height) + u64::from(h) / 2) / u64::from(h.max(1));
    u32::try_from(width).unwrap_or(u32::MAX).max(1)
}

/// An egui image as RGB (alpha dropped).
pub fn color_image_to_rgb(image: &egui::ColorImage) -> RgbImage {
    let [w, h] = image.size;
    let bytes = image
        .pixels
        .iter()
        .flat_map(|c| [c.r(), c.g(), c.b()])
        .collect();
    RgbImage::from_raw(
        u32::try_from(w).unwrap_or(0),
        u32::try_from(h).unwrap_or(0),
        bytes,
    )
    .unwrap_or_default()
}

/// An RGB image as an egui image.
pub fn rgb_to_color_image(rgb: &RgbImage) -> egui::ColorImage {
    let size = [rgb.width() as usize, rgb.height() as usize];
    egui::ColorImage::from_rgb(size, rgb.as_raw())
}

fn check_size(name: &str, width: u32, height: u32, min_side: u32) -> Result<(), PictureError> {
    let name = name.to_owned();
    if width == 0 || height == 0 {
        return Err(PictureError::Empty { name });
    }
    if width.max(height) > MAX_SIDE || u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(PictureError::TooLarge {
            name,
            width,
            height,
        });
    }
    if width.min(height) < min_side {
        return Err(PictureError::TooSmall {
            name,
            width,
            height,
        });
    }
    Ok(())
}

fn corrupt_or_foreign(name: &str, err: &image::ImageError) -> PictureError {
    match err {
        image::ImageError::Unsupported(_) => PictureError::NotAnImage {
            name: name.to_owned(),
        },
        other => PictureError::Corrupt {
            name: name.to_owned(),
            reason: other.to_string(),
        },
    }
}

/// Any decoded image as 8-bit RGB: alpha composited on white, greyscale spread
/// to three channels, 16-bit and float reduced to 8-bit; each noted.
fn to_rgb8(image: &DynamicImage) -> (RgbImage, Vec<String>) {
    let color = image.color();
    let mut notes = Vec::new();
    if color.bytes_per_pixel() / color.channel_count() > 1 {
        notes.push(format!(
            "{}-bit, reduced to 8-bit",
            8 * color.bytes_per_pixel() / color.channel_count()
        ));
    }
    if !color.has_color() {
        notes.push("greyscale, used as RGB".to_owned());
    }
    if color.has_alpha() {
        notes.push("transparency composited on white".to_owned());
        let rgba = image.to_rgba8();
        let mut rgb = RgbImage::new(rgba.width(), rgba.height());
        for (out, px) in rgb.pixels_mut().zip(rgba.pixels()) {
            let alpha = u16::from(px[3]);
            for c in 0..3 {
                let blended = (u16::from(px[c]) * alpha + 255 * (255 - alpha) + 127) / 255;
                out[c] = u8::try_from(blended).unwrap_or(u8::MAX);
            }
        }
        return (rgb, notes);
    }
    (image.to_rgb8(), notes)
}

#[cfg(test)]
mod tests;
