//! Uploaded images are accepted by their content, not their name: PNG, JPEG, WebP or GIF,
//! within a size and pixel limit. They are decoded and encoded again, which drops metadata
//! such as the GPS position a phone writes into a photo, and a thumbnail is made.

use image::{ImageFormat, ImageReader, Limits};
use std::io::Cursor;

pub const MAX_BYTES: usize = 5 * 1024 * 1024;
pub const MAX_PIXELS: u64 = 40_000_000;
const THUMB: u32 = 480;

#[derive(Debug)]
pub struct Processed {
    pub content_type: &'static str,
    pub full: Vec<u8>,
    pub thumb: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

pub fn process(bytes: &[u8]) -> Result<Processed, String> {
    if bytes.len() > MAX_BYTES {
        return Err(format!("The image is larger than {} MB.", MAX_BYTES / 1024 / 1024));
    }
    let not_image = || "This file is not an image this board accepts: use PNG, JPEG, WebP or GIF.".to_string();
    let format = image::guess_format(bytes).map_err(|_| not_image())?;
    if !matches!(format, ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP | ImageFormat::Gif) {
        return Err(not_image());
    }
    let (width, height) = ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(|_| not_image())?;
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(format!("The image has more than {} million pixels; please make it smaller.", MAX_PIXELS / 1_000_000));
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(width);
    limits.max_image_height = Some(height);
    reader.limits(limits);
    let img = reader.decode().map_err(|_| "The image could not be read; it may be damaged.".to_string())?;
    // Photos stay JPEG; everything else becomes PNG. Only pixels are written: no metadata.
    let (out, content_type) = if format == ImageFormat::Jpeg { (ImageFormat::Jpeg, "image/jpeg") } else { (ImageFormat::Png, "image/png") };
    let encode = |img: &image::DynamicImage| -> Result<Vec<u8>, String> {
        let mut buf = Cursor::new(Vec::new());
        let img = if out == ImageFormat::Jpeg { image::DynamicImage::ImageRgb8(img.to_rgb8()) } else { img.clone() };
        img.write_to(&mut buf, out).map_err(|e| format!("The image could not be stored: {e}"))?;
        Ok(buf.into_inner())
    };
    Ok(Processed { content_type, full: encode(&img)?, thumb: encode(&img.thumbnail(THUMB, THUMB))?, width, height })
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
        assert_eq!((thumb.width(), thumb.height()), (480, 240));
    }

    #[test]
    fn refuses_what_is_not_an_image() {
        assert!(process(b"%PDF-1.7 not an image").unwrap_err().contains("not an image"));
        assert!(process(b"GIF89a broken").is_err());
    }
}
