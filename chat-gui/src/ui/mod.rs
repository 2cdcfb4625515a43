//! Drawing. Each window or panel has its own module; each reads state and returns the
//! [`Intent`]s of what the user asked for, which the app applies after the frame. Nothing here
//! touches the network.

pub mod actions;
pub mod banner;
pub mod card;
pub mod confirm;
pub mod connect;
pub mod extras;
pub mod files;
pub mod find;
pub mod header;
pub mod input;
pub mod login;
pub mod markdown;
pub mod members;
pub mod menu;
pub mod messages;
pub mod private;
pub mod reactions;
pub mod register;
pub mod reports;
pub mod rooms;
pub mod row;
pub mod search;
pub mod status;
pub mod theme;
pub mod users;

use chat_core::protocol::Request;
use chat_model::composer::Target;

use crate::i18n::Language;
use crate::settings::Theme;

/// Something the user asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intent {
    /// Connect to the address in the connect window.
    Connect,
    /// Connect again accepting the server's new certificate (after the warning).
    TrustNewCertificate,
    /// Give up connecting.
    CancelConnect,
    /// Start a server inside the client.
    HostStart,
    /// Stop the hosted server.
    HostStop,
    /// Show the register window.
    ShowRegister,
    /// Show the login window.
    ShowLogin,
    /// Leave this server for the connect window.
    ChangeServer,
    /// Send the register form.
    Register,
    /// Send the login form.
    Login,
    /// Send what is typed to this target (text, or in a room a `#` command).
    Submit(Target),
    /// A command from a button or menu.
    Command(Request),
    /// `#lR` from a menu: the answer is shown in the room.
    ListRooms,
    /// Open the dialog that names a new room.
    NewRoom,
    /// Ask before deleting this room.
    AskDeleteRoom(String),
    /// The user confirmed deleting this room.
    DeleteRoom(String),
    /// The user did not want to delete it after all.
    KeepRoom,
    /// Quit although files are on their way (asked when the window was closed).
    Quit,
    /// Do not quit after all.
    StayOpen,
    /// Open the users window (and refresh its list).
    ShowUsers,
    /// Open the conversation with this user (and put the keyboard in it).
    OpenPrivate(String),
    /// Close the conversation with this user.
    ClosePrivate(String),
    /// Show the room again in the main window (after a docked conversation).
    ShowRoom,
    /// Show conversations in the main window (`true`) or in windows of their own.
    DockConversations(bool),
    /// Log out (the server forgets the session; `all`: every session of the account) and
    /// return to the login window.
    Logout {
        /// On every computer, not only this one.
        all: bool,
    },
    /// Tell others the user is away, with an optional message.
    SetAway(Option<String>),
    /// The user is back.
    SetBack,
    /// The lines of this target were scrolled to their top: ask for the page before them.
    LoadEarlier(Target),
    /// The text in this target's box changed (the user is typing).
    Typed(Target),
    /// Open the find bar over these lines (Ctrl+F opens it over the ones in use).
    OpenFind(Target),
    /// Show the earlier match of the find bar.
    FindOlder,
    /// Show the later match of the find bar.
    FindNewer,
    /// Close the find bar.
    CloseFind,
    /// Open the window that searches every room and conversation (Ctrl+Shift+F).
    OpenSearch,
    /// Show this line found by the search.
    JumpTo(chat_model::find::Found),
    /// Save a copy of this room's or conversation's lines to a file.
    Export(Target),
    /// Something about files: attach, download, view (see [`files::FileIntent`]).
    Files(files::FileIntent),
    /// Turn desktop notifications on or off.
    SetNotifications(bool),
    /// Reconnect without waiting.
    ReconnectNow,
    /// Switch theme.
    SetTheme(Theme),
    /// Switch language.
    SetLanguage(Language),
    /// Open or close the rooms drawer (a narrow window).
    ToggleRooms,
    /// Open or close the members drawer (a narrow window).
    ToggleMembers,
    /// An emoji was picked: it goes first among the recently used.
    EmojiUsed(String),
    /// Something done to a line (reply, react, edit, delete, report, keep order, show).
    Line(actions::LineRef, actions::LineAction),
    /// Up in an empty box: edit the user's last line there.
    EditLast(Target),
    /// Give up the reply being written or the edit under way in this box.
    CancelCompose(Target),
    /// Close the dialog about a line (delete, report) without doing anything.
    CloseLineDialog,
    /// Send the report being written.
    SendReport,
    /// Open or close the administrators' window of reports.
    ToggleReports,
    /// Send read receipts (or not).
    SetReadReceipts(bool),
}

/// The colour of a presence dot: green online, amber away, grey offline.
pub fn presence_color(ui: &egui::Ui, presence: chat_core::protocol::Presence) -> egui::Color32 {
    use chat_core::protocol::Presence;
    match presence {
        Presence::Online => egui::Color32::from_rgb(0x3c, 0xb3, 0x71),
        Presence::Away => egui::Color32::from_rgb(0xe0, 0xa8, 0x2e),
        Presence::Offline | Presence::Unknown => ui.visuals().weak_text_color(),
    }
}

/// The dot of a presence: filled when connected, a ring when offline, a faint ring when not
/// known.
pub fn presence_glyph(presence: chat_core::protocol::Presence) -> &'static str {
    use chat_core::protocol::Presence;
    match presence {
        Presence::Online | Presence::Away => "●",
        Presence::Offline | Presence::Unknown => "○",
    }
}

/// A name preceded by its presence dot, as one text (for buttons and labels).
pub fn with_dot(
    ui: &egui::Ui,
    presence: chat_core::protocol::Presence,
    name: &str,
    color: egui::Color32,
) -> egui::text::LayoutJob {
    let font = egui::TextStyle::Button.resolve(ui.style());
    let mut job = egui::text::LayoutJob::default();
    let mut dot_color = presence_color(ui, presence);
    if presence == chat_core::protocol::Presence::Unknown {
        dot_color = dot_color.gamma_multiply(0.4);
    }
    job.append(
        presence_glyph(presence),
        0.0,
        egui::TextFormat::simple(font.clone(), dot_color),
    );
    job.append(name, 6.0, egui::TextFormat::simple(font, color));
    job
}

/// Who someone is and their presence in words, for hover texts and screen readers.
pub fn presence_words(
    t: &crate::i18n::Texts,
    login: &str,
    status: Option<&chat_model::presence::Status>,
) -> String {
    match status {
        Some(chat_model::presence::Status {
            presence: chat_core::protocol::Presence::Away,
            text: Some(text),
        }) => format!("{login}, {}", crate::i18n::fill(t.away_says, &[text])),
        Some(s) => format!("{login}, {}", t.presence(s.presence)),
        None => login.to_owned(),
    }
}

/// A server time with its date, for lines that may be days old.
pub fn date_time(time_ms: i64) -> String {
    use chrono::TimeZone;
    match chrono::Local.timestamp_millis_opt(time_ms).single() {
        Some(t) => t.format("%Y-%m-%d %H:%M").to_string(),
        None => String::from("----------"),
    }
}

/// A text field with a visible label that accessibility (and tests) can find it by.
pub fn labelled_field(
    ui: &mut egui::Ui,
    label: &str,
    value: &mut String,
    edit: impl FnOnce(egui::TextEdit<'_>) -> egui::TextEdit<'_>,
) -> egui::Response {
    let salt = label.to_owned();
    let label = ui.label(label);
    // Named by its label, so messages appearing above it never move its focus.
    ui.add(edit(egui::TextEdit::singleline(value).id_salt(salt)))
        .labelled_by(label.id)
}

/// Whether Enter was pressed while this field had focus (egui drops focus on Enter).
pub fn submitted(ui: &egui::Ui, response: &egui::Response) -> bool {
    response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter))
}

/// A server time as the rows show it: local wall-clock hours and minutes.
pub fn clock_time(time_ms: i64, with_seconds: bool) -> String {
    use chrono::TimeZone;
    match chrono::Local.timestamp_millis_opt(time_ms).single() {
        Some(t) if with_seconds => t.format("%H:%M:%S").to_string(),
        Some(t) => t.format("%H:%M").to_string(),
        None => String::from("--:--"),
    }
}

/// The colour that marks errors, readable on both themes.
pub fn error_color(ui: &egui::Ui) -> egui::Color32 {
    ui.visuals().error_fg_color
}

/// The colour that marks success (connected, logged in again), readable on both themes.
pub fn success_color(ui: &egui::Ui) -> egui::Color32 {
    if ui.visuals().dark_mode {
        egui::Color32::from_rgb(0x6f, 0xd0, 0x8c)
    } else {
        egui::Color32::from_rgb(0x1a, 0x7f, 0x37)
    }
}

/// The colour of this user's own name.
pub fn own_color(ui: &egui::Ui) -> egui::Color32 {
    if ui.visuals().dark_mode {
        egui::Color32::from_rgb(0x7c, 0xc4, 0xff)
    } else {
        egui::Color32::from_rgb(0x0b, 0x5c, 0xad)
    }
}

/// A stable colour for another user's name, picked from their login; ten per theme, so few
/// people in a room share one, and none of them the blue of one's own name.
pub fn peer_color(ui: &egui::Ui, login: &str) -> egui::Color32 {
    use egui::Color32;
    const DARK: [Color32; 10] = [
        Color32::from_rgb(0xff, 0xb8, 0x6c),
        Color32::from_rgb(0x8b, 0xe9, 0xa0),
        Color32::from_rgb(0xff, 0x92, 0xc8),
        Color32::from_rgb(0xd6, 0xb4, 0xff),
        Color32::from_rgb(0xf1, 0xe3, 0x6b),
        Color32::from_rgb(0x7f, 0xe3, 0xdb),
        Color32::from_rgb(0xff, 0x9e, 0x94),
        Color32::from_rgb(0xc5, 0xe4, 0x78),
        Color32::from_rgb(0xff, 0xd0, 0xa0),
        Color32::from_rgb(0xe6, 0xc8, 0x8a),
    ];
    // On a light background: dark enough for small text (contrast 4.5:1 or more).
    const LIGHT: [Color32; 10] = [
        Color32::from_rgb(0xa8, 0x4a, 0x00),
        Color32::from_rgb(0x1d, 0x7a, 0x32),
        Color32::from_rgb(0xa8, 0x1f, 0x6a),
        Color32::from_rgb(0x6a, 0x3d, 0xb0),
        Color32::from_rgb(0x74, 0x65, 0x00),
        Color32::from_rgb(0x00, 0x72, 0x6b),
        Color32::from_rgb(0xb3, 0x26, 0x1e),
        Color32::from_rgb(0x4e, 0x6a, 0x00),
        Color32::from_rgb(0x8a, 0x4f, 0x00),
        Color32::from_rgb(0x6d, 0x4c, 0x41),
    ];
    let hash = login.to_ascii_lowercase().bytes().fold(0usize, |h, b| {
        h.wrapping_mul(31).wrapping_add(usize::from(b))
    });
    let palette = if ui.visuals().dark_mode {
        &DARK
    } else {
        &LIGHT
    };
    palette[hash % palette.len()]
}
