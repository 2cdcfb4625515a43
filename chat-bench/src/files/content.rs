//! The bytes of a benchmark file: pseudo-random from a seed, so that every upload of a run has
//! content of its own (the server stores the same content once, and a second upload of it would
//! skip the storing), and their SHA-256 in hex, as `Upload-Sha256` wants it.

use std::fmt::Write as _;

use ring::digest::{SHA256, digest};

/// A file's bytes and their SHA-256.
#[derive(Debug, Clone)]
pub struct Content {
    pub bytes: Vec<u8>,
    /// Lower-case hex.
    pub sha256: String,
}

impl Content {
    /// `len` bytes made from `seed` (xorshift64*: fast, and not compressible).
    pub fn new(seed: u64, len: usize) -> Content {
        let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        let mut bytes = Vec::with_capacity(len + 8);
        while bytes.len() < len {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            bytes.extend_from_slice(&state.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes());
        }
        bytes.truncate(len);
        let sha256 = sha256_hex(&bytes);
        Content { bytes, sha256 }
    }
}

/// The SHA-256 of `bytes`, in lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    digest(&SHA256, bytes)
        .as_ref()
        .iter()
        .fold(String::with_capacity(64), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_has_its_size_its_hash_and_differs_by_seed() {
        let a = Content::new(1, 1001);
        assert_eq!(a.bytes.len(), 1001);
        assert_eq!(a.sha256.len(), 64);
        assert_eq!(Content::new(1, 1001).bytes, a.bytes);
        assert_ne!(Content::new(2, 1001).bytes, a.bytes);
        assert_eq!(
            Content::new(0, 0).sha256,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
