//! The archive thread: the one writer of what was said (`store::said`), so reader threads never
//! touch the store.
//!
//! Room lines of the default room and messages delivered to online users are written without
//! waiting (sled writes them to disk within half a second; a crash loses at most that much of
//! the history). A message kept for an offline user is acknowledged (`private_stored`) only once
//! it is on disk: the thread applies every job waiting, flushes once for all that need it, then
//! answers them (one disk flush for many messages when they come together).

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;

use chat_core::protocol::{PrivateSaid, Said};
use chat_core::validate::login_key;
use crossbeam_channel::{Receiver, Sender, bounded};

use crate::error::{Result, ServerError};
use crate::store::{Kept, KeptMessages, MailStore, Place, SaidStore};

/// Jobs that may wait for the archive thread; beyond this, senders wait (back pressure).
const QUEUE: usize = 64 * 1024;
/// Jobs applied before one flush.
const BATCH: usize = 1024;

/// What changes a private message in [`Job::ModifyPrivate`].
type Modify = Box<dyn FnOnce(Option<&mut PrivateSaid>) -> bool + Send>;

enum Job {
    RoomLine(Arc<Said>),
    Private(PrivateSaid),
    PrivateIfMissing(PrivateSaid),
    /// A private message queued before delivery that was then refused.
    ForgetPrivate(PrivateSaid),
    KeepOffline {
        recipient_key: String,
        said: PrivateSaid,
        done: Sender<Result<()>>,
    },
    Offline {
        recipient_key: String,
        reply: Sender<Result<KeptMessages>>,
    },
    Forget {
        recipient_key: String,
        up_to: u64,
    },
    Conversation {
        a: String,
        b: String,
        before: Option<u64>,
        limit: usize,
        reply: Sender<Result<(Vec<PrivateSaid>, bool)>>,
    },
    /// A default-room line that changed; `done`, when given, hears once it is on disk.
    ReplaceRoomLine(Said, Option<Sender<Result<()>>>),
    /// A change to a private message, read, changed and written back in one step: `change`
    /// sees the message (`None`: not kept here) and says whether to write it back; `done`
    /// hears once it is written (on disk, with `true`).
    ModifyPrivate {
        a: String,
        b: String,
        id: u64,
        change: Modify,
        done: Option<(Sender<Result<()>>, bool)>,
    },
    PrivateMessage {
        a: String,
        b: String,
        id: u64,
        reply: Sender<Result<Option<PrivateSaid>>>,
    },
    Whereabouts {
        a: String,
        b: String,
        id: u64,
        reply: Sender<Result<Whereabouts>>,
    },
    Marker {
        reader: String,
        place: Place,
        line: u64,
        receipt: bool,
    },
    Markers {
        reader: String,
        reply: Sender<Result<Vec<(Place, u64, bool)>>>,
    },
    MarkerOf {
        reader: String,
        place: Place,
        reply: Sender<Result<Option<(u64, bool)>>>,
    },
    /// Write what is queued and end (the store can then be opened again).
    Stop,
}

/// A handle on the archive thread; the thread ends when the last handle is dropped, after
/// writing what was queued.
#[derive(Debug)]
pub(crate) struct Archive {
    jobs: Sender<Job>,
    /// The next private message id (kept messages are numbered by it too).
    next_private: AtomicU64,
    /// Login keys with messages kept for them (so a login without any costs no round trip).
    waiting: Mutex<HashSet<String>>,
    thread: Mutex<Option<thread::JoinHandle<()>>>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("archive job")
    }
}

fn gone() -> ServerError {
    ServerError::Io(std::io::Error::other("the archive thread ended"))
}

impl Archive {
    /// Starts the thread over `store`, keeping the default room's newest `room_keep` lines.
    pub(crate) fn start(store: SaidStore, room_keep: usize) -> Result<Self> {
        let next_private = AtomicU64::new(store.last_private_id()? + 1);
        let waiting = Mutex::new(store.recipients_waiting()?.into_iter().collect());
        let (jobs, rx) = bounded(QUEUE);
        let thread = thread::Builder::new()
            .name("archive".into())
            .spawn(move || archive_loop(&store, &rx, room_keep))?;
        Ok(Archive {
            jobs,
            next_private,
            waiting,
            thread: Mutex::new(Some(thread)),
        })
    }

    fn waiting(&self) -> MutexGuard<'_, HashSet<String>> {
        self.waiting.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn send(&self, job: Job) {
        // Only fails once the thread ended, at shutdown; the job is then moot.
        let _ = self.jobs.send(job);
    }

    /// Sends the job `job` makes around its reply channel, and waits for the answer (in order
    /// with every job queued before it).
    fn ask<T>(&self, job: impl FnOnce(Sender<Result<T>>) -> Job) -> Result<T> {
        let (reply, wait) = bounded(1);
        self.send(job(reply));
        wait.recv().map_err(|_| gone())?
    }

    /// A number for a new private message, increasing.
    pub(crate) fn next_private_id(&self) -> u64 {
        self.next_private.fetch_add(1, Ordering::Relaxed)
    }

    /// The highest private message number made or seen here.
    #[cfg_attr(not(feature = "cluster"), allow(dead_code))]
    pub(crate) fn highest_private_id(&self) -> u64 {
        self.next_private.load(Ordering::Relaxed).saturating_sub(1)
    }

    /// A private message numbered elsewhere (a cluster's counter) was made or seen here:
    /// numbers made here from now on are above it.
    #[cfg_attr(not(feature = "cluster"), allow(dead_code))]
    pub(crate) fn saw_private_id(&self, id: u64) {
        self.next_private
            .fetch_max(id.saturating_add(1), Ordering::Relaxed);
    }

    /// Writes a default-room line (not waited for).
    pub(crate) fn room_line(&self, said: Arc<Said>) {
        self.send(Job::RoomLine(said));
    }

    /// Adds a private message to its conversation (not waited for). Queued before the message
    /// is delivered: the archive answers in order, so a reply, reaction or edit its recipient
    /// sends the instant it arrives finds it.
    pub(crate) fn private(&self, said: PrivateSaid) {
        self.send(Job::Private(said));
    }

    /// Adds a private message delivered from elsewhere (kept for its recipient, perhaps by
    /// another node of a cluster) to its conversation, unless the conversation has it already
    /// (not waited for; in order with what follows, as [`Archive::private`]).
    pub(crate) fn private_if_missing(&self, said: PrivateSaid) {
        self.send(Job::PrivateIfMissing(said));
    }

    /// Takes back a message [`Archive::private`] queued, whose delivery was then refused (not
    /// waited for).
    pub(crate) fn forget_private(&self, said: PrivateSaid) {
        self.send(Job::ForgetPrivate(said));
    }

    /// Keeps a private message for an offline recipient, and adds it to the conversation;
    /// returns once both are on disk.
    pub(crate) fn keep_offline(&self, said: PrivateSaid) -> Result<()> {
        let recipient_key = login_key(&said.to);
        let (done, wait) = bounded(1);
        self.send(Job::KeepOffline {
            recipient_key: recipient_key.clone(),
            said,
            done,
        });
        wait.recv().map_err(|_| gone())??;
        self.waiting().insert(recipient_key);
        Ok(())
    }

    /// The messages kept for a user who just logged in (oldest first, with their sequence
    /// numbers) and how many were dropped; `None` when there are none.
    pub(crate) fn kept_for(&self, recipient_key: &str) -> Result<Option<KeptMessages>> {
        if !self.waiting().contains(recipient_key) {
            return Ok(None);
        }
        let (reply, wait) = bounded(1);
        self.send(Job::Offline {
            recipient_key: recipient_key.to_owned(),
            reply,
        });
        Ok(Some(wait.recv().map_err(|_| gone())??))
    }

    /// Forgets a user's kept messages up to `up_to`, once handed to the user's connection.
    pub(crate) fn delivered_kept(&self, recipient_key: &str, up_to: u64) {
        self.waiting().remove(recipient_key);
        self.send(Job::Forget {
            recipient_key: recipient_key.to_owned(),
            up_to,
        });
    }

    /// Up to `limit` messages between `a` and `b` (login keys) before `before`, oldest first,
    /// and whether earlier ones exist.
    pub(crate) fn conversation(
        &self,
        a: &str,
        b: &str,
        before: Option<u64>,
        limit: usize,
    ) -> Result<(Vec<PrivateSaid>, bool)> {
        self.ask(|reply| Job::Conversation {
            a: a.to_owned(),
            b: b.to_owned(),
            before,
            limit,
            reply,
        })
    }

    /// Rewrites a default-room line whose reactions changed (not waited for).
    pub(crate) fn replace_room_line(&self, said: Said) {
        self.send(Job::ReplaceRoomLine(said, None));
    }

    /// Rewrites a default-room line that was edited or deleted; returns once it is on disk.
    pub(crate) fn replace_room_line_durably(&self, said: Said) -> Result<()> {
        let (done, wait) = bounded(1);
        self.send(Job::ReplaceRoomLine(said, Some(done)));
        wait.recv().map_err(|_| gone())?
    }

    /// Applies `change` to message `id` of the conversation of `a` and `b` (login keys), if
    /// kept, in one step of the archive (not waited for): a change made elsewhere (another node
    /// of a cluster) is merged into this copy rather than replacing it.
    #[cfg_attr(not(feature = "cluster"), allow(dead_code))]
    pub(crate) fn modify_private(
        &self,
        a: &str,
        b: &str,
        id: u64,
        change: impl FnOnce(&mut PrivateSaid) + Send + 'static,
    ) {
        self.send(Job::ModifyPrivate {
            a: a.to_owned(),
            b: b.to_owned(),
            id,
            change: Box::new(move |found| found.map(change).is_some()),
            done: None,
        });
    }

    /// Reads message `id` of the conversation of `a` and `b`, lets `change` change it and
    /// writes it back, in one step of the archive (no other change to it comes between);
    /// `change` sees `None` when it is not kept, and says whether to write. Returns once it is
    /// written (`durably`: on disk).
    pub(crate) fn modify_private_now(
        &self,
        a: &str,
        b: &str,
        id: u64,
        durably: bool,
        change: impl FnOnce(Option<&mut PrivateSaid>) -> bool + Send + 'static,
    ) -> Result<()> {
        let (done, wait) = bounded(1);
        self.send(Job::ModifyPrivate {
            a: a.to_owned(),
            b: b.to_owned(),
            id,
            change: Box::new(change),
            done: Some((done, durably)),
        });
        wait.recv().map_err(|_| gone())?
    }

    /// Message `id` of the conversation of `a` and `b` (login keys), if kept.
    pub(crate) fn private_message(&self, a: &str, b: &str, id: u64) -> Result<Option<PrivateSaid>> {
        self.ask(|reply| Job::PrivateMessage {
            a: a.to_owned(),
            b: b.to_owned(),
            id,
            reply,
        })
    }

    /// Where message `id` from `a` to `b` (login keys) is: kept (in its conversation, or
    /// waiting for `b` among the messages kept while offline, which outlast a conversation's
    /// newest), let go by its conversation, or never here.
    pub(crate) fn whereabouts(&self, a: &str, b: &str, id: u64) -> Result<Whereabouts> {
        self.ask(|reply| Job::Whereabouts {
            a: a.to_owned(),
            b: b.to_owned(),
            id,
            reply,
        })
    }

    /// Notes how far `reader` read `place` (not waited for).
    pub(crate) fn mark_read(&self, reader: &str, place: Place, line: u64, receipt: bool) {
        self.send(Job::Marker {
            reader: reader.to_owned(),
            place,
            line,
            receipt,
        });
    }

    /// Every read marker of `reader`.
    pub(crate) fn markers(&self, reader: &str) -> Result<Vec<(Place, u64, bool)>> {
        self.ask(|reply| Job::Markers {
            reader: reader.to_owned(),
            reply,
        })
    }

    /// `reader`'s marker in `place`.
    pub(crate) fn marker(&self, reader: &str, place: Place) -> Result<Option<(u64, bool)>> {
        self.ask(|reply| Job::MarkerOf {
            reader: reader.to_owned(),
            place,
            reply,
        })
    }

    /// Writes what is queued and waits for the thread to end, letting go of the store.
    pub(crate) fn stop(&self) {
        self.send(Job::Stop);
        let thread = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(thread) = thread {
            let _ = thread.join();
        }
    }
}

/// This machine's mailbox: kept messages in sled, written by the archive thread with their
/// conversations.
impl MailStore for Archive {
    fn keep(&self, said: &PrivateSaid) -> Result<()> {
        self.keep_offline(said.clone())
    }

    fn kept_for(&self, recipient_key: &str) -> Result<Option<KeptMessages>> {
        Archive::kept_for(self, recipient_key)
    }

    fn delivered(&self, recipient_key: &str, up_to: u64) -> Result<()> {
        self.delivered_kept(recipient_key, up_to);
        Ok(())
    }

    fn is_local(&self) -> bool {
        true
    }
}

/// Where a private message is, for the files it may carry: the sweep and who may fetch them
/// ask.
#[derive(Debug)]
pub(crate) enum Whereabouts {
    /// Kept: in its conversation, or waiting for its offline recipient.
    Kept(Box<PrivateSaid>),
    /// Its conversation let it go (it keeps the newest [`super::CONVERSATION_KEPT`]).
    LetGo,
    /// Never kept here: a guest's, or (in a cluster) kept on its users' nodes only.
    NotHere,
}

fn whereabouts(store: &SaidStore, a: &str, b: &str, id: u64) -> Result<Whereabouts> {
    if let Some(said) = store.private_message(a, b, id)? {
        return Ok(Whereabouts::Kept(Box::new(said)));
    }
    if let Some(said) = store.kept_message(b, id)? {
        return Ok(Whereabouts::Kept(Box::new(said)));
    }
    Ok(if store.let_go(a, b, id)? {
        Whereabouts::LetGo
    } else {
        Whereabouts::NotHere
    })
}

fn archive_loop(store: &SaidStore, rx: &Receiver<Job>, room_keep: usize) {
    let mut batch = Vec::with_capacity(BATCH);
    let mut stop = false;
    while !stop && let Ok(first) = rx.recv() {
        batch.push(first);
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        // Durable jobs wait for one flush after the whole batch.
        let mut after_flush: Vec<(Sender<Result<()>>, Result<()>)> = Vec::new();
        for job in batch.drain(..) {
            match job {
                Job::RoomLine(said) => {
                    if let Err(e) = store.add_room_line(&said, room_keep) {
                        tracing::error!("cannot keep a room line: {e}");
                    }
                }
                Job::Private(said) => {
                    if let Err(e) = store.add_private(&said) {
                        tracing::error!("cannot keep a private message: {e}");
                    }
                }
                Job::PrivateIfMissing(said) => {
                    if let Err(e) = store.add_private_if_missing(&said) {
                        tracing::error!("cannot keep a private message: {e}");
                    }
                }
                Job::ForgetPrivate(said) => {
                    if let Err(e) = store.remove_private(&said) {
                        tracing::error!("cannot take back a private message: {e}");
                    }
                }
                Job::KeepOffline {
                    recipient_key,
                    said,
                    done,
                } => {
                    let seq = said.id;
                    let kept = store
                        .add_private(&said)
                        .and_then(|()| store.keep_offline(&recipient_key, &Kept { said }, seq));
                    after_flush.push((done, kept));
                }
                Job::Offline {
                    recipient_key,
                    reply,
                } => {
                    let _ = reply.send(store.offline_for(&recipient_key));
                }
                Job::Forget {
                    recipient_key,
                    up_to,
                } => {
                    if let Err(e) = store.forget_offline(&recipient_key, up_to) {
                        tracing::error!("cannot forget delivered messages: {e}");
                    }
                }
                Job::Conversation {
                    a,
                    b,
                    before,
                    limit,
                    reply,
                } => {
                    let _ = reply.send(store.conversation(&a, &b, before, limit));
                }
                Job::ReplaceRoomLine(said, done) => {
                    let written = store.replace_room_line(&said);
                    match done {
                        Some(done) => after_flush.push((done, written)),
                        None => {
                            if let Err(e) = written {
                                tracing::error!("cannot rewrite a room line: {e}");
                            }
                        }
                    }
                }
                Job::ModifyPrivate {
                    a,
                    b,
                    id,
                    change,
                    done,
                } => {
                    let written = store.private_message(&a, &b, id).and_then(|found| {
                        let Some(mut said) = found else {
                            change(None);
                            return Ok(());
                        };
                        if change(Some(&mut said)) {
                            store.replace_private(&said)
                        } else {
                            Ok(())
                        }
                    });
                    match done {
                        Some((done, true)) => after_flush.push((done, written)),
                        Some((done, false)) => {
                            let _ = done.send(written);
                        }
                        None => {
                            if let Err(e) = written {
                                tracing::error!("cannot change a private message: {e}");
                            }
                        }
                    }
                }
                Job::PrivateMessage { a, b, id, reply } => {
                    let _ = reply.send(store.private_message(&a, &b, id));
                }
                Job::Whereabouts { a, b, id, reply } => {
                    let _ = reply.send(whereabouts(store, &a, &b, id));
                }
                Job::Marker {
                    reader,
                    place,
                    line,
                    receipt,
                } => {
                    if let Err(e) = store.set_marker(&reader, &place, line, receipt) {
                        tracing::error!("cannot keep a read marker: {e}");
                    }
                }
                Job::Markers { reader, reply } => {
                    let _ = reply.send(store.markers(&reader));
                }
                Job::MarkerOf {
                    reader,
                    place,
                    reply,
                } => {
                    let _ = reply.send(store.marker(&reader, &place));
                }
                Job::Stop => stop = true,
            }
        }
        if after_flush.is_empty() && !stop {
            continue;
        }
        let flushed = store.flush();
        for (done, result) in after_flush {
            let result = match (&flushed, result) {
                (Err(e), _) => Err(ServerError::Io(std::io::Error::other(e.to_string()))),
                (Ok(()), result) => result,
            };
            let _ = done.send(result);
        }
    }
}
