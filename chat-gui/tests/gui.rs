//! The desktop client driven through its real interface (egui_kittest, no display) against a
//! real chat server started in-process on a free port, talking over TCP.
//!
//! One test binary with modules: each binary links the whole GUI stack, which costs minutes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod gui {
    pub mod support;

    mod alerts;
    mod cli;
    mod commands;
    mod composer;
    mod connection;
    mod errors;
    mod files;
    mod find;
    mod forms;
    mod history;
    mod kept;
    mod lines;
    mod markdown;
    mod presence;
    mod private;
    mod rooms;
    mod screens;
    mod sessions;
}
