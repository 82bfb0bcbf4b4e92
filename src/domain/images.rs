//! Uploaded images are accepted by their content, not their name: PNG, JPEG, WebP or GIF,
//! within a size and pixel limit. They are decoded and encoded again, which drops metadata
//! such as the GPS position a phone writes into a photo. A phone's photo is taken as it is
//! (up to 20 MB) and scaled down: the stored image is at most 2,048 pixels on its longest
//! side, and pages show a rendition of at most 1,024.

use image::{ImageFormat, ImageReader, Limits};
use std::io::Cursor;

pub const MAX_BYTES: usize = 20 * 1024 * 1024;
pub const MAX_PIXELS: u64 = 40_000_000;
/// The most memory one decoded image may take: width × height × bytes per pixel of its real
/// colour type (a 300 kB 16-bit PNG of 6,300 × 6,300 would take 238 MB). 100 MiB holds a
/// 24-megapixel phone photo (6,000 × 4,000, 72 MB as RGB).
pub const MAX_DECODED_BYTES: u64 = 100 * 1024 * 1024;
/// The longest side of the stored image.
pub const FULL: u32 = 2048;
/// The longest side of the rendition pages show.
const THUMB: u32 = 1024;

#[derive(Debug, Clone)]
pub struct Processed {
    pub content_type: &'static str,
    pub full: Vec<u8>,
    pub thumb: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

pub fn process(bytes: &[u8]) -> Result<Processed, String> {
    use image::ImageDecoder;
    if bytes.len() > MAX_BYTES {
        return Err(format!("The image is larger than {} MB.", MAX_BYTES / 1024 / 1024));
    }
    let not_image = || "This file is not an image this board accepts: use PNG, JPEG, WebP or GIF.".to_string();
    let format = image::guess_format(bytes).map_err(|_| not_image())?;
    if !matches!(format, ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP | ImageFormat::Gif) {
        return Err(not_image());
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    // The decoder refuses to allocate more than this, whatever the header claims.
    limits.max_alloc = Some(MAX_DECODED_BYTES + 1024 * 1024);
    reader.limits(limits);
    let decoder = reader.into_decoder().map_err(|_| not_image())?;
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(format!(
            "The image has more than {} million pixels; please make it smaller.",
            MAX_PIXELS / 1_000_000
        ));
    }
    if decoder.total_bytes() > MAX_DECODED_BYTES {
        return Err(format!(
            "The image would take {} MB of memory once opened (at most {} MB); please make it smaller or save it with 8 bits per colour.",
            decoder.total_bytes().div_ceil(1024 * 1024),
            MAX_DECODED_BYTES / 1024 / 1024
        ));
    }
    let img = image::DynamicImage::from_decoder(decoder)
        .map_err(|_| "The image could not be read; it may be damaged.".to_string())?;
    // Larger than anyone looks at: scaled down before anything is encoded.
    let img =
        if width.max(height) > FULL { img.resize(FULL, FULL, image::imageops::FilterType::Triangle) } else { img };
    let (width, height) = (img.width(), img.height());
    // Photos stay JPEG; everything else becomes PNG. Only pixels are written: no metadata.
    // The decoded buffer is written as it is; a JPEG is converted only if it is not RGB already.
    let full = if format == ImageFormat::Jpeg {
        match &img {
            image::DynamicImage::ImageRgb8(_) => encode(&img, ImageFormat::Jpeg)?,
            other => encode(&image::DynamicImage::ImageRgb8(other.to_rgb8()), ImageFormat::Jpeg)?,
        }
    } else {
        encode(&img, ImageFormat::Png)?
    };
    let thumb = img.thumbnail(THUMB, THUMB);
    drop(img);
    let thumb = if format == ImageFormat::Jpeg {
        encode(&image::DynamicImage::ImageRgb8(thumb.to_rgb8()), ImageFormat::Jpeg)?
    } else {
        encode(&thumb, ImageFormat::Png)?
    };
    let content_type = if format == ImageFormat::Jpeg { "image/jpeg" } else { "image/png" };
    Ok(Processed { content_type, full, thumb, width, height })
}

fn encode(img: &image::DynamicImage, format: ImageFormat) -> Result<Vec<u8>, String> {
    let mut buf = Cursor::new(Vec::new());
    img.write_to(&mut buf, format).map_err(|e| format!("The image could not be stored: {e}"))?;
    Ok(buf.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_pixel(w, h, image::Rgb([10, 110, 80]));
        let mut buf = Cursor::new(Vec::new());
        img.write_to(&mut buf, ImageFormat::Png).unwrap();
        buf.into_inner()
    }

    #[test]
    fn accepts_images_by_content_and_thumbnails_them() {
        let p = process(&png(1200, 600)).unwrap();
        assert_eq!((p.width, p.height, p.content_type), (1200, 600, "image/png"));
        let thumb = image::load_from_memory(&p.thumb).unwrap();
        assert_eq!((thumb.width(), thumb.height()), (1024, 512));
    }

    #[test]
    fn large_photos_are_scaled_down_not_refused() {
        let p = process(&png(3000, 1500)).unwrap();
        assert_eq!((p.width, p.height), (2048, 1024));
        let full = image::load_from_memory(&p.full).unwrap();
        assert_eq!((full.width(), full.height()), (2048, 1024));
    }

    #[test]
    fn refuses_images_that_decode_too_large() {
        // 16 bits per channel, RGB: 6 bytes a pixel. Small as a file, 150 MB once opened.
        let img = image::ImageBuffer::<image::Rgb<u16>, _>::from_pixel(5000, 5000, image::Rgb([1, 2, 3]));
        let mut buf = Cursor::new(Vec::new());
        image::DynamicImage::ImageRgb16(img).write_to(&mut buf, ImageFormat::Png).unwrap();
        let bytes = buf.into_inner();
        assert!(bytes.len() < 1024 * 1024, "a small file: {}", bytes.len());
        let err = process(&bytes).unwrap_err();
        assert!(err.contains("MB of memory"), "{err}");
        // The same size in 8 bits is fine.
        assert!(process(&png(4000, 3000)).is_ok());
    }

    #[test]
    fn refuses_what_is_not_an_image() {
        assert!(process(b"%PDF-1.7 not an image").unwrap_err().contains("not an image"));
        assert!(process(b"GIF89a broken").is_err());
    }
}
