//! Photos lose their metadata before they leave: a phone's JPEG carries where it was taken
//! (EXIF GPS), the camera and its serial number, often an XMP copy of it all. Those segments are
//! left out of the copy that is sent; the picture's own bytes are copied as they are (no
//! re-encoding, no quality lost), and an EXIF orientation other than upright is kept, alone,
//! so the photo still shows the right way up. PNG's `eXIf` and text chunks go too.
//!
//! Streamed: the metadata is at the head of the file, and the rest is copied through a buffer,
//! so a large picture costs no memory. Other formats are sent as they are.

use std::io::{self, Read, Write};

/// The kinds of picture whose metadata is left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// JPEG.
    Jpeg,
    /// PNG.
    Png,
}

impl Kind {
    /// The kind a file's first bytes say, if it is one of these.
    pub fn of(head: &[u8]) -> Option<Kind> {
        if head.starts_with(&[0xff, 0xd8, 0xff]) {
            Some(Kind::Jpeg)
        } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Kind::Png)
        } else {
            None
        }
    }
}

/// Copies `input` to `output` without its metadata.
pub fn strip(kind: Kind, input: &mut impl Read, output: &mut impl Write) -> io::Result<()> {
    match kind {
        Kind::Jpeg => strip_jpeg(input, output),
        Kind::Png => strip_png(input, output),
    }
}

fn bad(why: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, why.to_owned())
}

fn strip_jpeg(input: &mut impl Read, output: &mut impl Write) -> io::Result<()> {
    let mut soi = [0u8; 2];
    input.read_exact(&mut soi)?;
    if soi != [0xff, 0xd8] {
        return Err(bad("not a JPEG"));
    }
    output.write_all(&soi)?;
    loop {
        let mut marker = [0u8; 2];
        input.read_exact(&mut marker)?;
        if marker[0] != 0xff {
            return Err(bad("a JPEG segment without its marker"));
        }
        // Segments with a length: the application segments (APP0–APP15) and comments are
        // looked at; the first other segment starts the picture itself, copied to the end.
        let kind = marker[1];
        let is_metadata = (0xe0..=0xef).contains(&kind) || kind == 0xfe;
        if !is_metadata {
            output.write_all(&marker)?;
            io::copy(input, output)?;
            return Ok(());
        }
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
            // APP13 (Photoshop, IPTC: captions, places, names) and comments go.
            0xed | 0xfe => {}
            // JFIF, ICC colour profiles, Adobe's colour transform: needed to show the picture.
            _ => {
                output.write_all(&marker)?;
                output.write_all(&u16::try_from(len).unwrap_or(u16::MAX).to_be_bytes())?;
                output.write_all(&body)?;
            }
        }
    }
}

/// The orientation in an APP1 EXIF segment's body (`Exif\0\0` then TIFF), if it says one.
fn exif_orientation(body: &[u8]) -> Option<u16> {
    let tiff = body.strip_prefix(b"Exif\0\0")?;
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
    let mut segment = vec![0xff, 0xe1];
    let len = u16::try_from(2 + 6 + tiff.len()).unwrap_or(u16::MAX);
    segment.extend_from_slice(&len.to_be_bytes());
    segment.extend_from_slice(b"Exif\0\0");
    segment.extend_from_slice(&tiff);
    segment
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
        jpeg.extend_from_slice(&[0xff, 0xdb, 0, 4, 1, 2, 0xff, 0xda, 9, 9, 9, 0xff, 0xd9]);
        jpeg
    }

    fn stripped(kind: Kind, bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        strip(kind, &mut &bytes[..], &mut out).unwrap();
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
        assert!(sent.ends_with(&[0xff, 0xdb, 0, 4, 1, 2, 0xff, 0xda, 9, 9, 9, 0xff, 0xd9]));
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
}
