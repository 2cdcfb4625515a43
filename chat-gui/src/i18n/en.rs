//! English.

use chat_core::limits::{
    AGE_MAX_YEARS, AGE_MIN_YEARS, CLIENT_NAME_MAX_BYTES, LOGIN_MAX_CHARS, LOGIN_MIN_CHARS,
    NAME_MAX_CHARS, PASSWORD_MAX_BYTES, PASSWORD_MIN_BYTES, ROOM_MAX_CHARS, ROOM_MIN_CHARS,
    TEXT_MAX_CHARS,
};
use chat_core::protocol::{CloseReason, ErrorCode, Field, Gender, Presence};
use chat_model::commands::Cmd;

use super::{CommandText, Texts};

/// English.
pub static EN: Texts = Texts {
    connect_title: "Connect to a chat server",
    connect_intro: "Type the address of the server (host:port), or host one here for others.",
    address: "Server address",
    address_hint: "host:port, e.g. 192.168.1.20:7878 (a cluster: several, separated by commas)",
    connect: "Connect",
    connecting: "Connecting…",
    cancel: "Cancel",
    close: "Close",
    host_title: "Host a server here",
    host_intro: "Start a server inside this program so others on your network can join.",
    port: "Port",
    host_start: "Start server",
    host_stop: "Stop server",
    host_starting: "Starting the server…",
    host_running: "Hosting a server. Others connect to {0}",
    host_failed: "The server could not start on port {0}. Is another program using it?",
    host_no_folder: "This system has no folder for the program's data, where the accounts would be kept.",
    host_bad_port: "The port must be a number from 1 to 65535.",
    left_server: "You left the server. See you soon!",
    login_title: "Log in",
    login: "Login",
    password: "Password",
    log_in: "Log in",
    logging_in: "Logging in…",
    to_register: "Create an account",
    change_server: "Change server",
    registered: "Account {0} created. Type your password to log in.",
    connected_to: "Connected to {0}",
    register_title: "Create an account",
    first_names: "First names",
    last_names: "Last names",
    confirm_password: "Confirm password",
    age: "Age",
    gender: "Gender",
    create_account: "Create account",
    to_login: "I have an account",
    passwords_differ: "The passwords do not match.",
    rooms: "Rooms",
    members: "In this room",
    conversations: "Private messages",
    no_conversations: "Click someone's name to write privately.",
    new_room: "New room…",
    room_name: "Room name",
    create: "Create",
    enter: "Enter",
    leave_room: "Leave room",
    delete_room: "Delete room…",
    list_rooms: "List rooms in the chat",
    users: "Users",
    log_out: "Log out",
    send: "Send",
    message_hint: "Message {0}",
    message_input: "Message",
    input_keys: "Enter sends · Shift+Enter new line · Tab completes · # commands",
    input_keys_private: "Enter sends · Shift+Enter new line · :name: for emoji",
    new_messages: "{0} new messages",
    members_more: "and {0} more",
    default_room_mark: "default room",
    created_by: "created by {0}",
    you: "you",
    menu_room: "Room",
    menu_view: "View",
    theme: "Theme",
    theme_system: "System",
    theme_light: "Light",
    theme_dark: "Dark",
    language: "Language",
    emoji: "Emoji",
    too_many_lines: "At most {0} lines can be sent at once.",
    unread: "{0} unread",
    window_title: "Chat",
    window_title_unread: "({0}) Chat",
    delete_title: "Delete {0}?",
    delete_body: "Everyone in {0} is moved to {1}. This cannot be undone.",
    delete_confirm: "Delete",
    line_joined: "{0} joined",
    line_left: "{0} left",
    line_entered: "You are in {0}",
    line_closed_deleted: "{0} was deleted by its creator",
    line_closed_creator_left: "{0} closed: its creator left",
    line_you_deleted: "You deleted {0}",
    line_moved: "{0}. You are in {1}",
    line_room_list: "Rooms",
    line_lost: "Connection lost",
    line_back: "Connected again",
    line_help: "Commands",
    line_help_footer: "Any other text goes to everyone in the room; start it with ## to send a leading #.",
    unknown_command: "{0} is not a command. Type #help to see them.",
    usage: "Type it as {0}",
    field_problem: "{0}: {1}",
    users_title: "Users",
    users_count: "{0} online, {1} registered",
    online: "online",
    offline: "offline",
    in_room: "in {0}",
    refresh: "Refresh",
    write_to: "Write to {0}",
    private_title: "Private: {0}",
    private_hint: "Message to {0}",
    private_with: "Private conversation with {0}",
    dock: "Show in the main window",
    undock: "Open in its own window",
    back_to_room: "Back to {0}",
    status_offline: "Offline",
    status_connecting: "Connecting to {0}…",
    status_connected: "Connected to {0}",
    status_logged_in: "{0} at {1}",
    status_reconnecting: "Reconnecting to {0}…",
    server_time: "Server time",
    offset: "offset",
    round_trip: "round trip",
    fingerprint: "Certificate fingerprint",
    banner_lost: "Connection lost: {0}",
    banner_retry_in: "Trying again in {0} s (attempt {1}).",
    banner_trying: "Reconnecting…",
    banner_still_down: "The server cannot be reached yet.",
    reconnect_now: "Reconnect now",
    why_unresolved: "the server's address could not be found",
    why_refused: "the server refused the connection. Is it running, and is the port right?",
    why_timed_out: "the server did not answer in time",
    why_version: "the server speaks another version of the protocol; this program needs updating",
    why_closed: "the server closed the connection: {0}",
    why_by_client: "disconnected",
    why_lost: "the connection broke",
    why_cert_changed: "WARNING: the server's certificate changed. It was {0} and is now {1}. Someone may be intercepting the connection; go on only if the server's operator confirms the new fingerprint.",
    why_tls: "the secure connection could not be set up",
    trust_new_certificate: "Trust the new certificate",
    encrypted: "Encrypted",
    not_encrypted: "Not encrypted",
    trust_authority: "certificate signed by an authority",
    trust_pinned: "same certificate as before",
    trust_first_use: "certificate trusted on first use",
    trust_replaced: "new certificate accepted",
    keep_signed_in: "Keep me signed in on this computer",
    keep_signed_in_hint: "Remembers your session (never your password) until you log out.",
    resuming: "Signing you in as {0}…",
    retry_in: "Try again in {0} s.",
    retrying_in: "Trying again by itself in {0} s…",
    log_out_everywhere: "Log out everywhere",
    log_out_everywhere_hint: "Ends your sessions on every computer, this one included.",
    menu_status: "Status",
    away_message: "Away message",
    set_away: "Set away",
    away_says: "away: {0}",
    earlier_messages: "Earlier messages",
    loading_earlier: "Loading earlier messages…",
    kept_for_later: "Kept by the server: delivered when they log in",
    sent_while_away: "Sent while you were away · {0}",
    line_kept_dropped: "{0} older private messages kept for you were lost: the server keeps at most 1,000.",
    typing: "{0} is typing…",
    find: "Find",
    find_count: "{0} of {1}",
    find_none: "No matches",
    find_older: "Earlier match",
    find_newer: "Later match",
    find_here: "Find in this conversation (Ctrl+F)",
    search_all: "Search everything (Ctrl+Shift+F)",
    search_title: "Search every room and conversation",
    search_field: "Search for",
    search_found: "{0} found",
    search_none: "Nothing found in what this program has seen.",
    export: "Save a copy…",
    export_title: "Save a copy of {0}",
    line_saved: "Saved to {0}",
    line_save_failed: "Could not save to {0}",
    notifications: "Desktop notifications",
    notify_private: "{0} (private)",
    notify_mention: "{0} in {1}",
    notify_kept: "While you were away",
    error,
    field,
    field_rule,
    gender_name,
    command,
    close_reason,
    member_count,
    presence,
    kept_summary,
};

fn error(code: ErrorCode) -> &'static str {
    use ErrorCode::*;
    match code {
        VersionMismatch => "The server speaks another protocol version.",
        HelloRequired => "The program must greet the server first.",
        LoginRequired => "Log in first.",
        AlreadyLoggedIn => "You are already logged in.",
        Invalid => "Something typed is not valid.",
        LoginTaken => "That login is taken; choose another.",
        BadCredentials => "Wrong login or password.",
        BadToken => "Your session has ended; log in with your password.",
        RoomExists => "A room with that name already exists.",
        RoomNotFound => "There is no room with that name.",
        NotRoomCreator => "Only the room's creator can delete it.",
        DefaultRoom => "The default room cannot be deleted.",
        UserNotFound => "There is no user with that login.",
        UserOffline => "That user is not connected.",
        TooManyRooms => "No more rooms can be created now; delete one first or try later.",
        Malformed => "The server could not read a message.",
        FrameTooLarge => "A message was too large.",
        ServerBusy => "The server is busy; try again in a moment.",
        RateLimited => "Too many attempts; wait a moment and try again.",
        MessageNotFound => "That message is not there any more.",
        NotAllowed => "That is not yours to do.",
        Muted => "You are muted in this room for now.",
        SlowMode => "This room is in slow mode; wait a moment before writing again.",
        RemovedFromRoom => "You were removed from that room.",
        TooManyReactions => "That message has as many different reactions as it may.",
        Internal | Unknown => "The server failed; try again.",
    }
}

fn field(field: Field) -> &'static str {
    match field {
        Field::FirstNames => "First names",
        Field::LastNames => "Last names",
        Field::Login => "Login",
        Field::Password => "Password",
        Field::Age => "Age",
        Field::Gender => "Gender",
        Field::Room => "Room name",
        Field::Text => "Message",
        Field::Client => "Program name",
        Field::Version => "Protocol version",
        Field::To => "Recipient",
        Field::Token => "Session",
        Field::Offset => "List position",
        Field::All => "Everywhere",
        Field::Before => "History position",
        Field::With => "Conversation",
        Field::ReplyTo => "Message answered",
        Field::Line => "Message number",
        Field::Emoji => "Emoji",
        Field::On => "Reaction",
        Field::Receipt => "Read receipt",
        Field::Action => "Action",
        Field::Seconds => "Duration",
        Field::Reason => "Reason",
        Field::Topic => "Topic",
        Field::Unknown => "Field",
    }
}

fn field_rule(field: Field) -> String {
    match field {
        Field::FirstNames | Field::LastNames => format!(
            "1 to {NAME_MAX_CHARS} characters with at least one letter, no spaces at either end"
        ),
        Field::Login => format!(
            "{LOGIN_MIN_CHARS} to {LOGIN_MAX_CHARS} characters: letters a–z, digits, '.', '_' or '-'"
        ),
        Field::Password => format!(
            "{PASSWORD_MIN_BYTES} to {PASSWORD_MAX_BYTES} bytes (accented letters count as two), no control characters"
        ),
        Field::Age => format!("a whole number from {AGE_MIN_YEARS} to {AGE_MAX_YEARS}"),
        Field::Gender => "one of the options offered".to_owned(),
        Field::Room => format!(
            "{ROOM_MIN_CHARS} to {ROOM_MAX_CHARS} characters: letters, digits, '.', '_' or '-', no spaces"
        ),
        Field::Text => format!("1 to {TEXT_MAX_CHARS} characters, not only spaces"),
        Field::Client => format!("at most {CLIENT_NAME_MAX_BYTES} bytes"),
        Field::Version => "the version this program speaks".to_owned(),
        Field::To | Field::With => format!(
            "a login: {LOGIN_MIN_CHARS} to {LOGIN_MAX_CHARS} characters, letters a–z, digits, '.', '_' or '-'"
        ),
        Field::Token => "a session this server gave; sign in with your password".to_owned(),
        Field::Offset | Field::Before | Field::ReplyTo | Field::Line | Field::Seconds => {
            "a whole number, 0 or more".to_owned()
        }
        Field::All | Field::On | Field::Receipt => "yes or no".to_owned(),
        Field::Emoji => "one emoji".to_owned(),
        Field::Action => "mute, unmute, remove, readmit, voice, devoice or slow".to_owned(),
        Field::Reason => "at most 500 characters, on one line".to_owned(),
        Field::Topic => "at most 300 characters, on one line".to_owned(),
        Field::Unknown => "a value the server accepts".to_owned(),
    }
}

fn gender_name(gender: Gender) -> &'static str {
    match gender {
        Gender::Female => "Female",
        Gender::Male => "Male",
        Gender::NonBinary => "Non-binary",
        Gender::Other => "Other",
        Gender::PreferNotToSay => "Prefer not to say",
    }
}

fn command(cmd: Cmd) -> CommandText {
    let (syntax, summary) = match cmd {
        Cmd::CreateRoom => ("#cR <room>", "create a room and enter it"),
        Cmd::EnterRoom => ("#gR <room>", "enter a room"),
        Cmd::LeaveRoom => ("#eR", "go back to the default room"),
        Cmd::Exit => ("#exit", "disconnect"),
        Cmd::ListRooms => ("#lR", "list rooms and how many people are in each"),
        Cmd::DeleteRoom => ("#dR <room>", "delete a room you created"),
        Cmd::ShowUsers => ("#show users", "list every user of the system"),
        Cmd::Private => (
            "#\\private <user> <text>",
            "send a private message to a user in any room",
        ),
        Cmd::Away => (
            "#away [text]",
            "tell others you are away, with an optional message",
        ),
        Cmd::Back => ("#back", "you are back"),
        Cmd::Logout => (
            "#logout [all]",
            "sign out here (or everywhere, with all) and disconnect",
        ),
        Cmd::Help => ("#help", "show this list"),
    };
    CommandText { syntax, summary }
}

fn close_reason(reason: CloseReason) -> &'static str {
    match reason {
        CloseReason::Exit => "goodbye",
        CloseReason::TakenOver => "your account logged in somewhere else",
        CloseReason::SlowConsumer => "this client fell too far behind",
        CloseReason::ProtocolError | CloseReason::Unknown => {
            "the server did not understand this client"
        }
        CloseReason::ServerShutdown => "the server is shutting down",
        CloseReason::HandshakeTimeout => "logging in took too long",
        CloseReason::IdleTimeout => "nothing was heard from this client for too long",
        CloseReason::TooManyConnections => "the server has as many connections as it allows",
        CloseReason::Flood => "this client sent too much too fast",
    }
}

fn member_count(n: u32) -> String {
    if n == 1 {
        "1 member".to_owned()
    } else {
        format!("{n} members")
    }
}

fn presence(presence: Presence) -> &'static str {
    match presence {
        Presence::Online => "online",
        Presence::Away => "away",
        Presence::Offline => "offline",
        Presence::Unknown => "presence unknown",
    }
}

fn kept_summary(count: usize, from: &str) -> String {
    if count == 1 {
        format!("1 private message from {from}")
    } else {
        format!("{count} private messages from {from}")
    }
}
