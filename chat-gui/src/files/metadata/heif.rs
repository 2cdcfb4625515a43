//! HEIF pictures (an iPhone's HEIC photos, AVIF) keep their EXIF, with where the photo was
//! taken, and their XMP as *items*: bytes anywhere in the file, placed by the `meta` box's item
//! locations (`iloc`). Those bytes are overwritten with zeros in the copy that is sent: every
//! offset in the file stays as it was, so the picture's own items are untouched wherever they
//! lie, and a reader finds an empty EXIF item and ignores it. A HEIF picture's orientation is a
//! property of its image item (`irot`, `imir`), not EXIF's, so it shows the same way up.
//!
//! Only the `meta` box (tables, not pictures; bounded) is read into memory; the rest is copied
//! through a buffer.

use std::io::{self, Read, Seek, SeekFrom, Write};

use super::bad;

/// Most bytes of the `meta` box read (it holds item tables; pictures lie in `mdat`).
const META_MAX_BYTES: u64 = 1024 * 1024;

/// Brands of the HEIF family (HEIC, its sequences and AVIF) a file's `ftyp` may name.
const BRANDS: [&[u8; 4]; 10] = [
    b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif", b"avis",
];

/// Whether a file's first bytes are a HEIF `ftyp` box.
pub(super) fn is_heif(head: &[u8]) -> bool {
    head.get(4..8) == Some(b"ftyp")
        && head
            .get(8..12)
            .is_some_and(|major| BRANDS.iter().any(|b| &b[..] == major))
}

/// A box: its type, and where its payload starts and ends in what was read.
struct Boxed {
    kind: [u8; 4],
    start: u64,
    end: u64,
}

/// The box at the reader's position, if one starts before `limit`.
fn next_box(input: &mut (impl Read + Seek), limit: u64) -> io::Result<Option<Boxed>> {
    let at = input.stream_position()?;
    if at.saturating_add(8) > limit {
        return Ok(None);
    }
    let mut head = [0u8; 8];
    input.read_exact(&mut head)?;
    let kind = [head[4], head[5], head[6], head[7]];
    let (size, header) = match u32::from_be_bytes([head[0], head[1], head[2], head[3]]) {
        1 => {
            let mut large = [0u8; 8];
            input.read_exact(&mut large)?;
            (u64::from_be_bytes(large), 16)
        }
        0 => (limit - at, 8),
        n => (u64::from(n), 8),
    };
    let end = at
        .checked_add(size)
        .filter(|&e| size >= header && e <= limit);
    let end = end.ok_or_else(|| bad("a HEIF box cut short"))?;
    Ok(Some(Boxed {
        kind,
        start: at + header,
        end,
    }))
}

/// A box read into memory: its type, its payload's offset in what holds it, its payload.
type Child<'a> = ([u8; 4], usize, &'a [u8]);

/// The boxes inside `data` (a payload read into memory).
fn children(data: &[u8]) -> io::Result<Vec<Child<'_>>> {
    let mut found = Vec::new();
    let mut cursor = io::Cursor::new(data);
    while let Some(b) = next_box(&mut cursor, data.len() as u64)? {
        let (start, end) = (to_usize(b.start)?, to_usize(b.end)?);
        found.push((b.kind, start, &data[start..end]));
        cursor.seek(SeekFrom::Start(b.end))?;
    }
    Ok(found)
}

fn to_usize(n: u64) -> io::Result<usize> {
    usize::try_from(n).map_err(|_| bad("a HEIF box too large"))
}

/// Big-endian fields read in turn from a box's payload.
struct Fields<'a>(&'a [u8]);

impl<'a> Fields<'a> {
    fn take(&mut self, n: usize) -> io::Result<&'a [u8]> {
        if self.0.len() < n {
            return Err(bad("a HEIF table cut short"));
        }
        let (taken, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(taken)
    }

    /// An unsigned number of `n` bytes (0, 1, 2, 4 or 8; 0 is the number 0).
    fn number(&mut self, n: usize) -> io::Result<u64> {
        if !matches!(n, 0 | 1 | 2 | 4 | 8) {
            return Err(bad("a HEIF field of an unknown size"));
        }
        Ok(self
            .take(n)?
            .iter()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
    }

    /// A string up to its NUL (which is taken too).
    fn string(&mut self) -> io::Result<&'a [u8]> {
        let end = self.0.iter().position(|&b| b == 0).unwrap_or(self.0.len());
        let s = self.take(end)?;
        let _ = self.take(1);
        Ok(s)
    }
}

/// The ids of the items of `iinf` that hold metadata: EXIF, and XMP (a `mime` item of
/// `application/rdf+xml`).
fn metadata_items(iinf: &[u8]) -> io::Result<Vec<u64>> {
    let mut f = Fields(iinf);
    let version = f.number(1)?;
    f.take(3)?;
    f.number(if version == 0 { 2 } else { 4 })?;
    let mut ids = Vec::new();
    for (kind, _, infe) in children(f.0)? {
        if &kind != b"infe" {
            continue;
        }
        let mut f = Fields(infe);
        let version = f.number(1)?;
        f.take(3)?;
        if version < 2 {
            // No item type before version 2: no EXIF either.
            continue;
        }
        let id = f.number(if version == 2 { 2 } else { 4 })?;
        f.number(2)?;
        let item_type = f.take(4)?.to_vec();
        let is_xmp = item_type == b"mime" && {
            f.string()?;
            let content_type = f.string()?.to_ascii_lowercase();
            content_type.windows(7).any(|w| w == b"rdf+xml") || content_type.ends_with(b"xmp")
        };
        if item_type == b"Exif" || is_xmp {
            ids.push(id);
        }
    }
    Ok(ids)
}

/// Where the bytes of items `ids` lie in the file (`total` bytes; `idat`: where the `meta`
/// box's own data starts and ends, if it has some), from `iloc`.
fn item_ranges(
    iloc: &[u8],
    ids: &[u64],
    idat: Option<(u64, u64)>,
    total: u64,
) -> io::Result<Vec<(u64, u64)>> {
    let mut f = Fields(iloc);
    let version = f.number(1)?;
    f.take(3)?;
    let sizes = f.number(1)?;
    let (offset_size, length_size) = (to_usize(sizes >> 4)?, to_usize(sizes & 15)?);
    let sizes = f.number(1)?;
    let base_size = to_usize(sizes >> 4)?;
    let index_size = if matches!(version, 1 | 2) {
        to_usize(sizes & 15)?
    } else {
        0
    };
    let count = f.number(if version < 2 { 2 } else { 4 })?;
    let mut ranges = Vec::new();
    for _ in 0..count {
        let id = f.number(if version < 2 { 2 } else { 4 })?;
        let method = if matches!(version, 1 | 2) {
            f.number(2)? & 15
        } else {
            0
        };
        f.number(2)?;
        let base = f.number(base_size)?;
        let extents = f.number(2)?;
        for _ in 0..extents {
            f.number(index_size)?;
            let offset = f.number(offset_size)?;
            let length = f.number(length_size)?;
            if !ids.contains(&id) {
                continue;
            }
            let (from, limit) = match (method, idat) {
                (0, _) => (0, total),
                (1, Some((start, end))) => (start, end),
                _ => return Err(bad("a HEIF metadata item this copy cannot place")),
            };
            let start = from.checked_add(base).and_then(|s| s.checked_add(offset));
            let end = start.and_then(|s| s.checked_add(length));
            match (start, end) {
                (Some(start), Some(end)) if length > 0 && end <= limit => ranges.push((start, end)),
                _ => return Err(bad("a HEIF metadata item outside its file")),
            }
        }
    }
    Ok(ranges)
}

/// Copies a HEIF file from `input` to `output` with its EXIF and XMP items' bytes as zeros.
pub(super) fn strip(input: &mut (impl Read + Seek), output: &mut impl Write) -> io::Result<()> {
    let total = input.seek(SeekFrom::End(0))?;
    input.seek(SeekFrom::Start(0))?;
    let mut meta = None;
    while let Some(b) = next_box(input, total)? {
        if &b.kind == b"meta" {
            meta = Some(b);
            break;
        }
        input.seek(SeekFrom::Start(b.end))?;
    }
    let mut zeroed = Vec::new();
    if let Some(meta) = meta {
        if meta.end - meta.start > META_MAX_BYTES {
            return Err(bad("a HEIF meta box too large"));
        }
        let mut data = vec![0u8; to_usize(meta.end - meta.start)?];
        input.seek(SeekFrom::Start(meta.start))?;
        input.read_exact(&mut data)?;
        // A full box: version and flags first.
        let body = data
            .get(4..)
            .ok_or_else(|| bad("a HEIF meta box cut short"))?;
        let boxes = children(body)?;
        let find = |kind: &[u8; 4]| boxes.iter().find(|(k, _, _)| k == kind);
        let ids = match find(b"iinf") {
            Some((_, _, iinf)) => metadata_items(iinf)?,
            None => Vec::new(),
        };
        if !ids.is_empty() {
            let (_, _, iloc) = find(b"iloc").ok_or_else(|| bad("HEIF items without places"))?;
            let idat = find(b"idat").map(|(_, at, d)| {
                let start = meta.start + 4 + *at as u64;
                (start, start + d.len() as u64)
            });
            zeroed = item_ranges(iloc, &ids, idat, total)?;
        }
    }
    zeroed.sort_unstable();
    input.seek(SeekFrom::Start(0))?;
    let mut at = 0u64;
    let zeros = [0u8; 8192];
    for (start, end) in zeroed {
        let start = start.max(at);
        if end <= start {
            continue;
        }
        io::copy(&mut input.by_ref().take(start - at), output)?;
        let mut left = end - start;
        while left > 0 {
            let n = usize::try_from(left.min(zeros.len() as u64)).unwrap_or(zeros.len());
            output.write_all(&zeros[..n])?;
            left -= n as u64;
        }
        input.seek(SeekFrom::Start(end))?;
        at = end;
    }
    io::copy(input, output)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boxed(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
        let mut b = u32::try_from(payload.len() + 8)
            .unwrap()
            .to_be_bytes()
            .to_vec();
        b.extend_from_slice(kind);
        b.extend_from_slice(payload);
        b
    }

    fn full(kind: &[u8; 4], version: u8, payload: &[u8]) -> Vec<u8> {
        let mut p = vec![version, 0, 0, 0];
        p.extend_from_slice(payload);
        boxed(kind, &p)
    }

    fn infe(id: u16, kind: &[u8; 4], extra: &[u8]) -> Vec<u8> {
        let mut p = id.to_be_bytes().to_vec();
        p.extend_from_slice(&[0, 0]);
        p.extend_from_slice(kind);
        p.push(0); // no name
        p.extend_from_slice(extra);
        full(b"infe", 2, &p)
    }

    const PICTURE: &[u8] = b"HEVC-PICTURE-BYTES-0123456789";
    const EXIF: &[u8] = b"\0\0\0\0Exif\0\0MM\0*GPS 40.4168N 3.7038W";
    const XMP: &[u8] = b"<x:xmpmeta><exif:GPSLatitude>40,24.6N</exif:GPSLatitude>";

    /// A HEIC with a picture, its EXIF and its XMP in `mdat`, placed by an `iloc` of version 0
    /// (file offsets), or with the EXIF in the `meta` box's own `idat` (version 1, method 1).
    fn heic(exif_in_idat: bool, exif_claimed: Option<u32>) -> Vec<u8> {
        let ftyp = boxed(b"ftyp", b"heic\0\0\0\0mif1heic");
        let mut iinf = 3u16.to_be_bytes().to_vec();
        iinf.extend(infe(1, b"hvc1", b""));
        iinf.extend(infe(2, b"Exif", b""));
        iinf.extend(infe(3, b"mime", b"application/rdf+xml\0"));
        let iinf = full(b"iinf", 0, &iinf);
        let idat = boxed(b"idat", if exif_in_idat { EXIF } else { b"" });
        // The iloc's size depends on nothing below, so mdat's place is known before it.
        // Header, version and flags, sizes, count; then per item: id, (method), reference,
        // one extent of an offset and a length.
        let iloc_len = if exif_in_idat {
            8 + 4 + 2 + 2 + 3 * 16
        } else {
            8 + 4 + 2 + 2 + 3 * 14
        };
        let meta_len = 8 + 4 + iinf.len() + iloc_len + idat.len();
        let mdat_data = ftyp.len() + meta_len + 8;
        let (pic, exif, xmp) = (
            mdat_data,
            mdat_data + PICTURE.len(),
            mdat_data + PICTURE.len() + EXIF.len(),
        );
        let mut iloc = vec![0x44, 0x00]; // offsets and lengths of 4 bytes, no base
        iloc.extend_from_slice(&3u16.to_be_bytes());
        for (id, offset, len, method) in [
            (1u16, pic, PICTURE.len(), 0u16),
            (
                2,
                if exif_in_idat { 0 } else { exif },
                exif_claimed.map_or(EXIF.len(), |n| n as usize),
                u16::from(exif_in_idat),
            ),
            (3, xmp, XMP.len(), 0),
        ] {
            iloc.extend_from_slice(&id.to_be_bytes());
            if exif_in_idat {
                iloc.extend_from_slice(&method.to_be_bytes());
            }
            iloc.extend_from_slice(&[0, 0, 0, 1]); // data reference, one extent
            iloc.extend_from_slice(&u32::try_from(offset).unwrap().to_be_bytes());
            iloc.extend_from_slice(&u32::try_from(len).unwrap().to_be_bytes());
        }
        let iloc = full(b"iloc", u8::from(exif_in_idat), &iloc);
        assert_eq!(iloc.len(), iloc_len);
        let mut meta = Vec::new();
        meta.extend(iinf);
        meta.extend(iloc);
        meta.extend(idat);
        let meta = full(b"meta", 0, &meta);
        let mut mdat = PICTURE.to_vec();
        if !exif_in_idat {
            mdat.extend_from_slice(EXIF);
        } else {
            mdat.extend_from_slice(&vec![7u8; EXIF.len()]);
        }
        mdat.extend_from_slice(XMP);
        let mut file = ftyp;
        file.extend(meta);
        file.extend(boxed(b"mdat", &mdat));
        file
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn a_heic_leaves_without_its_place_and_its_picture_untouched() {
        for in_idat in [false, true] {
            let original = heic(in_idat, None);
            assert!(is_heif(&original));
            assert!(contains(&original, b"GPS 40.4168N"));
            let mut sent = Vec::new();
            strip(&mut io::Cursor::new(&original), &mut sent).unwrap();
            assert_eq!(sent.len(), original.len(), "every offset stays");
            assert!(!contains(&sent, b"GPS"), "the place went (idat: {in_idat})");
            assert!(!contains(&sent, b"xmpmeta"), "and XMP's copy of it");
            // Everything else byte for byte: the picture, the boxes, the tables.
            let differ = sent.iter().zip(&original).filter(|(a, b)| a != b).count();
            assert!(differ <= EXIF.len() + XMP.len());
            assert!(contains(&sent, PICTURE));
        }
    }

    #[test]
    fn a_heic_whose_tables_lie_is_refused_not_sent_as_it_is() {
        // The EXIF item's length runs past the end of the file.
        let original = heic(false, Some(u32::MAX));
        let mut sent = Vec::new();
        assert!(strip(&mut io::Cursor::new(&original), &mut sent).is_err());
        assert!(!is_heif(b"\0\0\0\x18ftypisom"), "an MP4 is not a HEIF");
    }
}
