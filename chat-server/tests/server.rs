//! Integration tests: a real server on 127.0.0.1 port 0, a real sled store in a temp dir, real
//! TCP clients. One binary (modules below) so the suite links once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod server {
    pub mod harness;

    mod accounts;
    mod actions;
    mod browser;
    mod clock;
    mod cluster;
    mod commands;
    mod durability;
    pub mod engines;
    mod files;
    mod fit;
    mod history;
    mod ii;
    pub mod irc;
    mod irc_actions;
    mod irc_clients;
    mod irc_files;
    mod irc_queries;
    mod limits;
    mod netns;
    mod parity;
    mod partition;
    mod postgres;
    mod robustness;
    mod rooms;
    mod said;
    mod sessions;
    mod talker;
    pub mod tls;
    mod web;
    mod webdriver;
}
