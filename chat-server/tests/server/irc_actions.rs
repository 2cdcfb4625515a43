//! Replies, reactions, edits, deletions and keeping order over IRC, over real TCP, each seen by
//! a client that negotiated `message-tags` (and `draft/message-redaction`) and by one that did
//! not, with the chat's own clients on the other side: `+reply`, `TAGMSG` with `+draft/react`
//! and `+draft/unreact`, `REDACT`, `KICK`, `MODE +b`/`+q`/`+m`, operators as `@`, and reports
//! as notices to administrators.

use std::net::SocketAddr;
use std::time::Duration;

use chat_core::irc::Line;
use chat_core::protocol::{ErrorCode, ModAction, Request, ServerMessage, Target};

use super::harness::{TestServer, entered, password, registration};
use super::irc::Irc;

/// Every capability that changes what these tests see.
pub(super) const TAGS: &str = "message-tags server-time echo-message draft/message-redaction";

/// A server with the IRC gateway and `admins`, and its IRC address.
pub(super) fn server(admins: &[&str]) -> (TestServer, SocketAddr) {
    let admins: Vec<String> = admins.iter().map(|a| (*a).to_owned()).collect();
    let server = TestServer::start_with(move |c| {
        c.irc_bind = Some("127.0.0.1:0".into());
        c.admins.clone_from(&admins);
    });
    let addr = server.handle().irc_addr().expect("the IRC gateway is on");
    (server, addr)
}

/// An account `login` logged in over IRC with `caps` (none: a plain client), in the default
/// room, its welcome read.
pub(super) fn irc_user(server: &TestServer, addr: SocketAddr, login: &str, caps: &str) -> Irc {
    match server
        .client()
        .request(Request::Register(registration(login)))
    {
        ServerMessage::Registered { .. } => {}
        other => panic!("register {login}: {other:?}"),
    }
    let mut c = Irc::connect(addr);
    if !caps.is_empty() {
        c.send(&format!("CAP REQ :{caps}"));
        c.expect("CAP ACK", |l| l.command == "CAP" && l.param(1) == "ACK");
        c.send("CAP END");
    }
    c.send(&format!("PASS {login}:{}", password(login).expose()));
    c.send(&format!("NICK {login}"));
    c.send(&format!("USER {login} 0 * :Real Name"));
    c.expect_command("001");
    c.expect("the default room joined", |l| l.command == "366");
    c.settle();
    c
}

/// The line `command` from `nick`.
pub(super) fn from(c: &mut Irc, nick: &str, command: &str) -> Line {
    c.expect(&format!("{command} from {nick}"), |l| {
        l.command == command
            && l.source
                .as_deref()
                .is_some_and(|s| s.starts_with(&format!("{nick}!")))
    })
}

/// The room line `text` a native client received, and its number.
fn line_id(c: &mut super::harness::Client, text: &str) -> u64 {
    match c.expect(
        "the line",
        |m| matches!(m, ServerMessage::Message { text: t, .. } if t == text),
    ) {
        ServerMessage::Message { id, .. } => id,
        _ => unreachable!(),
    }
}

/// Nothing with `command` came before a `PING` sent now was answered.
fn none(c: &mut Irc, command: &str) {
    let came = c.settle();
    assert!(
        came.iter().all(|l| l.command != command),
        "no {command} expected: {came:?}"
    );
}

/// A native client in room `room` (created when it does not exist).
fn into_room(c: &mut super::harness::Client, room: &str) {
    let m = match c.request(Request::EnterRoom { room: room.into() }) {
        ServerMessage::Error {
            code: ErrorCode::RoomNotFound,
            ..
        } => c.request(Request::CreateRoom { room: room.into() }),
        other => other,
    };
    assert_eq!(entered(&m).0, room, "{m:?}");
}

#[test]
fn a_reply_names_its_line_to_clients_with_tags_and_reads_plainly_to_others() {
    let (server, addr) = server(&[]);
    let mut ana = server.user("ana");
    let mut bob = irc_user(&server, addr, "bob", TAGS);
    let mut cat = irc_user(&server, addr, "cat", "");
    ana.settle();

    ana.send(Request::Say {
        attachments: Vec::new(),
        text: "who's coming?".into(),
        reply_to: None,
    });
    let asked = line_id(&mut ana, "who's coming?");
    let seen = from(&mut bob, "ana", "PRIVMSG");
    assert_eq!(seen.tag("msgid"), Some(asked.to_string().as_str()));

    // An IRC client answers it with +reply: the chat's clients see the quote.
    bob.send(&format!("@+reply={asked} PRIVMSG #lobby :me!"));
    match ana.expect(
        "bob's reply",
        |m| matches!(m, ServerMessage::Message { text, .. } if text == "me!"),
    ) {
        ServerMessage::Message { reply_to, .. } => {
            let quote = reply_to.expect("the line it answers");
            assert_eq!((quote.line, quote.from.as_str()), (asked, "ana"));
        }
        _ => unreachable!(),
    }
    let echoed = from(&mut bob, "bob", "PRIVMSG");
    assert_eq!(echoed.tag("+reply"), Some(asked.to_string().as_str()));
    assert_eq!(echoed.tag("+draft/reply"), Some(asked.to_string().as_str()));
    let plain = from(&mut cat, "bob", "PRIVMSG");
    assert_eq!(plain.params, ["#lobby", "me!"]);
    assert!(
        plain.tags.is_empty(),
        "no tags without message-tags: {plain:?}"
    );

    // A native reply reaches IRC the same way; +draft/reply is read too.
    ana.send(Request::Say {
        attachments: Vec::new(),
        text: "great".into(),
        reply_to: Some(asked),
    });
    let reply = from(&mut bob, "ana", "PRIVMSG");
    assert_eq!(reply.tag("+reply"), Some(asked.to_string().as_str()));
    assert!(from(&mut cat, "ana", "PRIVMSG").tags.is_empty());
    bob.send(&format!("@+draft/reply={asked} NOTICE #lobby :noted"));
    assert!(matches!(
        ana.expect("the notice", |m| matches!(m, ServerMessage::Message { text, .. } if text == "noted")),
        ServerMessage::Message { reply_to: Some(q), .. } if q.line == asked
    ));

    // A line the room does not keep: the message goes all the same, answering nothing.
    bob.send("@+reply=999999 PRIVMSG #lobby :still here");
    assert!(matches!(
        ana.expect(
            "the line",
            |m| matches!(m, ServerMessage::Message { text, .. } if text == "still here")
        ),
        ServerMessage::Message { reply_to: None, .. }
    ));

    // In a conversation: the message's msgid is p<number>.
    ana.send(Request::Private {
        attachments: Vec::new(),
        to: "bob".into(),
        text: "psst".into(),
        reply_to: None,
    });
    let private = from(&mut bob, "ana", "PRIVMSG");
    let msgid = private.tag("msgid").expect("a msgid").to_owned();
    assert!(msgid.starts_with('p'), "{msgid}");
    bob.send(&format!("@+reply={msgid} PRIVMSG ana :what?"));
    match ana.expect(
        "bob's private reply",
        |m| matches!(m, ServerMessage::Private { text, .. } if text == "what?"),
    ) {
        ServerMessage::Private { reply_to, .. } => {
            assert_eq!(
                reply_to.map(|q| format!("p{}", q.line)).as_deref(),
                Some(msgid.as_str())
            );
        }
        _ => unreachable!(),
    }
}

#[test]
fn reactions_are_tagmsgs_naming_their_line_for_clients_with_tags_only() {
    let (server, addr) = server(&[]);
    let mut ana = server.user("ana");
    let mut bob = irc_user(&server, addr, "bob", TAGS);
    let mut dan = irc_user(&server, addr, "dan", "message-tags");
    let mut cat = irc_user(&server, addr, "cat", "");
    ana.settle();
    ana.send(Request::Say {
        attachments: Vec::new(),
        text: "lunch?".into(),
        reply_to: None,
    });
    let id = line_id(&mut ana, "lunch?");

    bob.send(&format!("@+draft/react=👍;+draft/reply={id} TAGMSG #lobby"));
    match ana.expect(
        "reactions",
        |m| matches!(m, ServerMessage::Reactions { reactions, .. } if !reactions.is_empty()),
    ) {
        ServerMessage::Reactions {
            target, reactions, ..
        } => {
            assert_eq!(target, Target::Room("lobby".into()));
            assert_eq!((reactions[0].emoji.as_str(), reactions[0].count), ("👍", 1));
            assert_eq!(reactions[0].by, ["bob"]);
        }
        _ => unreachable!(),
    }
    let tagmsg = from(&mut dan, "bob", "TAGMSG");
    assert_eq!(tagmsg.params, ["#lobby"]);
    assert_eq!(tagmsg.tag("+draft/react"), Some("👍"));
    assert_eq!(tagmsg.tag("+reply"), Some(id.to_string().as_str()));
    assert_eq!(tagmsg.tag("+draft/reply"), Some(id.to_string().as_str()));

    // Taken off, with +draft/unreact (and +reply).
    bob.send(&format!("@+draft/unreact=👍;+reply={id} TAGMSG #lobby"));
    let untagged = from(&mut dan, "bob", "TAGMSG");
    assert_eq!(untagged.tag("+draft/unreact"), Some("👍"));
    ana.expect(
        "no reactions left",
        |m| matches!(m, ServerMessage::Reactions { reactions, .. } if reactions.is_empty()),
    );

    // A native reaction reaches IRC clients with tags as a TAGMSG from its reactor.
    ana.send(Request::React {
        target: Target::Room("lobby".into()),
        line: id,
        emoji: "🎉".into(),
        on: true,
    });
    let native = from(&mut dan, "ana", "TAGMSG");
    assert_eq!(native.tag("+draft/react"), Some("🎉"));
    // A client without message-tags sees none of it: a reaction is not a message.
    none(&mut cat, "TAGMSG");

    // A reaction must name its line.
    bob.send("@+draft/react=👍 TAGMSG #lobby");
    let fail = bob.expect_command("FAIL");
    assert_eq!(fail.params[..3], ["TAGMSG", "INVALID_REPLY", "#lobby"]);
}

#[test]
fn edits_reach_irc_marked_and_deletions_are_redact_for_clients_that_asked() {
    let (server, addr) = server(&[]);
    let mut ana = server.user("ana");
    let mut eve = irc_user(&server, addr, "eve", TAGS);
    let mut dan = irc_user(&server, addr, "dan", "message-tags");
    let mut cat = irc_user(&server, addr, "cat", "");
    ana.settle();
    ana.send(Request::Say {
        attachments: Vec::new(),
        text: "teh plan".into(),
        reply_to: None,
    });
    let id = line_id(&mut ana, "teh plan");

    ana.send(Request::Edit {
        target: Target::Room("lobby".into()),
        line: id,
        text: "the plan".into(),
    });
    let is_edit = |l: &Line| l.command == "PRIVMSG" && l.param(1).starts_with("[edit]");
    let edit = dan.expect("the edit", is_edit);
    assert_eq!(edit.params, ["#lobby", "[edit] the plan"]);
    assert!(
        edit.source
            .as_deref()
            .is_some_and(|s| s.starts_with("ana!"))
    );
    assert_eq!(edit.tag("+reply"), Some(id.to_string().as_str()));
    assert_eq!(edit.tag("msgid"), None, "an edit is no line of its own");
    let plain = cat.expect("the edit", is_edit);
    assert_eq!(plain.params, ["#lobby", "[edit] the plan"]);
    assert!(plain.tags.is_empty());

    // Deleted by its author: REDACT to eve (who asked for it), nothing to the others.
    ana.send(Request::DeleteMessage {
        target: Target::Room("lobby".into()),
        line: id,
    });
    let redact = from(&mut eve, "ana", "REDACT");
    assert_eq!(redact.params, ["#lobby".to_owned(), id.to_string()]);
    none(&mut dan, "REDACT");
    none(&mut cat, "REDACT");

    // An IRC client redacts its own line, with a reason.
    eve.send("PRIVMSG #lobby :wrong room");
    let mine = from(&mut eve, "eve", "PRIVMSG");
    let msgid = mine.tag("msgid").expect("a msgid").to_owned();
    eve.send(&format!("REDACT #lobby {msgid} :sorry"));
    let redact = from(&mut eve, "eve", "REDACT");
    assert_eq!(redact.params, ["#lobby", msgid.as_str(), "sorry"]);
    match ana.expect(
        "the deletion",
        |m| matches!(m, ServerMessage::MessageDeleted { by, .. } if by == "eve"),
    ) {
        ServerMessage::MessageDeleted { line, .. } => assert_eq!(line.to_string(), msgid),
        _ => unreachable!(),
    }

    // Refusals, as the specification names them.
    ana.send(Request::Say {
        attachments: Vec::new(),
        text: "mine".into(),
        reply_to: None,
    });
    let anas = line_id(&mut ana, "mine");
    eve.send(&format!("REDACT #lobby {anas}"));
    let fail = eve.expect_command("FAIL");
    assert_eq!(
        fail.params[..4],
        ["REDACT", "REDACT_FORBIDDEN", "#lobby", &anas.to_string()]
    );
    eve.send("REDACT #lobby 999999");
    assert_eq!(eve.expect_command("FAIL").param(1), "UNKNOWN_MSGID");
    eve.send("REDACT #lobby nonsense");
    assert_eq!(eve.expect_command("FAIL").param(1), "UNKNOWN_MSGID");
    eve.send("REDACT #elsewhere 1");
    assert_eq!(eve.expect_command("FAIL").param(1), "INVALID_TARGET");
    eve.send("REDACT nobody p1");
    assert_eq!(eve.expect_command("401").param(1), "nobody");

    // A private message: both ends are told.
    eve.send("PRIVMSG ana :oops, private");
    let sent = from(&mut eve, "eve", "PRIVMSG");
    let msgid = sent.tag("msgid").expect("a msgid").to_owned();
    eve.send(&format!("REDACT ana {msgid}"));
    assert_eq!(
        from(&mut eve, "eve", "REDACT").params,
        ["ana", msgid.as_str()]
    );
    match ana.expect("the private deletion", |m| {
        matches!(
            m,
            ServerMessage::MessageDeleted {
                target: Target::With(_),
                ..
            }
        )
    }) {
        ServerMessage::MessageDeleted { target, line, .. } => {
            assert_eq!(target, Target::With("eve".into()));
            assert_eq!(format!("p{line}"), msgid);
        }
        _ => unreachable!(),
    }
}

#[test]
fn a_rooms_creator_is_its_operator_and_kick_removes_and_bans() {
    let (server, addr) = server(&[]);
    let mut ana = irc_user(&server, addr, "ana", "");
    let mut bob = irc_user(&server, addr, "bob", "message-tags");
    let mut carl = server.user("carl");
    let mut dan = irc_user(&server, addr, "dan", "");

    ana.send("VERSION");
    let isupport: Vec<String> = ana
        .settle()
        .iter()
        .filter(|l| l.command == "005")
        .flat_map(|l| l.params.clone())
        .collect();
    for token in ["PREFIX=(ov)@+", "CHANMODES=bq,,,mnt"] {
        assert!(isupport.iter().any(|t| t == token), "{token}: {isupport:?}");
    }

    ana.send("JOIN #den");
    let names = ana.expect_command("353");
    assert_eq!(names.param(3), "@ana");
    bob.send("JOIN #den");
    assert_eq!(bob.expect_command("353").param(3), "@ana bob");
    into_room(&mut carl, "den");
    bob.send("WHO #den");
    let rows: Vec<(String, String)> = std::iter::from_fn(|| {
        let l = bob.expect("WHO rows", |l| l.command == "352" || l.command == "315");
        (l.command == "352").then(|| (l.param(5).to_owned(), l.param(6).to_owned()))
    })
    .collect();
    assert!(rows.contains(&("ana".into(), "H@".into())), "{rows:?}");
    assert!(rows.contains(&("bob".into(), "H".into())), "{rows:?}");
    dan.send("WHOIS ana");
    assert_eq!(dan.expect_command("319").param(2), "@#den");

    // Only operators kick, a member of the room, of the room asked about.
    bob.send("KICK #den carl");
    assert_eq!(bob.expect_command("482").param(1), "#den");
    ana.send("KICK #nowhere carl");
    assert_eq!(ana.expect_command("403").param(1), "#nowhere");
    ana.send("KICK #den nobody");
    assert_eq!(ana.expect_command("401").param(1), "nobody");
    ana.send("KICK #den dan");
    assert_eq!(ana.expect_command("441").param(1), "dan");
    ana.send("KICK #den");
    assert_eq!(ana.expect_command("461").param(1), "KICK");

    ana.send("KICK #den carl :not today");
    for c in [&mut ana, &mut bob] {
        let kick = from(c, "ana", "KICK");
        assert_eq!(kick.params, ["#den", "carl", "not today"]);
        assert_eq!(from(c, "ana", "MODE").params, ["#den", "+b", "carl!*@*"]);
    }
    match carl.expect("removed", |m| matches!(m, ServerMessage::Moderated { .. })) {
        ServerMessage::Moderated { action, login, .. } => {
            assert_eq!(
                (action, login.as_deref()),
                (ModAction::Remove, Some("carl"))
            );
        }
        _ => unreachable!(),
    }
    assert_eq!(
        entered(&carl.expect("back in the lobby", |m| matches!(
            m,
            ServerMessage::Entered { .. }
        )))
        .0,
        "lobby"
    );
    assert_eq!(
        carl.refused(Request::EnterRoom { room: "den".into() }),
        ErrorCode::RemovedFromRoom
    );

    // The ban list, and lifting it: carl may come back.
    dan.send("MODE #den +b");
    let ban = dan.expect_command("367");
    assert_eq!(ban.params[1..3], ["#den", "carl!*@*"]);
    assert!(ban.param(3).starts_with("ana!"), "{ban:?}");
    dan.expect_command("368");
    ana.send("MODE #den -b carl");
    assert_eq!(
        from(&mut bob, "ana", "MODE").params,
        ["#den", "-b", "carl!*@*"]
    );
    into_room(&mut carl, "den");

    // A ban set by MODE on someone outside the room: the JOIN is refused with 474.
    ana.send("MODE #den +b dan!*@*");
    assert_eq!(
        from(&mut bob, "ana", "MODE").params,
        ["#den", "+b", "dan!*@*"]
    );
    none(&mut bob, "KICK");
    dan.send("JOIN #den");
    assert_eq!(dan.expect_command("474").param(1), "#den");

    // Nobody is made an operator; the creator cannot be kicked.
    ana.send("MODE #den +o bob");
    assert_eq!(ana.expect_command("472").param(1), "o");
    ana.send("MODE #den +o nobody");
    assert_eq!(ana.expect_command("401").param(1), "nobody");
    ana.send("MODE #den +b ba*!*@*");
    assert_eq!(ana.expect_command("696").param(3), "ba*!*@*");
    bob.send("MODE #den +m");
    assert_eq!(bob.expect_command("482").param(1), "#den");
}

#[test]
fn mode_m_is_slow_mode_and_q_mutes_and_native_order_shows_as_modes() {
    let (server, addr) = server(&[]);
    let mut ana = irc_user(&server, addr, "ana", "");
    let mut bob = irc_user(&server, addr, "bob", "");
    ana.send("JOIN #den");
    ana.expect_command("366");
    bob.send("JOIN #den");
    bob.expect_command("366");
    bob.settle();
    ana.settle();

    ana.send("MODE #den");
    assert_eq!(ana.expect_command("324").params[1..], ["#den", "+nt"]);
    ana.send("MODE #den +m");
    assert_eq!(from(&mut bob, "ana", "MODE").params, ["#den", "+m"]);
    ana.send("MODE #den");
    assert_eq!(ana.expect_command("324").param(2), "+mnt");
    bob.send("PRIVMSG #den :first");
    from(&mut ana, "bob", "PRIVMSG");
    bob.send("PRIVMSG #den :second");
    let slowed = bob.expect_command("404");
    assert_eq!(slowed.param(1), "#den");
    server.advance(Duration::from_secs(31));
    bob.send("PRIVMSG #den :third");
    assert_eq!(from(&mut ana, "bob", "PRIVMSG").param(1), "third");
    ana.send("MODE #den -m");
    assert_eq!(from(&mut bob, "ana", "MODE").params, ["#den", "-m"]);

    ana.send("MODE #den +q bob");
    assert_eq!(
        from(&mut bob, "ana", "MODE").params,
        ["#den", "+q", "bob!*@*"]
    );
    bob.send("PRIVMSG #den :hello?");
    assert!(bob.expect_command("404").param(2).contains("muted"));
    ana.send("MODE #den q");
    let quiet = ana.expect_command("728");
    assert_eq!(quiet.params[1..4], ["#den", "q", "bob!*@*"]);
    ana.expect_command("729");
    ana.send("MODE #den -q bob!*@*");
    assert_eq!(
        from(&mut bob, "ana", "MODE").params,
        ["#den", "-q", "bob!*@*"]
    );
    bob.send("PRIVMSG #den :back");
    assert_eq!(from(&mut ana, "bob", "PRIVMSG").param(1), "back");

    // Order kept from the chat's own client shows as the same modes.
    let mut nina = server.user("nina");
    into_room(&mut nina, "club");
    bob.send("JOIN #club");
    assert_eq!(bob.expect_command("353").param(3), "bob @nina");
    let done = nina.request(Request::Moderate {
        room: "club".into(),
        action: ModAction::Mute,
        login: Some("bob".into()),
        seconds: Some(60),
    });
    assert!(matches!(done, ServerMessage::Moderated { .. }), "{done:?}");
    assert_eq!(
        from(&mut bob, "nina", "MODE").params,
        ["#club", "+q", "bob!*@*"]
    );
    nina.request(Request::Moderate {
        room: "club".into(),
        action: ModAction::Slow,
        login: None,
        seconds: Some(5),
    });
    assert_eq!(from(&mut bob, "nina", "MODE").params, ["#club", "+m"]);
}

#[test]
fn administrators_are_operators_everywhere_and_get_reports_as_notices() {
    let (server, addr) = server(&["root"]);
    let mut ana = irc_user(&server, addr, "ana", "");
    let mut root = irc_user(&server, addr, "root", "");
    let mut bob = server.user("bob");
    ana.send("JOIN #den");
    ana.expect_command("366");
    ana.settle();
    root.send("JOIN #den");
    assert_eq!(root.expect_command("353").param(3), "@ana @root");
    from(&mut ana, "root", "JOIN");
    let op = ana.expect_command("MODE");
    assert_eq!(op.params, ["#den", "+o", "root"]);

    // An administrator keeps order here; nobody over the creator.
    into_room(&mut bob, "den");
    root.send("KICK #den ana");
    assert_eq!(root.expect_command("482").param(1), "#den");
    root.send("KICK #den bob");
    assert_eq!(
        from(&mut ana, "root", "KICK").params,
        ["#den", "bob", "root"]
    );

    // A report reaches the administrator as a notice from the server.
    ana.send("JOIN #lobby");
    ana.expect_command("366");
    bob.settle();
    ana.send("PRIVMSG #lobby :rude words");
    let id = line_id(&mut bob, "rude words");
    let reported = bob.request(Request::Report {
        target: Target::Room("lobby".into()),
        line: id,
        reason: Some("spam".into()),
    });
    assert!(
        matches!(reported, ServerMessage::Reported { .. }),
        "{reported:?}"
    );
    let notice = root.expect("the report", |l| {
        l.command == "NOTICE" && l.param(1).starts_with("Report from bob")
    });
    let text = notice.param(1);
    assert!(
        text.contains("#lobby") && text.contains("rude words") && text.ends_with(": spam"),
        "{text}"
    );
}

#[test]
fn voiced_members_are_not_slowed_and_show_as_plus() {
    let (server, addr) = server(&[]);
    let mut ana = irc_user(&server, addr, "ana", "multi-prefix");
    let mut bob = irc_user(&server, addr, "bob", "");
    ana.send("JOIN #den");
    ana.expect_command("366");
    bob.send("JOIN #den");
    bob.expect_command("366");
    bob.settle();
    ana.settle();

    ana.send("MODE #den +mv bob");
    assert_eq!(from(&mut bob, "ana", "MODE").params, ["#den", "+m"]);
    assert_eq!(from(&mut bob, "ana", "MODE").params, ["#den", "+v", "bob"]);
    for text in ["one", "two", "three"] {
        bob.send(&format!("PRIVMSG #den :{text}"));
        assert_eq!(from(&mut ana, "bob", "PRIVMSG").param(1), text);
    }
    ana.send("NAMES #den");
    assert_eq!(ana.expect_command("353").param(3), "@ana +bob");
    // The creator voiced too: both prefixes with multi-prefix, the highest without.
    ana.send("MODE #den +v ana");
    from(&mut bob, "ana", "MODE");
    ana.send("NAMES #den");
    assert_eq!(ana.expect_command("353").param(3), "@+ana +bob");
    bob.send("NAMES #den");
    assert_eq!(bob.expect_command("353").param(3), "@ana +bob");
    ana.send("WHO #den");
    let row = ana.expect("ana's row", |l| l.command == "352" && l.param(5) == "ana");
    assert_eq!(row.param(6), "H@+");
    // Devoiced, bob is slowed again.
    ana.send("MODE #den -v bob");
    assert_eq!(from(&mut bob, "ana", "MODE").params, ["#den", "-v", "bob"]);
    bob.send("PRIVMSG #den :four");
    assert_eq!(from(&mut ana, "bob", "PRIVMSG").param(1), "four");
    bob.send("PRIVMSG #den :five");
    assert_eq!(bob.expect_command("404").param(1), "#den");
    // Someone who joins later sees the voice after the JOIN.
    let mut dan = irc_user(&server, addr, "dan", "");
    ana.send("MODE #den +v dan");
    assert_eq!(ana.expect_command("441").param(1), "dan");
    dan.send("JOIN #den");
    dan.expect_command("366");
    ana.send("MODE #den +v dan");
    from(&mut bob, "ana", "MODE");
    dan.send("PART #den");
    dan.expect_command("JOIN");
    bob.settle();
    dan.send("JOIN #den");
    from(&mut bob, "dan", "JOIN");
    let voiced = bob.expect_command("MODE");
    assert_eq!(voiced.params, ["#den", "+v", "dan"]);
}

#[test]
fn a_rooms_operators_set_its_topic_and_both_protocols_see_it() {
    let (server, addr) = server(&[]);
    let mut ana = irc_user(&server, addr, "ana", "");
    let mut bob = irc_user(&server, addr, "bob", "");
    let mut carl = server.user("carl");
    ana.send("JOIN #den");
    ana.expect_command("366");
    bob.send("JOIN #den");
    bob.expect_command("366");
    into_room(&mut carl, "den");
    ana.settle();
    bob.settle();

    // No topic yet: 331 says whose room it is; none is sent on joining.
    bob.send("TOPIC #den");
    assert!(
        bob.expect_command("331")
            .param(2)
            .contains("ana created the room")
    );
    bob.send("TOPIC #den :mine now");
    assert_eq!(bob.expect_command("482").param(1), "#den");

    ana.send("TOPIC #den :plans for friday");
    for c in [&mut ana, &mut bob] {
        assert_eq!(from(c, "ana", "TOPIC").params, ["#den", "plans for friday"]);
    }
    match carl.expect("the topic", |m| matches!(m, ServerMessage::Topic { .. })) {
        ServerMessage::Topic { room, topic, by } => {
            assert_eq!(
                (room.as_str(), topic.as_str(), by.as_str()),
                ("den", "plans for friday", "ana")
            );
        }
        _ => unreachable!(),
    }
    bob.send("TOPIC #den");
    assert_eq!(bob.expect_command("332").param(2), "plans for friday");
    assert!(bob.expect_command("333").param(2).starts_with("ana!"));
    let mut dan = irc_user(&server, addr, "dan", "");
    dan.send("JOIN #den");
    assert_eq!(dan.expect_command("332").param(2), "plans for friday");
    dan.expect_command("333");
    dan.send("LIST #den");
    assert_eq!(dan.expect_command("322").param(3), "plans for friday");
    // The chat's own clients see it on entering, and set it too when the room is theirs.
    carl.request(Request::LeaveRoom);
    let m = carl.request(Request::EnterRoom { room: "den".into() });
    assert!(
        matches!(&m, ServerMessage::Entered { topic: Some(t), .. } if t.text == "plans for friday" && t.by == "ana"),
        "{m:?}"
    );
    assert_eq!(
        carl.refused(Request::SetTopic {
            room: "den".into(),
            topic: "no".into()
        }),
        ErrorCode::NotAllowed
    );
    // Cleared: an empty topic.
    ana.send("TOPIC #den :");
    assert_eq!(from(&mut bob, "ana", "TOPIC").params, ["#den", ""]);
    bob.send("TOPIC #den");
    bob.expect_command("331");
    let mut nina = server.user("nina");
    into_room(&mut nina, "club");
    bob.send("JOIN #club");
    bob.expect_command("366");
    let set = nina.request(Request::SetTopic {
        room: "club".into(),
        topic: "🎲 games night".into(),
    });
    assert!(matches!(set, ServerMessage::Topic { .. }), "{set:?}");
    assert_eq!(
        from(&mut bob, "nina", "TOPIC").params,
        ["#club", "🎲 games night"]
    );
    assert_eq!(
        nina.refused(Request::SetTopic {
            room: "club".into(),
            topic: "x".repeat(301)
        }),
        ErrorCode::Invalid
    );
}
