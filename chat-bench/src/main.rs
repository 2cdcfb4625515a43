//! `chat-bench`: drives a chat server on this machine with many clients from a few event-loop
//! threads and reports what it measured as one JSON object on stdout.

mod cli;
mod conn;
mod fanout;
mod files;
mod floor;
mod histogram;
mod idle;
mod idle_floor;
mod inbox;
mod irc;
mod logins;
mod net;
mod payload;
mod run;
mod session;
mod usage;
mod ws;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

fn main() -> ExitCode {
    let mut cli = Cli::parse();
    let checked = match &mut cli.command {
        Command::Fanout(args) => args.check().and_then(|()| args.common.prepare()),
        Command::Idle(args) => args.check().and_then(|()| args.common.prepare()),
        Command::Logins(args) => args.check().and_then(|()| args.common.prepare()),
        Command::Floor(args) => args.check(),
        Command::IdleFloor(args) => args.check(),
        Command::Files(args) => args.check().and_then(|()| args.common.prepare()),
    };
    if let Err(e) = checked {
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    match usage::raise_open_file_limit() {
        Ok(limit) => eprintln!("open file limit: {limit}"),
        Err(e) => eprintln!("warning: cannot raise the open file limit: {e}"),
    }
    let result = match cli.command {
        Command::Fanout(args) => fanout::run(args),
        Command::Idle(args) => idle::run(args),
        Command::Logins(args) => logins::run(args),
        Command::Floor(args) => floor::run(args),
        Command::IdleFloor(args) => idle_floor::run(args),
        Command::Files(args) => files::run(args),
    };
    match result {
        Ok((report, clean)) => {
            println!("{report}");
            if clean {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
