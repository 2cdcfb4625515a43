//! Lines that carry files: a room line or private message with attachments, and where the
//! files are (the server the chat is connected to, its TLS as the chat uses it, the session
//! token), for the threads that move their bytes.

#[cfg(not(target_arch = "wasm32"))]
use chat_core::http::FileServer;
use chat_core::protocol::{Attachment, Quote, Request, ServerMessage};
#[cfg(not(target_arch = "wasm32"))]
use chat_core::tls::ClientTls;

use super::{Client, Pending};

impl Client {
    /// Where files are uploaded and fetched, while logged in (over the chat's own TLS: a
    /// desktop's; a browser's files go by its own fetches).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn file_server(&self) -> Option<FileServer> {
        if !self.phase.is_logged_in() {
            return None;
        }
        let session = self.session.as_ref()?;
        let token = self.token.as_ref()?;
        Some(FileServer {
            server: session.host.clone(),
            tls: session.tls.as_ref().map(|_| ClientTls {
                known_hosts: self.known_hosts.clone(),
                trust_new_certificate: false,
            }),
            token: token.token.clone(),
        })
    }

    /// Says `text` in the room with these files (uploaded before), answering line `reply_to`.
    pub fn say_with_files(
        &mut self,
        text: String,
        attachments: &[Attachment],
        reply_to: Option<u64>,
    ) {
        if let Some(connection) = &self.connection {
            connection.send(Request::Say {
                attachments: attachments.iter().map(|a| a.id.clone()).collect(),
                reply_to,
                text,
            });
        }
    }

    /// Sends `peer` a private message with these files, answering `reply_to`. The server's
    /// answer does not repeat them, so they are kept until it comes and then shown on the
    /// user's own line.
    pub fn private_with_files(
        &mut self,
        peer: &str,
        text: String,
        attachments: &[Attachment],
        reply_to: Option<Quote>,
    ) {
        if let Some(connection) = &self.connection {
            let id = connection.send(Request::Private {
                attachments: attachments.iter().map(|a| a.id.clone()).collect(),
                reply_to: reply_to.as_ref().map(|q| q.line),
                to: peer.to_owned(),
                text,
            });
            let pending = match reply_to {
                Some(quote) => Pending::PrivateReply(peer.to_owned(), quote),
                None => Pending::Private(peer.to_owned()),
            };
            self.pending.insert(id, pending);
            if !attachments.is_empty() {
                self.files_sent
                    .insert(id, (peer.to_owned(), attachments.to_vec()));
            }
        }
    }

    /// The answer to a private message with files came: its line shows them.
    pub(super) fn own_files_arrived(
        &mut self,
        sent: Option<(String, Vec<Attachment>)>,
        message: &ServerMessage,
    ) {
        let Some((peer, files)) = sent else {
            return;
        };
        if matches!(
            message,
            ServerMessage::PrivateSent { .. } | ServerMessage::PrivateStored { .. }
        ) {
            self.chat
                .conversation_mut(&peer)
                .history
                .attach_to_newest_own(&files);
        }
    }
}
