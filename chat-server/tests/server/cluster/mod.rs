//! Three nodes of a cluster over a real Redis, with accounts in a real PostgreSQL: the cluster
//! they make (here) and what each test module proves across them: every rule of the course and
//! what a node killed with `kill -9`, a Redis restarted or paused do (`rules`); replies,
//! reactions, edits, order and private messages (`actions`); files (`files`).

mod actions;
mod files;
mod lines;
mod rules;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chat_core::protocol::{Request, ServerMessage};

use super::engines::{Postgres, Redis};
use super::harness::{Client, TestServer, WAIT};

/// Redis, PostgreSQL and three nodes on them.
struct Cluster {
    redis: Redis,
    pg: Postgres,
    nodes: Vec<TestServer>,
}

fn node(redis: &Redis, pg: &Postgres, name: &str) -> TestServer {
    let (redis, pg, name) = (redis.url(), pg.url(), name.to_owned());
    TestServer::start_with(move |c| {
        c.cluster_url = Some(redis.clone());
        c.accounts_url = Some(pg.clone());
        c.node_name = Some(name.clone());
        c.bcrypt_cost = 4;
        c.allow_weak_bcrypt = true;
        c.admins = vec![ADMIN.into()];
        c.irc_bind = Some("127.0.0.1:0".into());
        c.quota_bytes = QUOTA;
    })
}

/// What an account may keep on the cluster (`a_quota_counts_an_accounts_files_on_every_node`).
const QUOTA: u64 = 40 * 1024 * 1024;

/// The administrator every node names (`replies_reactions_edits_and_order_reach_every_node`).
const ADMIN: &str = "jefa";

impl Cluster {
    fn start() -> Option<Self> {
        let redis = Redis::start()?;
        let pg = Postgres::start()?;
        let nodes = ["n1", "n2", "n3"]
            .iter()
            .map(|name| node(&redis, &pg, name))
            .collect();
        let cluster = Cluster { redis, pg, nodes };
        cluster.wait_for_nodes(3);
        Some(cluster)
    }

    /// Waits until every node hears the other `n - 1`.
    fn wait_for_nodes(&self, n: usize) {
        let deadline = Instant::now() + WAIT;
        loop {
            let heard = self
                .nodes
                .iter()
                .all(|node| node.handle().cluster_status().unwrap().nodes.len() + 1 >= n);
            if heard {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the nodes did not find each other"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Waits until `check` holds for what `client` is told; `what` says what for a failure.
fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !check() {
        assert!(Instant::now() < deadline, "waited for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn users(client: &mut Client) -> Vec<(String, Option<String>)> {
    match client.request(Request::ShowUsers { offset: 0 }) {
        ServerMessage::Users { users, .. } => {
            users.into_iter().map(|u| (u.login, u.room)).collect()
        }
        other => panic!("{other:?}"),
    }
}

fn room_members(client: &mut Client, room: &str) -> Option<u32> {
    match client.request(Request::ListRooms { offset: 0 }) {
        ServerMessage::Rooms { rooms, .. } => {
            rooms.iter().find(|r| r.name == room).map(|r| r.members)
        }
        other => panic!("{other:?}"),
    }
}

/// A node as its own process (so that it can be killed with `kill -9`).
struct NodeProcess {
    child: Child,
    addr: SocketAddr,
}

impl NodeProcess {
    fn start(redis: &Redis, pg: &Postgres, name: &str, dir: &std::path::Path) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_chat-server"))
            .args(["--bind", "127.0.0.1:0", "--no-tls", "--data-dir"])
            .arg(dir)
            .args(["--cluster", &redis.url(), "--accounts", &pg.url()])
            .args([
                "--node-name",
                name,
                "--bcrypt-cost",
                "4",
                "--allow-weak-bcrypt",
            ])
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let addr = loop {
            let line = lines.next().expect("the node printed its address").unwrap();
            if let Some(addr) = line.strip_prefix("listening on ") {
                break addr.trim().parse().unwrap();
            }
        };
        // Keep reading its output so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        NodeProcess { child, addr }
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
