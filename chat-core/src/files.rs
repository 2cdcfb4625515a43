//! What the files' HTTP needs on every target, the desktop's (`http`) and a page's: a file's
//! name as `Upload-Name` carries it (docs/PROTOCOL.md, *Files*).

use crate::limits::FILE_NAME_MAX_BYTES;

/// Percent-encodes everything but unreserved ASCII (RFC 3986), as `Upload-Name` wants.
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Whether `c` changes how text around it reads without showing itself: the direction marks,
/// embeddings, overrides and isolates, the zero-width space, invisible operators, deprecated
/// format controls, interlinear annotations, the byte-order mark. In a file's name they can
/// make `invoice\u{202e}fdp.exe` read as `invoiceexe.pdf`; names carry none. The zero-width
/// (non-)joiners stay: Persian and Indic words are spelt with them, emoji sequences joined.
pub fn is_hidden_format(c: char) -> bool {
    matches!(
        c,
        '\u{061c}'
            | '\u{200b}'
            | '\u{200e}'
            | '\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206f}'
            | '\u{feff}'
            | '\u{fff9}'..='\u{fffb}'
    )
}

/// A file's name as a server takes it (docs/PROTOCOL.md, *Files*: one name, no `/`, `\`,
/// `..`, control characters or [hidden format characters](is_hidden_format), 1 to 255 bytes),
/// from the name it has on the sender's disk: separators, control and hidden format
/// characters become `_`, a run of dots one dot (`notas...pdf`,
/// `v1..2.txt`), a name too long is cut before its extension. A name that keeps nothing is
/// `file`.
pub fn sendable_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        let c = if matches!(c, '/' | '\\') || c.is_control() || is_hidden_format(c) {
            '_'
        } else {
            c
        };
        if c == '.' && out.ends_with('.') {
            continue;
        }
        out.push(c);
    }
    let out = out.trim();
    if out.is_empty() || out == "." {
        return "file".into();
    }
    if out.len() <= FILE_NAME_MAX_BYTES {
        return out.to_owned();
    }
    // Too long: the extension stays (when it is a short one), the stem is cut on a character.
    let ext = out
        .rfind('.')
        .map(|at| &out[at..])
        .filter(|ext| ext.len() <= 16)
        .unwrap_or("");
    let mut stem = &out[..out.len() - ext.len()];
    while stem.len() + ext.len() > FILE_NAME_MAX_BYTES {
        let mut end = stem.len() - 1;
        while !stem.is_char_boundary(end) {
            end -= 1;
        }
        stem = &stem[..end];
    }
    format!("{stem}{ext}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_from_any_disk_becomes_one_a_server_takes() {
        assert_eq!(sendable_name("apuntes tema 3.pdf"), "apuntes tema 3.pdf");
        assert_eq!(sendable_name("notas...pdf"), "notas.pdf");
        assert_eq!(sendable_name("v1..2.txt"), "v1.2.txt");
        assert_eq!(sendable_name(".."), "file");
        assert_eq!(sendable_name("..oculto"), ".oculto");
        assert_eq!(sendable_name("a\\b/c\u{7}d.rs"), "a_b_c_d.rs");
        assert_eq!(sendable_name("factura\u{202e}fdp.exe"), "factura_fdp.exe");
        // A Persian word with its zero-width non-joiner is spelt as it is.
        assert_eq!(sendable_name("می\u{200c}خواهم.txt"), "می\u{200c}خواهم.txt");
        assert_eq!(sendable_name("  "), "file");
        let long = format!("{}.pdf", "ñ".repeat(200));
        let cut = sendable_name(&long);
        assert!(
            cut.len() <= FILE_NAME_MAX_BYTES && cut.ends_with("ñ.pdf"),
            "{cut}"
        );
    }

    #[test]
    fn names_are_percent_encoded_byte_by_byte() {
        assert_eq!(percent_encode("foto 1.jpg"), "foto%201.jpg");
        assert_eq!(percent_encode("año/ñ"), "a%C3%B1o%2F%C3%B1");
    }
}
