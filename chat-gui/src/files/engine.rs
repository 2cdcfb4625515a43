//! The transfer engine: the threads that move files' bytes between the disk and the chat
//! server (chat-core's [`http`](chat_core::http), over the chat's own TLS), off the UI thread.
//!
//! One thread per upload or download, and one that fetches pictures' previews in turn; each
//! reports what happened into a channel ([`Report`], [`PictureNews`]) and wakes the window.
//! A lost connection is tried again with exponential backoff and full jitter: an upload asks
//! the server how far it got (`HEAD`) and goes on from there, a download asks for the rest
//! (`Range`). A refusal (too large, over the quota) stops the transfer for good. Files are read
//! and written a piece at a time: memory does not grow with a file's size.
//!
//! Architecture Invariant: no thread here touches the window's state; the UI thread never
//! waits for one of them (it drains their channels each frame).

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chat_core::client::{Disconnect, Waker};
use chat_core::http::{self, Begun, FileServer, HttpConnection, HttpError, Sent};
use chat_core::protocol::{Attachment, ErrorCode};
use chat_model::backoff::Backoff;
use chat_model::transfers::{Problem, Report, TransferId};
use crossbeam_channel::{Receiver, Sender, unbounded};

use super::looks::{self, HTTP_TIMEOUT, Look, PictureNews, lock};
use super::picture;
use super::prepare::{Prepared, prepare};
pub use super::prepare::{Source, sha256_of};

/// Bytes sent per `PATCH`: what a dropped connection can cost at most.
pub const UPLOAD_CHUNK_BYTES: u64 = 1024 * 1024;
/// First and longest wait before trying a lost transfer again.
const RETRY_FIRST: Duration = Duration::from_secs(1);
const RETRY_MAX: Duration = Duration::from_secs(30);
/// Progress is told at most this often.
const PROGRESS_EVERY: Duration = Duration::from_millis(50);
/// What a transfer said, and which.
type Told = (TransferId, Report);

/// The engine's handle, held by the window.
pub struct Engine {
    reports: (Sender<Told>, Receiver<Told>),
    pictures: (Sender<PictureNews>, Receiver<PictureNews>),
    cancels: HashMap<TransferId, Arc<AtomicBool>>,
    server: Arc<Mutex<Option<FileServer>>>,
    waker: Option<Waker>,
    previews: Option<Sender<Look>>,
    cache: PathBuf,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("cache", &self.cache)
            .field("transfers", &self.cancels.len())
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// An engine keeping its working copies under `cache`.
    pub fn new(cache: PathBuf) -> Self {
        Engine {
            reports: unbounded(),
            pictures: unbounded(),
            cancels: HashMap::new(),
            server: Arc::new(Mutex::new(None)),
            waker: None,
            previews: None,
            cache,
        }
    }

    /// Wakes the window after each report.
    pub fn set_waker(&mut self, waker: Waker) {
        self.waker = Some(waker);
    }

    /// Where files go now (`None` while logged out: transfers wait).
    pub fn set_server(&self, server: Option<FileServer>) {
        *lock(&self.server) = server;
    }

    /// Where working copies go.
    pub fn cache(&self) -> &Path {
        &self.cache
    }

    fn link(&mut self, id: TransferId) -> Link {
        let cancel = Arc::new(AtomicBool::new(false));
        self.cancels.insert(id, Arc::clone(&cancel));
        Link {
            id,
            reports: self.reports.0.clone(),
            waker: self.waker.clone(),
            server: Arc::clone(&self.server),
            cancel,
            told: Instant::now(),
        }
    }

    /// Starts uploading `source` as transfer `id`.
    pub fn upload(&mut self, id: TransferId, source: Source) {
        let link = self.link(id);
        let cache = self.cache.clone();
        spawn("file-upload", link, move |link| {
            upload(link, &source, &cache)
        });
    }

    /// Starts downloading `file` into `dir` (a free name there, or the one given) as `id`.
    pub fn download(&mut self, id: TransferId, file: Attachment, to: Destination) {
        let link = self.link(id);
        spawn("file-download", link, move |link| {
            download(link, &file, &to)
        });
    }

    /// Stops transfer `id`.
    pub fn cancel(&mut self, id: TransferId) {
        if let Some(flag) = self.cancels.remove(&id) {
            flag.store(true, Ordering::Release);
        }
    }

    /// Fetches and decodes the preview of `file` (one at a time, in order asked).
    pub fn preview(&mut self, file: Attachment) {
        self.look(Look::Preview(file));
    }

    /// Fetches the head of code file `file` to show it in its line (in turn with previews).
    pub fn code(&mut self, file: Attachment) {
        self.look(Look::Code(file));
    }

    fn look(&mut self, look: Look) {
        let queue = match &self.previews {
            Some(queue) => queue.clone(),
            None => {
                let (tx, rx) = unbounded::<Look>();
                let news = self.pictures.0.clone();
                let server = Arc::clone(&self.server);
                let waker = self.waker.clone();
                let started = std::thread::Builder::new()
                    .name("file-previews".into())
                    .spawn(move || looks::run(&rx, &news, &server, waker.as_ref()));
                if let Err(e) = started {
                    tracing::warn!("no thread for previews: {e}");
                    return;
                }
                self.previews = Some(tx.clone());
                tx
            }
        };
        let _ = queue.send(look);
    }

    /// Decodes the picture at `path` (file `file`) for the viewer, on a thread of its own,
    /// scaled to at most `side` pixels a side.
    pub fn show_picture(&self, file: String, path: PathBuf, side: u32) {
        let news = self.pictures.0.clone();
        let waker = self.waker.clone();
        let started = std::thread::Builder::new()
            .name("file-picture".into())
            .spawn(move || {
                let image = picture::with_whole(&path, |p| picture::for_screen(&p, side));
                if let Err(e) = &image {
                    tracing::info!(file, "a picture cannot be shown: {e}");
                }
                let _ = news.send(PictureNews::Full {
                    file,
                    image: image.ok(),
                });
                if let Some(wake) = &waker {
                    wake();
                }
            });
        if let Err(e) = started {
            tracing::warn!("no thread for a picture: {e}");
        }
    }

    /// What the transfers said since the last call.
    pub fn reports(&mut self) -> Vec<(TransferId, Report)> {
        let reports: Vec<_> = self.reports.1.try_iter().collect();
        for (id, report) in &reports {
            if matches!(
                report,
                Report::Uploaded(_) | Report::Downloaded(_) | Report::Failed(_) | Report::Cancelled
            ) {
                self.cancels.remove(id);
            }
        }
        reports
    }

    /// Pictures decoded since the last call.
    pub fn pictures(&self) -> Vec<PictureNews> {
        self.pictures.1.try_iter().collect()
    }
}

/// Where a download goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// A free name in this folder (the file's own name, else `name (1).ext`…).
    Folder(PathBuf),
    /// This path (the viewer's copy: kept once fetched).
    Exactly(PathBuf),
}

/// Why a transfer stopped.
enum Stop {
    Cancelled,
    Failed(Problem),
}

/// A transfer thread's line to the window.
struct Link {
    id: TransferId,
    reports: Sender<(TransferId, Report)>,
    waker: Option<Waker>,
    server: Arc<Mutex<Option<FileServer>>>,
    cancel: Arc<AtomicBool>,
    told: Instant,
}

impl Link {
    fn tell(&self, report: Report) {
        let _ = self.reports.send((self.id, report));
        if let Some(wake) = &self.waker {
            wake();
        }
    }

    /// Tells progress, at most every [`PROGRESS_EVERY`].
    fn progress(&mut self, bytes: u64) {
        if self.told.elapsed() >= PROGRESS_EVERY {
            self.told = Instant::now();
            self.tell(Report::Progress(bytes));
        }
    }

    fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Acquire)
    }

    /// Waits until `at`, or until cancelled.
    fn wait_until(&self, at: Instant) -> Result<(), Stop> {
        while Instant::now() < at {
            if self.cancelled() {
                return Err(Stop::Cancelled);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    }

    /// The server, waiting while the user is not logged in.
    fn server(&self) -> Result<FileServer, Stop> {
        loop {
            if self.cancelled() {
                return Err(Stop::Cancelled);
            }
            if let Some(server) = lock(&self.server).clone() {
                return Ok(server);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Runs `step` on a connection until it succeeds, trying again after a lost connection
    /// with backoff; a refusal stops it.
    fn retrying<T>(
        &mut self,
        conn: &mut Option<HttpConnection>,
        backoff: &mut Backoff,
        mut step: impl FnMut(&mut Link, &mut HttpConnection, &FileServer) -> Result<T, HttpError>,
    ) -> Result<T, Stop> {
        let mut failed = false;
        loop {
            if self.cancelled() {
                return Err(Stop::Cancelled);
            }
            let server = self.server()?;
            let result = match conn.take().filter(|c| !c.is_closing()) {
                Some(c) => Ok(c),
                None => HttpConnection::open(&server, HTTP_TIMEOUT),
            }
            .and_then(|mut c| {
                let out = step(self, &mut c, &server);
                *conn = Some(c);
                out
            });
            match result {
                Ok(value) => {
                    if failed {
                        self.tell(Report::Resumed);
                    }
                    *backoff = Backoff::new(RETRY_FIRST, RETRY_MAX);
                    return Ok(value);
                }
                Err(HttpError::Cancelled) => return Err(Stop::Cancelled),
                Err(e) if e.is_temporary() => {
                    tracing::info!(transfer = self.id, "a transfer lost its connection: {e}");
                    // The server answered, and asked to wait: not a lost connection.
                    let busy = matches!(
                        e,
                        HttpError::Refused {
                            status: 429 | 503,
                            ..
                        }
                    );
                    *conn = None;
                    failed = true;
                    let at = Instant::now() + backoff.next_delay();
                    self.tell(Report::Retrying {
                        at,
                        attempt: backoff.failures(),
                        busy,
                    });
                    self.wait_until(at)?;
                }
                Err(e) => {
                    tracing::info!(transfer = self.id, "a transfer was refused: {e}");
                    return Err(Stop::Failed(problem(&e)));
                }
            }
        }
    }
}

/// What went wrong, as the user is told.
fn problem(e: &HttpError) -> Problem {
    match e {
        HttpError::Refused { code, field, .. } => Problem::Refused {
            code: *code,
            field: *field,
        },
        HttpError::Connect(Disconnect::CertificateChanged { .. }) => Problem::CertificateChanged,
        // An upload's file (a download's own failure is told apart where it is written).
        HttpError::Local(_) => Problem::Unreadable,
        _ => Problem::Refused {
            code: ErrorCode::Internal,
            field: None,
        },
    }
}

fn spawn(
    name: &str,
    link: Link,
    job: impl FnOnce(&mut Link) -> Result<Report, Stop> + Send + 'static,
) {
    let started = std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            let mut link = link;
            let report = match job(&mut link) {
                Ok(report) => report,
                Err(Stop::Cancelled) => Report::Cancelled,
                Err(Stop::Failed(problem)) => Report::Failed(problem),
            };
            link.tell(report);
        });
    if let Err(e) = started {
        tracing::warn!("no thread for a transfer: {e}");
    }
}

fn upload(link: &mut Link, source: &Source, cache: &Path) -> Result<Report, Stop> {
    let prepared = prepare(link.id, source, cache).map_err(Stop::Failed)?;
    let result = send(link, &prepared);
    if prepared.copy {
        let _ = fs::remove_file(&prepared.path);
    }
    result.map(Report::Uploaded)
}

/// Tells the server a cancelled upload will not go on, so that its bytes and the quota they
/// hold go now; one try, on a connection of its own (the transfer's may be cut mid-body). The
/// server drops what it is not told of after a day anyway.
fn forget(link: &Link, upload: &str) {
    // Not `Link::server`, which gives up once the transfer is cancelled.
    let Some(server) = lock(&link.server).clone() else {
        return;
    };
    if let Ok(mut conn) = HttpConnection::open(&server, HTTP_TIMEOUT)
        && let Err(e) = http::cancel(&mut conn, &server.token, upload)
    {
        tracing::info!("a cancelled upload stays on the server until it lapses: {e}");
    }
}

/// How long a download lost mid-way waits for its file to be readable again (see
/// [`download`]): a client reconnecting enters its room again a moment after logging in.
const REENTRY_WAIT: Duration = Duration::from_secs(15);

/// How many times an upload is begun again when the server loses it (see [`send`]).
const MAX_STARTS: u32 = 3;

/// Sends `file`'s bytes to `upload` from wherever the server has them: the file it made, or
/// `None` when the server no longer knows the upload.
fn send_bytes(
    link: &mut Link,
    conn: &mut Option<HttpConnection>,
    backoff: &mut Backoff,
    file: &mut File,
    size: u64,
    upload: &str,
) -> Result<Option<Attachment>, Stop> {
    let mut offset = 0u64;
    // After a lost connection, ask where the upload is before sending more.
    let mut lost = false;
    loop {
        let sent = link.retrying(conn, backoff, |link, c, server| {
            if lost {
                match http::offset(c, &server.token, upload) {
                    Ok(have) => offset = have,
                    Err(HttpError::Refused { status: 404, .. }) => return Ok(None),
                    Err(e) => return Err(e),
                }
            }
            lost = true;
            file.seek(SeekFrom::Start(offset))
                .map_err(HttpError::Local)?;
            let length = (size - offset.min(size)).min(UPLOAD_CHUNK_BYTES);
            let at = offset;
            let mut body = Reading {
                inner: (&mut *file).take(length),
                failed: false,
            };
            let sent = http::patch(
                c,
                &server.token,
                upload,
                offset,
                &mut body,
                length,
                &mut |n| {
                    link.progress(at + n);
                    !link.cancelled()
                },
            );
            let sent = match sent {
                // The file here, not the network (a stick pulled out): no use trying again.
                Err(e) if body.failed => {
                    return Err(HttpError::Local(io::Error::other(e.to_string())));
                }
                Err(HttpError::Refused { status: 404, .. }) => return Ok(None),
                other => other?,
            };
            lost = false;
            Ok(Some(sent))
        });
        let sent = match sent {
            Err(Stop::Cancelled) => {
                forget(link, upload);
                return Err(Stop::Cancelled);
            }
            other => other?,
        };
        match sent {
            None => return Ok(None),
            Some(Sent::More(have) | Sent::Elsewhere(have)) => {
                offset = have;
                link.tell(Report::Progress(have));
            }
            Some(Sent::Done(attachment)) => return Ok(Some(attachment)),
        }
    }
}

fn send(link: &mut Link, prepared: &Prepared) -> Result<Attachment, Stop> {
    let size = prepared.announce.size;
    link.tell(Report::Size(size));
    let mut backoff = Backoff::new(RETRY_FIRST, RETRY_MAX);
    let mut conn = None;
    let mut file = File::open(&prepared.path).map_err(|_| Stop::Failed(Problem::Unreadable))?;
    let mut starts = 0;
    let mut attachment = loop {
        starts += 1;
        let begun = link.retrying(&mut conn, &mut backoff, |_, c, server| {
            http::begin(c, &server.token, &prepared.announce)
        })?;
        let upload = match begun {
            Begun::Done(attachment) => break attachment,
            Begun::Upload(upload) => upload,
        };
        match send_bytes(link, &mut conn, &mut backoff, &mut file, size, &upload)? {
            Some(attachment) => break attachment,
            // The server no longer has the upload: its last answer was lost after the file was
            // stored, it lapsed, or this is another node of a cluster. Sent again from the
            // start (the same content is stored once); a few times at most.
            None if starts < MAX_STARTS => {
                tracing::info!(
                    transfer = link.id,
                    "an upload is gone from the server: again"
                );
                link.tell(Report::Progress(0));
            }
            None => {
                return Err(Stop::Failed(Problem::Refused {
                    code: ErrorCode::FileNotFound,
                    field: None,
                }));
            }
        }
    };
    if let Some(preview) = &prepared.preview {
        let file = attachment.id.clone();
        let put = link.retrying(&mut conn, &mut backoff, |_, c, server| {
            http::put_preview(c, &server.token, &file, preview)
        });
        match put {
            Ok(()) => attachment.preview = true,
            Err(Stop::Cancelled) => return Err(Stop::Cancelled),
            // The file is stored; without its preview it shows as a card.
            Err(Stop::Failed(p)) => tracing::info!("a preview was refused: {p:?}"),
        }
    }
    Ok(attachment)
}

/// A file name safe in any folder: no separators, no leading dots.
fn safe_name(name: &str) -> String {
    let safe: String = name
        .chars()
        .map(|c| {
            if matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    let safe = safe.trim_start_matches('.').trim();
    if safe.is_empty() {
        "file".into()
    } else {
        safe.to_owned()
    }
}

/// A name in `dir` that no file has: `name`, else `stem (1).ext`, `stem (2).ext`…
fn free_path(dir: &Path, name: &str) -> PathBuf {
    let name = safe_name(name);
    let path = Path::new(&name);
    let stem = path
        .file_stem()
        .map_or_else(|| name.clone(), |s| s.to_string_lossy().into_owned());
    let ext = path
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    (0..1000)
        .map(|n| {
            if n == 0 {
                dir.join(&name)
            } else {
                dir.join(format!("{stem} ({n}){ext}"))
            }
        })
        .find(|p| !p.exists() && !part_of(p).exists())
        .unwrap_or_else(|| dir.join(format!("{stem}-{}{ext}", std::process::id())))
}

/// Where a download is written until it is whole.
fn part_of(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".part");
    path.with_file_name(name)
}

/// A file being read that remembers a failed read (the disk, not the network), or an end
/// before the bytes asked for (the file shrank since it was hashed).
struct Reading<R> {
    inner: R,
    failed: bool,
}

impl<R: Read> Read for Reading<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buf);
        if read.as_ref().map_or(true, |n| *n == 0 && !buf.is_empty()) {
            self.failed = true;
        }
        read
    }
}

/// A file being written that remembers a failed write (the disk, not the network).
struct Part {
    file: File,
    failed: bool,
}

impl Write for Part {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf).inspect_err(|_| self.failed = true)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush().inspect_err(|_| self.failed = true)
    }
}

fn download(link: &mut Link, file: &Attachment, to: &Destination) -> Result<Report, Stop> {
    let path = match to {
        Destination::Exactly(path) if path.exists() => {
            return Ok(Report::Downloaded(path.clone()));
        }
        Destination::Exactly(path) => path.clone(),
        Destination::Folder(dir) => {
            fs::create_dir_all(dir).map_err(|_| Stop::Failed(Problem::Unwritable))?;
            free_path(dir, &file.name)
        }
    };
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(|_| Stop::Failed(Problem::Unwritable))?;
    }
    let part_path = part_of(&path);
    let mut part = Part {
        file: fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&part_path)
            .map_err(|_| Stop::Failed(Problem::Unwritable))?,
        failed: false,
    };
    let mut backoff = Backoff::new(RETRY_FIRST, RETRY_MAX);
    let mut conn = None;
    // A connection lost mid-download: the answer may be "no such file" for a moment after
    // the client logs in again, until it is back in the room whose line carries the file.
    let mut tried = false;
    let mut gone_since: Option<Instant> = None;
    let fetched = link.retrying(&mut conn, &mut backoff, |link, c, server| {
        // Tried before: only after a temporary failure (a lost connection).
        let again = std::mem::replace(&mut tried, true);
        let have = part.file.metadata().map(|m| m.len()).unwrap_or(0);
        let fetch = match http::get(c, &server.token, &file.id, have) {
            Err(HttpError::Refused { status: 404, .. })
                if again
                    && gone_since.get_or_insert_with(Instant::now).elapsed() < REENTRY_WAIT =>
            {
                return Err(HttpError::Io(io::Error::other(
                    "not readable yet: the room is being entered again",
                )));
            }
            other => other?,
        };
        // Readable again: a later loss waits afresh.
        gone_since = None;
        if fetch.start != have {
            // The server sent the whole file: start the copy again.
            part.file.set_len(0)?;
        }
        let start = fetch.start;
        let read = c.read_body(fetch.length, &mut part, &mut |n| {
            link.progress(start + n);
            !link.cancelled()
        });
        let read = read.and_then(|()| part.flush().map_err(HttpError::from));
        if part.failed {
            // The disk here, not the network: trying again would fail the same way.
            return Err(HttpError::Local(io::Error::other(
                "the download cannot be written",
            )));
        }
        read?;
        Ok(fetch.sha256)
    });
    let sha256 = match fetched {
        Ok(sha256) => sha256,
        // Nothing half-written is left where downloads go (its name would push the next try
        // of the same file to `name (1)`).
        Err(_) if part.failed => {
            let _ = fs::remove_file(&part_path);
            return Err(Stop::Failed(Problem::Unwritable));
        }
        Err(stop) => {
            let _ = fs::remove_file(&part_path);
            return Err(stop);
        }
    };
    drop(part);
    if let Some(expected) = sha256
        && sha256_of(&part_path).ok().as_deref() != Some(expected.as_str())
    {
        let _ = fs::remove_file(&part_path);
        return Err(Stop::Failed(Problem::Corrupt));
    }
    fs::rename(&part_path, &path).map_err(|_| Stop::Failed(Problem::Unwritable))?;
    Ok(Report::Downloaded(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_download_never_takes_the_name_of_a_file_there() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(free_path(dir.path(), "a.pdf"), dir.path().join("a.pdf"));
        fs::write(dir.path().join("a.pdf"), b"x").unwrap();
        assert_eq!(free_path(dir.path(), "a.pdf"), dir.path().join("a (1).pdf"));
        assert_eq!(
            free_path(dir.path(), "../../etc/passwd"),
            dir.path().join("_.._etc_passwd")
        );
        assert_eq!(free_path(dir.path(), ".."), dir.path().join("file"));
    }
}
