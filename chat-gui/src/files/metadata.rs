//! Photos lose their metadata before they leave: a phone's JPEG carries where it was taken
//! (EXIF GPS), the camera and its serial number, often an XMP copy of it all. Those segments are
//! left out of the copy that is sent; the picture's own bytes are copied as they are (no
//! re-encoding, no quality lost), and an EXIF orientation other than upright is kept, alone,
//! so the photo still shows the right way up. PNG's `eXIf` and text chunks go too, WebP's
//! `EXIF` and `XMP ` chunks (its orientation kept the same way), and HEIF's (an iPhone's HEIC,
//! AVIF) EXIF and XMP items (`heif`).
//!
//! Streamed: only metadata is read into memory, the rest is copied through a buffer, so a
//! large picture costs no memory. Other formats are sent as they are.

use std::io::{self, Read, Seek, SeekFrom, Write};

// Named from this file's folder: the web client mounts this file from another module.
#[path = "metadata/heif.rs"]
mod heif;

/// The kinds of picture whose metadata is left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// JPEG.
    Jpeg,
    /// PNG.
    Png,
    /// WebP.
    WebP,
    /// HEIF: HEIC (an iPhone's photos) and AVIF.
    Heif,
}

impl Kind {
    /// The kind a file's first bytes say, if it is one of these.
    pub fn of(head: &[u8]) -> Option<Kind> {
        if head.starts_with(&[0xff, 0xd8, 0xff]) {
            Some(Kind::Jpeg)
        } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Kind::Png)
        } else if head.starts_with(b"RIFF") && head.get(8..12) == Some(b"WEBP") {
            Some(Kind::WebP)
        } else if heif::is_heif(head) {
            Some(Kind::Heif)
        } else {
            None
        }
    }
}

/// Copies `input` to `output` without its metadata.
pub fn strip(
    kind: Kind,
    input: &mut (impl Read + Seek),
    output: &mut impl Write,
) -> io::Result<()> {
    match kind {
        Kind::Jpeg => strip_jpeg(input, output),
        Kind::Png => strip_png(input, output),
        Kind::WebP => strip_webp(input, output),
        Kind::Heif => heif::strip(input, output),
    }
}

fn bad(why: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, why.to_owned())
}

/// A JPEG's segments, walked to its end (EOI): the application segments and comments are
/// looked at wherever they are, the picture's own segments and scans copied, and whatever
/// follows the end dropped (a second picture of an MPO file or a gain map, with their own EXIF
/// and place).
fn strip_jpeg(input: &mut impl Read, output: &mut impl Write) -> io::Result<()> {
    let mut input = io::BufReader::with_capacity(64 * 1024, input);
    let mut soi = [0u8; 2];
    input.read_exact(&mut soi)?;
    if soi != [0xff, 0xd8] {
        return Err(bad("not a JPEG"));
    }
    output.write_all(&soi)?;
    let mut next = None;
    loop {
        let kind = match next.take() {
            Some(kind) => kind,
            None => {
                let mut marker = [0u8; 2];
                input.read_exact(&mut marker)?;
                if marker[0] != 0xff {
                    return Err(bad("a JPEG segment without its marker"));
                }
                let mut kind = marker[1];
                // Fill bytes before a marker.
                while kind == 0xff {
                    kind = byte(&mut input)?.ok_or_else(|| bad("a JPEG cut short"))?;
                }
                kind
            }
        };
        match kind {
            // The end: nothing after it goes.
            0xd9 => return output.write_all(&[0xff, 0xd9]),
            // Markers without a length.
            0x01 | 0xd0..=0xd7 => output.write_all(&[0xff, kind])?,
            _ => {
                let mut len = [0u8; 2];
                input.read_exact(&mut len)?;
                let len = usize::from(u16::from_be_bytes(len));
                if len < 2 {
                    return Err(bad("a JPEG segment shorter than its length"));
                }
                let mut body = vec![0u8; len - 2];
                input.read_exact(&mut body)?;
                match kind {
                    // APP1: EXIF or XMP. Only an orientation other than upright is kept.
                    0xe1 => {
                        if let Some(orientation) = exif_orientation(&body).filter(|o| *o != 1) {
                            output.write_all(&orientation_segment(orientation))?;
                        }
                    }
                    // APP13 (Photoshop, IPTC: captions, places, names), other makers' own
                    // segments and comments go.
                    0xe3..=0xed | 0xef | 0xfe => {}
                    // JFIF, ICC colour profiles (APP2), Adobe's colour transform (APP14) and
                    // the picture's own segments: needed to show it.
                    _ => {
                        output.write_all(&[0xff, kind])?;
                        output.write_all(&u16::try_from(len).unwrap_or(u16::MAX).to_be_bytes())?;
                        output.write_all(&body)?;
                    }
                }
                if kind == 0xda {
                    // A scan: its coded bytes, to the marker after them.
                    match copy_scan(&mut input, output)? {
                        Some(marker) => next = Some(marker),
                        None => return Ok(()),
                    }
                }
            }
        }
    }
}

/// One byte, or `None` at the end.
fn byte(input: &mut impl Read) -> io::Result<Option<u8>> {
    let mut b = [0u8; 1];
    match input.read(&mut b)? {
        0 => Ok(None),
        _ => Ok(Some(b[0])),
    }
}

/// Copies a scan's coded bytes (where a 0xFF is followed by 0 or a restart marker) up to the
/// next marker, which it returns (`None`: the file ended first, copied as it was).
fn copy_scan(input: &mut impl io::BufRead, output: &mut impl Write) -> io::Result<Option<u8>> {
    loop {
        let buf = input.fill_buf()?;
        if buf.is_empty() {
            return Ok(None);
        }
        match buf.iter().position(|b| *b == 0xff) {
            None => {
                let n = buf.len();
                output.write_all(buf)?;
                input.consume(n);
            }
            Some(at) => {
                output.write_all(&buf[..at])?;
                input.consume(at + 1);
                let mut after = byte(input)?;
                while after == Some(0xff) {
                    after = byte(input)?;
                }
                match after {
                    None => {
                        output.write_all(&[0xff])?;
                        return Ok(None);
                    }
                    Some(b @ (0x00 | 0xd0..=0xd7)) => output.write_all(&[0xff, b])?,
                    Some(marker) => return Ok(Some(marker)),
                }
            }
        }
    }
}

fn exif_orientation(body: &[u8]) -> Option<u16> {
    tiff_orientation(body.strip_prefix(b"Exif\0\0")?)
}

/// The orientation in EXIF's TIFF structure, if it says one.
fn tiff_orientation(tiff: &[u8]) -> Option<u16> {
    let big = match tiff.get(..2)? {
        b"MM" => true,
        b"II" => false,
        _ => return None,
    };
    let u16_at = |at: usize| -> Option<u16> {
        let b: [u8; 2] = tiff.get(at..at + 2)?.try_into().ok()?;
        Some(if big {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    };
    let u32_at = |at: usize| -> Option<u32> {
        let b: [u8; 4] = tiff.get(at..at + 4)?.try_into().ok()?;
        Some(if big {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    };
    let ifd = usize::try_from(u32_at(4)?).ok()?;
    let entries = usize::from(u16_at(ifd)?);
    (0..entries.min(512)).find_map(|i| {
        let at = ifd + 2 + i * 12;
        (u16_at(at)? == 0x0112).then(|| u16_at(at + 8)).flatten()
    })
}

/// An APP1 segment whose EXIF says only `orientation`.
fn orientation_segment(orientation: u16) -> Vec<u8> {
    let tiff = orientation_tiff(orientation);
    let mut segment = vec![0xff, 0xe1];
    let len = u16::try_from(2 + 6 + tiff.len()).unwrap_or(u16::MAX);
    segment.extend_from_slice(&len.to_be_bytes());
    segment.extend_from_slice(b"Exif\0\0");
    segment.extend_from_slice(&tiff);
    segment
}

/// EXIF's TIFF structure saying only `orientation`.
fn orientation_tiff(orientation: u16) -> Vec<u8> {
    let mut tiff = Vec::new();
    tiff.extend_from_slice(b"MM\0\x2a");
    tiff.extend_from_slice(&8u32.to_be_bytes());
    tiff.extend_from_slice(&1u16.to_be_bytes());
    tiff.extend_from_slice(&0x0112u16.to_be_bytes());
    tiff.extend_from_slice(&3u16.to_be_bytes());
    tiff.extend_from_slice(&1u32.to_be_bytes());
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0]);
    tiff.extend_from_slice(&0u32.to_be_bytes());
    tiff
}

/// Longest PNG chunk read into memory (a metadata chunk is dropped after being read; picture
/// data is copied through a buffer whatever its length).
const PNG_METADATA_MAX_BYTES: usize = 16 * 1024 * 1024;

fn strip_png(input: &mut impl Read, output: &mut impl Write) -> io::Result<()> {
    let mut signature = [0u8; 8];
    input.read_exact(&mut signature)?;
    if &signature != b"\x89PNG\r\n\x1a\n" {
        return Err(bad("not a PNG"));
    }
    output.write_all(&signature)?;
    loop {
        let mut head = [0u8; 8];
        match input.read_exact(&mut head) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(e) => return Err(e),
        }
        let len = u64::from(u32::from_be_bytes([head[0], head[1], head[2], head[3]]));
        let kind = &head[4..8];
        // The chunk's data and its CRC.
        let rest = len + 4;
        let metadata = matches!(kind, b"eXIf" | b"tEXt" | b"zTXt" | b"iTXt" | b"tIME");
        if metadata {
            if rest > PNG_METADATA_MAX_BYTES as u64 {
                return Err(bad("a PNG metadata chunk too large"));
            }
            io::copy(&mut input.by_ref().take(rest), &mut io::sink())?;
        } else {
            output.write_all(&head)?;
            let copied = io::copy(&mut input.by_ref().take(rest), output)?;
            if copied != rest {
                return Err(bad("a PNG chunk cut short"));
            }
            if kind == b"IEND" {
                return Ok(());
            }
        }
    }
}

/// Longest WebP `EXIF` chunk read for its orientation (a larger one simply goes).
const WEBP_EXIF_READ_MAX: u64 = 64 * 1024;

/// A WebP chunk's head: its kind and the length of its data (without the pad byte).
fn webp_chunk(input: &mut impl Read) -> io::Result<Option<([u8; 4], u64)>> {
    let mut head = [0u8; 8];
    match input.read_exact(&mut head) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let kind = [head[0], head[1], head[2], head[3]];
    let len = u64::from(u32::from_le_bytes([head[4], head[5], head[6], head[7]]));
    Ok(Some((kind, len)))
}

/// WebP: a RIFF file of chunks, whose length is in its first bytes. A first pass reads the
/// chunks' heads (and the orientation in `EXIF`) to know the length without the metadata; the
/// second copies what stays, the `VP8X` flags saying what went.
fn strip_webp(input: &mut (impl Read + Seek), output: &mut impl Write) -> io::Result<()> {
    let mut riff = [0u8; 12];
    input.read_exact(&mut riff)?;
    if &riff[..4] != b"RIFF" || &riff[8..] != b"WEBP" {
        return Err(bad("not a WebP"));
    }
    let total = input.seek(SeekFrom::End(0))?;
    input.seek(SeekFrom::Start(12))?;
    let mut kept = 4u64;
    let mut orientation = None;
    while let Some((kind, len)) = webp_chunk(input)? {
        let padded = len + (len & 1);
        if input.stream_position()? + padded > total {
            return Err(bad("a WebP chunk cut short"));
        }
        match &kind {
            b"EXIF" if len <= WEBP_EXIF_READ_MAX => {
                let mut body = vec![0u8; usize::try_from(len).unwrap_or(0)];
                input.read_exact(&mut body)?;
                input.seek(SeekFrom::Current(i64::try_from(padded - len).unwrap_or(0)))?;
                let tiff = body.strip_prefix(b"Exif\0\0").unwrap_or(&body);
                orientation = tiff_orientation(tiff).filter(|o| *o != 1);
            }
            b"EXIF" | b"XMP " => {
                input.seek(SeekFrom::Current(i64::try_from(padded).unwrap_or(i64::MAX)))?;
            }
            _ => {
                kept += 8 + padded;
                input.seek(SeekFrom::Current(i64::try_from(padded).unwrap_or(i64::MAX)))?;
            }
        }
    }
    let exif = orientation.map(orientation_tiff);
    if let Some(tiff) = &exif {
        kept += 8 + tiff.len() as u64;
    }
    let riff_len = u32::try_from(kept).map_err(|_| bad("a WebP too large"))?;
    output.write_all(b"RIFF")?;
    output.write_all(&riff_len.to_le_bytes())?;
    output.write_all(b"WEBP")?;
    input.seek(SeekFrom::Start(12))?;
    while let Some((kind, len)) = webp_chunk(input)? {
        let padded = len + (len & 1);
        if &kind == b"EXIF" || &kind == b"XMP " {
            input.seek(SeekFrom::Current(i64::try_from(padded).unwrap_or(i64::MAX)))?;
            continue;
        }
        output.write_all(&kind)?;
        output.write_all(&u32::try_from(len).unwrap_or(u32::MAX).to_le_bytes())?;
        if &kind == b"VP8X" && len >= 1 {
            // Flags: XMP (0x04) and EXIF (0x08) say whether those chunks are there.
            let mut flags = [0u8; 1];
            input.read_exact(&mut flags)?;
            flags[0] &= !0x0c;
            if exif.is_some() {
                flags[0] |= 0x08;
            }
            output.write_all(&flags)?;
            io::copy(&mut input.by_ref().take(padded - 1), output)?;
        } else {
            io::copy(&mut input.by_ref().take(padded), output)?;
        }
    }
    if let Some(tiff) = exif {
        // Orientation alone, last (where WebP puts EXIF).
        output.write_all(b"EXIF")?;
        output.write_all(&u32::try_from(tiff.len()).unwrap_or(0).to_le_bytes())?;
        output.write_all(&tiff)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A JPEG with an EXIF segment holding GPS-like bytes and an orientation, a comment, and the
    /// picture after them.
    fn photo(orientation: u16) -> Vec<u8> {
        let mut exif = b"Exif\0\0II\x2a\0".to_vec();
        exif.extend_from_slice(&8u32.to_le_bytes());
        exif.extend_from_slice(&2u16.to_le_bytes());
        // Orientation, then a GPS IFD pointer.
        exif.extend_from_slice(&0x0112u16.to_le_bytes());
        exif.extend_from_slice(&3u16.to_le_bytes());
        exif.extend_from_slice(&1u32.to_le_bytes());
        exif.extend_from_slice(&orientation.to_le_bytes());
        exif.extend_from_slice(&[0, 0]);
        exif.extend_from_slice(&0x8825u16.to_le_bytes());
        exif.extend_from_slice(&4u16.to_le_bytes());
        exif.extend_from_slice(&1u32.to_le_bytes());
        exif.extend_from_slice(&0u32.to_le_bytes());
        exif.extend_from_slice(b"GPS 40.4168N 3.7038W");
        let mut jpeg = vec![0xff, 0xd8];
        jpeg.extend_from_slice(&[0xff, 0xe0, 0, 6]);
        jpeg.extend_from_slice(b"JFIF");
        jpeg.extend_from_slice(&[0xff, 0xe1]);
        jpeg.extend_from_slice(&u16::try_from(exif.len() + 2).unwrap().to_be_bytes());
        jpeg.extend_from_slice(&exif);
        jpeg.extend_from_slice(&[0xff, 0xfe, 0, 9]);
        jpeg.extend_from_slice(b"Madrid!");
        jpeg.extend_from_slice(&[0xff, 0xdb, 0, 4, 1, 2]);
        // A scan whose coded bytes hold a stuffed 0xFF and a restart marker, then the end.
        jpeg.extend_from_slice(&[
            0xff, 0xda, 0, 3, 9, 7, 0xff, 0, 7, 0xff, 0xd0, 7, 0xff, 0xd9,
        ]);
        jpeg
    }

    fn stripped(kind: Kind, bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        strip(kind, &mut io::Cursor::new(bytes), &mut out).unwrap();
        out
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn a_photo_leaves_without_its_place_but_upright() {
        let sent = stripped(Kind::Jpeg, &photo(6));
        assert!(!contains(&sent, b"GPS 40.4168N"), "the place went");
        assert!(!contains(&sent, b"Madrid!"), "the comment went");
        assert!(contains(&sent, b"JFIF"));
        assert!(sent.ends_with(&[
            0xff, 0xdb, 0, 4, 1, 2, 0xff, 0xda, 0, 3, 9, 7, 0xff, 0, 7, 0xff, 0xd0, 7, 0xff, 0xd9
        ]));
        let app1 = sent.windows(2).position(|w| w == [0xff, 0xe1]).unwrap();
        assert_eq!(
            exif_orientation(&sent[app1 + 4..]),
            Some(6),
            "still upright"
        );
        // Upright already: no EXIF at all.
        let plain = stripped(Kind::Jpeg, &photo(1));
        assert!(!contains(&plain, b"Exif"));
    }

    /// What follows the picture's end (an MPO's second picture, a gain map) goes, with the
    /// place it holds; and metadata between the picture's own segments goes too.
    #[test]
    fn nothing_after_a_photos_end_or_among_its_segments_keeps_its_place() {
        let mut mpo = photo(1);
        let second = photo(1);
        mpo.extend_from_slice(&second);
        let sent = stripped(Kind::Jpeg, &mpo);
        assert!(
            !contains(&sent, b"GPS 40.4168N"),
            "the second picture's place went"
        );
        assert!(sent.ends_with(&[0xff, 0xd9]));
        assert_eq!(sent.windows(2).filter(|w| *w == [0xff, 0xd8]).count(), 1);
        // An APP1 after the quantisation table, before the scan.
        let mut late = photo(1);
        let at = late.windows(2).position(|w| w == [0xff, 0xda]).unwrap();
        let mut app1 = vec![0xff, 0xe1, 0, 14];
        app1.extend_from_slice(b"GPS 40.4168N");
        late.splice(at..at, app1);
        assert!(!contains(&stripped(Kind::Jpeg, &late), b"GPS 40.4168N"));
        // A real picture still decodes, pixel for pixel.
        let pixels =
            image::RgbImage::from_fn(32, 24, |x, y| image::Rgb([x as u8 * 7, y as u8 * 9, 80]));
        let mut real = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut real, 90)
            .encode_image(&pixels)
            .unwrap();
        let before = image::load_from_memory(&real).unwrap().to_rgb8();
        real.extend_from_slice(&second);
        let after = image::load_from_memory(&stripped(Kind::Jpeg, &real))
            .unwrap()
            .to_rgb8();
        assert!(before == after, "the same pixels");
    }

    #[test]
    fn a_png_keeps_its_pixels_and_loses_its_text() {
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        for (kind, data) in [
            (&b"IHDR"[..], &b"0123456789abc"[..]),
            (b"tEXt", b"Location\0home"),
            (b"IDAT", b"pixels"),
            (b"IEND", b""),
        ] {
            png.extend_from_slice(&u32::try_from(data.len()).unwrap().to_be_bytes());
            png.extend_from_slice(kind);
            png.extend_from_slice(data);
            png.extend_from_slice(&[1, 2, 3, 4]);
        }
        let sent = stripped(Kind::Png, &png);
        assert!(!contains(&sent, b"Location"));
        assert!(contains(&sent, b"IDATpixels"));
        assert!(contains(&sent, b"IEND"));
    }

    /// A WebP with a `VP8X` head saying it has EXIF and XMP, its picture, an `EXIF` chunk
    /// holding a place and `orientation`, and an `XMP ` chunk (odd length: padded).
    fn webp(orientation: u16) -> Vec<u8> {
        let mut exif = b"II\x2a\0".to_vec();
        exif.extend_from_slice(&8u32.to_le_bytes());
        exif.extend_from_slice(&1u16.to_le_bytes());
        exif.extend_from_slice(&0x0112u16.to_le_bytes());
        exif.extend_from_slice(&3u16.to_le_bytes());
        exif.extend_from_slice(&1u32.to_le_bytes());
        exif.extend_from_slice(&orientation.to_le_bytes());
        exif.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
        exif.extend_from_slice(b"GPS 40.4168N 3.7038W");
        let mut chunks = Vec::new();
        for (kind, data) in [
            (&b"VP8X"[..], &[0x0c, 0, 0, 0, 9, 0, 0, 9, 0, 0][..]),
            (b"VP8L", b"pixels!"),
            (b"EXIF", &exif),
            (b"XMP ", b"<x:xmpmeta>Madrid</x:xmpmeta>"),
        ] {
            chunks.extend_from_slice(kind);
            chunks.extend_from_slice(&u32::try_from(data.len()).unwrap().to_le_bytes());
            chunks.extend_from_slice(data);
            if data.len() % 2 == 1 {
                chunks.push(0);
            }
        }
        let mut file = b"RIFF".to_vec();
        file.extend_from_slice(&u32::try_from(4 + chunks.len()).unwrap().to_le_bytes());
        file.extend_from_slice(b"WEBP");
        file.extend_from_slice(&chunks);
        file
    }

    /// Checks a WebP's RIFF length and walks its chunks: their kinds, the `VP8X` flags.
    fn webp_chunks(file: &[u8]) -> (Vec<Vec<u8>>, u8) {
        let riff = u32::from_le_bytes(file[4..8].try_into().unwrap()) as usize;
        assert_eq!(riff + 8, file.len(), "the RIFF length is the file's");
        let (mut at, mut kinds, mut flags) = (12, Vec::new(), 0);
        while at < file.len() {
            let len = u32::from_le_bytes(file[at + 4..at + 8].try_into().unwrap()) as usize;
            if &file[at..at + 4] == b"VP8X" {
                flags = file[at + 8];
            }
            kinds.push(file[at..at + 4].to_vec());
            at += 8 + len + len % 2;
        }
        assert_eq!(at, file.len());
        (kinds, flags)
    }

    #[test]
    fn a_webp_leaves_without_its_place_but_upright() {
        assert_eq!(Kind::of(&webp(1)), Some(Kind::WebP));
        let plain = stripped(Kind::WebP, &webp(1));
        assert!(!contains(&plain, b"GPS 40.4168N") && !contains(&plain, b"Madrid"));
        let (kinds, flags) = webp_chunks(&plain);
        assert_eq!(kinds, [b"VP8X".to_vec(), b"VP8L".to_vec()]);
        assert_eq!(flags & 0x0c, 0, "no EXIF, no XMP said");
        assert!(contains(&plain, b"VP8L\x07\0\0\0pixels!\0"));
        let turned = stripped(Kind::WebP, &webp(6));
        assert!(!contains(&turned, b"GPS 40.4168N"));
        let (kinds, flags) = webp_chunks(&turned);
        assert_eq!(kinds.last().unwrap(), b"EXIF");
        assert_eq!(flags & 0x0c, 0x08, "EXIF said, XMP not");
        let exif_at = turned.windows(4).rposition(|w| w == b"EXIF").unwrap();
        assert_eq!(tiff_orientation(&turned[exif_at + 8..]), Some(6));
        // Cut short: refused, not copied half.
        let whole = webp(1);
        assert!(
            strip(
                Kind::WebP,
                &mut io::Cursor::new(&whole[..whole.len() - 20]),
                &mut Vec::new()
            )
            .is_err()
        );
    }
}
