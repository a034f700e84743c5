//! Digits for the VAE: the IDX files of MNIST (validated: magic numbers, sizes,
//! counts) or a folder of images (greyscale, resized to 28×28, labels from
//! sub-folder names when they are digits).

use std::path::{Path, PathBuf};

use super::model::IMAGE_SIDE;

/// Pixels per image.
pub const PIXELS: usize = IMAGE_SIDE * IMAGE_SIDE;

/// Why a data set could not be loaded.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum DataError {
    #[error(
        "{path}: not an IDX {what} file (magic number {found:#010x}, expected {expected:#010x})"
    )]
    BadMagic {
        path: String,
        what: &'static str,
        found: u32,
        expected: u32,
    },
    #[error("{path}: truncated ({len} bytes, the header promises {expected})")]
    Truncated {
        path: String,
        len: usize,
        expected: usize,
    },
    #[error("{path}: images are {rows}×{cols}, the VAE needs 28×28")]
    WrongSize {
        path: String,
        rows: usize,
        cols: usize,
    },
    #[error("{images} images but {labels} labels")]
    CountMismatch { images: usize, labels: usize },
    #[error("{0}: no images found")]
    Empty(String),
    #[error("{path}: {message}")]
    Io { path: String, message: String },
}

/// Digits as f32 pixels in 0..1, row-major, `PIXELS` per image.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Digits {
    pub pixels: Vec<f32>,
    /// A label per image (255 when unknown).
    pub labels: Vec<u8>,
    /// Files skipped while loading a folder, with why.
    pub skipped: Vec<String>,
}

impl Digits {
    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True when there are no images.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The pixels of image `index`.
    pub fn image(&self, index: usize) -> &[f32] {
        &self.pixels[index * PIXELS..(index + 1) * PIXELS]
    }

    /// Appends another set.
    pub fn extend(&mut self, other: Digits) {
        self.pixels.extend(other.pixels);
        self.labels.extend(other.labels);
        self.skipped.extend(other.skipped);
    }

    /// The first `count` images (tests, quick runs).
    #[must_use]
    pub fn take(&self, count: usize) -> Digits {
        self.range(0, count)
    }

    /// Images `start..end` (clamped to the set).
    #[must_use]
    pub fn range(&self, start: usize, end: usize) -> Digits {
        let end = end.min(self.len());
        let start = start.min(end);
        Digits {
            pixels: self.pixels[start * PIXELS..end * PIXELS].to_vec(),
            labels: self.labels[start..end].to_vec(),
            skipped: Vec::new(),
        }
    }
}

fn read(path: &Path) -> Result<Vec<u8>, DataError> {
    std::fs::read(path).map_err(|e| DataError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    })
}

fn be_u32(bytes: &[u8], at: usize) -> u32 {
    bytes
        .get(at..at + 4)
        .map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// Parses an IDX3 image file (magic 0x00000803) of 28×28 images.
pub fn parse_idx_images(bytes: &[u8], path: &str) -> Result<Vec<f32>, DataError> {
    let magic = be_u32(bytes, 0);
    if bytes.len() < 16 || magic != 0x803 {
        return Err(DataError::BadMagic {
            path: path.into(),
            what: "image",
            found: magic,
            expected: 0x803,
        });
    }
    let (count, rows, cols) = (
        be_u32(bytes, 4) as usize,
        be_u32(bytes, 8) as usize,
        be_u32(bytes, 12) as usize,
    );
    if (rows, cols) != (IMAGE_SIDE, IMAGE_SIDE) {
        return Err(DataError::WrongSize {
            path: path.into(),
            rows,
            cols,
        });
    }
    let expected = 16 + count * PIXELS;
    if bytes.len() < expected {
        return Err(DataError::Truncated {
            path: path.into(),
            len: bytes.len(),
            expected,
        });
    }
    Ok(bytes[16..expected]
        .iter()
        .map(|&b| f32::from(b) / 255.0)
        .collect())
}

/// Parses an IDX1 label file (magic 0x00000801).
pub fn parse_idx_labels(bytes: &[u8], path: &str) -> Result<Vec<u8>, DataError> {
    let magic = be_u32(bytes, 0);
    if bytes.len() < 8 || magic != 0x801 {
        return Err(DataError::BadMagic {
            path: path.into(),
            what: "label",
            found: magic,
            expected: 0x801,
        });
    }
    let count = be_u32(bytes, 4) as usize;
    let expected = 8 + count;
    if bytes.len() < expected {
        return Err(DataError::Truncated {
            path: path.into(),
            len: bytes.len(),
            expected,
        });
    }
    Ok(bytes[8..expected].to_vec())
}

/// Loads an IDX image file and its label file.
pub fn load_idx_pair(images: &Path, labels: &Path) -> Result<Digits, DataError> {
    let pixels = parse_idx_images(&read(images)?, &images.display().to_string())?;
    let labels = parse_idx_labels(&read(labels)?, &labels.display().to_string())?;
    if pixels.len() / PIXELS != labels.len() {
        return Err(DataError::CountMismatch {
            images: pixels.len() / PIXELS,
            labels: labels.len(),
        });
    }
    Ok(Digits {
        pixels,
        labels,
        skipped: Vec::new(),
    })
}

/// The fetched MNIST: (train 60 000, test 10 000), from the asset folder.
pub fn load_mnist(asset_dir: &Path) -> Result<(Digits, Digits), DataError> {
    let data = asset_dir.join("package/data");
    let train = load_idx_pair(
        &data.join("train-images-idx3-ubyte"),
        &data.join("train-labels-idx1-ubyte"),
    )?;
    let test = load_idx_pair(
        &data.join("t10k-images-idx3-ubyte"),
        &data.join("t10k-labels-idx1-ubyte"),
    )?;
    Ok((train, test))
}

/// Loads every image under `dir` (one level of sub-folders; a sub-folder named
/// by a digit labels its images). Non-images are skipped and listed.
pub fn load_image_folder(dir: &Path) -> Result<Digits, DataError> {
    let mut files: Vec<(PathBuf, u8)> = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|e| DataError::Io {
        path: dir.display().to_string(),
        message: e.to_string(),
    })?;
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            let label = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.parse::<u8>().ok())
                .unwrap_or(255);
            if let Ok(inner) = std::fs::read_dir(&path) {
                files.extend(inner.filter_map(Result::ok).map(|e| (e.path(), label)));
            }
        } else {
            files.push((path, 255));
        }
    }
    files.sort();
    let mut digits = Digits::default();
    for (path, label) in files {
        match image::open(&path) {
            Ok(img) => {
                let grey = img
                    .resize_exact(28, 28, image::imageops::FilterType::Triangle)
                    .to_luma8();
                digits
                    .pixels
                    .extend(grey.as_raw().iter().map(|&b| f32::from(b) / 255.0));
                digits.labels.push(label);
            }
            Err(err) => digits.skipped.push(format!("{}: {err}", path.display())),
        }
    }
    if digits.is_empty() {
        return Err(DataError::Empty(dir.display().to_string()));
    }
    Ok(digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idx_images(count: u32, side: u32, pixels: usize) -> Vec<u8> {
        let mut bytes = vec![0, 0, 8, 3];
        for v in [count, side, side] {
            bytes.extend(v.to_be_bytes());
        }
        bytes.extend((0..pixels).map(|i| u8::try_from(i % 256).unwrap()));
        bytes
    }

    #[test]
    fn parses_images_and_labels() {
        let pixels = parse_idx_images(&idx_images(2, 28, 2 * PIXELS), "x").unwrap();
        assert_eq!(pixels.len(), 2 * PIXELS);
        assert!((pixels[255] - 1.0).abs() < 1e-6);
        let labels = parse_idx_labels(&[0, 0, 8, 1, 0, 0, 0, 3, 7, 1, 9], "y").unwrap();
        assert_eq!(labels, vec![7, 1, 9]);
    }

    #[test]
    fn rejects_bad_files() {
        let swapped = parse_idx_images(&[0, 0, 8, 1, 0, 0, 0, 0], "labels-as-images");
        assert!(
            matches!(swapped, Err(DataError::BadMagic { found: 0x801, .. })),
            "{swapped:?}"
        );
        let truncated = parse_idx_images(&idx_images(3, 28, PIXELS), "t");
        assert!(
            matches!(truncated, Err(DataError::Truncated { .. })),
            "{truncated:?}"
        );
        let small = parse_idx_images(&idx_images(1, 14, 196), "s");
        assert!(matches!(small, Err(DataError::WrongSize { rows: 14, .. })));
        assert!(parse_idx_images(&[], "empty").is_err());
        assert!(matches!(
            parse_idx_labels(&[0, 0, 8, 1, 0, 0, 0, 5, 1], "l"),
            Err(DataError::Truncated { .. })
        ));
    }

    #[test]
    fn count_mismatch_is_reported() {
        let dir = std::env::temp_dir().join(format!("ls-idx-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("i"), idx_images(2, 28, 2 * PIXELS)).unwrap();
        std::fs::write(dir.join("l"), [0, 0, 8, 1, 0, 0, 0, 3, 1, 2, 3]).unwrap();
        let err = load_idx_pair(&dir.join("i"), &dir.join("l")).unwrap_err();
        assert_eq!(
            err,
            DataError::CountMismatch {
                images: 2,
                labels: 3
            }
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn image_folder_skips_non_images_and_labels_by_folder() {
        let dir = std::env::temp_dir().join(format!("ls-digits-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("7")).unwrap();
        image::GrayImage::from_pixel(40, 40, image::Luma([255]))
            .save(dir.join("7/a.png"))
            .unwrap();
        std::fs::write(dir.join("notes.txt"), "not an image").unwrap();
        let digits = load_image_folder(&dir).unwrap();
        assert_eq!(digits.labels, vec![7]);
        assert_eq!(digits.pixels.len(), PIXELS);
        assert_eq!(digits.skipped.len(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
        let empty = std::env::temp_dir().join(format!("ls-empty-{}", std::process::id()));
        std::fs::create_dir_all(&empty).unwrap();
        assert!(matches!(
            load_image_folder(&empty),
            Err(DataError::Empty(_))
        ));
        std::fs::remove_dir_all(&empty).unwrap();
    }
}
