//! Every reply fits one frame, whatever users do: lists are cut by encoded size, say how many
//! rows there are in all, and can be paged with `offset`. Names here are the longest the rules
//! allow, in 4-byte letters, the widest a row can be.

use std::collections::BTreeSet;

use chat_core::protocol::{Registration, Request, ServerMessage};

use super::harness::{Client, TestServer, password, registration};

/// `n` characters, each a 4-byte UTF-8 letter (CJK Extension B).
fn wide(n: usize) -> String {
    std::iter::repeat_n('𠀀', n).collect()
}

fn fast_server(configure: fn(&mut chat_server::ServerConfig)) -> TestServer {
    TestServer::start_with(configure)
}

fn cheap(c: &mut chat_server::ServerConfig) {
    c.allow_weak_bcrypt = true;
    c.bcrypt_cost = 4;
    c.registrations_per_ip = 100_000;
}

/// Every page of `#show users`, following `offset` until `total` rows were seen.
fn every_user(c: &mut Client) -> (Vec<String>, usize) {
    let mut logins = Vec::new();
    let mut pages = 0;
    loop {
        let offset = logins.len() as u32;
        match c.request(Request::ShowUsers { offset }) {
            ServerMessage::Users {
                users,
                total,
                offset: got,
            } => {
                assert_eq!(got, offset);
                pages += 1;
                assert!(!users.is_empty() || logins.len() == total as usize);
                logins.extend(users.into_iter().map(|u| u.login));
                if logins.len() >= total as usize {
                    return (logins, pages);
                }
            }
            other => panic!("show users at {offset}: {other:?}"),
        }
    }
}

#[test]
fn show_users_with_the_widest_names_fits_a_frame_and_pages_through_everyone() {
    const ACCOUNTS: usize = 300;
    let server = fast_server(cheap);
    let mut ana = server.user("ana");
    let mut c = server.client();
    for i in 0..ACCOUNTS {
        let r = Registration {
            first_names: wide(64),
            last_names: wide(64),
            login: format!("wide{i:0>28}"),
            password: password("x"),
            ..registration("x")
        };
        assert!(matches!(
            c.request(Request::Register(r)),
            ServerMessage::Registered { .. }
        ));
    }
    match ana.request(Request::ShowUsers { offset: 0 }) {
        ServerMessage::Users { users, total, .. } => {
            assert_eq!(total as usize, ACCOUNTS + 1);
            assert!(users.len() < ACCOUNTS, "{} rows cannot fit", users.len());
            assert_eq!(users[0].login, "ana", "online users come first");
            assert!(users[0].online);
        }
        other => panic!("{other:?}"),
    }
    let (logins, pages) = every_user(&mut ana);
    assert!(pages >= 3, "{pages} pages");
    let unique: BTreeSet<_> = logins.iter().collect();
    assert_eq!(unique.len(), ACCOUNTS + 1, "each user exactly once");
    // Past the end: an empty page, not an error.
    match ana.request(Request::ShowUsers { offset: 10_000 }) {
        ServerMessage::Users { users, total, .. } => {
            assert!(users.is_empty());
            assert_eq!(total as usize, ACCOUNTS + 1);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_room_list_of_the_widest_names_fits_as_reply_and_as_event() {
    let server = fast_server(|c| {
        cheap(c);
        c.max_rooms_per_user = 1_000;
        c.flood_per_second = 0.0;
    });
    let mut maker = server.user("maker");
    let mut watcher = server.user("watcher");
    let names: Vec<String> = (0..499).map(|i| format!("{i:0>3}{}", wide(29))).collect();
    for name in &names {
        match maker.request(Request::CreateRoom { room: name.clone() }) {
            ServerMessage::Entered { .. } => {}
            other => panic!("create {name}: {other:?}"),
        }
    }
    let mut seen = Vec::new();
    loop {
        let offset = seen.len() as u32;
        match maker.request(Request::ListRooms { offset }) {
            ServerMessage::Rooms { rooms, total, .. } => {
                assert_eq!(total, 500);
                assert!(
                    rooms.len() < 500,
                    "a page of {} rooms cannot fit",
                    rooms.len()
                );
                seen.extend(rooms.into_iter().map(|r| r.name));
                if seen.len() >= 500 {
                    break;
                }
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(seen[0], "lobby", "the default room first");
    assert_eq!(&seen[1..], &names[..]);
    // The directory still reaches everyone: its first page, with the total.
    watcher.expect(
        "the room directory with every room counted",
        |m| matches!(m, ServerMessage::Rooms { total: 500, rooms, .. } if !rooms.is_empty()),
    );
}
