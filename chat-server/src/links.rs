//! Links to shared files for clients that cannot send a header (IRC's): a link names the file,
//! the one reader it was made for and until when it works, signed with a key only the server
//! holds (HMAC-SHA256, kept in the store so links survive a restart). Whoever fetches it is
//! served as that reader, under the same rule as a client with a session token: the file must
//! be one the reader can read now (a member of the room while the room keeps the line, either
//! user of a conversation). A link that is forged, altered, lapsed, or whose reader can no
//! longer read the file is answered exactly as a file that does not exist.
//!
//! Why not the session token in the link: a link is text in a channel's scrollback and in
//! logs; a token there would let anyone who sees it act as the user. A signed link gives one
//! file to one reader for a while, and nothing else.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use ring::hmac;

use crate::clock::ServerClock;

/// How long a link works after it was written: a week, so a link read in the evening's
/// scrollback still opens, while one copied out of a log does not work for ever. The reader's
/// access is checked again at every fetch, so a long life gives nobody more than the reader
/// has.
pub(crate) const LINK_LIFE_SECS: i64 = 7 * 24 * 3600;

/// What a reader's login is escaped of in a link: a login's own `.`, `_` and `-` stay as they
/// are, so links stay short.
const ESCAPED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'.').remove(b'_').remove(b'-');

/// Bytes of the signature a link carries (128 bits of HMAC-SHA256, as hex).
const SIG_BYTES: usize = 16;

/// Signs and checks file links.
pub(crate) struct FileLinks {
    key: hmac::Key,
    /// Where links point, when the operator said (`files_url`), without a trailing `/`.
    base: Option<String>,
    /// The native port, where HTTP is served.
    port: u16,
    /// Whether the native port speaks TLS (`https`).
    tls: bool,
}

impl std::fmt::Debug for FileLinks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileLinks")
            .field("base", &self.base)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .finish_non_exhaustive()
    }
}

/// What a link's query says, before it is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Claim {
    /// The reader's login key.
    pub reader: String,
    /// Until when it works (seconds since the epoch).
    pub until: i64,
    /// The signature, as hex.
    pub sig: String,
}

impl FileLinks {
    /// Links signed with `secret`, to `base` when given, else to the address an IRC client
    /// reached the server at, on the native `port` (`https` when `tls`).
    pub fn new(secret: &[u8], base: Option<String>, port: u16, tls: bool) -> Self {
        FileLinks {
            key: hmac::Key::new(hmac::HMAC_SHA256, secret),
            base: base.map(|b| b.trim_end_matches('/').to_owned()),
            port,
            tls,
        }
    }

    /// Where links point for a client connected to `local` (the server's address it reached).
    pub fn base_for(&self, local: Option<SocketAddr>) -> String {
        if let Some(base) = &self.base {
            return base.clone();
        }
        let scheme = if self.tls { "https" } else { "http" };
        match local.map(|a| a.ip().to_canonical()) {
            Some(std::net::IpAddr::V6(ip)) => format!("{scheme}://[{ip}]:{}", self.port),
            Some(ip) => format!("{scheme}://{ip}:{}", self.port),
            None => format!("{scheme}://localhost:{}", self.port),
        }
    }

    fn sign(&self, file: &str, reader: &str, until: i64) -> String {
        let tag = hmac::sign(&self.key, format!("{file}\n{reader}\n{until}").as_bytes());
        hex::encode(&tag.as_ref()[..SIG_BYTES])
    }

    /// The link by which `reader` (a login key) fetches file `file` until `until` (seconds
    /// since the epoch), under `base`.
    pub fn link(&self, base: &str, file: &str, reader: &str, until: i64) -> String {
        let mut out = format!("{base}/files/{file}?for=");
        let _ = write!(
            out,
            "{}&until={until}&sig={}",
            utf8_percent_encode(reader, ESCAPED),
            self.sign(file, reader, until)
        );
        out
    }

    /// The reader a link to `file` serves, if its signature is the server's and it has not
    /// lapsed at `now_s` (seconds since the epoch).
    pub fn check(&self, file: &str, claim: &Claim, now_s: i64) -> Option<String> {
        let want = self.sign(file, &claim.reader, claim.until);
        let got = claim.sig.to_ascii_lowercase();
        // Compared in full whatever differs first, so the time taken says nothing of it.
        let same = want.len() == got.len()
            && want
                .bytes()
                .zip(got.bytes())
                .fold(0u8, |diff, (a, b)| diff | (a ^ b))
                == 0;
        (same && claim.until >= now_s).then(|| claim.reader.clone())
    }
}

/// Whether `query` means to be a link (names any of its parts): one that is not a whole,
/// valid link is then answered as a file that does not exist, not as a request without a token.
pub(crate) fn is_link(query: &str) -> bool {
    query.split('&').any(|pair| {
        let key = pair.split_once('=').map_or(pair, |(k, _)| k);
        matches!(key, "for" | "until" | "sig")
    })
}

/// A link's query (`for=…&until=…&sig=…`), if it is one.
pub(crate) fn claim(query: &str) -> Option<Claim> {
    let (mut reader, mut until, mut sig) = (None, None, None);
    for pair in query.split('&') {
        let (k, v) = pair.split_once('=')?;
        match k {
            "for" => reader = Some(percent_decode_str(v).decode_utf8().ok()?.into_owned()),
            "until" => until = Some(v.parse().ok()?),
            "sig" => sig = Some(v.to_owned()),
            _ => {}
        }
    }
    Some(Claim {
        reader: reader?,
        until: until?,
        sig: sig?,
    })
}

/// How one client's events link to files: the signer, where its links point, and the server's
/// clock (a link works for [`LINK_LIFE_SECS`] from when it is written, history included).
#[derive(Debug, Clone)]
pub(crate) struct ReaderLinks {
    pub links: Arc<FileLinks>,
    pub base: String,
    pub clock: ServerClock,
}

impl ReaderLinks {
    /// The link for `reader` (a login key) to `file`, working for [`LINK_LIFE_SECS`] from now.
    pub fn link(&self, file: &str, reader: &str) -> String {
        let until = self.clock.now_ms() / 1_000 + LINK_LIFE_SECS;
        self.links.link(&self.base, file, reader, until)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links() -> FileLinks {
        FileLinks::new(b"0123456789abcdef0123456789abcdef", None, 7878, false)
    }

    #[test]
    fn a_link_serves_its_reader_for_its_file_until_it_lapses() {
        let l = links();
        let url = l.link("http://h:1", "f1", "ana", 1_000);
        let query = url.split_once('?').unwrap().1;
        let c = claim(query).unwrap();
        assert_eq!(l.check("f1", &c, 999).as_deref(), Some("ana"));
        assert_eq!(l.check("f1", &c, 1_000).as_deref(), Some("ana"));
        assert_eq!(l.check("f1", &c, 1_001), None, "lapsed");
        assert_eq!(l.check("f2", &c, 999), None, "another file");
        let other = Claim {
            reader: "bob".into(),
            ..c.clone()
        };
        assert_eq!(l.check("f1", &other, 999), None, "another reader");
        let later = Claim {
            until: 5_000,
            ..c.clone()
        };
        assert_eq!(l.check("f1", &later, 999), None, "a longer life");
        let elsewhere = FileLinks::new(b"another key of the same length!!", None, 7878, false);
        assert_eq!(elsewhere.check("f1", &c, 999), None, "another server's key");
    }

    #[test]
    fn queries_that_are_not_links_are_not_claims() {
        assert_eq!(claim("for=ana&until=x&sig=ab"), None);
        assert_eq!(claim("for=ana&sig=ab"), None);
        assert_eq!(claim(""), None);
        let c = claim("for=a%2Eb&until=7&sig=AB").unwrap();
        assert_eq!(c.reader, "a.b");
    }

    #[test]
    fn links_point_where_the_client_reached_the_server_or_where_the_operator_said() {
        let l = links();
        assert_eq!(
            l.base_for(Some("192.0.2.7:6667".parse().unwrap())),
            "http://192.0.2.7:7878"
        );
        assert_eq!(
            l.base_for(Some("[2001:db8::1]:6667".parse().unwrap())),
            "http://[2001:db8::1]:7878"
        );
        let named = FileLinks::new(b"k", Some("https://chat.example.org/".into()), 7878, true);
        assert_eq!(named.base_for(None), "https://chat.example.org");
    }
}
