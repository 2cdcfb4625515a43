//! Files in a browser: not offered yet. A page has no attach button and takes no drop or
//! paste (`ui::input`, `app::files`), moves no bytes and fetches no previews; a line's files
//! show as cards with their name and size (`ui::files::attachments`). What the app and the
//! windows use of the desktop's module (`src/files`) stands here under the same names.

use std::path::PathBuf;

use chat_model::composer::Target;
use chat_model::transfers::{Ready, Transfers};

use crate::save::Saved;
use crate::ui::files::FileIntent;

/// Media types by name (the desktop's module; a page decodes no picture).
#[path = "../files/picture.rs"]
pub mod picture;

/// What a line shows of its files: in a page, only its card.
pub mod looks {
    /// Most of a code file a line shows (the desktop's value; a page fetches none).
    pub const CODE_MAX_BYTES: u64 = 16 * 1024;
}

/// Where files would go: a page keeps none.
#[derive(Debug, Clone)]
pub struct Folders;

impl Folders {
    /// Nowhere, whatever is given.
    pub fn new(_downloads: Option<PathBuf>, _cache: Option<PathBuf>) -> Folders {
        Folders
    }
}

/// What happened that the app must act on: never anything in a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum News {
    /// A message whose files are settled.
    Ready(Ready),
    /// Attaching failed: a message carries at most this many files.
    TooMany(Target),
    /// How saving a copy of a picture ended.
    Saved(Saved),
}

/// The files' side of the page: no transfer ever starts.
#[derive(Debug)]
pub struct Files {
    /// Always empty.
    pub transfers: Transfers,
}

impl Files {
    /// No files.
    pub fn new(_folders: Folders) -> Files {
        Files {
            transfers: Transfers::default(),
        }
    }

    /// Nothing is done with files in a page.
    pub fn apply(&mut self, intent: FileIntent, _t: &crate::i18n::Texts) -> Vec<News> {
        tracing::debug!(?intent, "files are not offered in a page");
        Vec::new()
    }
}
