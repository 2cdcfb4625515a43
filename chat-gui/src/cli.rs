//! The command line: `--help` and `--version` print and exit before any window or display is
//! touched, as every desktop program's do; anything else it does not know is an error.

use clap::Parser;

/// Chat: the desktop client. Connect to a chat server, or host one for others on your network.
#[derive(Debug, Parser)]
#[command(name = "chat-gui", version, about, long_about = None)]
pub struct Cli {}

impl Cli {
    /// Reads the arguments. `--help`, `--version` and mistakes print and exit here.
    pub fn read() -> Cli {
        Cli::parse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_and_version_are_answered_and_unknown_flags_refused() {
        let help = Cli::try_parse_from(["chat-gui", "--help"]).unwrap_err();
        assert_eq!(help.kind(), clap::error::ErrorKind::DisplayHelp);
        assert!(help.to_string().contains("Usage: chat-gui"));
        let version = Cli::try_parse_from(["chat-gui", "--version"]).unwrap_err();
        assert_eq!(version.kind(), clap::error::ErrorKind::DisplayVersion);
        assert!(version.to_string().contains(env!("CARGO_PKG_VERSION")));
        assert!(Cli::try_parse_from(["chat-gui", "--fly"]).is_err());
        assert!(Cli::try_parse_from(["chat-gui"]).is_ok());
    }
}
