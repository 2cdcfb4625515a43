//! A cluster on machines of its own, made of Linux network namespaces: a database machine
//! (Redis and PostgreSQL, real processes started by the test and stopped by PID) and node
//! machines, each linked to the database machine and to the test's own namespace (where the
//! clients run) by a pair of virtual Ethernet devices. A partition is a blackhole route: packets
//! vanish, nothing is reset, as when a network fails.
//!
//! Point-to-point links rather than one bridge: bridged or forwarded packets pass the host's
//! firewall (`br_netfilter`), which on CI runners with Docker drops them; here nothing is
//! forwarded, every packet is addressed to the namespace at the other end of its link.
//!
//! Needs root, `ip` (iproute2), `redis-server` and PostgreSQL; without them a test says it did
//! not run, or fails where it must run (see `engines::must_run`).

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::engines::{available, is_root, missing, pg_bin};

/// The port every node serves on (each in its own namespace).
pub const NODE_PORT: u16 = 7878;

/// Which way packets vanish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Way {
    /// Both ways.
    Both,
    /// From the node to the database machine only.
    FromNode,
    /// From the database machine to the node only.
    ToNode,
}

/// What a node is cut off from (each engine has an address of its own on the database
/// machine; with [`Way::ToNode`], always both: the database machine's packets to the node
/// vanish whichever program sends them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Redis,
    Postgres,
    Both,
}

/// Runs test `test` of this test binary again, as root; panics if it fails.
fn rerun_as_root(test: &str) {
    let exe = std::env::current_exe().unwrap();
    let status = Command::new("sudo")
        .args(["-n", "-E"])
        .arg(exe)
        .args([
            "--exact",
            test,
            "--nocapture",
            "--include-ignored",
            "--test-threads",
            "1",
        ])
        .status()
        .unwrap();
    assert!(status.success(), "{test}, run again as root, failed");
}

/// Runs a command, quietly; whether it succeeded.
fn run(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs a command; panics with its output if it fails.
fn must(program: &str, args: &[&str]) {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{program} {args:?}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A node process in its namespace.
pub struct Node {
    pub name: String,
    /// Where clients reach it.
    pub addr: SocketAddr,
    child: Option<Child>,
    dir: PathBuf,
}

impl Node {
    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }
}

/// The machines and the programs on them; everything is stopped and removed when dropped.
pub struct Lab {
    /// Prefix of every name made here (unique to this process).
    prefix: String,
    /// The second byte of every address here.
    net: u8,
    dir: tempfile::TempDir,
    redis: Option<Child>,
    pg_data: PathBuf,
    pub nodes: Vec<Node>,
    /// Blackhole routes in place: (namespace, destination).
    routes: Vec<(String, String)>,
}

impl Lab {
    /// Whether this test can run here: as root, it runs on; as a user with `sudo` without a
    /// password (CI runners), it runs again as root (the same test of the same binary, under
    /// `sudo`: `test` is its full name) and this run only checks that one passed; without the
    /// means, it says so (or fails, where the test must run). Returns whether to run on.
    pub fn possible(test: &str) -> bool {
        if !is_root() {
            if run("sudo", &["-n", "true"]) {
                rerun_as_root(test);
                return false;
            }
            missing("root, or sudo without a password (network namespaces)");
            return false;
        }
        if !run("ip", &["netns", "list"]) {
            missing("ip (iproute2) with network namespaces");
            return false;
        }
        available(Path::new("/usr/bin/redis-server")) && available(&pg_bin().join("initdb"))
    }

    /// The database machine with Redis and PostgreSQL running, and `nodes` node machines
    /// (their programs not started: [`Lab::start_node`]).
    pub fn new(nodes: usize) -> Self {
        let pid = std::process::id();
        let prefix = format!("cz{}", pid % 100_000);
        let net = 200 + u8::try_from(pid % 50).unwrap_or(0);
        let dir = tempfile::tempdir().unwrap();
        let mut lab = Lab {
            pg_data: dir.path().join("pg"),
            prefix,
            net,
            dir,
            redis: None,
            nodes: Vec::new(),
            routes: Vec::new(),
        };
        lab.remove_namespaces();
        must("ip", &["netns", "add", &lab.db_ns()]);
        must("ip", &["-n", &lab.db_ns(), "link", "set", "lo", "up"]);
        for k in 1..=nodes {
            let ns = lab.node_ns(k);
            must("ip", &["netns", "add", &ns]);
            must("ip", &["-n", &ns, "link", "set", "lo", "up"]);
            // To the database machine.
            let (near, far) = (
                format!("{}n{k}d", lab.prefix),
                format!("{}d{k}", lab.prefix),
            );
            lab.link(
                &ns,
                &near,
                &lab.node_to_db_ip(k),
                &lab.db_ns(),
                &far,
                &lab.db_ip(k),
            );
            let pg_ip = format!("{}/24", lab.pg_ip(k));
            must(
                "ip",
                &["-n", &lab.db_ns(), "addr", "add", &pg_ip, "dev", &far],
            );
            // To the clients (this namespace).
            let (near, far) = (
                format!("{}n{k}c", lab.prefix),
                format!("{}c{k}", lab.prefix),
            );
            must(
                "ip",
                &["link", "add", &near, "type", "veth", "peer", "name", &far],
            );
            must("ip", &["link", "set", &near, "netns", &ns]);
            must(
                "ip",
                &[
                    "-n",
                    &ns,
                    "addr",
                    "add",
                    &format!("{}/24", lab.node_ip(k)),
                    "dev",
                    &near,
                ],
            );
            must("ip", &["-n", &ns, "link", "set", &near, "up"]);
            let client_ip = format!("10.{}.{}.1/24", lab.net, 20 + k);
            must("ip", &["addr", "add", &client_ip, "dev", &far]);
            must("ip", &["link", "set", &far, "up"]);
            lab.nodes.push(Node {
                name: format!("n{k}"),
                addr: SocketAddr::new(lab.node_ip(k).parse().unwrap(), NODE_PORT),
                child: None,
                dir: lab.dir.path().join(format!("n{k}")),
            });
        }
        lab.start_redis();
        lab.init_postgres();
        lab.start_postgres();
        lab
    }

    /// A veth pair between namespaces `a` (device `da`, address `ia`) and `b`.
    fn link(&self, a: &str, da: &str, ia: &str, b: &str, db: &str, ib: &str) {
        must(
            "ip",
            &["link", "add", da, "type", "veth", "peer", "name", db],
        );
        for (ns, dev, ip) in [(a, da, ia), (b, db, ib)] {
            must("ip", &["link", "set", dev, "netns", ns]);
            must(
                "ip",
                &["-n", ns, "addr", "add", &format!("{ip}/24"), "dev", dev],
            );
            must("ip", &["-n", ns, "link", "set", dev, "up"]);
        }
    }

    fn db_ns(&self) -> String {
        format!("{}db", self.prefix)
    }

    fn node_ns(&self, k: usize) -> String {
        format!("{}n{k}", self.prefix)
    }

    /// The database machine's address on its link to node `k`, where Redis is reached.
    fn db_ip(&self, k: usize) -> String {
        format!("10.{}.{}.2", self.net, 10 + k)
    }

    /// Its second address there, where PostgreSQL is reached.
    fn pg_ip(&self, k: usize) -> String {
        format!("10.{}.{}.3", self.net, 10 + k)
    }

    /// Node `k`'s address on its link to the database machine.
    fn node_to_db_ip(&self, k: usize) -> String {
        format!("10.{}.{}.1", self.net, 10 + k)
    }

    /// Node `k`'s address for clients.
    fn node_ip(&self, k: usize) -> String {
        format!("10.{}.{}.2", self.net, 20 + k)
    }

    fn remove_namespaces(&self) {
        let listed = Command::new("ip")
            .args(["netns", "list"])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        for line in listed.lines() {
            let name = line.split_whitespace().next().unwrap_or("");
            if name.starts_with(&self.prefix) {
                run("ip", &["netns", "del", name]);
            }
        }
    }

    /// Redis on the database machine, with its log on disk, synced before each answer (an
    /// acknowledged event survives a restart, as in a deployment that keeps its log).
    pub fn start_redis(&mut self) {
        let data = self.dir.path().join("redis");
        std::fs::create_dir_all(&data).unwrap();
        let child = Command::new("ip")
            .args(["netns", "exec", &self.db_ns(), "/usr/bin/redis-server"])
            .args([
                "--port",
                "6379",
                "--bind",
                "0.0.0.0",
                "--protected-mode",
                "no",
            ])
            .args([
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
            ])
            .arg("--dir")
            .arg(&data)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.redis = Some(child);
        self.wait_in_db(6379, "Redis");
    }

    /// Kills Redis with SIGKILL.
    pub fn kill_redis(&mut self) {
        if let Some(mut child) = self.redis.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Pauses (`true`) or resumes Redis.
    pub fn pause_redis(&self, pause: bool) {
        if let Some(child) = &self.redis {
            let signal = if pause { "-STOP" } else { "-CONT" };
            run("kill", &[signal, &child.id().to_string()]);
        }
    }

    /// Waits until a port answers on the database machine.
    fn wait_in_db(&self, port: u16, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let probe = format!("exec 3<>/dev/tcp/{}/{port}", self.db_ip(1));
        while !run(
            "ip",
            &["netns", "exec", &self.db_ns(), "bash", "-c", &probe],
        ) {
            assert!(Instant::now() < deadline, "{what} did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Runs a PostgreSQL program as the `postgres` user.
    fn pg(&self, args: &[&str]) {
        let mut all = vec!["-u", "postgres", "--"];
        all.extend_from_slice(args);
        must("runuser", &all);
    }

    fn init_postgres(&self) {
        std::fs::create_dir_all(&self.pg_data).unwrap();
        must(
            "chown",
            &["-R", "postgres:postgres", self.dir.path().to_str().unwrap()],
        );
        let data = self.pg_data.to_str().unwrap();
        let initdb = pg_bin().join("initdb");
        self.pg(&[
            initdb.to_str().unwrap(),
            "-D",
            data,
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
        ]);
        let hba = self.pg_data.join("pg_hba.conf");
        let mut text = std::fs::read_to_string(&hba).unwrap();
        text.push_str(&format!("host all all 10.{}.0.0/16 trust\n", self.net));
        std::fs::write(&hba, text).unwrap();
    }

    /// PostgreSQL on the database machine (again, on the same data).
    pub fn start_postgres(&self) {
        let data = self.pg_data.to_str().unwrap();
        let options = format!("-p 5432 -k {data} -c listen_addresses=* -c fsync=on");
        let ctl = pg_bin().join("pg_ctl");
        let log = self.pg_data.join("log");
        let args = [
            "netns",
            "exec",
            &self.db_ns(),
            "runuser",
            "-u",
            "postgres",
            "--",
            ctl.to_str().unwrap(),
            "-D",
            data,
            "-o",
            &options,
            "-l",
            log.to_str().unwrap(),
            "-w",
            "start",
        ];
        must("ip", &args);
        self.wait_in_db(5432, "PostgreSQL");
    }

    /// Kills PostgreSQL's postmaster with SIGKILL, and its backends, and waits until they are
    /// gone (a new postmaster refuses to start while they hold its shared memory).
    pub fn kill_postgres(&self) {
        let pid = std::fs::read_to_string(self.pg_data.join("postmaster.pid"))
            .ok()
            .and_then(|t| t.lines().next().and_then(|l| l.trim().parse::<u32>().ok()));
        let Some(pid) = pid else {
            return;
        };
        run("kill", &["-9", &pid.to_string()]);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Path::new(&format!("/proc/{pid}")).exists() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        // Its backends run in the data directory: each killed by its PID.
        loop {
            let left = self.postgres_pids();
            if left.is_empty() || Instant::now() >= deadline {
                break;
            }
            for pid in left {
                run("kill", &["-9", &pid.to_string()]);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = std::fs::remove_file(self.pg_data.join("postmaster.pid"));
    }

    /// The processes of this PostgreSQL (they run in its data directory).
    fn postgres_pids(&self) -> Vec<u32> {
        let data = self
            .pg_data
            .canonicalize()
            .unwrap_or_else(|_| self.pg_data.clone());
        std::fs::read_dir("/proc")
            .map(|d| {
                d.flatten()
                    .filter(|e| std::fs::read_link(e.path().join("cwd")).is_ok_and(|c| c == data))
                    .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse().ok()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Starts node `k` (1-based) with an empty data directory; waits until it listens.
    pub fn start_node(&mut self, k: usize) {
        if let Err(why) = self.try_start_node(k) {
            panic!("node {k} stopped before listening: {why}");
        }
    }

    /// Starts node `k` as [`Lab::start_node`] does; a node that stops before it listens (it
    /// does not start without Redis and PostgreSQL) is an error saying why, in its last words.
    pub fn try_start_node(&mut self, k: usize) -> Result<(), String> {
        let ns = self.node_ns(k);
        let redis = format!("redis://{}:6379", self.db_ip(k));
        let pg = format!("postgres://postgres@{}:5432/postgres", self.pg_ip(k));
        let node = &mut self.nodes[k - 1];
        let _ = std::fs::remove_dir_all(&node.dir);
        std::fs::create_dir_all(&node.dir).unwrap();
        let bind = node.addr.to_string();
        let mut child = Command::new("ip")
            .args(["netns", "exec", &ns, env!("CARGO_BIN_EXE_chat-server")])
            .args(["--bind", &bind, "--no-tls", "--data-dir"])
            .arg(&node.dir)
            .args([
                "--cluster",
                &redis,
                "--accounts",
                &pg,
                "--node-name",
                &node.name,
            ])
            .args([
                "--bcrypt-cost",
                "4",
                "--allow-weak-bcrypt",
                "--max-connections-per-ip",
                "0",
            ])
            .args([
                "--flood-per-second",
                "0",
                "--registrations-per-ip",
                "1000000",
            ])
            .args(["--login-free-failures", "1000000"])
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            // Appended to: what an earlier run of the node said stays (see `Lab::node_log`).
            .stderr(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(node.dir.with_extension("log"))
                    .unwrap(),
            )
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        loop {
            match lines.next() {
                Some(Ok(line)) if line.starts_with("listening on ") => break,
                Some(Ok(_)) => {}
                Some(Err(_)) | None => {
                    let _ = child.wait();
                    let log =
                        std::fs::read_to_string(node.dir.with_extension("log")).unwrap_or_default();
                    return Err(log.lines().last().unwrap_or("no log").to_owned());
                }
            }
        }
        std::thread::spawn(move || for _ in lines {});
        node.child = Some(child);
        Ok(())
    }

    /// Kills node `k` with SIGKILL.
    pub fn kill_node(&mut self, k: usize) {
        if let Some(mut child) = self.nodes[k - 1].child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// What node `k` logged (its standard error).
    pub fn node_log(&self, k: usize) -> String {
        std::fs::read_to_string(self.nodes[k - 1].dir.with_extension("log")).unwrap_or_default()
    }

    /// Cuts node `k` off from `engine`, in `way`.
    ///
    /// Partitions may overlap (the same route for a cut of Redis towards a node and of both
    /// engines both ways): each route is counted, added by the first cut that needs it and
    /// removed when the last of them heals.
    pub fn cut(&mut self, k: usize, engine: Engine, way: Way) {
        for (ns, to) in self.blackholes(k, engine, way) {
            if !self.routes.contains(&(ns.clone(), to.clone())) {
                must(
                    "ip",
                    &["-n", &ns, "route", "add", "blackhole", &format!("{to}/32")],
                );
            }
            self.routes.push((ns, to));
        }
    }

    /// Mends the partition [`Lab::cut`] made with the same arguments.
    pub fn heal_one(&mut self, k: usize, engine: Engine, way: Way) {
        for route in self.blackholes(k, engine, way) {
            if let Some(i) = self.routes.iter().position(|r| *r == route) {
                let (ns, to) = self.routes.remove(i);
                if !self.routes.contains(&(ns.clone(), to.clone())) {
                    run(
                        "ip",
                        &["-n", &ns, "route", "del", "blackhole", &format!("{to}/32")],
                    );
                }
            }
        }
    }

    /// The blackhole routes of a partition: (namespace, destination).
    fn blackholes(&self, k: usize, engine: Engine, way: Way) -> Vec<(String, String)> {
        let mut routes = Vec::new();
        if way != Way::ToNode {
            if engine != Engine::Postgres {
                routes.push((self.node_ns(k), self.db_ip(k)));
            }
            if engine != Engine::Redis {
                routes.push((self.node_ns(k), self.pg_ip(k)));
            }
        }
        if way != Way::FromNode {
            routes.push((self.db_ns(), self.node_to_db_ip(k)));
        }
        routes
    }

    /// Mends every partition.
    pub fn heal(&mut self) {
        let mut routes: Vec<(String, String)> = self.routes.drain(..).collect();
        routes.sort();
        routes.dedup();
        for (ns, to) in routes {
            run(
                "ip",
                &["-n", &ns, "route", "del", "blackhole", &format!("{to}/32")],
            );
        }
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        self.heal();
        for k in 1..=self.nodes.len() {
            self.kill_node(k);
        }
        self.pause_redis(false);
        self.kill_redis();
        self.kill_postgres();
        self.remove_namespaces();
    }
}
