//! `Chat::apply` and the view it keeps, message by message.

use chat_core::protocol::{Presence, PrivateSaid, RoomClosedReason, Said};

use super::*;
use crate::history::Delivery;

fn entered(room: &str, members: &[&str]) -> ServerMessage {
    ServerMessage::Entered {
        room: room.into(),
        creator: None,
        members: members.iter().map(|m| (*m).to_owned()).collect(),
        member_count: u32::try_from(members.len()).unwrap(),
        away: Vec::new(),
        admins: Vec::new(),
        voiced: Vec::new(),
        topic: None,
        history: Vec::new(),
        more_history: false,
    }
}

#[test]
fn own_messages_are_marked_regardless_of_case() {
    let mut chat = Chat::new("Ana");
    chat.apply(1, &entered("lobby", &["Ana"]));
    chat.apply(
        2,
        &ServerMessage::Message {
            attachments: Vec::new(),
            reply_to: None,
            room: "lobby".into(),
            from: "ana".into(),
            text: "hola".into(),
            id: 0,
        },
    );
    chat.apply(
        3,
        &ServerMessage::Message {
            attachments: Vec::new(),
            reply_to: None,
            room: "lobby".into(),
            from: "bob".into(),
            text: "hi".into(),
            id: 0,
        },
    );
    let own: Vec<bool> = chat
        .current_history()
        .unwrap()
        .iter()
        .filter_map(|l| match &l.kind {
            LineKind::Message { own, .. } => Some(*own),
            _ => None,
        })
        .collect();
    assert_eq!(own, [true, false]);
}

fn said(id: u64, text: &str) -> Said {
    Said {
        room: "lobby".into(),
        from: "bob".into(),
        text: text.into(),
        time: i64::try_from(id).unwrap() * 1000,
        id,
        ..Default::default()
    }
}

fn entered_with(history: Vec<Said>, more: bool) -> ServerMessage {
    ServerMessage::Entered {
        room: "lobby".into(),
        creator: None,
        members: vec!["ana".into(), "bob".into()],
        member_count: 2,
        away: vec!["bob".into()],
        admins: Vec::new(),
        voiced: Vec::new(),
        topic: None,
        history,
        more_history: more,
    }
}

fn kinds(h: &History) -> Vec<String> {
    h.iter()
        .map(|l| match &l.kind {
            LineKind::Message { text, .. } => text.clone(),
            LineKind::EarlierAbove => "--".into(),
            LineKind::Entered { .. } => "entered".into(),
            other => format!("{other:?}"),
        })
        .collect()
}

#[test]
fn a_rooms_history_shows_once_above_a_divider_however_often_one_enters() {
    let mut chat = Chat::new("ana");
    chat.apply(
        10_000,
        &entered_with(vec![said(1, "a"), said(2, "b")], true),
    );
    let lobby = chat.history("lobby").unwrap();
    assert_eq!(kinds(lobby), ["a", "b", "--", "entered"]);
    assert_eq!(
        lobby.earlier,
        Earlier::More,
        "earlier lines can be asked for"
    );
    assert_eq!(
        chat.presence.presence("bob"),
        Presence::Away,
        "entered says who is away"
    );
    // Back again (another room in between, or a reconnection): only what is new.
    chat.apply(
        20_000,
        &entered_with(vec![said(2, "b"), said(3, "c")], true),
    );
    chat.apply(
        30_000,
        &entered_with(vec![said(2, "b"), said(3, "c")], true),
    );
    let lobby = chat.history("lobby").unwrap();
    assert_eq!(
        kinds(lobby),
        ["a", "b", "--", "entered", "c", "--", "entered", "entered"]
    );
    // A page of earlier lines goes first, without repeating any.
    chat.apply(
        40_000,
        &ServerMessage::History {
            room: "lobby".into(),
            messages: vec![said(0, "zero is unnumbered"), said(1, "a")],
            more: false,
        },
    );
    let lobby = chat.history("lobby").unwrap();
    assert_eq!(kinds(lobby)[..3], ["zero is unnumbered", "a", "b"]);
    assert_eq!(lobby.earlier, Earlier::None);
    // A live line already held (it came with `entered`) is not shown twice.
    chat.apply(
        50_000,
        &ServerMessage::Message {
            attachments: Vec::new(),
            reply_to: None,
            room: "lobby".into(),
            from: "bob".into(),
            text: "c".into(),
            id: 3,
        },
    );
    assert_eq!(chat.history("lobby").unwrap().len(), 9);
    assert!(chat.take_arrivals().is_empty(), "history is no arrival");
}

#[test]
fn a_room_made_again_under_the_same_name_shows_its_new_lines() {
    let mut chat = Chat::new("ana");
    let room = |history: Vec<Said>| ServerMessage::Entered {
        room: "proyecto".into(),
        creator: Some("bob".into()),
        members: vec!["ana".into()],
        member_count: 1,
        away: Vec::new(),
        admins: Vec::new(),
        voiced: Vec::new(),
        topic: None,
        history,
        more_history: false,
    };
    chat.apply(1, &room(vec![said(1, "old one"), said(2, "old two")]));
    // The room closed and bob made it again: numbered from 1, nothing said yet.
    chat.apply(2, &room(Vec::new()));
    let line = |id, text: &str| ServerMessage::Message {
        attachments: Vec::new(),
        reply_to: None,
        room: "proyecto".into(),
        from: "bob".into(),
        text: text.into(),
        id,
    };
    chat.apply(3, &line(1, "new one"));
    chat.apply(4, &line(2, "new two"));
    chat.apply(5, &line(2, "new two"));
    let texts: Vec<String> = chat
        .history("proyecto")
        .unwrap()
        .iter()
        .filter_map(|l| l.said().map(|(_, t)| t.to_owned()))
        .collect();
    assert_eq!(texts, ["old one", "old two", "new one", "new two"]);
}

#[test]
fn a_conversation_shows_its_kept_messages_and_how_each_travelled() {
    let mut chat = Chat::new("ana");
    // Kept for ana while she was away: delivered at login, marked so.
    chat.apply(
        5_000,
        &ServerMessage::Private {
            attachments: Vec::new(),
            reply_to: None,
            from: "bob".into(),
            text: "are you there?".into(),
            stored: true,
            id: 7,
        },
    );
    chat.apply(
        6_000,
        &ServerMessage::PrivateStored {
            to: "carl".into(),
            text: "see you tomorrow".into(),
            id: 8,
        },
    );
    let page = |id: u64, from: &str, text: &str| PrivateSaid {
        from: from.into(),
        to: "x".into(),
        text: text.into(),
        time: i64::try_from(id).unwrap(),
        id,
        ..Default::default()
    };
    chat.apply(
        9_000,
        &ServerMessage::PrivateHistory {
            with: "Bob".into(),
            messages: vec![
                page(5, "ana", "hello bob"),
                page(6, "bob", "hi"),
                page(7, "bob", "are you there?"),
            ],
            more: true,
        },
    );
    let bob = chat.conversation("bob").unwrap();
    assert_eq!(
        kinds(&bob.history),
        ["hello bob", "hi", "--", "are you there?"]
    );
    assert_eq!(bob.history.earlier, Earlier::More);
    assert!(matches!(
        bob.history.get(0).unwrap().kind,
        LineKind::Message { own: true, .. }
    ));
    assert!(matches!(
        bob.history.get(3).unwrap().kind,
        LineKind::Message {
            delivery: Delivery::WhileAway,
            ..
        }
    ));
    let carl = chat.conversation("carl").unwrap();
    assert!(matches!(
        carl.history.get(0).unwrap().kind,
        LineKind::Message {
            delivery: Delivery::Kept,
            own: true,
            ..
        }
    ));
    // The next page goes first, with no second divider.
    chat.apply(
        10_000,
        &ServerMessage::PrivateHistory {
            with: "bob".into(),
            messages: vec![page(4, "bob", "older")],
            more: false,
        },
    );
    let bob = chat.conversation("bob").unwrap();
    assert_eq!(kinds(&bob.history)[..2], ["older", "hello bob"]);
    assert_eq!(bob.history.len(), 5);
    assert_eq!(
        chat.take_arrivals(),
        [crate::notify::Arrival::Private {
            from: "bob".into(),
            text: "are you there?".into(),
            stored: true
        }]
    );
}

#[test]
fn joins_and_leaves_keep_the_member_list_current() {
    let mut chat = Chat::new("ana");
    chat.apply(1, &entered("lobby", &["ana", "carl"]));
    chat.apply(
        2,
        &ServerMessage::Joined {
            room: "lobby".into(),
            login: "bob".into(),
            presence: chat_core::protocol::Presence::Online,
        },
    );
    let room = chat.room.clone().unwrap();
    assert_eq!(room.members, ["ana", "bob", "carl"]);
    assert_eq!(room.member_count, 3);
    chat.apply(
        3,
        &ServerMessage::Left {
            room: "lobby".into(),
            login: "carl".into(),
        },
    );
    let room = chat.room.clone().unwrap();
    assert_eq!(room.members, ["ana", "bob"]);
    assert_eq!(room.member_count, 2);
    // Events about another room leave the member list alone.
    chat.apply(
        4,
        &ServerMessage::Joined {
            room: "other".into(),
            login: "dan".into(),
            presence: chat_core::protocol::Presence::Online,
        },
    );
    assert_eq!(chat.room.unwrap().members, ["ana", "bob"]);
}

#[test]
fn the_room_list_keeps_a_large_rooms_member_count_current() {
    let mut chat = Chat::new("ana");
    chat.apply(1, &entered("lobby", &["ana", "bob"]));
    let list = |lobby: u32| ServerMessage::Rooms {
        rooms: vec![
            RoomInfo {
                name: "Lobby".into(),
                members: lobby,
                creator: None,
                is_default: true,
            },
            RoomInfo {
                name: "other".into(),
                members: 7,
                creator: Some("bob".into()),
                is_default: false,
            },
        ],
        total: 2,
        offset: 0,
    };
    chat.apply(2, &list(350));
    let room = chat.room.clone().unwrap();
    assert_eq!((room.member_count, room.members.len()), (350, 2));
    chat.apply(3, &list(349));
    assert_eq!(chat.room.unwrap().member_count, 349);
}

#[test]
fn each_room_keeps_its_own_history() {
    let mut chat = Chat::new("ana");
    chat.apply(1, &entered("lobby", &["ana"]));
    chat.apply(
        2,
        &ServerMessage::Message {
            attachments: Vec::new(),
            reply_to: None,
            room: "lobby".into(),
            from: "bob".into(),
            text: "a".into(),
            id: 0,
        },
    );
    chat.apply(3, &entered("Games", &["ana"]));
    chat.apply(
        4,
        &ServerMessage::RoomClosed {
            room: "games".into(),
            reason: RoomClosedReason::CreatorLeft,
        },
    );
    chat.apply(5, &entered("lobby", &["ana"]));
    let lobby = chat.history("LOBBY").unwrap();
    assert_eq!(lobby.len(), 3, "entered, message, entered again");
    assert_eq!(
        lobby.get(2).unwrap().kind,
        LineKind::Entered {
            room: "lobby".into(),
            after: Some(("games".into(), Closure::CreatorLeft))
        },
        "why games closed is said with the move"
    );
    assert_eq!(chat.history("games").unwrap().len(), 2);
}

#[test]
fn mixed_case_logins_leave_the_member_list() {
    let mut chat = Chat::new("ana");
    // The server sorts members by login ignoring case.
    chat.apply(1, &entered("lobby", &["ana", "Bob", "carl", "Dora"]));
    for (t, login) in [(2, "Bob"), (3, "Dora")] {
        chat.apply(
            t,
            &ServerMessage::Left {
                room: "lobby".into(),
                login: login.into(),
            },
        );
    }
    assert_eq!(chat.room.clone().unwrap().members, ["ana", "carl"]);
    chat.apply(
        4,
        &ServerMessage::Joined {
            room: "lobby".into(),
            login: "Beto".into(),
            presence: chat_core::protocol::Presence::Online,
        },
    );
    assert_eq!(chat.room.unwrap().members, ["ana", "Beto", "carl"]);
}

#[test]
fn deleting_the_room_one_is_in_is_said_once() {
    let mut chat = Chat::new("ana");
    chat.apply(
        1,
        &ServerMessage::Entered {
            room: "games".into(),
            creator: Some("Ana".into()),
            members: vec!["ana".into()],
            member_count: 1,
            away: Vec::new(),
            admins: Vec::new(),
            voiced: Vec::new(),
            topic: None,
            history: Vec::new(),
            more_history: false,
        },
    );
    // The server's order: the closing, the move, then the reply to `delete_room`.
    chat.apply(
        2,
        &ServerMessage::RoomClosed {
            room: "games".into(),
            reason: RoomClosedReason::Deleted,
        },
    );
    chat.apply(3, &entered("lobby", &["ana"]));
    chat.apply(
        4,
        &ServerMessage::RoomDeleted {
            room: "games".into(),
        },
    );
    let lobby: Vec<LineKind> = chat
        .history("lobby")
        .unwrap()
        .iter()
        .map(|l| l.kind.clone())
        .collect();
    assert_eq!(
        lobby,
        [LineKind::Entered {
            room: "lobby".into(),
            after: Some(("games".into(), Closure::DeletedByMe))
        }]
    );
    // Deleting a room one is not in is said when the reply comes.
    chat.apply(
        5,
        &ServerMessage::RoomDeleted {
            room: "other".into(),
        },
    );
    assert_eq!(chat.history("lobby").unwrap().len(), 2);
}

#[test]
fn users_of_a_closed_room_are_shown_in_the_default_room() {
    let mut chat = Chat::new("ana");
    let user = |login: &str, room: &str| UserInfo {
        login: login.into(),
        first_names: "F".into(),
        last_names: "L".into(),
        online: true,
        room: Some(room.into()),
        presence: chat_core::protocol::Presence::Offline,
        away_text: None,
    };
    chat.apply(
        1,
        &ServerMessage::Users {
            users: vec![user("ana", "lobby"), user("bob", "games")],
            total: 2,
            offset: 0,
        },
    );
    chat.apply(
        2,
        &ServerMessage::Rooms {
            rooms: vec![RoomInfo {
                name: "lobby".into(),
                members: 2,
                creator: None,
                is_default: true,
            }],
            total: 0,
            offset: 0,
        },
    );
    let rooms: Vec<Option<String>> = chat
        .directory
        .unwrap()
        .users
        .into_iter()
        .map(|u| u.room)
        .collect();
    assert_eq!(rooms, [Some("lobby".into()), Some("lobby".into())]);
}

#[test]
fn private_messages_count_as_unread_until_the_conversation_is_opened() {
    let mut chat = Chat::new("ana");
    chat.apply(
        1,
        &ServerMessage::Private {
            attachments: Vec::new(),
            reply_to: None,
            from: "Bob".into(),
            text: "psst".into(),
            stored: false,
            id: 0,
        },
    );
    chat.apply(
        2,
        &ServerMessage::Private {
            attachments: Vec::new(),
            reply_to: None,
            from: "bob".into(),
            text: "again".into(),
            stored: false,
            id: 0,
        },
    );
    assert_eq!(chat.conversation("BOB").unwrap().unread, 2);
    assert_eq!(chat.unread_private(), 2);
    chat.open_conversation("bob");
    assert_eq!(chat.unread_private(), 0);
    chat.apply(
        3,
        &ServerMessage::Private {
            attachments: Vec::new(),
            reply_to: None,
            from: "bob".into(),
            text: "seen".into(),
            stored: false,
            id: 0,
        },
    );
    assert_eq!(chat.unread_private(), 0);
    chat.apply(
        4,
        &ServerMessage::PrivateSent {
            to: "bob".into(),
            text: "ok".into(),
            id: 9,
        },
    );
    let c = chat.conversation("bob").unwrap();
    assert_eq!(c.history.len(), 4);
    assert!(matches!(
        &c.history.get(3).unwrap().kind,
        LineKind::Message { own: true, .. }
    ));
}

#[test]
fn only_rooms_one_created_can_be_deleted() {
    let chat = Chat::new("Ana");
    let mine = RoomInfo {
        name: "a".into(),
        members: 1,
        creator: Some("ana".into()),
        is_default: false,
    };
    let theirs = RoomInfo {
        creator: Some("bob".into()),
        ..mine.clone()
    };
    let lobby = RoomInfo {
        creator: None,
        is_default: true,
        ..mine.clone()
    };
    assert!(chat.created(&mine));
    assert!(!chat.created(&theirs));
    assert!(!chat.created(&lobby));
}

#[test]
fn a_deleted_line_shows_neither_its_text_nor_its_files() {
    let mut chat = Chat::new("bob");
    chat.apply(1, &entered("lobby", &["ana", "bob"]));
    let file = chat_core::protocol::Attachment {
        id: "0123456789abcdef0123456789abcdef".into(),
        name: "equivocada.png".into(),
        size: 10,
        mime: "image/png".into(),
        width: None,
        height: None,
        preview: false,
    };
    chat.apply(
        2,
        &ServerMessage::Message {
            attachments: vec![file],
            reply_to: None,
            room: "lobby".into(),
            from: "ana".into(),
            text: "ups".into(),
            id: 7,
        },
    );
    let carried = |chat: &Chat| {
        chat.history("lobby")
            .unwrap()
            .iter()
            .map(|l| l.attachments.len())
            .sum::<usize>()
    };
    assert_eq!(carried(&chat), 1);
    chat.apply(
        3,
        &ServerMessage::MessageDeleted {
            target: chat_core::protocol::Target::Room("lobby".into()),
            line: 7,
            by: "ana".into(),
        },
    );
    assert_eq!(carried(&chat), 0, "its files went with it");
}

#[test]
fn lines_deleted_or_edited_while_away_read_as_they_are_now_once_back() {
    let file = chat_core::protocol::Attachment {
        id: "0123456789abcdef0123456789abcdef".into(),
        name: "foto.png".into(),
        size: 10,
        mime: "image/png".into(),
        width: Some(4),
        height: Some(3),
        preview: true,
    };
    let mut chat = Chat::new("ana");
    let mut pictured = said(1, "mirad");
    pictured.attachments = vec![file];
    chat.apply(
        1,
        &entered_with(vec![pictured.clone(), said(2, "examen el lunes")], false),
    );
    let revision = chat.history("lobby").unwrap().revision();
    // Back after a reconnection: a moderator deleted the picture's line meanwhile, and bob
    // edited his other line.
    let mut deleted = pictured;
    deleted.text.clear();
    deleted.attachments.clear();
    deleted.deleted = true;
    let mut edited = said(2, "examen el martes");
    edited.edited = Some(5_000);
    chat.apply(2, &entered_with(vec![deleted, edited.clone()], false));
    let h = chat.history("lobby").unwrap();
    let line = |id| h.get(h.index_of_id(id).unwrap()).unwrap();
    assert!(line(1).attachments.is_empty(), "its picture went with it");
    assert_eq!(line(1).said().map(|(_, t)| t), Some(""));
    assert_eq!(line(2).said().map(|(_, t)| t), Some("examen el martes"));
    assert!(h.revision() > revision, "measured and drawn again");
    // The same page again changes nothing.
    let revision = h.revision();
    chat.apply(3, &entered_with(vec![edited], false));
    assert_eq!(chat.history("lobby").unwrap().revision(), revision);
}
