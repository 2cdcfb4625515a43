//! Files on their way, as the user sees them: files attached to a message box and uploading,
//! messages that wait for their files, and downloads.
//!
//! Plain state. The threads that move the bytes (the desktop client's transfer engine) report
//! what happened as [`Report`]s; [`Transfers::report`] applies them, and
//! [`Transfers::take_ready`] hands over the messages whose files are all uploaded, to be sent
//! with them. Retries are the engine's: it says when it will try again ([`State::Retrying`]).
//!
//! Architecture Invariant: a message waiting for its files is sent once, with the files that
//! were stored, and only where it was written: a room message goes to the room it was written
//! in or not at all (moving to another room gives its files back to the message box).

use std::collections::VecDeque;
use std::path::PathBuf;
use web_time::Instant;

use chat_core::limits::ATTACHMENTS_PER_LINE;
use chat_core::protocol::{Attachment, ErrorCode, Field, Quote};
use chat_core::validate::room_key;

use crate::composer::Target;

/// A transfer's number, unique in this run.
pub type TransferId = u64;

/// Why a transfer stopped for good.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The server refused it (too large, over the quota, not found…).
    Refused {
        /// What went wrong.
        code: ErrorCode,
        /// The field at fault.
        field: Option<Field>,
    },
    /// The file to send cannot be read.
    Unreadable,
    /// The file received cannot be written.
    Unwritable,
    /// The bytes received are not the file's (its SHA-256 differs).
    Corrupt,
    /// The server's certificate changed: nothing is sent to it until the user decides.
    CertificateChanged,
}

/// Where a transfer stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// Getting ready (reading the file, making a preview) or moving bytes.
    Running,
    /// The connection was lost, or the server asked to wait; the engine tries again then.
    Retrying {
        /// When.
        at: Instant,
        /// Attempts that failed so far.
        attempt: u32,
        /// The server answered, busy (or this account with as many uploads under way as it
        /// may have): not a lost connection.
        busy: bool,
    },
    /// Finished.
    Done,
    /// Stopped for good.
    Failed(Problem),
    /// The user cancelled it.
    Cancelled,
}

impl State {
    /// Whether it is over (done, failed or cancelled).
    pub fn is_over(&self) -> bool {
        matches!(self, State::Done | State::Failed(_) | State::Cancelled)
    }
}

/// What the engine says about a transfer.
#[derive(Debug, Clone, PartialEq)]
pub enum Report {
    /// The file's size became known.
    Size(u64),
    /// Bytes moved so far.
    Progress(u64),
    /// The connection was lost, or the server asked to wait (`busy`): trying again at `at`.
    Retrying {
        /// When.
        at: Instant,
        /// Attempts that failed so far.
        attempt: u32,
        /// The server answered, busy.
        busy: bool,
    },
    /// Working again after a retry.
    Resumed,
    /// An upload is stored: what a line carries.
    Uploaded(Attachment),
    /// A download is complete, at this path.
    Downloaded(PathBuf),
    /// Stopped for good.
    Failed(Problem),
    /// Stopped at the user's request.
    Cancelled,
}

/// A file attached to a message box.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    /// Its transfer.
    pub id: TransferId,
    /// The message box it is attached to.
    pub target: Target,
    /// Its name, as it will be shown.
    pub name: String,
    /// Its size, once known.
    pub size: Option<u64>,
    /// Bytes sent so far.
    pub sent: u64,
    /// Where it stands.
    pub state: State,
    /// What a line will carry, once stored.
    pub attachment: Option<Attachment>,
    /// Whether a message waits for it (Send was pressed).
    pub queued: bool,
}

/// What a download is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Kept in the downloads folder (the file card's Download).
    Keep,
    /// Shown in the picture viewer (kept among the program's own files).
    View,
}

/// A file being fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Download {
    /// Its transfer.
    pub id: TransferId,
    /// The file.
    pub file: Attachment,
    /// What for.
    pub purpose: Purpose,
    /// Bytes received so far.
    pub received: u64,
    /// Where it stands.
    pub state: State,
    /// Where it was saved, once done.
    pub path: Option<PathBuf>,
}

/// A message that waits for its files.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Waiting {
    target: Target,
    /// The room it was written in (room messages).
    room: Option<String>,
    lines: Vec<String>,
    /// The line it answers.
    reply_to: Option<Quote>,
    uploads: Vec<TransferId>,
}

/// What to do with a message whose files are all settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ready {
    /// Send `lines`, the last carrying `attachments` (with no text: one line of files alone).
    Send {
        /// Where.
        target: Target,
        /// The text, one message a line.
        lines: Vec<String>,
        /// The files stored.
        attachments: Vec<Attachment>,
        /// The line the last answers.
        reply_to: Option<Quote>,
    },
    /// The user is no longer in the room it was written in: its text goes back to the box
    /// (its files are attached again).
    Held {
        /// The text.
        lines: Vec<String>,
    },
}

/// Every transfer of this run.
#[derive(Debug, Default)]
pub struct Transfers {
    uploads: Vec<Upload>,
    downloads: Vec<Download>,
    waiting: VecDeque<Waiting>,
    next: TransferId,
}

impl Transfers {
    fn next_id(&mut self) -> TransferId {
        self.next += 1;
        self.next
    }

    /// Attaches a file named `name` to `target`'s box; returns its transfer, which the engine
    /// starts uploading now. `None` when the box holds as many files as a line may carry.
    pub fn attach(&mut self, target: Target, name: &str) -> Option<TransferId> {
        if self.attached(&target).count() >= ATTACHMENTS_PER_LINE {
            return None;
        }
        let id = self.next_id();
        self.uploads.push(Upload {
            id,
            target,
            name: name.to_owned(),
            size: None,
            sent: 0,
            state: State::Running,
            attachment: None,
            queued: false,
        });
        Some(id)
    }

    /// The files shown above `target`'s box: attached, and those of messages waiting for them.
    pub fn shown(&self, target: &Target) -> impl Iterator<Item = &Upload> {
        self.uploads.iter().filter(move |u| u.target == *target)
    }

    /// The files attached to `target`'s box and not yet given to a message.
    pub fn attached(&self, target: &Target) -> impl Iterator<Item = &Upload> {
        self.shown(target).filter(|u| !u.queued)
    }

    /// Whether Send in `target`'s box has files to send.
    pub fn has_attached(&self, target: &Target) -> bool {
        self.attached(target)
            .any(|u| !matches!(u.state, State::Failed(_) | State::Cancelled))
    }

    /// An upload.
    pub fn upload(&self, id: TransferId) -> Option<&Upload> {
        self.uploads.iter().find(|u| u.id == id)
    }

    /// Send was pressed in `target`'s box (in `room`, for the room's): `lines` go out with the
    /// files attached there once they are uploaded, the last answering `reply_to`. Returns
    /// whether there were files.
    pub fn send(
        &mut self,
        target: &Target,
        room: Option<&str>,
        lines: Vec<String>,
        reply_to: Option<Quote>,
    ) -> bool {
        let mut uploads = Vec::new();
        for u in self.uploads.iter_mut().filter(|u| u.target == *target) {
            if !u.queued && !matches!(u.state, State::Failed(_) | State::Cancelled) {
                u.queued = true;
                uploads.push(u.id);
            }
        }
        if uploads.is_empty() {
            return false;
        }
        self.waiting.push_back(Waiting {
            target: target.clone(),
            room: room.map(str::to_owned),
            lines,
            reply_to,
            uploads,
        });
        true
    }

    /// Every file attached to a box, oldest first.
    pub fn uploads(&self) -> &[Upload] {
        &self.uploads
    }

    /// The boxes whose messages wait for their files.
    pub fn waiting_targets(&self) -> Vec<Target> {
        let mut targets: Vec<Target> = Vec::new();
        for w in &self.waiting {
            if !targets.contains(&w.target) {
                targets.push(w.target.clone());
            }
        }
        targets
    }

    /// Whether a message of `target` waits for its files.
    pub fn is_waiting(&self, target: &Target) -> bool {
        self.waiting.iter().any(|w| w.target == *target)
    }

    /// Applies what the engine said about transfer `id`.
    pub fn report(&mut self, id: TransferId, report: Report) {
        if let Some(u) = self.uploads.iter_mut().find(|u| u.id == id) {
            if u.state == State::Cancelled {
                return;
            }
            match report {
                Report::Size(size) => u.size = Some(size),
                Report::Progress(sent) => u.sent = sent,
                Report::Retrying { at, attempt, busy } => {
                    u.state = State::Retrying { at, attempt, busy };
                }
                Report::Resumed => u.state = State::Running,
                Report::Uploaded(attachment) => {
                    u.sent = attachment.size;
                    u.size = Some(attachment.size);
                    u.attachment = Some(attachment);
                    u.state = State::Done;
                }
                Report::Failed(problem) => u.state = State::Failed(problem),
                Report::Cancelled => u.state = State::Cancelled,
                Report::Downloaded(_) => {}
            }
        } else if let Some(d) = self.downloads.iter_mut().find(|d| d.id == id) {
            if d.state == State::Cancelled {
                return;
            }
            match report {
                Report::Progress(received) => d.received = received,
                Report::Retrying { at, attempt, busy } => {
                    d.state = State::Retrying { at, attempt, busy };
                }
                Report::Resumed => d.state = State::Running,
                Report::Downloaded(path) => {
                    d.received = d.file.size;
                    d.path = Some(path);
                    d.state = State::Done;
                }
                Report::Failed(problem) => d.state = State::Failed(problem),
                Report::Cancelled => d.state = State::Cancelled,
                Report::Size(_) | Report::Uploaded(_) => {}
            }
        }
    }

    /// The user cancelled transfer `id`; returns whether it was under way (the engine is to
    /// stop it). A cancelled attachment leaves the box.
    pub fn cancel(&mut self, id: TransferId) -> bool {
        if let Some(i) = self.uploads.iter().position(|u| u.id == id) {
            let running = !self.uploads[i].state.is_over();
            if self.uploads[i].queued {
                self.uploads[i].state = State::Cancelled;
            } else {
                self.uploads.remove(i);
            }
            return running;
        }
        if let Some(d) = self.downloads.iter_mut().find(|d| d.id == id) {
            let running = !d.state.is_over();
            if running {
                d.state = State::Cancelled;
            }
            return running;
        }
        false
    }

    /// Takes the messages whose files have all settled (stored, or cancelled by the user), in
    /// the order they were sent; a message waits for those of its box sent before it. One
    /// with a file that failed waits for the user: it is never sent without a file its writer
    /// meant it to carry unless they remove that file (`cancel`). `room` is the room the user
    /// is in now.
    pub fn take_ready(&mut self, room: Option<&str>) -> Vec<Ready> {
        let mut ready = Vec::new();
        let mut blocked: Vec<Target> = Vec::new();
        let mut i = 0;
        while i < self.waiting.len() {
            let w = &self.waiting[i];
            let settled = w.uploads.iter().all(|id| {
                self.upload(*id)
                    .is_none_or(|u| matches!(u.state, State::Done | State::Cancelled))
            });
            if !settled || blocked.contains(&w.target) {
                blocked.push(w.target.clone());
                i += 1;
                continue;
            }
            let Some(w) = self.waiting.remove(i) else {
                break;
            };
            let moved =
                w.target == Target::Room && w.room.as_deref().map(room_key) != room.map(room_key);
            if moved {
                for u in self
                    .uploads
                    .iter_mut()
                    .filter(|u| w.uploads.contains(&u.id))
                {
                    if u.state == State::Done {
                        u.queued = false;
                    }
                }
                self.uploads
                    .retain(|u| !(w.uploads.contains(&u.id) && u.queued));
                ready.push(Ready::Held { lines: w.lines });
                continue;
            }
            let attachments: Vec<Attachment> = w
                .uploads
                .iter()
                .filter_map(|id| self.upload(*id).and_then(|u| u.attachment.clone()))
                .collect();
            // Sent files leave the box; failed ones stay, to say why, until dismissed.
            self.uploads.retain(|u| {
                !(w.uploads.contains(&u.id) && matches!(u.state, State::Done | State::Cancelled))
            });
            for u in self
                .uploads
                .iter_mut()
                .filter(|u| w.uploads.contains(&u.id))
            {
                u.queued = false;
            }
            if attachments.is_empty() && w.lines.is_empty() {
                continue;
            }
            ready.push(Ready::Send {
                target: w.target,
                lines: w.lines,
                attachments,
                reply_to: w.reply_to,
            });
        }
        ready
    }

    /// Starts fetching `file` for `purpose`; returns the new transfer, or `None` when one for
    /// it is under way or done (and its file still there).
    pub fn download(&mut self, file: &Attachment, purpose: Purpose) -> Option<TransferId> {
        let existing = self
            .downloads
            .iter()
            .position(|d| d.file.id == file.id && d.purpose == purpose);
        if let Some(i) = existing {
            let d = &self.downloads[i];
            let kept = d.path.as_ref().is_some_and(|p| p.exists());
            if matches!(d.state, State::Running | State::Retrying { .. }) || kept {
                return None;
            }
            self.downloads.remove(i);
        }
        let id = self.next_id();
        self.downloads.push(Download {
            id,
            file: file.clone(),
            purpose,
            received: 0,
            state: State::Running,
            path: None,
        });
        Some(id)
    }

    /// The download of file `file_id` for `purpose`, if any.
    pub fn download_of(&self, file_id: &str, purpose: Purpose) -> Option<&Download> {
        self.downloads
            .iter()
            .find(|d| d.file.id == file_id && d.purpose == purpose)
    }

    /// Every download, oldest first.
    pub fn downloads(&self) -> &[Download] {
        &self.downloads
    }

    /// The downloads to keep (a card's Download), by file id: what the cards show.
    pub fn downloads_kept(&self) -> std::collections::HashMap<String, Download> {
        self.downloads
            .iter()
            .filter(|d| d.purpose == Purpose::Keep)
            .map(|d| (d.file.id.clone(), d.clone()))
            .collect()
    }

    /// Transfers still moving bytes (or waiting to try again).
    pub fn running(&self) -> usize {
        let up = self.uploads.iter().filter(|u| !u.state.is_over()).count();
        let down = self.downloads.iter().filter(|d| !d.state.is_over()).count();
        up + down
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(id: &str) -> Attachment {
        Attachment {
            id: id.into(),
            name: format!("{id}.pdf"),
            size: 10,
            mime: "application/pdf".into(),
            width: None,
            height: None,
            preview: false,
        }
    }

    #[test]
    fn a_message_waits_for_its_files_and_goes_with_those_stored() {
        let mut t = Transfers::default();
        let a = t.attach(Target::Room, "a.pdf").unwrap();
        let b = t.attach(Target::Room, "b.pdf").unwrap();
        assert!(t.has_attached(&Target::Room));
        assert!(t.send(&Target::Room, Some("lobby"), vec!["the notes".into()], None));
        assert!(!t.has_attached(&Target::Room), "given to the message");
        assert_eq!(
            t.shown(&Target::Room).count(),
            2,
            "still shown with progress"
        );
        t.report(a, Report::Progress(5));
        t.report(a, Report::Uploaded(stored("a")));
        assert!(
            t.take_ready(Some("lobby")).is_empty(),
            "b is still uploading"
        );
        t.report(
            b,
            Report::Failed(Problem::Refused {
                code: ErrorCode::FileTooLarge,
                field: Some(Field::Size),
            }),
        );
        // Not sent without a file its writer meant it to carry: it waits for them.
        assert!(
            t.take_ready(Some("lobby")).is_empty(),
            "held by the failure"
        );
        assert!(t.is_waiting(&Target::Room));
        // The failed file removed, the message goes with the other.
        t.cancel(b);
        assert_eq!(
            t.take_ready(Some("lobby")),
            [Ready::Send {
                target: Target::Room,
                lines: vec!["the notes".into()],
                attachments: vec![stored("a")],
                reply_to: None,
            }]
        );
        assert_eq!(t.shown(&Target::Room).count(), 0, "both out of the box");
        assert!(!t.has_attached(&Target::Room));
        assert!(t.take_ready(Some("lobby")).is_empty(), "sent once");
    }

    #[test]
    fn messages_of_one_box_keep_their_order_and_a_room_message_stays_in_its_room() {
        let mut t = Transfers::default();
        let peer = Target::Private("bob".into());
        let slow = t.attach(peer.clone(), "slow.bin").unwrap();
        t.send(&peer, None, vec!["first".into()], None);
        let quick = t.attach(peer.clone(), "quick.bin").unwrap();
        t.send(&peer, None, vec![], None);
        t.report(quick, Report::Uploaded(stored("q")));
        assert!(
            t.take_ready(None).is_empty(),
            "the second waits for the first"
        );
        t.report(slow, Report::Uploaded(stored("s")));
        let sent: Vec<Vec<String>> = t
            .take_ready(None)
            .into_iter()
            .map(|r| match r {
                Ready::Send { lines, .. } => lines,
                Ready::Held { .. } => panic!("held"),
            })
            .collect();
        assert_eq!(sent, [vec!["first".to_owned()], vec![]]);

        let room = t.attach(Target::Room, "r.png").unwrap();
        t.send(&Target::Room, Some("aula"), vec!["mirad".into()], None);
        t.report(room, Report::Uploaded(stored("r")));
        assert_eq!(
            t.take_ready(Some("lobby")),
            [Ready::Held {
                lines: vec!["mirad".into()]
            }]
        );
        assert!(t.has_attached(&Target::Room), "the file is back in the box");
    }

    #[test]
    fn cancelling_an_attachment_takes_it_out_and_its_message_goes_without_it() {
        let mut t = Transfers::default();
        let a = t.attach(Target::Room, "a").unwrap();
        assert!(t.cancel(a));
        assert_eq!(t.shown(&Target::Room).count(), 0);
        let b = t.attach(Target::Room, "b").unwrap();
        t.send(&Target::Room, Some("lobby"), vec![], None);
        t.cancel(b);
        t.report(b, Report::Progress(3));
        assert_eq!(t.upload(b).map(|u| &u.state), Some(&State::Cancelled));
        assert!(
            t.take_ready(Some("lobby")).is_empty(),
            "nothing left to say"
        );
        assert_eq!(t.shown(&Target::Room).count(), 0);
    }

    #[test]
    fn a_file_is_downloaded_once_while_it_is_kept() {
        let mut t = Transfers::default();
        let file = stored("f");
        let id = t.download(&file, Purpose::Keep).unwrap();
        assert_eq!(t.download(&file, Purpose::Keep), None, "under way");
        assert!(
            t.download(&file, Purpose::View).is_some(),
            "another purpose"
        );
        t.report(id, Report::Progress(4));
        assert_eq!(t.download_of("f", Purpose::Keep).unwrap().received, 4);
        t.report(id, Report::Failed(Problem::Corrupt));
        assert!(t.download(&file, Purpose::Keep).is_some(), "tried again");
    }

    #[test]
    fn a_box_takes_as_many_files_as_a_line_carries() {
        let mut t = Transfers::default();
        for i in 0..ATTACHMENTS_PER_LINE {
            assert!(t.attach(Target::Room, &i.to_string()).is_some());
        }
        assert_eq!(t.attach(Target::Room, "one more"), None);
    }
}
