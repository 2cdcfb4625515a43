//! What the server says of itself: `TIME` (its clock, the one `server-time` tags read),
//! `LUSERS`, `INFO`, `VERSION` and `HELP`; and the commands of server operators, which nobody is
//! here (`OPER` gets `491`, `KILL`, `WALLOPS`… `481`).

use chat_core::irc::Line;

use super::render::{self, server, server_time};
use super::session::IrcSession;

/// The software and version, as `VERSION` and `004` say them.
pub(super) fn version_text() -> String {
    format!("chat-server-{}", env!("CARGO_PKG_VERSION"))
}

/// `TIME`: `391` with the server's time in seconds since the epoch, an offset of 0, and the time
/// to the millisecond (on a node of a cluster, the cluster's time: what `server-time` tags and
/// the chat's clock synchronisation give).
pub(super) fn time(s: &IrcSession) {
    let now_ms = s.shared.hub.now_us().div_euclid(1_000);
    let human = server_time(now_ms).replace('T', " ").replace('Z', " UTC");
    s.numeric(
        "391",
        &[server(), &now_ms.div_euclid(1_000).to_string(), "0", &human],
    );
}

/// `LUSERS`: users (none invisible), operators (none), connections not logged in yet, rooms,
/// and this server's users now and at most since it started (`265`, `266`; on a node of a
/// cluster, `266` counts every node's).
pub(super) fn lusers(s: &IrcSession) {
    let hub = &s.shared.hub;
    let local = hub.online_count();
    let global = hub.online_users().len().max(local);
    let peak = hub.peak_online().max(local);
    let unknown = s.shared.open_connections().saturating_sub(local);
    let rooms = hub.rooms().len();
    let mut out = String::new();
    let mut numeric = |code: &str, params: &[&str]| {
        render::push(&mut out, &render::numeric(code, &s.nick, params));
    };
    numeric(
        "251",
        &[&format!(
            "There are {global} users and 0 invisible on 1 servers"
        )],
    );
    numeric("252", &["0", "operator(s) online"]);
    numeric("253", &[&unknown.to_string(), "unknown connection(s)"]);
    numeric("254", &[&rooms.to_string(), "channels formed"]);
    numeric("255", &[&format!("I have {local} clients and 0 servers")]);
    numeric(
        "265",
        &[
            &local.to_string(),
            &peak.to_string(),
            &format!("Current local users {local}, max {peak}"),
        ],
    );
    let global_peak = peak.max(global);
    numeric(
        "266",
        &[
            &global.to_string(),
            &global_peak.to_string(),
            &format!("Current global users {global}, max {global_peak}"),
        ],
    );
    s.send_text(out);
}

/// `INFO`: what this server is, as `371` lines and `374`.
pub(super) fn info(s: &IrcSession) {
    let version = version_text();
    let lines = [
        version.as_str(),
        "A chat server with accounts and rooms, from a distributed-systems course; IRC clients",
        "share its rooms with the chat's own desktop client. Its clock is the one its clients",
        "synchronise with (TIME shows it; server-time tags carry it).",
        "Rooms are channels, one at a time; nicks are logins. HELP lists the commands.",
    ];
    let mut out = String::new();
    for text in lines {
        render::push(&mut out, &render::numeric("371", &s.nick, &[text]));
    }
    render::push(
        &mut out,
        &render::numeric("374", &s.nick, &["End of INFO list"]),
    );
    s.send_text(out);
}

/// `VERSION`: `351`, then `005`.
pub(super) fn version(s: &IrcSession) {
    s.numeric("351", &[&version_text(), server(), ""]);
    s.isupport();
}

/// `OPER`: there are no server operators here (`491`; `461` without a password).
pub(super) fn oper(s: &IrcSession, line: &Line) {
    if line.params.len() < 2 {
        s.numeric("461", &["OPER", "Not enough parameters"]);
    } else {
        s.numeric(
            "491",
            &["No server operators here: a room's creator is its only authority"],
        );
    }
}

/// A server operator's command (`KILL`, `WALLOPS`, `REHASH`…): `481`.
pub(super) fn operators_only(s: &IrcSession) {
    s.numeric(
        "481",
        &["Permission Denied: there are no server operators here"],
    );
}

/// What `HELP` says of each command: its syntax first, then what it does here.
const HELP: &[(&str, &[&str])] = &[
    (
        "AWAY",
        &[
            "AWAY [:message]",
            "Marks you away with a message; without one, back.",
        ],
    ),
    (
        "CAP",
        &["CAP LS|LIST|REQ|END", "Capability negotiation (IRCv3)."],
    ),
    (
        "CHATHISTORY",
        &[
            "CHATHISTORY LATEST|BEFORE #room *|msgid=N|timestamp=T limit",
            "Earlier lines of the room you are in.",
        ],
    ),
    (
        "HELP",
        &[
            "HELP [command]",
            "This help; HELP alone lists the commands.",
        ],
    ),
    ("INFO", &["INFO", "What this server is."]),
    (
        "ISON",
        &["ISON nick ...", "Which of these users are online."],
    ),
    (
        "JOIN",
        &[
            "JOIN #room",
            "Moves you to that room (you are in one at a time), creating it if it does not exist:",
            "you are then its creator, and it closes when you leave the chat. JOIN 0 goes back to",
            "the default room.",
        ],
    ),
    (
        "LIST",
        &[
            "LIST [#room,...]",
            "Every room, how many are in it and who created it.",
        ],
    ),
    ("LUSERS", &["LUSERS", "How many users and rooms there are."]),
    (
        "MODE",
        &[
            "MODE #room | MODE nick",
            "Rooms have no modes to change here.",
        ],
    ),
    ("MOTD", &["MOTD", "The message of the day."]),
    ("NAMES", &["NAMES [#room]", "Who is in a room."]),
    (
        "NOTICE",
        &[
            "NOTICE target :text",
            "Like PRIVMSG, but never answered automatically.",
        ],
    ),
    ("PART", &["PART #room", "Back to the default room."]),
    ("PING", &["PING token", "PONG with the token."]),
    (
        "PRIVMSG",
        &[
            "PRIVMSG #room|nick :text",
            "Says text in your room, or to a user in any room; a user who is offline gets it at",
            "their next login.",
        ],
    ),
    ("QUIT", &["QUIT [:message]", "Leaves the chat."]),
    (
        "TIME",
        &[
            "TIME",
            "The server's time, to the millisecond: the chat's clock.",
        ],
    ),
    (
        "TOPIC",
        &[
            "TOPIC #room",
            "Who created the room (it cannot be changed).",
        ],
    ),
    (
        "USERHOST",
        &[
            "USERHOST nick ...",
            "Users' user names and hosts, and whether away.",
        ],
    ),
    (
        "VERSION",
        &["VERSION", "This server's software and what it supports."],
    ),
    (
        "WHO",
        &[
            "WHO #room | WHO mask [%fields[,token]]",
            "Users in a room, or whose nick matches (* and ?); %fields asks for WHOX replies.",
        ],
    ),
    (
        "WHOIS",
        &["WHOIS nick", "Who a user is: names, room, account, away."],
    ),
    (
        "WHOWAS",
        &["WHOWAS nick [count]", "Who used a nick that left lately."],
    ),
];

/// `HELP [subject]` (and `HELPOP`): `704`, `705`…, `706`; `524` for an unknown subject.
pub(super) fn help(s: &IrcSession, line: &Line) {
    let asked = line.param(0);
    let mut out = String::new();
    let mut say = |code: &str, subject: &str, text: &str| {
        render::push(&mut out, &render::numeric(code, &s.nick, &[subject, text]));
    };
    if asked.is_empty() {
        say(
            "704",
            "*",
            "Commands of this server (HELP command says more):",
        );
        let names: Vec<&str> = HELP.iter().map(|(name, _)| *name).collect();
        for chunk in names.chunks(8) {
            say("705", "*", &chunk.join(" "));
        }
        say(
            "706",
            "*",
            "Rooms are channels, one at a time; nicks are logins.",
        );
    } else if let Some((_, text)) = HELP
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(asked))
    {
        for (i, line) in text.iter().enumerate() {
            let code = match i {
                0 => "704",
                i if i + 1 == text.len() => "706",
                _ => "705",
            };
            say(code, asked, line);
        }
    } else {
        say("524", asked, "No help available on this topic");
    }
    s.send_text(out);
}
