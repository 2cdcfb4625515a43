//! Property tests of the codec: every message round-trips, and no byte sequence makes the frame
//! reader or the decoder panic.

use chat_core::Error;
use chat_core::frame::{FrameReader, decode, encode};
use chat_core::limits::{LEN_PREFIX_BYTES, MAX_FRAME_BYTES};
use chat_core::protocol::*;
use proptest::prelude::*;

fn text() -> impl Strategy<Value = String> {
    "\\PC{0,40}"
}

fn gender() -> impl Strategy<Value = Gender> {
    prop::sample::select(Gender::ALL.to_vec())
}

fn target() -> impl Strategy<Value = Target> {
    prop_oneof![text().prop_map(Target::Room), text().prop_map(Target::With)]
}

fn quote() -> impl Strategy<Value = Quote> {
    (any::<u64>(), text(), text()).prop_map(|(line, from, excerpt)| Quote {
        line,
        from,
        excerpt,
    })
}

fn reactions() -> impl Strategy<Value = Vec<Reaction>> {
    prop::collection::vec(
        (text(), any::<u32>(), prop::collection::vec(text(), 0..3))
            .prop_map(|(emoji, count, by)| Reaction { emoji, count, by }),
        0..3,
    )
}

fn mod_action() -> impl Strategy<Value = ModAction> {
    prop::sample::select(vec![
        ModAction::Mute,
        ModAction::Unmute,
        ModAction::Remove,
        ModAction::Slow,
        ModAction::Readmit,
        ModAction::Voice,
        ModAction::Devoice,
    ])
}

/// The requests about a line (replies, reactions, edits, moderation).
fn line_request() -> impl Strategy<Value = Request> {
    prop_oneof![
        (text(), any::<u64>()).prop_map(|(text, line)| Request::Say {
            attachments: Vec::new(),
            text,
            reply_to: Some(line)
        }),
        (text(), text(), prop::option::of(any::<u64>())).prop_map(|(to, text, reply_to)| {
            Request::Private {
                attachments: Vec::new(),
                to,
                text,
                reply_to,
            }
        }),
        (target(), any::<u64>(), text(), any::<bool>()).prop_map(|(target, line, emoji, on)| {
            Request::React {
                target,
                line,
                emoji,
                on,
            }
        }),
        (target(), any::<u64>(), text()).prop_map(|(target, line, text)| Request::Edit {
            target,
            line,
            text
        }),
        (target(), any::<u64>()).prop_map(|(target, line)| Request::DeleteMessage { target, line }),
        (target(), any::<u64>(), any::<bool>()).prop_map(|(target, line, receipt)| {
            Request::MarkRead {
                target,
                line,
                receipt,
            }
        }),
        Just(Request::ReadMarkers),
        (
            text(),
            mod_action(),
            prop::option::of(text()),
            prop::option::of(any::<u32>())
        )
            .prop_map(|(room, action, login, seconds)| Request::Moderate {
                room,
                action,
                login,
                seconds
            }),
        (target(), any::<u64>(), prop::option::of(text())).prop_map(|(target, line, reason)| {
            Request::Report {
                target,
                line,
                reason,
            }
        }),
        (text(), text()).prop_map(|(room, topic)| Request::SetTopic { room, topic }),
    ]
}

fn request() -> impl Strategy<Value = Request> {
    prop_oneof![
        line_request(),
        (any::<u32>(), text()).prop_map(|(version, client)| Request::Hello { version, client }),
        Just(Request::Clock),
        (text(), text(), text(), text(), any::<u8>(), gender()).prop_map(
            |(f, l, login, p, age, gender)| {
                Request::Register(Registration {
                    first_names: f,
                    last_names: l,
                    login,
                    password: Password(p),
                    age,
                    gender,
                })
            }
        ),
        (text(), text()).prop_map(|(login, p)| Request::Login {
            login,
            password: Password(p)
        }),
        text().prop_map(|text| Request::Say {
            attachments: Vec::new(),
            reply_to: None,
            text
        }),
        text().prop_map(|room| Request::CreateRoom { room }),
        text().prop_map(|room| Request::EnterRoom { room }),
        Just(Request::LeaveRoom),
        any::<u32>().prop_map(|offset| Request::ListRooms { offset }),
        text().prop_map(|room| Request::DeleteRoom { room }),
        any::<u32>().prop_map(|offset| Request::ShowUsers { offset }),
        (text(), proptest::option::of(any::<u64>()))
            .prop_map(|(token, seen)| Request::Resume { token, seen }),
        (text(), prop::option::of(any::<u64>()))
            .prop_map(|(room, before)| Request::History { room, before }),
        (text(), prop::option::of(any::<u64>()))
            .prop_map(|(with, before)| Request::PrivateHistory { with, before }),
        prop::option::of(text()).prop_map(|text| Request::Away { text }),
        Just(Request::Back),
        text().prop_map(|to| Request::Typing { to }),
        any::<bool>().prop_map(|all| Request::Logout { all }),
        (text(), text()).prop_map(|(to, text)| Request::Private {
            attachments: Vec::new(),
            reply_to: None,
            to,
            text
        }),
        Just(Request::Exit),
        Just(Request::Ping),
    ]
}

fn error_code() -> impl Strategy<Value = ErrorCode> {
    prop::sample::select(ErrorCode::ALL.to_vec())
}

fn field() -> impl Strategy<Value = Option<Field>> {
    prop::option::of(prop::sample::select(Field::ALL.to_vec()))
}

fn presence() -> impl Strategy<Value = Presence> {
    prop::sample::select(vec![Presence::Online, Presence::Away, Presence::Offline])
}

fn said() -> impl Strategy<Value = Said> {
    (
        (text(), text(), text(), any::<i64>(), any::<u64>()),
        (
            prop::option::of(quote()),
            reactions(),
            prop::option::of(any::<i64>()),
            any::<bool>(),
        ),
    )
        .prop_map(
            |((room, from, text, time, id), (reply_to, reactions, edited, deleted))| Said {
                room,
                from,
                text,
                time,
                id,
                reply_to,
                reactions,
                edited,
                deleted,
                ..Default::default()
            },
        )
}

fn private_said() -> impl Strategy<Value = PrivateSaid> {
    (text(), text(), text(), any::<i64>(), any::<u64>()).prop_map(|(from, to, text, time, id)| {
        PrivateSaid {
            from,
            to,
            text,
            time,
            id,
            ..Default::default()
        }
    })
}

fn close_reason() -> impl Strategy<Value = CloseReason> {
    use CloseReason::*;
    prop::sample::select(vec![
        Exit,
        TakenOver,
        SlowConsumer,
        ProtocolError,
        ServerShutdown,
        HandshakeTimeout,
        IdleTimeout,
        TooManyConnections,
        Flood,
    ])
}

fn server_message() -> impl Strategy<Value = ServerMessage> {
    let room_info = (
        text(),
        any::<u32>(),
        prop::option::of(text()),
        any::<bool>(),
    )
        .prop_map(|(name, members, creator, is_default)| RoomInfo {
            name,
            members,
            creator,
            is_default,
        });
    let user_info = (
        text(),
        text(),
        text(),
        any::<bool>(),
        prop::option::of(text()),
        presence(),
        prop::option::of(text()),
    )
        .prop_map(
            |(login, first_names, last_names, online, room, presence, away_text)| UserInfo {
                login,
                first_names,
                last_names,
                online,
                room,
                presence,
                away_text,
            },
        );
    prop_oneof![
        (any::<u32>(), text(), text()).prop_map(|(version, server, default_room)| {
            ServerMessage::Welcome {
                version,
                server,
                default_room,
            }
        }),
        any::<i64>().prop_map(|server_time_us| ServerMessage::Clock { server_time_us }),
        text().prop_map(|login| ServerMessage::Registered { login }),
        (
            text(),
            prop::option::of((text(), any::<i64>())),
            any::<bool>(),
        )
            .prop_map(|(login, token, admin)| ServerMessage::LoggedIn {
                login,
                token_expires: token.as_ref().map(|t| t.1),
                token: token.map(|t| t.0),
                admin,
            }),
        (
            text(),
            prop::option::of(text()),
            prop::collection::vec(text(), 0..5),
            prop::collection::vec(text(), 0..3),
            prop::collection::vec(said(), 0..3),
            any::<bool>(),
        )
            .prop_map(|(room, creator, members, away, history, more_history)| {
                ServerMessage::Entered {
                    member_count: members.len() as u32,
                    admins: away.clone(),
                    voiced: members.clone(),
                    members,
                    topic: creator.clone().map(|by| RoomTopic {
                        text: room.clone(),
                        by,
                        time: 1,
                    }),
                    room,
                    creator,
                    away,
                    history,
                    more_history,
                }
            }),
        text().prop_map(|room| ServerMessage::RoomDeleted { room }),
        (prop::collection::vec(room_info, 0..5), any::<u32>()).prop_map(|(rooms, offset)| {
            ServerMessage::Rooms {
                total: rooms.len() as u32,
                rooms,
                offset,
            }
        }),
        (prop::collection::vec(user_info, 0..5), any::<u32>()).prop_map(|(users, offset)| {
            ServerMessage::Users {
                total: users.len() as u32,
                users,
                offset,
            }
        }),
        (text(), text(), any::<u64>()).prop_map(|(to, text, id)| ServerMessage::PrivateSent {
            to,
            text,
            id
        }),
        (text(), text(), text(), any::<u64>()).prop_map(|(room, from, text, id)| {
            ServerMessage::Message {
                attachments: Vec::new(),
                reply_to: (id % 2 == 0).then(|| Quote {
                    line: id / 2,
                    from: from.clone(),
                    excerpt: text.clone(),
                }),
                room,
                from,
                text,
                id,
            }
        }),
        (text(), text(), any::<bool>(), any::<u64>()).prop_map(|(from, text, stored, id)| {
            ServerMessage::Private {
                attachments: Vec::new(),
                reply_to: None,
                from,
                text,
                stored,
                id,
            }
        }),
        (text(), text(), any::<u64>()).prop_map(|(to, text, id)| ServerMessage::PrivateStored {
            to,
            text,
            id
        }),
        any::<u64>().prop_map(|count| ServerMessage::PrivateDropped { count }),
        (text(), prop::collection::vec(said(), 0..3), any::<bool>()).prop_map(
            |(room, messages, more)| ServerMessage::History {
                room,
                messages,
                more
            }
        ),
        (
            text(),
            prop::collection::vec(private_said(), 0..3),
            any::<bool>()
        )
            .prop_map(|(with, messages, more)| ServerMessage::PrivateHistory {
                with,
                messages,
                more
            }),
        (text(), presence(), prop::option::of(text())).prop_map(|(login, presence, text)| {
            ServerMessage::Presence {
                login,
                presence,
                text,
            }
        }),
        (text(), any::<i64>()).prop_map(|(from, until)| ServerMessage::Typing { from, until }),
        (text(), text(), presence()).prop_map(|(room, login, presence)| {
            ServerMessage::Joined {
                room,
                login,
                presence,
            }
        }),
        (text(), text()).prop_map(|(room, login)| ServerMessage::Left { room, login }),
        (
            text(),
            prop::sample::select(vec![
                RoomClosedReason::Deleted,
                RoomClosedReason::CreatorLeft
            ])
        )
            .prop_map(|(room, reason)| ServerMessage::RoomClosed { room, reason }),
        (
            error_code(),
            text(),
            field(),
            prop::option::of(any::<u64>())
        )
            .prop_map(
                |(code, message, field, retry_after_ms)| ServerMessage::Error {
                    code,
                    message,
                    field,
                    retry_after_ms,
                }
            ),
        (close_reason(), text())
            .prop_map(|(reason, message)| ServerMessage::Goodbye { reason, message }),
        Just(ServerMessage::Ping),
        Just(ServerMessage::Pong),
        line_message(),
    ]
}

/// What the server says about lines (reactions, edits, receipts, moderation, reports).
fn line_message() -> impl Strategy<Value = ServerMessage> {
    let marker = (target(), any::<u64>(), any::<u64>()).prop_map(|(target, line, theirs)| Marker {
        target,
        line,
        theirs,
    });
    prop_oneof![
        (target(), any::<u64>(), reactions()).prop_map(|(target, line, reactions)| {
            ServerMessage::Reactions {
                target,
                line,
                reactions,
            }
        }),
        (target(), any::<u64>(), text(), any::<i64>()).prop_map(|(target, line, text, edited)| {
            ServerMessage::Edited {
                target,
                line,
                text,
                edited,
            }
        }),
        (target(), any::<u64>(), text())
            .prop_map(|(target, line, by)| ServerMessage::MessageDeleted { target, line, by }),
        (text(), any::<u64>(), any::<bool>()).prop_map(|(with, line, read)| {
            ServerMessage::Receipt {
                with,
                line,
                state: if read {
                    Receipt::Read
                } else {
                    Receipt::Delivered
                },
            }
        }),
        prop::collection::vec(marker, 0..4)
            .prop_map(|markers| ServerMessage::ReadMarkers { markers }),
        (
            text(),
            mod_action(),
            prop::option::of(text()),
            prop::option::of(any::<i64>()),
            prop::option::of(any::<u32>()),
            text()
        )
            .prop_map(|(room, action, login, until, seconds, by)| {
                ServerMessage::Moderated {
                    room,
                    action,
                    login,
                    until,
                    seconds,
                    by,
                }
            }),
        (target(), any::<u64>())
            .prop_map(|(target, line)| ServerMessage::Reported { target, line }),
        (text(), text(), text()).prop_map(|(room, topic, by)| ServerMessage::Topic {
            room,
            topic,
            by
        }),
        (
            text(),
            target(),
            any::<u64>(),
            text(),
            text(),
            prop::option::of(text())
        )
            .prop_map(|(from, target, line, author, excerpt, reason)| {
                ServerMessage::Report {
                    from,
                    target,
                    line,
                    author,
                    excerpt,
                    reason,
                }
            }),
    ]
}

proptest! {
    #[test]
    fn every_request_round_trips(id in any::<u32>(), request in request()) {
        let frame = ClientFrame { id, request };
        let bytes = encode(&frame).unwrap();
        let body = FrameReader::new().read_frame(&mut &bytes[..]).unwrap().unwrap().to_vec();
        prop_assert_eq!(body.len() + LEN_PREFIX_BYTES, bytes.len());
        prop_assert_eq!(decode::<ClientFrame>(&body).unwrap(), frame);
    }

    #[test]
    fn every_server_message_round_trips(time in any::<i64>(), re in prop::option::of(any::<u32>()), message in server_message()) {
        let frame = ServerFrame { time, re, message };
        let bytes = encode(&frame).unwrap();
        prop_assert_eq!(decode::<ServerFrame>(&bytes[LEN_PREFIX_BYTES..]).unwrap(), frame);
    }

    #[test]
    fn garbage_bodies_are_errors_not_panics(body in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode::<ClientFrame>(&body);
        let _ = decode::<ServerFrame>(&body);
    }

    #[test]
    fn garbage_streams_are_errors_not_panics(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let mut reader = FrameReader::new();
        let mut stream = &bytes[..];
        for _ in 0..64 {
            match reader.read_frame(&mut stream) {
                Ok(Some(body)) => { let _ = decode::<ClientFrame>(body); }
                Ok(None) | Err(_) => break,
            }
        }
    }

    #[test]
    fn mutated_valid_frames_never_panic(request in request(), flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)) {
        let mut bytes = encode(&ClientFrame { id: 7, request }).unwrap();
        for (at, value) in flips {
            let i = at.index(bytes.len() - LEN_PREFIX_BYTES) + LEN_PREFIX_BYTES;
            bytes[i] = value;
        }
        let _ = decode::<ClientFrame>(&bytes[LEN_PREFIX_BYTES..]);
    }
}

/// The bytes other languages rely on: a map with a "type" key and named fields.
#[test]
fn wire_format_is_a_tagged_map_with_named_fields() {
    let bytes = encode(&ClientFrame {
        id: 3,
        request: Request::EnterRoom {
            room: "sala".into(),
        },
    })
    .unwrap();
    let body = &bytes[LEN_PREFIX_BYTES..];
    assert_eq!(
        &bytes[..LEN_PREFIX_BYTES],
        &(body.len() as u32).to_be_bytes()
    );
    // fixmap of 3 entries: "id": 3, "type": "enter_room", "room": "sala"
    let expected: Vec<u8> = [
        &[0x83][..],
        &[0xa2],
        b"id",
        &[0x03],
        &[0xa4],
        b"type",
        &[0xaa],
        b"enter_room",
        &[0xa4],
        b"room",
        &[0xa4],
        b"sala",
    ]
    .concat();
    assert_eq!(body, &expected[..]);

    let event = ServerFrame {
        time: 1,
        re: None,
        message: ServerMessage::error(ErrorCode::RoomNotFound, "m"),
    };
    let bytes = encode(&event).unwrap();
    let body = &bytes[LEN_PREFIX_BYTES..];
    let expected: Vec<u8> = [
        &[0x85][..],
        &[0xa4],
        b"time",
        &[0x01],
        &[0xa4],
        b"type",
        &[0xa5],
        b"error",
        &[0xa4],
        b"code",
        &[0xae],
        b"room_not_found",
        &[0xa7],
        b"message",
        &[0xa1],
        b"m",
        &[0xa5],
        b"field",
        &[0xc0],
    ]
    .concat();
    assert_eq!(body, &expected[..]);
}

#[test]
fn a_message_too_large_for_a_frame_is_not_encoded() {
    let huge = ClientFrame {
        id: 1,
        request: Request::Say {
            attachments: Vec::new(),
            reply_to: None,
            text: "x".repeat(MAX_FRAME_BYTES),
        },
    };
    assert!(matches!(encode(&huge), Err(Error::Encode(_))));
}

#[test]
fn unknown_fields_and_types_are_malformed() {
    let body = rmp_like_map(&[("id", 1), ("type", 0)]);
    assert!(matches!(
        decode::<ClientFrame>(&body),
        Err(Error::Malformed(_))
    ));
}

/// A tiny map encoder for hand-made bodies: string keys, small int values (0 encodes the string
/// "nonsense").
fn rmp_like_map(entries: &[(&str, u8)]) -> Vec<u8> {
    let mut out = vec![0x80 | entries.len() as u8];
    for (k, v) in entries {
        out.push(0xa0 | k.len() as u8);
        out.extend_from_slice(k.as_bytes());
        if *v == 0 {
            out.push(0xa8);
            out.extend_from_slice(b"nonsense");
        } else {
            out.push(*v);
        }
    }
    out
}

/// A map with the given string fields, as another client might send it.
fn string_map(entries: &[(&str, &str)]) -> Vec<u8> {
    let map: std::collections::BTreeMap<&str, &str> = entries.iter().copied().collect();
    rmp_serde::to_vec_named(&map).expect("a map of strings encodes")
}

#[test]
fn fields_a_request_does_not_use_are_ignored_and_missing_ones_are_named() {
    let mut body = string_map(&[("type", "say"), ("text", "hola"), ("colour", "red")]);
    // `id` as a number: append it to the map by hand (one more entry).
    body[0] += 1;
    body.extend_from_slice(&[0xa2, b'i', b'd', 7]);
    assert_eq!(
        decode::<ClientFrame>(&body).unwrap(),
        ClientFrame {
            id: 7,
            request: Request::Say {
                attachments: Vec::new(),
                reply_to: None,
                text: "hola".into()
            }
        }
    );

    // A private message names its recipient (its text may be empty when it carries files: the
    // server's checks refuse an empty one without).
    let mut body = string_map(&[("type", "private"), ("text", "hola")]);
    body[0] += 1;
    body.extend_from_slice(&[0xa2, b'i', b'd', 7]);
    match decode::<ClientFrame>(&body) {
        Err(Error::Malformed(why)) => assert!(why.contains("to"), "{why}"),
        other => panic!("{other:?}"),
    }

    // A key the protocol defines keeps its type even where this request does not use it.
    let mut body = string_map(&[("type", "say"), ("text", "hola"), ("age", "old")]);
    body[0] += 1;
    body.extend_from_slice(&[0xa2, b'i', b'd', 7]);
    assert!(matches!(
        decode::<ClientFrame>(&body),
        Err(Error::Malformed(_))
    ));
}
