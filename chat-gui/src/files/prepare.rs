//! A file made ready to upload, on the transfer's own thread: copied into the cache when it
//! has no path of its own (a picture pasted, bytes dropped), a photo's location left out of it
//! ([`metadata`]), its SHA-256, its media type from its first bytes, and for a picture its
//! size in pixels and the small preview the server keeps.

use std::fs::{self, File};
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chat_core::http::Announce;
use chat_model::transfers::{Problem, TransferId};

use super::{metadata, picture};

/// What an upload sends.
#[derive(Debug, Clone)]
pub enum Source {
    /// A file on disk (a dialog's choice, a file dropped on the window).
    Path(PathBuf),
    /// A picture pasted from the clipboard: sent as a PNG.
    Pixels(Arc<egui::ColorImage>),
    /// Bytes with a name (a file dropped where the platform gives no path).
    Bytes {
        /// The name.
        name: String,
        /// The bytes.
        bytes: Arc<[u8]>,
    },
}

/// A file ready to send: its bytes on disk (the user's, or a cleaned copy), and what to
/// announce.
pub(super) struct Prepared {
    pub(super) path: PathBuf,
    /// A working copy of ours, removed when done.
    pub(super) copy: bool,
    pub(super) announce: Announce,
    pub(super) preview: Option<Vec<u8>>,
}

/// The name of a working copy.
fn copy_path(cache: &Path, id: TransferId, name: &str) -> PathBuf {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    cache.join(format!("upload-{id}-{safe}"))
}

pub(super) fn prepare(id: TransferId, source: &Source, cache: &Path) -> Result<Prepared, Problem> {
    fs::create_dir_all(cache).map_err(|_| Problem::Unwritable)?;
    let (original, name) = match source {
        Source::Path(path) => {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "file".into());
            (path.clone(), name)
        }
        Source::Pixels(image) => {
            let name = chrono::Local::now()
                .format("pasted-%Y%m%d-%H%M%S.png")
                .to_string();
            let png = picture::png_of(image).ok_or(Problem::Unreadable)?;
            let path = copy_path(cache, id, &name);
            fs::write(&path, png).map_err(|_| Problem::Unwritable)?;
            (path, name)
        }
        Source::Bytes { name, bytes } => {
            let path = copy_path(cache, id, name);
            fs::write(&path, bytes).map_err(|_| Problem::Unwritable)?;
            (path, name.clone())
        }
    };
    // Named as a server takes it, whatever the disk allowed (`..`, `\`, control characters).
    let name = chat_core::files::sendable_name(&name);
    let copied = !matches!(source, Source::Path(_));
    let mut head = [0u8; 64];
    let head_len = File::open(&original)
        .and_then(|mut f| f.read(&mut head))
        .map_err(|_| Problem::Unreadable)?;
    let head = &head[..head_len];
    // A photo leaves without where it was taken.
    let (path, copy) = match metadata::Kind::of(head) {
        Some(kind) => {
            let clean = copy_path(cache, id, &format!("clean-{name}"));
            let done = File::open(&original).and_then(|input| {
                let mut output = io::BufWriter::new(File::create(&clean)?);
                metadata::strip(kind, &mut BufReader::new(input), &mut output)?;
                output.flush()
            });
            match done {
                Ok(()) => {
                    if copied {
                        let _ = fs::remove_file(&original);
                    }
                    (clean, true)
                }
                Err(e) => {
                    // Its metadata could not be told apart from its picture (a damaged or
                    // unusual file): the picture is drawn again from its pixels, which carry
                    // no place; one that cannot be decoded either is not sent, since where it
                    // was taken may be in it.
                    tracing::info!("metadata not removed ({e}): the picture is made again");
                    let redrawn = picture::with_whole(&original, |p| {
                        p.save_with_format(&clean, image::ImageFormat::Png)
                    })
                    .and_then(|saved| saved);
                    if copied {
                        let _ = fs::remove_file(&original);
                    }
                    if let Err(e) = redrawn {
                        tracing::info!("a picture that cannot be cleaned is not sent: {e}");
                        let _ = fs::remove_file(&clean);
                        return Err(Problem::Unreadable);
                    }
                    (clean, true)
                }
            }
        }
        None => (original, copied),
    };
    let size = fs::metadata(&path).map_err(|_| Problem::Unreadable)?.len();
    let sha256 = sha256_of(&path).map_err(|_| Problem::Unreadable)?;
    // From what is sent (a picture drawn again is a PNG whatever it was).
    let mut sent_head = [0u8; 64];
    let sent_len = File::open(&path)
        .and_then(|mut f| f.read(&mut sent_head))
        .map_err(|_| Problem::Unreadable)?;
    let mime = picture::media_type(&name, &sent_head[..sent_len]);
    let (dimensions, preview) = picture::measured(&name, &mime, || {
        picture::with_whole(&path, |p| picture::measure(&p))
    });
    Ok(Prepared {
        path,
        copy,
        announce: Announce {
            name,
            mime,
            size,
            sha256,
            dimensions,
        },
        preview,
    })
}

/// The SHA-256 of a file, in lowercase hex, read a piece at a time.
pub fn sha256_of(path: &Path) -> io::Result<String> {
    let mut file = File::open(path)?;
    let mut context = ring::digest::Context::new(&ring::digest::SHA256);
    let mut piece = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut piece)?;
        if n == 0 {
            break;
        }
        context.update(&piece[..n]);
    }
    Ok(context
        .finish()
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}
