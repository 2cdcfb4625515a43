//! What a request was, so its reply or error can be routed to what asked for it.

/// What a request was, so its reply or error can be routed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pending {
    /// A registration for this login.
    Register(String),
    /// A login typed by the user.
    Login,
    /// The automatic resume after a reconnection (the main window stays).
    Relogin,
    /// Resuming a session kept from an earlier run (the login window waits).
    Resume,
    /// Re-entering the room the user was in before the connection was lost.
    ReEnter,
    /// `#lR`: the answer is shown as a line.
    ListRooms,
    /// `#show users`: the answer opens the users window.
    ShowUsers,
    /// The users list asked for quietly, for presences the server stopped telling.
    Presence,
    /// A private message to this peer.
    Private(String),
    /// A private message to this peer answering this line (the reply to the sender carries
    /// no quote).
    PrivateReply(String, chat_core::protocol::Quote),
    /// A page of the current room's history.
    History,
    /// A page of the conversation with this peer (login key).
    PrivateHistory(String),
    /// Logging out.
    Logout,
    /// Something asked without the user (read markers): a refusal is not shown.
    Quiet,
    /// Any other command; errors are shown in the room.
    Command,
}
