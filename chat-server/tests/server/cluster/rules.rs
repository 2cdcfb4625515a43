//! Every rule of the course across three nodes; room names claimed once; a node killed with
//! `kill -9` or restarted at once; Redis restarted or paused; rooms acknowledged on one node
//! enterable on every other.

use std::time::{Duration, Instant};

use chat_core::protocol::{CloseReason, ErrorCode, Request, RoomClosedReason, ServerMessage};

use super::super::harness::{Client, WAIT, entered, password, registration, said, signed_in};
use super::{Cluster, NodeProcess, eventually, room_members, users};

#[test]
fn every_rule_of_the_course_holds_across_three_nodes() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let [n1, n2, n3] = [&cluster.nodes[0], &cluster.nodes[1], &cluster.nodes[2]];
    let mut ana = n1.user("ana");
    let mut ben = n2.user("ben");
    let mut cai = n3.user("cai");
    // #show users on any node lists everyone, and where they are.
    eventually("everyone listed on n3", || {
        let listed = users(&mut cai);
        ["ana", "ben", "cai"]
            .iter()
            .all(|l| listed.contains(&(l.to_string(), Some("lobby".into()))))
    });
    // One namespace of rooms: a name made on n1 is taken on n2, in any case.
    ana.request(Request::CreateRoom {
        room: "aula".into(),
    });
    assert_eq!(
        ben.refused(Request::CreateRoom {
            room: "AULA".into()
        }),
        ErrorCode::RoomExists
    );
    // Entering a room made on another node (once n2 has heard of it: nodes agree within a
    // round trip through Redis); #lR counts members on every node.
    eventually("n2 sees ana in aula", || {
        room_members(&mut ben, "aula") == Some(1)
    });
    let (room, members) = entered(&ben.request(Request::EnterRoom {
        room: "aula".into(),
    }));
    assert_eq!(room, "aula");
    assert!(members.contains(&"ana".to_owned()), "{members:?}");
    eventually("n3 counts two in aula", || {
        room_members(&mut cai, "aula") == Some(2)
    });
    // Members on different nodes see the room's lines in the same order.
    for i in 0..20 {
        ana.send(Request::Say {
            attachments: Vec::new(),
            reply_to: None,
            text: format!("ana {i}"),
        });
        ben.send(Request::Say {
            attachments: Vec::new(),
            reply_to: None,
            text: format!("ben {i}"),
        });
    }
    let order = |c: &mut Client| -> Vec<String> {
        let mut seen = Vec::new();
        while seen.len() < 40 {
            if let ServerMessage::Message { text, .. } = c.expect(
                "a line",
                |m| matches!(m, ServerMessage::Message { room, .. } if room == "aula"),
            ) {
                seen.push(text);
            }
        }
        seen
    };
    let (at_ana, at_ben) = (order(&mut ana), order(&mut ben));
    assert_eq!(at_ana, at_ben, "one order for every member");
    // Private messages reach a user on any node.
    cai.request(Request::Private {
        attachments: Vec::new(),
        reply_to: None,
        to: "ana".into(),
        text: "desde n3".into(),
    });
    ana.expect("cai's private", |m| {
        matches!(m, ServerMessage::Private { from, text, .. } if from == "cai" && text == "desde n3")
    });
    // Logging in on n1 ends the session on n3.
    let mut cai_again = n1.client();
    cai_again.login("cai");
    let rest = cai.until_closed();
    assert!(
        rest.iter().any(|m| matches!(
            m,
            ServerMessage::Goodbye {
                reason: CloseReason::TakenOver,
                ..
            }
        )),
        "{rest:?}"
    );
    // The creator's session ends on n1: the room closes for its member on n2.
    ana.send(Request::Exit);
    ana.until_closed();
    ben.expect("aula closed", |m| {
        matches!(m, ServerMessage::RoomClosed { room, reason: RoomClosedReason::CreatorLeft } if room == "aula")
    });
    let back = ben.expect("back in the lobby", |m| {
        matches!(m, ServerMessage::Entered { .. })
    });
    assert_eq!(entered(&back).0, "lobby");
    eventually("ana offline everywhere", || {
        !users(&mut cai_again)
            .iter()
            .any(|(l, room)| l == "ana" && room.is_some())
    });
    // A room line said on one node is in the default room's history on another.
    ben.send(Request::Say {
        attachments: Vec::new(),
        reply_to: None,
        text: "para la historia".into(),
    });
    ben.expect("own line back", |m| said(m, "ben", "para la historia"));
    let mut late = n3.client();
    late.login("ana");
    let history = match late.request(Request::History {
        room: "lobby".into(),
        before: None,
    }) {
        ServerMessage::History { messages, .. } => messages,
        other => panic!("{other:?}"),
    };
    assert!(
        history.iter().any(|s| s.text == "para la historia"),
        "{history:?}"
    );
    // Clocks: every node is on cluster time.
    let status = n1.handle().cluster_status().unwrap();
    assert!(status.skew_ms.abs() < 100, "{status:?}");
}

#[test]
fn a_room_name_made_on_two_nodes_at_once_has_exactly_one_winner() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    for round in 0..10 {
        let name = format!("duelo{round}");
        let mut a = cluster.nodes[0].user(&format!("alba{round}"));
        let mut b = cluster.nodes[1].user(&format!("blas{round}"));
        let (na, nb) = (name.clone(), name.clone());
        // The clients stay connected until both answered: a creator leaving closes its room.
        let ta = std::thread::spawn(move || {
            let reply = a.request(Request::CreateRoom { room: na });
            (reply, a)
        });
        let tb = std::thread::spawn(move || {
            let reply = b.request(Request::CreateRoom { room: nb });
            (reply, b)
        });
        let ((ra, _a), (rb, _b)) = (ta.join().unwrap(), tb.join().unwrap());
        let results = [ra, rb];
        let won = results
            .iter()
            .filter(|m| matches!(m, ServerMessage::Entered { .. }))
            .count();
        let lost = results
            .iter()
            .filter(|m| {
                matches!(
                    m,
                    ServerMessage::Error {
                        code: ErrorCode::RoomExists,
                        ..
                    }
                )
            })
            .count();
        assert_eq!((won, lost), (1, 1), "{results:?}");
    }
}

#[test]
fn a_node_killed_with_kill_9_is_gone_within_five_seconds_and_its_rooms_close() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut doomed = NodeProcess::start(&cluster.redis, &cluster.pg, "doomed", dir.path());
    let (mut dora, token) = signed_in(doomed.addr, "dora");
    dora.request(Request::CreateRoom {
        room: "taller".into(),
    });
    let mut eva = cluster.nodes[0].user("eva");
    eventually("taller known on n1", || {
        room_members(&mut eva, "taller") == Some(1)
    });
    eva.request(Request::EnterRoom {
        room: "taller".into(),
    });
    let killed = Instant::now();
    doomed.child.kill().unwrap();
    let _ = doomed.child.wait();
    // A private message to dora now: her node never takes it, so it is kept (not reported
    // sent and lost), and answered within two seconds.
    let asked = Instant::now();
    let kept = eva.request(Request::Private {
        attachments: Vec::new(),
        reply_to: None,
        to: "dora".into(),
        text: "¿sigues ahí?".into(),
    });
    assert!(
        matches!(kept, ServerMessage::PrivateStored { .. }),
        "{kept:?}"
    );
    assert!(
        asked.elapsed() < Duration::from_secs(2),
        "{:?}",
        asked.elapsed()
    );
    eva.expect(
        "taller closed",
        |m| matches!(m, ServerMessage::RoomClosed { room, .. } if room == "taller"),
    );
    eva.expect(
        "moved to the lobby",
        |m| matches!(m, ServerMessage::Entered { room, .. } if room == "lobby"),
    );
    assert!(
        killed.elapsed() < Duration::from_secs(5),
        "took {:?}",
        killed.elapsed()
    );
    assert!(
        !users(&mut eva)
            .iter()
            .any(|(l, room)| l == "dora" && room.is_some()),
        "dora is offline"
    );
    // Its users' clients try the next server of their list and resume their session there,
    // without a password.
    let list = format!("{}, {}", doomed.addr, cluster.nodes[1].addr());
    let conn = chat_core::client::connect(
        &list,
        chat_core::client::ClientOptions {
            tls: None,
            ..Default::default()
        },
    );
    match conn.events().recv_timeout(WAIT).unwrap() {
        chat_core::client::Event::Connected(session) => {
            assert_eq!(session.addr, cluster.nodes[1].addr());
        }
        other => panic!("{other:?}"),
    }
    let id = conn.send(Request::Resume { token, seen: None });
    loop {
        match conn.events().recv_timeout(WAIT).unwrap() {
            chat_core::client::Event::Frame(f) if f.re == Some(id) => {
                assert!(
                    matches!(&f.message, ServerMessage::LoggedIn { login, .. } if login == "dora"),
                    "{f:?}"
                );
                break;
            }
            chat_core::client::Event::Frame(_) => {}
            other => panic!("{other:?}"),
        }
    }
    // The message kept while her node was gone reaches her there, once.
    loop {
        match conn.events().recv_timeout(WAIT).unwrap() {
            chat_core::client::Event::Frame(f) => match f.message {
                ServerMessage::Private { text, stored, .. } if text == "¿sigues ahí?" => {
                    assert!(stored);
                    break;
                }
                _ => {}
            },
            other => panic!("{other:?}"),
        }
    }
}

/// A node killed and restarted within the gone-after window (3.5 s) is never declared gone; its
/// room's creator resumes on another node meanwhile, and a node joining has every node publish
/// its state. The restarted node's empty snapshot closes the room on every node within 2 s, and
/// it stays closed. (The interleaving that once kept it open on some nodes, n1's listing landing
/// after the restarted node's snapshot, depends on timing this test does not force.)
#[test]
fn a_node_restarted_at_once_while_its_creator_resumes_elsewhere_leaves_one_view() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut doomed = NodeProcess::start(&cluster.redis, &cluster.pg, "n4", dir.path());
    let (mut dora, token) = signed_in(doomed.addr, "dora");
    dora.request(Request::CreateRoom {
        room: "sala3".into(),
    });
    let mut watchers: Vec<Client> = ["eva", "flor", "gala"]
        .iter()
        .zip(&cluster.nodes)
        .map(|(login, node)| node.user(login))
        .collect();
    for w in &mut watchers {
        eventually("sala3 known everywhere", || {
            room_members(w, "sala3") == Some(1)
        });
    }
    doomed.child.kill().unwrap();
    let _ = doomed.child.wait();
    let killed = Instant::now();
    // She resumes on n1 before her old node is back.
    let mut resumed = Client::connect(cluster.nodes[0].addr());
    resumed.hello();
    match resumed.request(Request::Resume { token, seen: None }) {
        ServerMessage::LoggedIn { login, .. } => assert_eq!(login, "dora"),
        other => panic!("{other:?}"),
    }
    // A node joining now has every node publish its state: n1's, with dora online there.
    let other_dir = tempfile::tempdir().unwrap();
    let _joined = NodeProcess::start(&cluster.redis, &cluster.pg, "n5", other_dir.path());
    std::thread::sleep(Duration::from_millis(300));
    let restarted = NodeProcess::start(&cluster.redis, &cluster.pg, "n4", dir.path());
    assert!(
        killed.elapsed() < Duration::from_millis(3_500),
        "restarted within the gone-after window, not after {:?}",
        killed.elapsed()
    );
    let mut on_restarted = Client::connect(restarted.addr);
    on_restarted.hello();
    on_restarted.request(Request::Register(registration("hugo")));
    on_restarted.request(Request::Login {
        login: "hugo".into(),
        password: password("hugo"),
    });
    watchers.push(on_restarted);
    // One view within 2 s of the restart: the restarted node holds sala3's claim and no longer
    // has the room, so it is closed on every node (had n1 re-claimed it, it would stay open
    // on the nodes that read n1's listing, or everywhere), and stays closed.
    let views = |watchers: &mut Vec<Client>| -> Vec<Option<u32>> {
        watchers
            .iter_mut()
            .map(|w| room_members(w, "sala3"))
            .collect()
    };
    let back = Instant::now();
    let agreed = loop {
        let seen = views(&mut watchers);
        if seen.iter().all(Option::is_none) {
            break seen;
        }
        assert!(
            back.elapsed() < Duration::from_secs(2),
            "sala3 still open somewhere {:?} after the restart: {seen:?}",
            back.elapsed()
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let until = Instant::now() + Duration::from_secs(2);
    while Instant::now() < until {
        let seen = views(&mut watchers);
        assert!(
            seen.iter().all(Option::is_none),
            "sala3 closed everywhere ({agreed:?}), then open again: {seen:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn redis_restarted_or_paused_costs_errors_the_sender_sees_and_nothing_else() {
    let Some(mut cluster) = Cluster::start() else {
        return;
    };
    let mut fede = cluster.nodes[0].user("fede");
    let mut gala = cluster.nodes[1].user("gala");
    fede.request(Request::CreateRoom {
        room: "club".into(),
    });
    // The room reaches gala's node through Redis: she enters once it has.
    eventually("club reached gala's node", || {
        room_members(&mut gala, "club") == Some(1)
    });
    let (room, _) = entered(&gala.request(Request::EnterRoom {
        room: "club".into(),
    }));
    assert_eq!(room, "club");
    // Redis dies: a line said now gets an error its sender sees, never silence.
    cluster.redis.kill();
    eventually("fede's node noticed", || {
        !cluster.nodes[0].handle().cluster_status().unwrap().up
    });
    // The refusal answers the request (`re`), within two seconds, with a time to retry.
    let asked = Instant::now();
    match fede.request(Request::Say {
        attachments: Vec::new(),
        reply_to: None,
        text: "¿hay alguien?".into(),
    }) {
        ServerMessage::Error {
            code: ErrorCode::ServerBusy,
            retry_after_ms: Some(_),
            ..
        } => {}
        other => panic!("{other:?}"),
    }
    assert!(
        asked.elapsed() < Duration::from_secs(2),
        "{:?}",
        asked.elapsed()
    );
    // Back, empty: nodes rejoin, publish their state again, and chat goes on; no room twice.
    cluster.redis.up();
    eventually("the nodes rejoined", || {
        cluster
            .nodes
            .iter()
            .all(|n| n.handle().cluster_status().unwrap().up)
    });
    cluster.wait_for_nodes(3);
    eventually("a line goes through again", || {
        fede.send(Request::Say {
            attachments: Vec::new(),
            reply_to: None,
            text: "de vuelta".into(),
        });
        let got = gala.settle();
        got.iter().any(|m| said(m, "fede", "de vuelta"))
    });
    let mut hugo = cluster.nodes[2].user("hugo");
    eventually("club listed once, with both", || {
        match hugo.request(Request::ListRooms { offset: 0 }) {
            ServerMessage::Rooms { rooms, .. } => {
                rooms.iter().filter(|r| r.name == "club").count() == 1
                    && rooms.iter().any(|r| r.name == "club" && r.members == 2)
            }
            _ => false,
        }
    });
    // Paused for two seconds (the fault itself, not a wait for something): nobody crashes, and
    // it works afterwards.
    cluster.redis.pause();
    std::thread::sleep(Duration::from_secs(2));
    cluster.redis.resume();
    eventually("a line goes through after the pause", || {
        gala.send(Request::Say {
            attachments: Vec::new(),
            reply_to: None,
            text: "sigo aquí".into(),
        });
        fede.settle().iter().any(|m| said(m, "gala", "sigo aquí"))
    });
    assert_eq!(cluster.nodes[0].handle().online_count(), 1);
}

#[test]
fn a_room_acknowledged_on_one_node_is_enterable_at_once_everywhere_and_a_closed_one_nowhere() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let [n1, n2, n3] = [&cluster.nodes[0], &cluster.nodes[1], &cluster.nodes[2]];
    let mut ivan = n2.user("ivan");
    let mut juan = n1.user("juan");
    let mut kike = n3.user("kike");
    for round in 0..10 {
        let name = format!("sala{round}");
        let (room, _) = entered(&ivan.request(Request::CreateRoom { room: name.clone() }));
        assert_eq!(room, name);
        // At once, without waiting for anything: the creation is in the log n1 reads first.
        let (room, members) = entered(&juan.request(Request::EnterRoom { room: name.clone() }));
        assert_eq!(room, name);
        assert!(members.contains(&"ivan".to_owned()), "{members:?}");
        // Deleted on n2: entering it on n3 at once finds no such room.
        match ivan.request(Request::DeleteRoom { room: name.clone() }) {
            ServerMessage::RoomDeleted { .. } => {}
            other => panic!("{other:?}"),
        }
        assert_eq!(
            kike.refused(Request::EnterRoom { room: name.clone() }),
            ErrorCode::RoomNotFound
        );
        juan.expect(
            "moved out of the deleted room",
            |m| matches!(m, ServerMessage::Entered { room, .. } if room == "lobby"),
        );
    }
}

/// A client that resumes its session after a lost connection says the number of the last line
/// it received; the node it resumes on, which may be behind the one it left in the cluster's
/// log (cut off a while, it replays what it missed), never delivers it a line at or below that
/// number again. Here the node it left is made "ahead" by the number the client sends.
#[test]
fn a_resumed_session_gets_no_line_at_or_below_the_last_it_received() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let mut ana = cluster.nodes[0].user("ana");
    let (mut bob, token) = signed_in(cluster.nodes[1].addr(), "bob");
    let say = |c: &mut Client, text: &str| -> u64 {
        c.send(Request::Say {
            attachments: Vec::new(),
            text: text.into(),
            reply_to: None,
        });
        match c.expect("the echo", |m| said(m, "ana", text)) {
            ServerMessage::Message { id, .. } => id,
            _ => unreachable!(),
        }
    };
    let first = say(&mut ana, "uno");
    bob.expect("the first line", |m| said(m, "ana", "uno"));
    drop(bob);
    let seen = first + 40;
    let mut bob = cluster.nodes[0].client();
    match bob.request(Request::Resume {
        token,
        seen: Some(seen),
    }) {
        ServerMessage::LoggedIn { .. } => {}
        other => panic!("{other:?}"),
    }
    let mut ids = Vec::new();
    let mut n = 0;
    while ids.last().is_none_or(|&id| id <= seen + 5) {
        n += 1;
        ids.push(say(&mut ana, &format!("línea {n}")));
    }
    assert!(ids[0] <= seen, "some lines are at or below the number sent");
    let last = format!("línea {n}");
    let mut got = Vec::new();
    loop {
        match bob.expect("ana's lines", |m| {
            matches!(m, ServerMessage::Message { .. })
        }) {
            ServerMessage::Message { id, text, .. } => {
                got.push(id);
                if text == last {
                    break;
                }
            }
            _ => unreachable!(),
        }
    }
    let above: Vec<u64> = ids.iter().copied().filter(|&id| id > seen).collect();
    assert_eq!(got, above, "exactly the lines above the last one received");
}
