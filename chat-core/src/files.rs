//! What the files' HTTP needs on every target, the desktop's (`http`) and a page's: a file's
//! name as `Upload-Name` carries it (docs/PROTOCOL.md, *Files*).

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_percent_encoded_byte_by_byte() {
        assert_eq!(percent_encode("foto 1.jpg"), "foto%201.jpg");
        assert_eq!(percent_encode("año/ñ"), "a%C3%B1o%2F%C3%B1");
    }
}
