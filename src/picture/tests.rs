#![expect(
    clippy::cast_possible_truncation,
    reason = "test patterns wrap on purpose"
)]

use image::{ImageBuffer, ImageFormat, Luma, Rgb, Rgba};

use super::{Picture, PictureError};

fn png_bytes(image: &image::DynamicImage) -> Vec<u8> {
    let mut bytes = Vec::new();
    image
        .write_to(&mut std::io::Cursor::new(&mut bytes), ImageFormat::Png)
        .expect("encode png");
    bytes
}

/// A small PNG file claiming `width`×`height`: its header, a few bytes of
/// pixel data, and the end marker (a decoder reading pixels runs out).
fn png_header(width: u32, height: u32) -> Vec<u8> {
    fn chunk(bytes: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        let mut crc = flate2::Crc::new();
        crc.update(&body);
        bytes.extend_from_slice(&u32::try_from(data.len()).unwrap().to_be_bytes());
        bytes.extend_from_slice(&body);
        bytes.extend_from_slice(&crc.sum().to_be_bytes());
    }
    let mut header = width.to_be_bytes().to_vec();
    header.extend_from_slice(&height.to_be_bytes());
    header.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut bytes, b"IHDR", &header);
    chunk(
        &mut bytes,
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    );
    chunk(&mut bytes, b"IEND", &[]);
    bytes
}

fn gradient(width: u32, height: u32) -> image::RgbImage {
    ImageBuffer::from_fn(width, height, |x, y| {
        Rgb([(x * 7) as u8, (y * 5) as u8, ((x + y) * 3) as u8])
    })
}

#[test]
fn a_plain_png_loads_without_notes() {
    let bytes = png_bytes(&gradient(40, 30).into());
    let picture = Picture::from_bytes(&bytes, "g.png").expect("loads");
    assert_eq!((picture.width(), picture.height()), (40, 30));
    assert!(picture.notes.is_empty());
    assert_eq!(picture.rgb.get_pixel(3, 2), &Rgb([21, 10, 15]));
}

#[test]
fn text_is_not_an_image() {
    let err = Picture::from_bytes(b"hello, this is a text file\n", "notes.txt").unwrap_err();
    assert_eq!(
        err,
        PictureError::NotAnImage {
            name: "notes.txt".into()
        }
    );
    assert!(err.to_string().contains("PNG or JPEG"));
}

#[test]
fn a_truncated_png_is_corrupt() {
    let bytes = png_bytes(&gradient(64, 64).into());
    let err = Picture::from_bytes(&bytes[..bytes.len() / 2], "cut.png").unwrap_err();
    assert!(matches!(err, PictureError::Corrupt { .. }), "{err:?}");
}

#[test]
fn a_truncated_jpeg_is_corrupt_or_refused_cleanly() {
    let mut bytes = Vec::new();
    image::DynamicImage::from(gradient(64, 64))
        .write_to(&mut std::io::Cursor::new(&mut bytes), ImageFormat::Jpeg)
        .expect("encode jpeg");
    // Keep only the headers: no scan data at all.
    let err = Picture::from_bytes(&bytes[..200], "cut.jpg").unwrap_err();
    assert!(matches!(err, PictureError::Corrupt { .. }), "{err:?}");
}

#[test]
fn a_huge_image_is_refused_before_decoding() {
    let err = Picture::from_bytes(&png_header(20_000, 20_000), "huge.png").unwrap_err();
    assert_eq!(
        err,
        PictureError::TooLarge {
            name: "huge.png".into(),
            width: 20_000,
            height: 20_000
        }
    );
}

#[test]
fn a_zero_sized_image_is_refused() {
    let err = Picture::from_bytes(&png_header(0, 0), "empty.png").unwrap_err();
    assert!(
        matches!(
            err,
            PictureError::Empty { .. } | PictureError::Corrupt { .. }
        ),
        "{err:?}"
    );
}

#[test]
fn a_tiny_image_is_refused() {
    let bytes = png_bytes(&gradient(4, 4).into());
    let err = Picture::from_bytes(&bytes, "tiny.png").unwrap_err();
    assert!(matches!(err, PictureError::TooSmall { width: 4, .. }));
}

#[test]
fn sixteen_bit_greyscale_and_alpha_are_converted_and_noted() {
    let grey16: ImageBuffer<Luma<u16>, Vec<u16>> =
        ImageBuffer::from_fn(20, 20, |x, _| Luma([u16::try_from(x).unwrap() * 3000]));
    let picture = Picture::from_bytes(&png_bytes(&grey16.into()), "g16.png").expect("loads");
    assert_eq!(picture.notes.len(), 2, "{:?}", picture.notes);
    let px = picture.rgb.get_pixel(10, 3);
    assert_eq!(px[0], px[1]);
    assert_eq!(px[0], px[2]);

    let clear: ImageBuffer<Rgba<u8>, Vec<u8>> =
        ImageBuffer::from_fn(20, 20, |x, _| Rgba([0, 0, 0, if x < 10 { 0 } else { 255 }]));
    let picture = Picture::from_bytes(&png_bytes(&clear.into()), "a.png").expect("loads");
    assert_eq!(picture.rgb.get_pixel(2, 2), &Rgb([255, 255, 255]));
    assert_eq!(picture.rgb.get_pixel(15, 2), &Rgb([0, 0, 0]));
    assert!(picture.notes[0].contains("transparency"));
}

#[test]
fn a_missing_file_says_so() {
    let err = Picture::open(std::path::Path::new("/nonexistent/photo.png")).unwrap_err();
    assert!(matches!(err, PictureError::Unreadable { .. }));
    assert!(err.to_string().starts_with("photo.png"));
}

#[test]
fn resizing_keeps_the_aspect_ratio() {
    let picture = Picture::from_rgb(gradient(600, 400), "p").expect("ok");
    let small = picture.resized_to_height(100);
    assert_eq!((small.width(), small.height()), (150, 100));
    assert_eq!(super::scaled_width(451, 300, 128), 192);
}
