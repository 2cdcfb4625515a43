//! What IRC clients ask the server and about users, over real TCP: `TIME` (the server's clock),
//! `301` to whoever writes to someone away, `AWAY` after the `JOIN` of someone away, `WHO` and
//! WHOX, `WHOIS` with the user name `USER` gave, `WHOWAS`, `LUSERS`, `USERHOST`, `INFO`, `HELP`,
//! the operators' commands, and a message sent a byte at a time relayed as the one line it was.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use chat_core::irc::Line;
use chat_core::protocol::Request;

use super::harness::{TestServer, WAIT};
use super::irc::Irc;

/// A server with the IRC gateway (guests let in) on a free port, and that port.
fn server() -> (TestServer, SocketAddr) {
    let server = TestServer::start_with(|c| {
        c.irc_bind = Some("127.0.0.1:0".into());
        c.irc_guests = true;
    });
    let addr = server.handle().irc_addr().expect("the IRC gateway is on");
    (server, addr)
}

/// A guest registered as `nick`, with `user` and `real` in `USER`, its welcome read.
fn guest(addr: SocketAddr, nick: &str, user: &str, real: &str, caps: &str) -> Irc {
    let mut c = Irc::connect(addr);
    if !caps.is_empty() {
        c.send(&format!("CAP REQ :{caps}"));
        c.send("CAP END");
    }
    c.send(&format!("NICK {nick}"));
    c.send(&format!("USER {user} 0 * :{real}"));
    c.expect_command("001");
    c.expect("the default room joined", |l| l.command == "366");
    c.settle();
    c
}

/// The replies to `command` up to the line with the numeric `end`, that one included.
fn ask(c: &mut Irc, command: &str, end: &str) -> Vec<Line> {
    c.settle();
    c.send(command);
    let last = c.expect(end, |l| l.command == end);
    let mut lines = c.settle();
    lines.retain(|l| l.command.bytes().all(|b| b.is_ascii_digit()));
    // What came before `end`, in order (settle kept it), then `end` itself.
    let mut replies: Vec<Line> = lines;
    replies.push(last);
    replies
}

#[test]
fn time_answers_with_the_servers_clock_to_the_millisecond() {
    let (server, addr) = server();
    let mut ana = guest(addr, "ana", "ana", "Ana", "");
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    };
    let before = now();
    ana.send("TIME");
    let time = ana.expect_command("391");
    let after = now();
    let seconds: u64 = time.param(2).parse().unwrap();
    assert!((before..=after).contains(&seconds), "{time:?}");
    assert_eq!(time.param(3), "0");
    // `2026-12-06 08:35:11.123 UTC`: to the millisecond, as server-time tags are.
    assert!(
        time.param(4).ends_with(" UTC") && time.param(4).len() == 27,
        "{time:?}"
    );
    // The server's clock, not the machine's: moved ahead, TIME follows.
    server.advance(Duration::from_secs(3_600));
    ana.send("TIME");
    let later: u64 = ana.expect_command("391").param(2).parse().unwrap();
    assert!(later >= before + 3_600, "{later} after {before}");
}

#[test]
fn a_private_message_to_someone_away_tells_the_sender_so() {
    let (_server, addr) = server();
    let mut bar = guest(addr, "bar", "bar", "Bar", "");
    let mut qux = guest(addr, "qux", "qux", "Qux", "");
    qux.send("PRIVMSG bar :hola");
    bar.expect("qux's message", |l| l.command == "PRIVMSG");
    assert!(
        !qux.settle().iter().any(|l| l.command == "301"),
        "301 for someone here"
    );
    bar.send("AWAY :en clase");
    bar.expect_command("306");
    qux.send("PRIVMSG bar :¿estás?");
    let away = qux.expect_command("301");
    assert_eq!(away.params, ["qux", "bar", "en clase"]);
    // A NOTICE never draws an automatic reply.
    qux.send("NOTICE bar :aviso");
    bar.expect("the notice", |l| {
        l.command == "NOTICE" && l.param(1) == "aviso"
    });
    assert!(!qux.settle().iter().any(|l| l.command == "301"));
    // USERHOST says away with `-`, here with `+`.
    qux.send("USERHOST bar qux");
    let userhost = qux.expect_command("302");
    assert_eq!(userhost.param(1), "bar=-bar@chat qux=+qux@chat");
    bar.send("AWAY");
    bar.expect_command("305");
    qux.send("PRIVMSG bar :¿ya?");
    bar.expect("the third message", |l| l.param(1) == "¿ya?");
    assert!(!qux.settle().iter().any(|l| l.command == "301"));
}

#[test]
fn someone_away_who_joins_a_channel_is_shown_away_to_those_who_asked() {
    let (server, addr) = server();
    let mut foo = guest(addr, "foo", "foo", "Foo", "away-notify");
    let mut plain = guest(addr, "plain", "plain", "Plain", "");
    foo.send("JOIN #sala");
    foo.expect_command("366");
    plain.send("JOIN #sala");
    plain.expect_command("366");
    // A native user, away with a message, joins too.
    let mut nina = server.user("nina");
    nina.request(Request::Away {
        text: Some("comiendo".into()),
    });
    foo.settle();
    plain.settle();
    nina.request(Request::EnterRoom {
        room: "sala".into(),
    });
    foo.expect("nina's JOIN", |l| {
        l.command == "JOIN" && l.source.as_deref().is_some_and(|s| s.starts_with("nina!"))
    });
    let away = foo.expect_command("AWAY");
    assert!(
        away.source
            .as_deref()
            .is_some_and(|s| s.starts_with("nina!"))
    );
    assert_eq!(away.params, ["comiendo"]);
    // Without away-notify: the JOIN only.
    plain.expect("nina's JOIN", |l| l.command == "JOIN");
    assert!(!plain.settle().iter().any(|l| l.command == "AWAY"));
}

#[test]
fn who_lists_a_channel_a_nick_a_mask_everyone_and_whox_fields() {
    let (server, addr) = server();
    let mut cool = guest(addr, "coolNick", "myuser", "My Real Name", "");
    let mut other = guest(addr, "otherNick", "other", "Other", "");
    let _rosa = server.user("rosa");
    cool.send("JOIN #chan");
    cool.expect_command("366");
    other.send("JOIN #chan");
    other.expect_command("366");
    cool.send("AWAY :fuera");
    cool.expect_command("306");
    // A channel: its members, with the channel; its creator is its operator (`@`).
    let rows = ask(&mut other, "WHO #chan", "315");
    let mut members: Vec<&Line> = rows.iter().filter(|l| l.command == "352").collect();
    members.sort_by_key(|l| l.param(5).to_owned());
    assert_eq!(members.len(), 2, "{rows:?}");
    assert_eq!(
        members[0].params,
        [
            "otherNick",
            "#chan",
            "myuser",
            "chat",
            "chat",
            "coolNick",
            "G@",
            "0 My Real Name"
        ]
    );
    assert_eq!(members[1].param(6), "H");
    assert_eq!(rows.last().unwrap().param(1), "#chan");
    // A nick, in any case, and a mask: the user, channel `*`; the end names the mask as sent.
    for mask in ["coolNick", "COOLNICK", "cool*", "c??lnick"] {
        let rows = ask(&mut other, &format!("WHO {mask}"), "315");
        assert_eq!(rows.len(), 2, "{mask}: {rows:?}");
        assert_eq!(rows[0].param(1), "*");
        assert_eq!(rows[0].param(5), "coolNick");
        assert_eq!(rows[1].param(1), mask);
    }
    // Everyone, a native user included (its user name is its login).
    let rows = ask(&mut other, "WHO *", "315");
    let nicks: Vec<&str> = rows
        .iter()
        .filter(|l| l.command == "352")
        .map(|l| l.param(5))
        .collect();
    assert_eq!(nicks.len(), 3, "{rows:?}");
    assert!(
        rows.iter()
            .any(|l| l.param(5) == "rosa" && l.param(2) == "rosa")
    );
    // Nobody, and no operators.
    assert_eq!(ask(&mut other, "WHO nobody", "315").len(), 1);
    assert_eq!(ask(&mut other, "WHO * o", "315").len(), 1);
    // WHOX: the fields asked for, in WHOX's order, with the token; a guest has no account.
    let rows = ask(&mut other, "WHO coolNick %nuat,42", "315");
    assert_eq!(rows[0].command, "354");
    assert_eq!(
        rows[0].params,
        ["otherNick", "42", "myuser", "coolNick", "0"]
    );
    let rows = ask(&mut other, "WHO rosa %na", "315");
    assert_eq!(rows[0].params, ["otherNick", "rosa", "rosa"]);
    let rows = ask(&mut other, "WHO #chan %cnfr", "315");
    assert!(
        rows.iter()
            .any(|l| l.params == ["otherNick", "#chan", "coolNick", "G@", "My Real Name"]),
        "{rows:?}"
    );
    // 005 says WHOX is there.
    other.send("VERSION");
    other.expect("WHOX in 005", |l| {
        l.command == "005" && l.params.iter().any(|p| p == "WHOX")
    });
}

#[test]
fn whois_shows_the_user_name_user_gave_and_whowas_the_departures_newest_first() {
    let (_server, addr) = server();
    let mut nick1 = guest(addr, "nick1", "watcher", "Watcher", "");
    let mut gone = guest(addr, "nick2", "ident2", "First Name", "");
    let rows = ask(&mut nick1, "WHOIS nick2", "318");
    let user = rows.iter().find(|l| l.command == "311").expect("311");
    assert_eq!(
        user.params,
        ["nick1", "nick2", "ident2", "chat", "*", "First Name"]
    );
    // A user name with spaces or symbols keeps its letters, digits, dots, dashes, underscores.
    let odd = guest(addr, "odd", "a!b@c~dé", "Odd", "");
    let rows = ask(&mut nick1, "WHOIS odd", "318");
    assert_eq!(
        rows.iter().find(|l| l.command == "311").unwrap().param(2),
        "abcd"
    );
    drop(odd);
    // Nobody has left yet.
    let rows = ask(&mut nick1, "WHOWAS nick2", "369");
    assert_eq!(rows[0].command, "406");
    gone.send("QUIT :bye");
    gone.until_closed();
    let mut again = guest(addr, "nick2", "ident3", "Second Name", "");
    again.send("QUIT :bye");
    again.until_closed();
    // Newest first, each as 314 and 312, then 369.
    let rows = ask(&mut nick1, "WHOWAS nick2", "369");
    let users: Vec<&Line> = rows.iter().filter(|l| l.command == "314").collect();
    assert_eq!(users.len(), 2, "{rows:?}");
    assert_eq!(
        users[0].params,
        ["nick1", "nick2", "ident3", "chat", "*", "Second Name"]
    );
    assert_eq!(users[1].param(2), "ident2");
    assert_eq!(rows.iter().filter(|l| l.command == "312").count(), 2);
    assert_eq!(rows.last().unwrap().params[..2], ["nick1", "nick2"]);
    // A count bounds them; zero or less is all of them; no nick is 461.
    assert_eq!(
        ask(&mut nick1, "WHOWAS NICK2 1", "369")
            .iter()
            .filter(|l| l.command == "314")
            .count(),
        1
    );
    assert_eq!(
        ask(&mut nick1, "WHOWAS nick2 -1", "369")
            .iter()
            .filter(|l| l.command == "314")
            .count(),
        2
    );
    nick1.send("WHOWAS");
    assert_eq!(nick1.expect_command("461").param(1), "WHOWAS");
}

#[test]
fn lusers_counts_users_connections_not_logged_in_rooms_and_the_most_at_once() {
    let (_server, addr) = server();
    let mut bar = guest(addr, "bar", "bar", "Bar", "");
    let lusers = |c: &mut Irc| {
        let rows = ask(c, "LUSERS", "266");
        let find = |code: &str| {
            rows.iter()
                .find(|l| l.command == code)
                .unwrap_or_else(|| panic!("{code} in {rows:?}"))
                .params
                .clone()
        };
        (
            find("251")[1].clone(),
            find("253")[1].clone(),
            find("254")[1].clone(),
            find("265"),
            find("266"),
        )
    };
    let (users, unknown, rooms, local, global) = lusers(&mut bar);
    assert_eq!(users, "There are 1 users and 0 invisible on 1 servers");
    assert_eq!(unknown, "0");
    assert_eq!(rooms, "1");
    assert_eq!(local[1..3], ["1", "1"]);
    assert_eq!(global[1..3], ["1", "1"]);
    // A connection that has not registered is unknown; a second user and a room count.
    let mut waiting = Irc::connect(addr);
    waiting.send("NICK waiting");
    waiting.send("PING sync");
    waiting.expect_command("PONG");
    let mut qux = guest(addr, "qux", "qux", "Qux", "");
    qux.send("JOIN #otra");
    qux.expect_command("366");
    let (users, unknown, rooms, local, _) = lusers(&mut bar);
    assert_eq!(users, "There are 2 users and 0 invisible on 1 servers");
    assert_eq!(unknown, "1");
    assert_eq!(rooms, "2");
    assert_eq!(local[1..3], ["2", "2"]);
    // One leaves: the most at once stays 2.
    qux.send("QUIT");
    qux.until_closed();
    bar.settle();
    let (_, _, _, local, global) = lusers(&mut bar);
    assert_eq!(local[1..3], ["1", "2"]);
    assert_eq!(global[1..3], ["1", "2"]);
}

#[test]
fn info_help_and_the_operators_commands_answer_with_their_numerics() {
    let (_server, addr) = server();
    let mut ana = guest(addr, "ana", "ana", "Ana", "");
    let rows = ask(&mut ana, "INFO", "374");
    assert!(rows.len() > 1 && rows[..rows.len() - 1].iter().all(|l| l.command == "371"));
    // HELP: a list, one command's help, an unknown subject.
    let rows = ask(&mut ana, "HELP", "706");
    assert_eq!(rows[0].command, "704");
    assert!(
        rows.iter()
            .any(|l| l.command == "705" && l.param(2).contains("WHOWAS"))
    );
    let rows = ask(&mut ana, "HELPOP privmsg", "706");
    assert_eq!(rows[0].params[..2], ["ana", "privmsg"]);
    assert!(rows[0].param(2).starts_with("PRIVMSG"));
    ana.send("HELP FROBNICATE");
    assert_eq!(ana.expect_command("524").param(1), "FROBNICATE");
    // No server operators: OPER is 491 (461 without a password), their commands 481.
    ana.send("OPER admin secret");
    ana.expect_command("491");
    ana.send("OPER admin");
    assert_eq!(ana.expect_command("461").param(1), "OPER");
    for command in ["KILL ana :bye", "WALLOPS :hi", "REHASH"] {
        ana.send(command);
        ana.expect_command("481");
    }
    // NICK: 433 for someone else's nick, 432 for any other change, nothing for one's own.
    let _bob = guest(addr, "bob", "bob", "Bob", "");
    ana.send("NICK bob");
    ana.expect_command("433");
    ana.send("NICK anna");
    ana.expect_command("432");
    ana.send("NICK ana");
    let after = ana.settle();
    assert!(
        after
            .iter()
            .all(|l| !matches!(l.command.as_str(), "NICK" | "432" | "433")),
        "{after:?}"
    );
}

/// Reads raw bytes from `stream` until a line containing `needle` has arrived; returns it with
/// its CR LF (lines longer than 512 bytes included, which `LineReader` refuses).
fn raw_line_with(stream: &mut TcpStream, needle: &str) -> String {
    let deadline = Instant::now() + WAIT;
    let mut got = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&got).into_owned();
        if let Some(line) = text
            .split_inclusive("\r\n")
            .find(|l| l.contains(needle) && l.ends_with("\r\n"))
        {
            return line.to_owned();
        }
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "no line with {needle:?}: {text:?}");
        stream.set_read_timeout(Some(left)).unwrap();
        match stream.read(&mut chunk) {
            Ok(0) => panic!("closed before a line with {needle:?}: {text:?}"),
            Ok(n) => got.extend_from_slice(&chunk[..n]),
            Err(e) => panic!("reading: {e}"),
        }
    }
}

#[test]
fn a_message_sent_a_byte_at_a_time_is_relayed_as_the_one_line_it_was() {
    let (_server, addr) = server();
    let mut sender = guest(addr, "nick1", "nick1", "One", "");
    let mut receiver = TcpStream::connect(addr).unwrap();
    receiver
        .write_all(b"NICK nick2\r\nUSER nick2 0 * :Two\r\n")
        .unwrap();
    raw_line_with(&mut receiver, " 366 ");
    // The longest line a client may send (512 bytes with CR LF), text ending in an emoji, a
    // byte at a time: it arrives whole, as one line, although its source makes it longer.
    let head = "PRIVMSG nick2 :";
    let text = "a".repeat(512 - head.len() - 2 - 4) + "😃";
    let line = format!("{head}{text}\r\n");
    assert_eq!(line.len(), 512);
    for byte in line.as_bytes() {
        sender.send_raw(&[*byte]);
    }
    let got = raw_line_with(&mut receiver, "PRIVMSG nick2");
    assert_eq!(got, format!(":nick1!nick1@chat PRIVMSG nick2 {text}\r\n"));
    // And a character at a time, without the colon.
    let text = "b".repeat(400);
    for c in format!("PRIVMSG nick2 {text}\r\n").chars() {
        sender.send_raw(c.to_string().as_bytes());
    }
    let got = raw_line_with(&mut receiver, "bbbb");
    assert!(got.ends_with(&format!(" {text}\r\n")), "{got:?}");
    // The sender's connection goes on.
    sender.send("PING still");
    sender.expect_command("PONG");
}
