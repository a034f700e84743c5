//! Exporting an evolution (style iterations, dream zooms, GAN epochs) as an
//! animated GIF.

use std::path::Path;

use image::codecs::gif::{GifEncoder, Repeat};
use image::{Delay, Frame, RgbImage, RgbaImage};

/// Writes `frames` as a looping GIF, `delay_ms` per frame. Frames smaller than
/// the largest are resized to it.
pub fn write_gif(frames: &[RgbImage], path: &Path, delay_ms: u32) -> anyhow::Result<()> {
    let Some(largest) = frames
        .iter()
        .max_by_key(|f| u64::from(f.width()) * u64::from(f.height()))
    else {
        anyhow::bail!("no frames to write");
    };
    let (width, height) = largest.dimensions();
    let file = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut encoder = GifEncoder::new_with_speed(file, 10);
    encoder.set_repeat(Repeat::Infinite)?;
    for frame in frames {
        let frame = if frame.dimensions() == (width, height) {
            frame.clone()
        } else {
            image::imageops::resize(frame, width, height, image::imageops::FilterType::Triangle)
        };
        let rgba: RgbaImage = image::DynamicImage::ImageRgb8(frame).to_rgba8();
        encoder.encode_frame(Frame::from_parts(
            rgba,
            0,
            0,
            Delay::from_numer_denom_ms(delay_ms, 1),
        ))?;
    }
    Ok(())
}

/// Writes each frame as `frame_0000.png`, `frame_0001.png`, … into `dir`
/// (made if missing).
pub fn write_frames(frames: &[RgbImage], dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    for (index, frame) in frames.iter().enumerate() {
        frame.save(dir.join(format!("frame_{index:04}.png")))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gif_has_every_frame() {
        let dir = std::env::temp_dir().join(format!("ls-gif-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.gif");
        let frames: Vec<RgbImage> = (0..3u8)
            .map(|i| RgbImage::from_pixel(8, 6, image::Rgb([i * 100, 0, 0])))
            .chain(std::iter::once(RgbImage::new(16, 12)))
            .collect();
        write_gif(&frames, &path, 100).unwrap();
        let decoder = image::codecs::gif::GifDecoder::new(std::io::BufReader::new(
            std::fs::File::open(&path).unwrap(),
        ))
        .unwrap();
        let frames_read = image::AnimationDecoder::into_frames(decoder)
            .collect_frames()
            .unwrap();
        assert_eq!(frames_read.len(), 4);
        assert_eq!(frames_read[0].buffer().dimensions(), (16, 12));
        assert!(write_gif(&[], &path, 100).is_err());
        std::fs::remove_dir_all(&dir).ok();
    }
}
