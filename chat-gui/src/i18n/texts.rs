//! [`Texts`]: every message of one language, resolved from its Fluent file when the language is
//! first used. Messages without values are kept as text; those with values ([`Msg`]) are
//! formatted by [`fill`](super::fill) each time, with the language's plural rules. Texts keyed by
//! an enum (error codes, fields, commands, close reasons, presence) are methods with an exhaustive
//! `match` from each variant to its message, so a variant added to `chat-core` does not compile
//! until it has a message.
//!
//! A field `snake_name` reads the message `snake-name`.

use std::collections::HashMap;

use chat_core::limits::{
    AGE_MAX_YEARS, AGE_MIN_YEARS, ATTACHMENTS_PER_LINE, CLIENT_NAME_MAX_BYTES, LOGIN_MAX_CHARS,
    LOGIN_MIN_CHARS, NAME_MAX_CHARS, PASSWORD_MAX_BYTES, PASSWORD_MIN_BYTES, REASON_MAX_CHARS,
    ROOM_MAX_CHARS, ROOM_MIN_CHARS, TEXT_MAX_CHARS, TOPIC_MAX_CHARS,
};
use chat_core::protocol::{CloseReason, ErrorCode, Field, Gender, Presence};
use chat_model::commands::Cmd;

use super::{Arg, CLOSE_REASONS, Language, Msg, PRESENCES, format, leak};

/// How a command is written and what it does, in one language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandText {
    /// How to type it, with its placeholders in this language (`#gR <sala>`).
    pub syntax: &'static str,
    /// What it does.
    pub summary: &'static str,
}

/// Declares [`Texts`] from its lists of messages: plain ones (`&'static str`) and formatted
/// ones with the names of their values, in the order `fill` takes them.
macro_rules! texts {
    (plain: [$($plain:ident),* $(,)?], formatted: [$($msg:ident($($arg:ident),*)),* $(,)?] $(,)?) => {
        /// Every message of one language.
        #[derive(Debug)]
        #[allow(missing_docs)]
        pub struct Texts {
            lang: Language,
            /// The enum-keyed messages, resolved once.
            keyed: HashMap<&'static str, &'static str>,
            $(pub $plain: &'static str,)*
            $(pub $msg: Msg,)*
        }

        impl Texts {
            pub(super) fn load(language: Language) -> Texts {
                let mut keyed = HashMap::new();
                for id in keyed_ids() {
                    keyed.insert(id, leak(format(language, id, &[])));
                }
                Texts {
                    lang: language,
                    keyed,
                    $($plain: leak(format(language, &message_id(stringify!($plain)), &[])),)*
                    $($msg: Msg {
                        language,
                        id: leak(message_id(stringify!($msg))),
                        args: &[$(stringify!($arg)),*],
                    },)*
                }
            }

            /// Every message without values, as shown (for checks that a screen shows only
            /// its language's words).
            pub fn plain_texts(&self) -> impl Iterator<Item = &'static str> + '_ {
                [$(self.$plain,)*].into_iter().chain(self.keyed.values().copied())
            }

            /// The ids of every message a field reads (for the check that each language has
            /// them all).
            pub fn field_ids() -> Vec<String> {
                let mut ids = vec![$(message_id(stringify!($plain)),)* $(message_id(stringify!($msg)),)*];
                ids.extend(keyed_ids().into_iter().map(str::to_owned));
                ids.extend(["member-count", "kept-summary"].map(str::to_owned));
                ids.extend(FIELD_RULES.iter().map(|(id, _)| (*id).to_owned()));
                ids
            }
        }
    };
}

// The messages: plain ones, and formatted ones with the names of their values in `fill` order.
texts! {
    plain: [
        connect_title,
        connect_intro,
        address,
        address_hint,
        connect,
        connecting,
        cancel,
        close,
        host_title,
        host_intro,
        port,
        host_start,
        host_stop,
        host_starting,
        host_no_folder,
        host_bad_port,
        left_server,
        login_title,
        login,
        password,
        log_in,
        logging_in,
        to_register,
        change_server,
        register_title,
        first_names,
        last_names,
        confirm_password,
        age,
        gender,
        create_account,
        to_login,
        passwords_differ,
        rooms,
        members,
        conversations,
        no_conversations,
        new_room,
        room_name,
        create,
        enter,
        leave_room,
        delete_room,
        list_rooms,
        users,
        log_out,
        send,
        message_input,
        input_keys,
        input_keys_private,
        default_room_mark,
        you,
        menu_room,
        menu_view,
        theme,
        theme_system,
        theme_light,
        theme_dark,
        language,
        emoji,
        window_title,
        delete_confirm,
        quit_title,
        quit_body,
        quit_confirm,
        line_room_list,
        line_lost,
        line_back,
        line_help,
        line_help_footer,
        users_title,
        online,
        offline,
        refresh,
        dock,
        undock,
        status_offline,
        server_time,
        offset,
        round_trip,
        fingerprint,
        banner_trying,
        banner_still_down,
        reconnect_now,
        why_unresolved,
        why_refused,
        why_timed_out,
        why_version,
        why_by_client,
        why_lost,
        why_tls,
        trust_new_certificate,
        encrypted,
        not_encrypted,
        trust_authority,
        trust_pinned,
        trust_first_use,
        trust_replaced,
        trust_browser,
        keep_signed_in,
        keep_signed_in_hint,
        log_out_everywhere,
        log_out_everywhere_hint,
        menu_status,
        away_message,
        set_away,
        earlier_messages,
        loading_earlier,
        kept_for_later,
        find,
        find_none,
        find_older,
        find_newer,
        find_here,
        search_all,
        search_title,
        search_field,
        search_none,
        export,
        attach,
        attach_drop,
        file_download,
        file_open,
        file_remove,
        file_waiting,
        file_held,
        file_unreadable,
        file_unwritable,
        file_corrupt,
        file_certificate,
        picture_broken,
        picture_loading,
        viewer_fit,
        viewer_actual,
        viewer_zoom_in,
        viewer_zoom_out,
        viewer_save,
        code_rest,
        notifications,
        notify_kept,
        emoji_search,
        emoji_recent,
        emoji_smileys,
        emoji_people,
        emoji_nature,
        emoji_food,
        emoji_travel,
        emoji_activities,
        emoji_objects,
        emoji_symbols,
        emoji_flags,
        show_rooms,
        show_members,
        search_room_closed,
        language_name,
        reply,
        react,
        edit,
        delete,
        more_actions,
        copy,
        copy_code,
        copy_text,
        report,
        editing,
        cancel_escape,
        message_deleted,
        edited_mark,
        receipt_sent,
        receipt_delivered,
        receipt_read,
        show_original,
        delete_line_title,
        report_title,
        report_intro,
        report_reason,
        report_send,
        read_receipts,
        reports_title,
        slow_mode_off,
    ],
    formatted: [
        host_running(address),
        host_failed(port),
        registered(login),
        connected_to(server),
        message_hint(room),
        new_messages(count),
        members_more(count),
        created_by(creator),
        too_many_lines(count),
        unread(count),
        window_title_unread(count),
        delete_title(room),
        delete_body(room, default),
        line_joined(login),
        line_left(login),
        line_entered(room),
        line_closed_deleted(room),
        line_closed_creator_left(room),
        line_you_deleted(room),
        line_moved(why, room),
        unknown_command(command),
        usage(syntax),
        field_problem(field, rule),
        users_count(online, total),
        in_room(room),
        write_to(login),
        private_title(login),
        private_hint(login),
        private_with(login),
        back_to_room(room),
        status_connecting(server),
        status_connected(server),
        status_logged_in(login, server),
        status_reconnecting(server),
        banner_lost(why),
        banner_retry_in(seconds, attempt),
        why_closed(reason),
        why_cert_changed(expected, presented),
        resuming(login),
        retry_in(seconds),
        retrying_in(seconds),
        away_says(text),
        sent_while_away(time),
        line_kept_dropped(count),
        typing(login),
        find_count(current, total),
        search_found(count),
        export_title(name),
        line_saved(path),
        line_save_failed(path),
        file_progress(done, total),
        file_retrying(seconds),
        file_busy(seconds),
        picture_of(name),
        code_more(lines),
        notify_private(login),
        notify_mention(login, room),
        register_fix(fields),
        replying_to(login, text),
        reply_quote(login, text),
        line_by(login, text),
        line_mentions_you(login, text),
        reacted_by(logins, count, emoji),
        reacted_by_more(logins, count, emoji),
        mute_login(login),
        unmute_login(login),
        remove_login(login),
        slow_mode_on(seconds),
        reports_count(count),
        report_heading(login, place),
        report_reason_was(reason),
        duration_minutes(count),
        duration_hours(count),
        duration_days(count),
        line_muted(login, by, time),
        error_muted_until(time),
        error_slow_mode_wait(seconds),
        line_unmuted(login, by),
        line_readmitted(login, by),
        line_voiced(login, by),
        line_devoiced(login, by),
        line_removed(login, by),
        line_slow(by, seconds),
        line_slow_off(by),
        line_order_kept(by),
    ],
}

/// The message id of a field: `snake_name` → `snake-name`.
fn message_id(field: &str) -> String {
    field.replace('_', "-")
}

/// Every field rule's message and its values.
const FIELD_RULES: [(&str, &[(&str, u64)]); 23] = [
    ("field-rule-names", &[("max", NAME_MAX_CHARS as u64)]),
    (
        "field-rule-login",
        &[
            ("min", LOGIN_MIN_CHARS as u64),
            ("max", LOGIN_MAX_CHARS as u64),
        ],
    ),
    (
        "field-rule-password",
        &[
            ("min", PASSWORD_MIN_BYTES as u64),
            ("max", PASSWORD_MAX_BYTES as u64),
        ],
    ),
    (
        "field-rule-age",
        &[("min", AGE_MIN_YEARS as u64), ("max", AGE_MAX_YEARS as u64)],
    ),
    ("field-rule-gender", &[]),
    (
        "field-rule-room",
        &[
            ("min", ROOM_MIN_CHARS as u64),
            ("max", ROOM_MAX_CHARS as u64),
        ],
    ),
    ("field-rule-text", &[("max", TEXT_MAX_CHARS as u64)]),
    (
        "field-rule-client",
        &[("max", CLIENT_NAME_MAX_BYTES as u64)],
    ),
    ("field-rule-version", &[]),
    (
        "field-rule-recipient",
        &[
            ("min", LOGIN_MIN_CHARS as u64),
            ("max", LOGIN_MAX_CHARS as u64),
        ],
    ),
    ("field-rule-token", &[]),
    ("field-rule-position", &[]),
    ("field-rule-all", &[]),
    ("field-rule-unknown", &[]),
    ("field-rule-emoji", &[]),
    ("field-rule-action", &[]),
    ("field-rule-reason", &[("max", REASON_MAX_CHARS as u64)]),
    (
        "field-rule-attachments",
        &[("max", ATTACHMENTS_PER_LINE as u64)],
    ),
    ("field-rule-file-name", &[]),
    ("field-rule-size", &[]),
    ("field-rule-sha256", &[]),
    ("field-rule-type", &[]),
    ("field-rule-topic", &[("max", TOPIC_MAX_CHARS as u64)]),
];

fn error_id(code: ErrorCode) -> &'static str {
    use ErrorCode::*;
    match code {
        VersionMismatch => "error-version-mismatch",
        HelloRequired => "error-hello-required",
        LoginRequired => "error-login-required",
        AlreadyLoggedIn => "error-already-logged-in",
        Invalid => "error-invalid",
        LoginTaken => "error-login-taken",
        BadCredentials => "error-bad-credentials",
        BadToken => "error-bad-token",
        RoomExists => "error-room-exists",
        RoomNotFound => "error-room-not-found",
        NotRoomCreator => "error-not-room-creator",
        DefaultRoom => "error-default-room",
        UserNotFound => "error-user-not-found",
        UserOffline => "error-user-offline",
        TooManyRooms => "error-too-many-rooms",
        Malformed => "error-malformed",
        FrameTooLarge => "error-frame-too-large",
        ServerBusy => "error-server-busy",
        RateLimited => "error-rate-limited",
        MessageNotFound => "error-message-not-found",
        NotAllowed => "error-not-allowed",
        Muted => "error-muted",
        SlowMode => "error-slow-mode",
        RemovedFromRoom => "error-removed-from-room",
        TooManyReactions => "error-too-many-reactions",
        FileTooLarge => "error-file-too-large",
        QuotaExceeded => "error-quota-exceeded",
        FileNotFound => "error-file-not-found",
        StorageFull => "error-storage-full",
        Internal | Unknown => "error-internal",
    }
}

fn field_id(field: Field) -> &'static str {
    match field {
        Field::FirstNames => "field-first-names",
        Field::LastNames => "field-last-names",
        Field::Login => "field-login",
        Field::Password => "field-password",
        Field::Age => "field-age",
        Field::Gender => "field-gender",
        Field::Room => "field-room",
        Field::Text => "field-text",
        Field::Client => "field-client",
        Field::Version => "field-version",
        Field::To => "field-to",
        Field::Token => "field-token",
        Field::Offset => "field-offset",
        Field::All => "field-all",
        Field::Before => "field-before",
        Field::With => "field-with",
        Field::ReplyTo => "field-reply-to",
        Field::Line => "field-line",
        Field::Emoji => "field-emoji",
        Field::On => "field-on",
        Field::Receipt => "field-receipt",
        Field::Action => "field-action",
        Field::Seconds => "field-seconds",
        Field::Reason => "field-reason",
        Field::Attachments => "field-attachments",
        Field::Name => "field-name",
        Field::Size => "field-size",
        Field::Sha256 => "field-sha256",
        Field::Type => "field-type",
        Field::Topic => "field-topic",
        Field::Seen => "field-seen",
        Field::Unknown => "field-unknown",
    }
}

/// The position in [`FIELD_RULES`] of a field's rule.
fn field_rule_index(field: Field) -> usize {
    match field {
        Field::FirstNames | Field::LastNames => 0,
        Field::Login => 1,
        Field::Password => 2,
        Field::Age => 3,
        Field::Gender => 4,
        Field::Room => 5,
        Field::Text => 6,
        Field::Client => 7,
        Field::Version => 8,
        Field::To | Field::With => 9,
        Field::Token => 10,
        Field::Offset
        | Field::Before
        | Field::ReplyTo
        | Field::Line
        | Field::Seconds
        | Field::Seen => 11,
        Field::All | Field::On | Field::Receipt => 12,
        Field::Unknown => 13,
        Field::Emoji => 14,
        Field::Action => 15,
        Field::Reason => 16,
        Field::Attachments => 17,
        Field::Name => 18,
        Field::Size => 19,
        Field::Sha256 => 20,
        Field::Type => 21,
        Field::Topic => 22,
    }
}

fn gender_id(gender: Gender) -> &'static str {
    match gender {
        Gender::Female => "gender-female",
        Gender::Male => "gender-male",
        Gender::NonBinary => "gender-non-binary",
        Gender::Other => "gender-other",
        Gender::PreferNotToSay => "gender-prefer-not-to-say",
    }
}

/// A command's two messages: its syntax and its summary.
fn command_ids(cmd: Cmd) -> (&'static str, &'static str) {
    match cmd {
        Cmd::CreateRoom => ("command-create-room-syntax", "command-create-room-summary"),
        Cmd::EnterRoom => ("command-enter-room-syntax", "command-enter-room-summary"),
        Cmd::LeaveRoom => ("command-leave-room-syntax", "command-leave-room-summary"),
        Cmd::Exit => ("command-exit-syntax", "command-exit-summary"),
        Cmd::ListRooms => ("command-list-rooms-syntax", "command-list-rooms-summary"),
        Cmd::DeleteRoom => ("command-delete-room-syntax", "command-delete-room-summary"),
        Cmd::ShowUsers => ("command-show-users-syntax", "command-show-users-summary"),
        Cmd::Private => ("command-private-syntax", "command-private-summary"),
        Cmd::Away => ("command-away-syntax", "command-away-summary"),
        Cmd::Back => ("command-back-syntax", "command-back-summary"),
        Cmd::Logout => ("command-logout-syntax", "command-logout-summary"),
        Cmd::Help => ("command-help-syntax", "command-help-summary"),
    }
}

fn close_reason_id(reason: CloseReason) -> &'static str {
    match reason {
        CloseReason::Exit => "close-exit",
        CloseReason::TakenOver => "close-taken-over",
        CloseReason::SlowConsumer => "close-slow-consumer",
        CloseReason::ProtocolError | CloseReason::Unknown => "close-protocol-error",
        CloseReason::ServerShutdown => "close-server-shutdown",
        CloseReason::HandshakeTimeout => "close-handshake-timeout",
        CloseReason::IdleTimeout => "close-idle-timeout",
        CloseReason::TooManyConnections => "close-too-many-connections",
        CloseReason::Flood => "close-flood",
    }
}

fn presence_id(presence: Presence) -> &'static str {
    match presence {
        Presence::Online => "presence-online",
        Presence::Away => "presence-away",
        Presence::Offline => "presence-offline",
        Presence::Unknown => "presence-unknown",
    }
}

/// Every enum-keyed message without values.
fn keyed_ids() -> Vec<&'static str> {
    let mut ids: Vec<&'static str> = Vec::new();
    ids.extend(ErrorCode::ALL.map(error_id));
    ids.extend(Field::ALL.map(field_id));
    ids.push(field_id(Field::Unknown));
    ids.extend(Gender::ALL.map(gender_id));
    for cmd in Cmd::ALL {
        let (syntax, summary) = command_ids(cmd);
        ids.extend([syntax, summary]);
    }
    ids.extend(CLOSE_REASONS.map(close_reason_id));
    ids.extend(PRESENCES.map(presence_id));
    ids
}

impl Texts {
    /// The language of these texts.
    pub fn lang(&self) -> Language {
        self.lang
    }

    fn keyed(&self, id: &'static str) -> &'static str {
        self.keyed.get(id).copied().unwrap_or(id)
    }

    /// What an error code means.
    pub fn error(&self, code: ErrorCode) -> &'static str {
        self.keyed(error_id(code))
    }

    /// A field's name.
    pub fn field(&self, field: Field) -> &'static str {
        self.keyed(field_id(field))
    }

    /// What a field must be, with the limits filled in.
    pub fn field_rule(&self, field: Field) -> String {
        let (id, values) = FIELD_RULES[field_rule_index(field)];
        let args: Vec<(&str, &dyn Arg)> = values
            .iter()
            .map(|(name, value)| (*name, value as &dyn Arg))
            .collect();
        format(self.lang, id, &args)
    }

    /// A gender's name.
    pub fn gender_name(&self, gender: Gender) -> &'static str {
        self.keyed(gender_id(gender))
    }

    /// A command's syntax and summary.
    pub fn command(&self, cmd: Cmd) -> CommandText {
        let (syntax, summary) = command_ids(cmd);
        CommandText {
            syntax: self.keyed(syntax),
            summary: self.keyed(summary),
        }
    }

    /// Why the server closed a connection.
    pub fn close_reason(&self, reason: CloseReason) -> &'static str {
        self.keyed(close_reason_id(reason))
    }

    /// Online, away, offline, unknown.
    pub fn presence(&self, presence: Presence) -> &'static str {
        self.keyed(presence_id(presence))
    }

    /// How long `seconds` last, in the largest whole unit: "10 minutes", "1 hour", "2 days".
    pub fn duration(&self, seconds: u32) -> String {
        const MINUTE: u32 = 60;
        const HOUR: u32 = 60 * MINUTE;
        const DAY: u32 = 24 * HOUR;
        if seconds >= DAY && seconds.is_multiple_of(DAY) {
            super::fill(self.duration_days, &[&(seconds / DAY)])
        } else if seconds >= HOUR && seconds.is_multiple_of(HOUR) {
            super::fill(self.duration_hours, &[&(seconds / HOUR)])
        } else {
            super::fill(self.duration_minutes, &[&seconds.div_ceil(MINUTE)])
        }
    }

    /// "1 member", "3 members".
    pub fn member_count(&self, count: u32) -> String {
        format(self.lang, "member-count", &[("count", &count)])
    }

    /// "3 private messages from bob, carl".
    pub fn kept_summary(&self, count: usize, from: &str) -> String {
        format(
            self.lang,
            "kept-summary",
            &[("count", &count), ("from", &from)],
        )
    }
}
