//! Keeping the content photo's colours (Gatys et al. 2016, "Preserving colour
//! in neural artistic style transfer"): the result's luminance with the
//! content's chroma, in YIQ. Pure pixel code.

use image::RgbImage;

/// `styled` with the colours of `content` (both the same size): Y from the
/// styled image, I and Q from the content.
pub fn keep_content_colors(styled: &RgbImage, content: &RgbImage) -> RgbImage {
    assert_eq!(styled.dimensions(), content.dimensions(), "same size");
    let mut out = RgbImage::new(styled.width(), styled.height());
    for ((o, s), c) in out.pixels_mut().zip(styled.pixels()).zip(content.pixels()) {
        let (y, _, _) = to_yiq(s.0);
        let (_, i, q) = to_yiq(c.0);
        o.0 = from_yiq(y, i, q);
    }
    out
}

fn to_yiq([r, g, b]: [u8; 3]) -> (f32, f32, f32) {
    let (r, g, b) = (f32::from(r), f32::from(g), f32::from(b));
    (
        0.299 * r + 0.587 * g + 0.114 * b,
        0.595_716 * r - 0.274_453 * g - 0.321_263 * b,
        0.211_456 * r - 0.522_591 * g + 0.311_135 * b,
    )
}

fn from_yiq(y: f32, i: f32, q: f32) -> [u8; 3] {
    let channel = |v: f32| {
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "clamped to 0..=255 first"
        )]
        let byte = v.round().clamp(0.0, 255.0) as u8;
        byte
    };
    [
        channel(y + 0.956_3 * i + 0.621_0 * q),
        channel(y - 0.272_1 * i - 0.647_4 * q),
        channel(y - 1.107_0 * i + 1.704_6 * q),
    ]
}

#[cfg(test)]
mod tests {
    use image::Rgb;

    use super::*;

    #[test]
    fn a_grey_result_takes_the_content_colours_at_its_own_brightness() {
        let content = RgbImage::from_pixel(4, 4, Rgb([200, 60, 40]));
        let styled = RgbImage::from_pixel(4, 4, Rgb([100, 100, 100]));
        let out = keep_content_colors(&styled, &content);
        let px = out.get_pixel(1, 1).0;
        assert!(px[0] > px[1] && px[0] > px[2], "reddish: {px:?}");
        let (y, _, _) = to_yiq(px);
        assert!((y - 100.0).abs() < 2.0, "luminance kept: {y}");
    }

    #[test]
    #[expect(clippy::cast_possible_truncation, reason = "small test pattern")]
    fn the_same_image_comes_back_unchanged() {
        let image = RgbImage::from_fn(8, 8, |x, y| Rgb([(x * 30) as u8, (y * 20) as u8, 90]));
        let out = keep_content_colors(&image, &image);
        for (a, b) in out.pixels().zip(image.pixels()) {
            for c in 0..3 {
                assert!(a[c].abs_diff(b[c]) <= 1, "{a:?} vs {b:?}");
            }
        }
    }
}
