//! Pictures: what a file's first bytes say it is, its size in pixels, the small preview a
//! sender makes, and decoding for the screen, always within [`Limits`].
//!
//! Architecture Invariant: nothing here decodes a picture without limits. A file or a preview
//! comes from another user, and a few bytes can claim 100,000 × 100,000 pixels (40 GB once
//! decoded, a "decompression bomb"): the limits refuse it before anything is allocated, and
//! the window shows a placeholder instead.

use std::io::{BufRead, Cursor, Seek};
use std::path::Path;

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

/// Longest side of a preview, in pixels.
pub const PREVIEW_SIDE: u32 = 320;
/// Largest preview the server keeps.
pub const PREVIEW_MAX_BYTES: usize = 64 * 1024;
/// Longest side of a picture put on screen (the viewer); larger ones are scaled down first.
pub const SCREEN_SIDE: u32 = 4096;

/// Limits for a preview someone sent: small by construction, so anything large is a lie.
pub fn preview_limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(2048);
    limits.max_image_height = Some(2048);
    limits.max_alloc = Some(32 * 1024 * 1024);
    limits
}

/// Limits for a whole picture (a photo of 50 megapixels fits; a bomb does not).
pub fn picture_limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(16_384);
    limits.max_image_height = Some(16_384);
    limits.max_alloc = Some(256 * 1024 * 1024);
    limits
}

/// The media type of a file, from its first bytes (pictures) or its name (the rest).
pub fn media_type(name: &str, head: &[u8]) -> String {
    if let Ok(format) = image::guess_format(head) {
        return format.to_mime_type().to_owned();
    }
    let ext = Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    // Source code as text (mime_guess reads `.ts` as an MPEG stream, `.rs` as nothing), so
    // that it shows as code; the rest from mime_guess's table.
    let source = match ext.as_str() {
        "rs" => Some("text/x-rust"),
        "py" => Some("text/x-python"),
        "c" | "h" => Some("text/x-c"),
        "cpp" | "cc" | "hpp" => Some("text/x-c++"),
        "java" => Some("text/x-java"),
        "js" | "mjs" => Some("text/javascript"),
        "ts" => Some("text/x-typescript"),
        "go" => Some("text/x-go"),
        "sh" => Some("text/x-shellscript"),
        "toml" => Some("text/x-toml"),
        "yaml" | "yml" => Some("text/x-yaml"),
        "sql" => Some("text/x-sql"),
        "md" => Some("text/markdown"),
        "log" => Some("text/plain"),
        _ => None,
    };
    match source {
        Some(mime) => mime.to_owned(),
        None => mime_guess::from_ext(&ext)
            .first_raw()
            .unwrap_or("application/octet-stream")
            .to_owned(),
    }
}

/// Whether the image crate reads this format here.
fn decodable(format: ImageFormat) -> bool {
    matches!(
        format,
        ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::Gif | ImageFormat::WebP
    )
}

/// Decodes a picture within `limits`, turned upright as its EXIF orientation says.
pub fn decode(
    reader: impl BufRead + Seek,
    limits: Limits,
) -> Result<DynamicImage, image::ImageError> {
    let mut reader = ImageReader::new(reader).with_guessed_format()?;
    match reader.format() {
        Some(format) if decodable(format) => {}
        _ => {
            return Err(image::ImageError::Unsupported(
                image::error::UnsupportedError::from_format_and_kind(
                    image::error::ImageFormatHint::Unknown,
                    image::error::UnsupportedErrorKind::Format(
                        image::error::ImageFormatHint::Unknown,
                    ),
                ),
            ));
        }
    }
    // The decoder checks the claimed width and height; the pixels' buffer is checked here,
    // against the same budget (`DynamicImage::from_decoder` allocates whatever the header
    // says: 16,384 × 16,384 passes the sides' limit and is 1 GiB).
    let mut budget = limits.clone();
    reader.limits(limits);
    let mut decoder = reader.into_decoder()?;
    budget.reserve(decoder.total_bytes())?;
    let orientation = decoder.orientation()?;
    let mut picture = DynamicImage::from_decoder(decoder)?;
    picture.apply_orientation(orientation);
    Ok(picture)
}

/// Whole pictures being decoded: one at a time, so that pictures opened or attached together
/// never hold more than one [`picture_limits`] budget of memory between them.
static WHOLE: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Decodes a whole picture (one attached, or opened in the viewer) from the file at `path`,
/// within [`picture_limits`], and hands it to `then`: one such picture at a time, until
/// `then` is done with it.
pub fn with_whole<T>(
    path: &Path,
    then: impl FnOnce(DynamicImage) -> T,
) -> Result<T, image::ImageError> {
    let _one = WHOLE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let file = std::fs::File::open(path).map_err(image::ImageError::IoError)?;
    let picture = decode(std::io::BufReader::new(file), picture_limits())?;
    Ok(then(picture))
}

/// Decodes a picture from memory (a preview someone sent) within the preview limits.
pub fn decode_preview(bytes: &[u8]) -> Result<DynamicImage, image::ImageError> {
    decode(Cursor::new(bytes), preview_limits())
}

/// A picture as egui draws it, no larger than `side` on its longer side.
pub fn for_screen(picture: &DynamicImage, side: u32) -> egui::ColorImage {
    let fitted = if picture.width() > side || picture.height() > side {
        picture.thumbnail(side, side)
    } else {
        picture.clone()
    };
    let rgba = fitted.into_rgba8();
    let size = [rgba.width() as usize, rgba.height() as usize];
    egui::ColorImage::from_rgba_unmultiplied(size, rgba.as_raw())
}

/// A picture's size in pixels and its preview, as an upload announces them.
pub type Measured = (Option<(u32, u32)>, Option<Vec<u8>>);

/// `picture`'s size and preview.
pub fn measure(picture: &DynamicImage) -> Measured {
    (
        Some((picture.width(), picture.height())),
        make_preview(picture),
    )
}

/// What `decoded` measured of a file of type `mime`, or nothing: it is no picture, or it
/// cannot be decoded (then sent as any file, a card).
pub fn measured(
    name: &str,
    mime: &str,
    decoded: impl FnOnce() -> Result<Measured, image::ImageError>,
) -> Measured {
    if !mime.starts_with("image/") {
        return (None, None);
    }
    decoded().unwrap_or_else(|e| {
        tracing::info!("no preview for {name}: {e}");
        (None, None)
    })
}

/// A small preview of `picture` as the server keeps it: a JPEG (or a PNG where the picture
/// has transparency) of at most [`PREVIEW_MAX_BYTES`].
pub fn make_preview(picture: &DynamicImage) -> Option<Vec<u8>> {
    let mut side = PREVIEW_SIDE;
    while side >= 64 {
        let small = picture.thumbnail(side, side);
        let mut out = Cursor::new(Vec::new());
        let written = if small.color().has_alpha() {
            small.write_to(&mut out, ImageFormat::Png)
        } else {
            let rgb = DynamicImage::ImageRgb8(small.into_rgb8());
            rgb.write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(
                &mut out, 80,
            ))
        };
        if written.is_ok() && out.get_ref().len() <= PREVIEW_MAX_BYTES {
            return Some(out.into_inner());
        }
        side = side * 3 / 4;
    }
    None
}

/// A picture pasted from the clipboard, as a PNG file's bytes.
pub fn png_of(image: &egui::ColorImage) -> Option<Vec<u8>> {
    let [w, h] = image.size;
    let mut rgba = Vec::with_capacity(w * h * 4);
    for pixel in &image.pixels {
        rgba.extend_from_slice(&pixel.to_srgba_unmultiplied());
    }
    let buffer = image::RgbaImage::from_raw(u32::try_from(w).ok()?, u32::try_from(h).ok()?, rgba)?;
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageRgba8(buffer)
        .write_to(&mut out, ImageFormat::Png)
        .ok()?;
    Some(out.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A well-formed PNG claiming `w` × `h` pixels of 8-bit RGBA, with the start of a deflate
    /// stream for its pixels: a decoder reads its header through and meets its limits, not a
    /// damaged chunk.
    pub fn claimed_png(w: u32, h: u32) -> Vec<u8> {
        let mut png = Vec::new();
        let mut encoder = png::Encoder::new(&mut png, w, h);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().expect("a header");
        writer
            .write_chunk(png::chunk::IDAT, b"\x78\x9c\x01\x00\x00")
            .expect("a chunk");
        drop(writer);
        png
    }

    fn refused_for_size(result: Result<DynamicImage, image::ImageError>) -> bool {
        matches!(result, Err(image::ImageError::Limits(_)))
    }

    #[test]
    fn a_bomb_is_refused_before_anything_is_allocated() {
        // Sides over the limit.
        let bomb = claimed_png(100_000, 100_000);
        assert!(refused_for_size(decode_preview(&bomb)));
        assert!(refused_for_size(decode(
            Cursor::new(&bomb),
            picture_limits()
        )));
        // Sides within the limit, pixels over the memory budget (1 GiB against 256 MiB).
        let square = claimed_png(16_384, 16_384);
        assert!(refused_for_size(decode(
            Cursor::new(&square),
            picture_limits()
        )));
        // Within both: refused for its missing pixels, not its size.
        let small = claimed_png(64, 64);
        let broken = decode(Cursor::new(&small), picture_limits());
        assert!(broken.is_err() && !refused_for_size(broken));
        assert!(decode_preview(b"not a picture at all").is_err());
    }

    #[test]
    fn a_preview_is_small_and_decodes_back() {
        let picture = DynamicImage::ImageRgb8(image::RgbImage::from_fn(1600, 1200, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x ^ y) % 256) as u8])
        }));
        let preview = make_preview(&picture).expect("a preview");
        assert!(preview.len() <= PREVIEW_MAX_BYTES);
        let back = decode_preview(&preview).expect("it decodes");
        assert_eq!((back.width(), back.height()), (320, 240));
        assert_eq!(media_type("x.bin", &preview), "image/jpeg");
        assert_eq!(media_type("notes.pdf", b"%PDF-1.7"), "application/pdf");
        // By name where the bytes do not say: each kind its own type, code as text.
        for (name, mime) in [
            (
                "informe.docx",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ),
            (
                "notas.xlsx",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
            ("apuntes.odt", "application/vnd.oasis.opendocument.text"),
            ("clase.wav", "audio/wav"),
            ("clase.flac", "audio/flac"),
            ("clase.webm", "video/webm"),
            ("Main.java", "text/x-java"),
            ("app.ts", "text/x-typescript"),
            ("main.go", "text/x-go"),
            ("datos.bin", "application/octet-stream"),
            ("sin-extension", "application/octet-stream"),
        ] {
            assert_eq!(media_type(name, b""), mime, "{name}");
        }
    }
}
